"""Simulated members for the fault drills (tests/test_fault_drills.py): many at once, no browser.

A ``Member`` does what a member's browser does against a real daphne process: HTTP requests
with its session cookie (pages, the reply form with its CSRF token, the notification feed) and
the notification socket, handled the way static/js/notifications.js handles it — on a signal
that mentions something newer, fetch the feed; take what a resume answer brings; on a
``resync`` (the server lost Redis for a while), resume again; on close, poll the feed and
reconnect with exponential backoff and full jitter, then ``resume`` from the last id seen.

Everything here is asyncio and touches no database: the drills seed and check the database
from the test's own thread, before and after the event loop runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

REQUEST_TIMEOUT = 30.0
SOCKET_OPEN_TIMEOUT = 10.0
# static/js/notifications.js: backoff of 500 ms × 2^attempt with full jitter, capped at 30 s
# (1 s after a 4000 close); while closed, a first poll after 1–3 s, then every 15–25 s.
BACKOFF_BASE = 0.5
BACKOFF_CAP = 30.0
POLL_FIRST = (1.0, 3.0)
POLL_EVERY = (15.0, 25.0)
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
SUBMISSION_INPUT = re.compile(r'name="submission" value="([^"]+)"')


class RequestFailed(Exception):
    """A request got no answer (refused, reset, timed out) or an answer it should not get.

    ``stage`` is "post" when a reply's POST went out unanswered (it may have been saved all
    the same), "posted" when the POST was accepted and only the page after it failed.
    """

    stage = "page"
    form: dict | None = None  # the reply form a "post" failure sent, to send again


# Sessions and seeding (synchronous: call before the event loop runs) -------------------------


def session_keys(users) -> dict[int, str]:
    """A signed-in session per user, as a sign-in leaves it, written in one INSERT."""
    from bench.realtime import sessions_for

    return sessions_for([user.pk for user in users])


def seed_members(cohort, *, count: int, teams: int, label: str) -> list:
    """``count`` members of ``cohort`` spread over ``teams`` agencies (no password: the drills
    sign in with sessions they write themselves)."""
    from django.contrib.auth.hashers import make_password

    from accounts.models import User
    from cohorts.models import Membership
    from conftest import make_agency, make_team

    agencies = [
        make_team(cohort, make_agency(f"{label.title()} Agency {n + 1}")) for n in range(teams)
    ]
    unusable = make_password(None)
    users = User.objects.bulk_create(
        User(
            email=f"{label}-{n:04d}@drill.example",
            first_name=f"Member{n}",
            last_name=label.title(),
            password=unusable,
        )
        for n in range(count)
    )
    # In blocks, so that threads (member n in thread n % threads) mix agencies.
    Membership.objects.bulk_create(
        Membership(team=agencies[n * teams // count], user=user, role="sworn")
        for n, user in enumerate(users)
    )
    return users


def seed_threads(cohort, members: list, *, threads: int, label: str) -> dict[int, str]:
    """``threads`` threads in the cohort's General category, member n in thread n % threads,
    watching it (as replying would make them); returns each member's thread path."""
    from forum import posting
    from forum.models import Category, Watch

    posting.ensure_categories(cohort)
    general = Category.objects.get(cohort=cohort, slug=posting.GENERAL_SLUG)
    started = [
        posting.start_thread(
            category=general,
            author=members[n],
            title=f"{label.title()} thread {n + 1}",
            body="What works for your agency?",
        ).post.thread
        for n in range(threads)
    ]
    Watch.objects.bulk_create(
        (
            Watch(user=user, thread=started[n % threads], level=Watch.Level.WATCHING)
            for n, user in enumerate(members)
        ),
        ignore_conflicts=True,
    )
    return {user.pk: started[n % threads].get_absolute_url() for n, user in enumerate(members)}


# Figures -------------------------------------------------------------------------------------


@dataclass
class Failure:
    at: float  # time.monotonic()
    kind: str
    what: str
    status: int | None  # None: no answer at all


@dataclass
class Stats:
    """Every request the members made: what answered, how fast, and what went wrong."""

    served: Counter = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)

    def ok(self, kind: str, seconds: float) -> None:
        self.served[kind] += 1
        self.latencies.append(seconds)

    def fail(self, kind: str, what: str, status: int | None = None) -> None:
        self.failures.append(Failure(time.monotonic(), kind, what, status))

    def percentile(self, pct: float) -> float:
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]

    def report(self, title: str, **extra) -> str:
        lines = [
            f"{title}: {sum(self.served.values())} requests served "
            f"({', '.join(f'{k} {v}' for k, v in sorted(self.served.items()))}), "
            f"{len(self.failures)} failed; latency p50 {self.percentile(50) * 1000:.0f} ms, "
            f"p95 {self.percentile(95) * 1000:.0f} ms, max {self.percentile(100) * 1000:.0f} ms"
        ]
        lines += [f"  {key.replace('_', ' ')}: {value}" for key, value in extra.items()]
        lines += [f"  failure: {f.kind} {f.what}" for f in self.failures[:10]]
        return "\n".join(lines)


# HTTP ----------------------------------------------------------------------------------------


@dataclass
class Response:
    status: int
    headers: dict[str, list[str]]
    body: bytes

    def header(self, name: str) -> str:
        return (self.headers.get(name.lower()) or [""])[0]

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


def _dechunk(data: bytes) -> bytes:
    out, rest = bytearray(), data
    while rest:
        size_line, _, rest = rest.partition(b"\r\n")
        size = int(size_line.split(b";")[0] or b"0", 16)
        if size == 0:
            break
        out += rest[:size]
        rest = rest[size + 2 :]
    return bytes(out)


class Browser:
    """One member's HTTP side: a cookie jar and plain HTTP/1.1 over asyncio streams, one
    connection per request (so a killed server shows as a failed request, not a stale pool)."""

    def __init__(self, base_url: str, cookies: dict[str, str], stats: Stats):
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname, parts.port
        self.origin = base_url.rstrip("/")
        self.cookies = dict(cookies)
        self.stats = stats

    async def request(
        self, method: str, path: str, *, kind: str, form: dict | None = None, accept: str = ""
    ) -> Response:
        """Send a request; an answer with no status at all raises RequestFailed (recorded)."""
        body = urlencode(form).encode() if form is not None else b""
        headers = {
            "Host": f"{self.host}:{self.port}",
            "Connection": "close",
            "Accept-Encoding": "identity",
            "Accept": accept or "text/html",
            "User-Agent": "collaborative-drill",
        }
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if method == "POST":
            headers["Origin"] = self.origin
            headers["Referer"] = self.origin + path
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Content-Length"] = str(len(body))
        head = f"{method} {path} HTTP/1.1\r\n" + "".join(
            f"{k}: {v}\r\n" for k, v in headers.items()
        )
        started = time.monotonic()
        try:
            raw = await asyncio.wait_for(
                self._exchange(head.encode() + b"\r\n" + body), REQUEST_TIMEOUT
            )
            response = self._parse(raw)
        except (OSError, TimeoutError, ValueError, IndexError) as error:
            self.stats.fail(kind, f"{method} {path}: {type(error).__name__}: {error}")
            raise RequestFailed(f"{method} {path}: {error!r}") from error
        self.stats.ok(kind, time.monotonic() - started)
        self._remember(response)
        return response

    async def _exchange(self, data: bytes) -> bytes:
        reader, writer = await asyncio.open_connection(self.host, self.port)
        try:
            writer.write(data)
            await writer.drain()
            return await reader.read()
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    @staticmethod
    def _parse(raw: bytes) -> Response:
        head, separator, body = raw.partition(b"\r\n\r\n")
        if not separator:
            raise ValueError(f"incomplete response ({len(raw)} bytes)")
        status_line, *lines = head.decode("latin-1").split("\r\n")
        headers: dict[str, list[str]] = {}
        for line in lines:
            name, _, value = line.partition(":")
            headers.setdefault(name.strip().lower(), []).append(value.strip())
        if "chunked" in (headers.get("transfer-encoding") or [""])[0].lower():
            body = _dechunk(body)
        return Response(int(status_line.split()[1]), headers, body)

    def _remember(self, response: Response) -> None:
        for cookie in response.headers.get("set-cookie", []):
            pair, _, attributes = cookie.partition(";")
            name, _, value = pair.strip().partition("=")
            if value in ("", '""') or "max-age=0" in attributes.lower():
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value

    async def page(self, path: str, *, kind: str = "page") -> Response:
        """GET a page a member may see; anything but 200 is a failure (recorded)."""
        response = await self.request("GET", path, kind=kind)
        if response.status != 200:
            self.stats.fail(kind, f"GET {path}: HTTP {response.status}", response.status)
            raise RequestFailed(f"GET {path}: HTTP {response.status}")
        return response

    async def reply(self, thread_path: str, text: str, *, again: dict | None = None) -> dict:
        """Reply with the thread page's form: GET it for the CSRF token and the form's key,
        POST, follow the redirect to the post. Raises RequestFailed unless the reply was
        posted; ``again`` sends a form already filled once (the member pressing send again
        on the same page), whose fields are returned on success and kept on the exception."""
        form = again
        if form is None:
            page = await self.page(thread_path, kind="thread")
            token = CSRF_INPUT.search(page.text)
            key = SUBMISSION_INPUT.search(page.text)
            if token is None or key is None:
                self.stats.fail("reply", f"no reply form on {thread_path}", page.status)
                raise RequestFailed(f"no reply form on {thread_path}")
            form = {
                "csrfmiddlewaretoken": token.group(1),
                "body": text,
                "quoted": "",
                "submission": key.group(1),
            }
        try:
            response = await self.request("POST", thread_path, kind="reply", form=form)
        except RequestFailed as failed:
            failed.stage, failed.form = "post", form
            raise
        if response.status != 302:
            self.stats.fail("reply", f"POST {thread_path}: HTTP {response.status}", response.status)
            raise RequestFailed(f"POST {thread_path}: HTTP {response.status}")
        try:
            landing = await self.page(response.header("Location").split("#")[0], kind="thread")
        except RequestFailed as failed:
            failed.stage = "posted"  # the reply was accepted; the page after it did not load
            raise
        if "Your reply is posted." not in landing.text:
            self.stats.fail("reply", f"no confirmation after posting in {thread_path}", 200)
            raise RequestFailed(f"no confirmation after posting in {thread_path}")
        return form


# The page's notification script ---------------------------------------------------------------


class Member:
    """A signed-in member's open page: its notification socket and its feed requests."""

    def __init__(
        self,
        *,
        user_id: int,
        base_url: str,
        cookie_name: str,
        session_key: str,
        stats: Stats,
        feed_path: str,
        socket_path: str,
    ):
        self.user_id = user_id
        self.browser = Browser(base_url, {cookie_name: session_key}, stats)
        self.ws_url = "ws" + base_url.removeprefix("http") + socket_path
        self.feed_path = feed_path
        self.seen: int | None = None  # the tab's high-water mark, as in the page
        # The newest id when the page first heard from the socket: older notifications were
        # there before the page opened, and a new page does not announce them (by design).
        self.started_from = 0
        # The ids signals carried: a member's own notification's, or for a cohort-wide signal
        # the newest of the write that made it.
        self.signalled: set[int] = set()
        self.resyncs = 0  # times the server asked the page to resume while the socket stayed
        self.known: set[int] = set()  # ids the page learnt: signals, resumes, the feed
        self.opens = 0
        self.failed_handshakes = 0
        self.resumed_since_open = False
        self.socket_open = False
        self.polls = 0
        self._fetching: asyncio.Task | None = None
        self._poller: asyncio.Task | None = None
        self._runner: asyncio.Task | None = None
        self._socket = None
        self._stopping = False
        self.signed_out = False
        self.last_failure = ""

    # Lifecycle.

    def start(self) -> None:
        self._runner = asyncio.create_task(self._run())

    async def stop(self) -> None:
        self._stopping = True
        for task in (self._runner, self._poller, self._fetching):
            if task is not None:
                task.cancel()
        if self._socket is not None:
            with contextlib.suppress(Exception):
                await self._socket.close()
        for task in (self._runner, self._poller, self._fetching):
            if task is not None:
                with contextlib.suppress(BaseException):
                    await task

    @property
    def settled(self) -> bool:
        """Socket open, resumed since it opened, no feed request in flight."""
        return (
            self.socket_open
            and self.resumed_since_open
            and (self._fetching is None or self._fetching.done())
        )

    # The socket, as connect() in the page.

    async def _run(self) -> None:
        from websockets.asyncio.client import connect
        from websockets.exceptions import ConnectionClosed, WebSocketException

        attempt = 0
        while not self._stopping:
            code = None
            try:
                async with connect(
                    self.ws_url,
                    origin=self.browser.origin,
                    additional_headers={
                        "Cookie": "; ".join(f"{k}={v}" for k, v in self.browser.cookies.items())
                    },
                    open_timeout=SOCKET_OPEN_TIMEOUT,
                    compression=None,
                ) as socket:
                    self._socket = socket
                    self.opens += 1
                    attempt = 0
                    self.socket_open, self.resumed_since_open = True, False
                    self._stop_polling()
                    try:
                        async for raw in socket:
                            await self._message(socket, raw)
                    except ConnectionClosed:
                        pass
                    code = socket.close_code
            except (OSError, TimeoutError, WebSocketException) as error:
                # A refused or failed handshake: the page cannot tell them apart and retries.
                self.failed_handshakes += 1
                self.last_failure = f"{type(error).__name__}: {error}"
            finally:
                self._socket = None
                self.socket_open = False
            if self._stopping:
                return
            if code in (4401, 4403):
                self.signed_out = True
                return
            self._start_polling()
            cap = 1.0 if code == 4000 else min(BACKOFF_CAP, BACKOFF_BASE * 2**attempt)
            attempt += 1
            await asyncio.sleep(random.random() * cap)

    async def _message(self, socket, raw) -> None:
        try:
            data = json.loads(raw)
        except ValueError:
            return
        kind = data.get("type")
        if kind == "hello":
            latest = data.get("latest") or 0
            if self.seen is None:
                self.seen = latest  # a new browser starts from now
                self.started_from = latest
            await socket.send(json.dumps({"type": "resume", "after": self.seen or 0}))
        elif kind == "notification":
            self.signalled.add(data["id"])
            if data["id"] > (self.seen or 0):
                self.catch_up()
        elif kind == "resume":
            # The missed notifications come with their text: the page shows them at once.
            ids = [n["id"] for n in data.get("notifications", [])]
            self.known.update(ids)
            self.seen = max([self.seen or 0, *ids])
            self.resumed_since_open = True
            if data.get("more"):
                self.catch_up()
        elif kind == "resync":
            self.resyncs += 1
            self.resumed_since_open = False
            await socket.send(json.dumps({"type": "resume", "after": self.seen or 0}))

    def heard_signal_for(self, notification_id: int) -> bool:
        """A signal reached the socket that covered ``notification_id``."""
        return any(signalled >= notification_id for signalled in self.signalled)

    # The feed, as catchUp() in the page.

    def catch_up(self) -> asyncio.Task:
        if self._fetching is None or self._fetching.done():
            self._fetching = asyncio.create_task(self._catch_up())
        return self._fetching

    async def _catch_up(self) -> None:
        while True:
            after = self.seen or 0
            try:
                response = await self.browser.request(
                    "GET", f"{self.feed_path}?after={after}", kind="feed", accept="application/json"
                )
            except RequestFailed:
                return  # offline: the next signal or poll tries again
            if response.status != 200 or "json" not in response.header("Content-Type"):
                self.browser.stats.fail("feed", f"feed: HTTP {response.status}", response.status)
                return
            data = json.loads(response.body)
            for item in data["notifications"]:
                self.known.add(item["id"])
                if self.seen is None or item["id"] > self.seen:
                    self.seen = item["id"]
            if not data["more"]:
                return

    def _start_polling(self) -> None:
        if self._poller is None or self._poller.done():
            self._poller = asyncio.create_task(self._poll())

    def _stop_polling(self) -> None:
        if self._poller is not None:
            self._poller.cancel()
            self._poller = None

    async def _poll(self) -> None:
        await asyncio.sleep(random.uniform(*POLL_FIRST))
        while True:
            self.polls += 1
            await self.catch_up()
            await asyncio.sleep(random.uniform(*POLL_EVERY))


async def wait_until_settled(members: list[Member], timeout: float, grace: float = 1.0) -> float:
    """Wait until every member's socket is open and resumed and its feed request done, then
    ``grace`` seconds more for signals in flight; returns how long it took (raises on timeout)."""
    started = time.monotonic()
    deadline = started + timeout
    while True:
        while not all(m.settled for m in members):
            if time.monotonic() > deadline:
                behind = [m for m in members if not m.settled]
                raise TimeoutError(
                    f"{len(behind)} members never settled; socket open: "
                    f"{sum(m.socket_open for m in behind)}, resumed: "
                    f"{sum(m.resumed_since_open for m in behind)}, opens: "
                    f"{sum(m.opens for m in behind)}, failed handshakes: "
                    f"{sum(m.failed_handshakes for m in behind)}, last failure: "
                    f"{next((m.last_failure for m in behind if m.last_failure), None)}"
                )
            await asyncio.sleep(0.1)
        await asyncio.sleep(grace)
        if all(m.settled for m in members):
            return time.monotonic() - started
