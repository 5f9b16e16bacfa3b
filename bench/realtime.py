"""Members, sockets and announcements for the realtime benchmarks.

``seed(members)`` stores one cohort (teams of 30) with that many signed-in-able members and a
staff member holding a TOTP authenticator. ``Clients`` holds real ``websockets`` connections to
the notification socket, each with its member's session cookie and the site's Origin, and
records when each notification signal arrives. ``announce`` posts a staff announcement over
HTTP, the way the announcement form does; it notifies every member of the cohort.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from dataclasses import dataclass, field
from datetime import timedelta

from bench.harness import BenchError, Server, give_totp, sign_in, summary

COHORT_SLUG = "bench-realtime"
STAFF_EMAIL = "staff@bench-realtime.example"
TEAM_SIZE = 30
CONNECT_CONCURRENCY = 20
CONNECT_ATTEMPTS = 3
RECEIVE_TIMEOUT = 60.0


@dataclass
class Cohort:
    cohort_id: int
    slug: str
    staff_id: int
    member_ids: list[int]


def seed(members: int, slug: str | None = None) -> Cohort:
    """A bench cohort of exactly ``members`` members (created, or topped up when reused): an
    announcement to it notifies exactly the sockets a run opens."""
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone

    from accounts.models import User
    from cohorts.models import Agency, Membership, Team
    from cohorts.models import Cohort as CohortModel

    slug = slug or f"{COHORT_SLUG}-{members}"
    with transaction.atomic():
        now = timezone.now()
        cohort, _ = CohortModel.objects.get_or_create(
            slug=slug,
            defaults={
                "name": f"Realtime benchmark cohort of {members:,}",
                "start_date": (now - timedelta(days=60)).date(),
                "end_date": (now + timedelta(days=300)).date(),
                "status": CohortModel.Status.ACTIVE,
                "max_teams": 1000,
            },
        )
        staff = User.objects.filter(email=STAFF_EMAIL).first()
        if staff is None:
            staff = User.objects.create_user(
                email=STAFF_EMAIL, first_name="Bench", last_name="Staff", is_staff=True
            )
        give_totp(staff)
        have = Membership.objects.filter(team__cohort=cohort).count()
        if have < members:
            unusable = make_password(None)
            first = have
            users = User.objects.bulk_create(
                (
                    User(
                        email=f"{slug}-{i:06d}@bench-realtime.example",
                        first_name=f"Member{i}",
                        last_name="Realtime",
                        password=unusable,
                    )
                    for i in range(first, members)
                ),
                batch_size=2000,
            )
            teams_needed = (members + TEAM_SIZE - 1) // TEAM_SIZE
            teams = list(Team.objects.filter(cohort=cohort).order_by("pk"))
            for t in range(len(teams), teams_needed):
                agency = Agency.objects.create(
                    name=f"{slug} agency {t + 1}", kind="municipal", city="Dover", state="VA"
                )
                teams.append(Team.objects.create(cohort=cohort, agency=agency, name=agency.name))
            Membership.objects.bulk_create(
                (
                    Membership(
                        team=teams[(first + n) // TEAM_SIZE],
                        user=user,
                        role="command_staff" if (first + n) % TEAM_SIZE == 0 else "sworn",
                        is_lead=(first + n) % TEAM_SIZE == 0,
                    )
                    for n, user in enumerate(users)
                ),
                batch_size=2000,
            )
    member_ids = list(
        Membership.objects.filter(team__cohort=cohort)
        .order_by("user_id")
        .values_list("user_id", flat=True)
    )
    return Cohort(cohort.pk, cohort.slug, staff.pk, member_ids)


def sessions_for(user_ids: list[int]) -> dict[int, str]:
    """A fresh session key per member, written in one INSERT."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.utils import timezone
    from django.utils.crypto import get_random_string

    from accounts.models import User

    store = SessionStore()
    expires = timezone.now() + timedelta(days=1)
    keys: dict[int, str] = {}
    rows = []
    now = time.time()
    for user in User.objects.filter(pk__in=user_ids):
        key = get_random_string(32, "abcdefghijklmnopqrstuvwxyz0123456789")
        data = {
            SESSION_KEY: str(user.pk),
            BACKEND_SESSION_KEY: settings.AUTHENTICATION_BACKENDS[0],
            HASH_SESSION_KEY: user.get_session_auth_hash(),
            "account_authentication_methods": [
                {"method": "password", "at": now, "email": user.email}
            ],
            "account_authentication_methods_user": str(user.pk),
        }
        rows.append(Session(session_key=key, session_data=store.encode(data), expire_date=expires))
        keys[user.pk] = key
    Session.objects.bulk_create(rows, batch_size=2000)
    return keys


def staff_session(cohort: Cohort) -> str:
    from accounts.models import User

    staff = User.objects.get(pk=cohort.staff_id)
    return sign_in(staff, authenticator=give_totp(staff))


# --- Sockets -------------------------------------------------------------------------------


@dataclass
class Client:
    user_id: int
    server: Server
    socket: object = None
    hello: dict | None = None
    received: dict[int, float] = field(default_factory=dict)  # notification id -> arrival
    closed: str | None = None
    task: asyncio.Task | None = None


class Clients:
    """Member sockets, connected concurrently (at most CONNECT_CONCURRENCY handshakes at once)."""

    def __init__(self, sessions: dict[int, str], servers: list[Server]):
        self.sessions = sessions
        self.servers = servers
        self.clients: list[Client] = []
        self.arrived = asyncio.Event()
        self.expected = 0
        self.count = 0
        self.retries = 0  # handshakes that had to be tried again

    async def connect(self, user_ids: list[int]) -> None:
        from websockets.asyncio.client import connect
        from websockets.exceptions import InvalidHandshake, InvalidMessage

        gate = asyncio.Semaphore(CONNECT_CONCURRENCY)

        async def one(client: Client) -> None:
            for attempt in range(CONNECT_ATTEMPTS):
                try:
                    await attempt_one(client)
                    return
                except (OSError, TimeoutError, InvalidHandshake, InvalidMessage):
                    # Retried as the page does: daphne refuses a handshake it cannot
                    # finish within its connect timeout when many arrive at once.
                    if attempt == CONNECT_ATTEMPTS - 1:
                        raise
                    self.retries += 1
                    await asyncio.sleep(0.5 * (attempt + 1))

        async def attempt_one(client: Client) -> None:
            async with gate:
                client.socket = await connect(
                    client.server.ws_url,
                    origin=client.server.origin,
                    additional_headers={"Cookie": f"sessionid={self.sessions[client.user_id]}"},
                    open_timeout=60,
                    max_size=2**20,
                    compression=None,
                )
                # The hello comes after the server has joined the socket to the member's group.
                client.hello = json.loads(await asyncio.wait_for(client.socket.recv(), 60))
            client.task = asyncio.create_task(self._listen(client))

        new = [Client(uid, self.servers[n % len(self.servers)]) for n, uid in enumerate(user_ids)]
        self.clients.extend(new)
        results = await asyncio.gather(*(one(c) for c in new), return_exceptions=True)
        failures = [r for r in results if isinstance(r, BaseException)]
        if failures:
            raise BenchError(
                f"{len(failures)} of {len(new)} sockets did not connect; the first: "
                f"{type(failures[0]).__name__}: {failures[0]}"
            )
        bad = [c for c in new if not c.hello or c.hello.get("type") != "hello"]
        if bad:
            raise BenchError(f"{len(bad)} sockets got no hello; the first got {bad[0].hello!r}")

    async def _listen(self, client: Client) -> None:
        from websockets.exceptions import ConnectionClosed

        try:
            async for raw in client.socket:
                arrived = time.time()
                data = json.loads(raw)
                if data.get("type") == "notification" and data["id"] not in client.received:
                    client.received[data["id"]] = arrived
                    self.count += 1
                    if self.count >= self.expected:
                        self.arrived.set()
        except ConnectionClosed as closed:
            client.closed = f"closed {closed.rcvd.code if closed.rcvd else 'without a frame'}"

    def expect(self, total: int) -> None:
        """Wait for ``total`` more signals (across all clients)."""
        self.count = 0
        self.expected = total
        self.arrived.clear()
        for client in self.clients:
            client.received.clear()

    async def wait(self, timeout: float = RECEIVE_TIMEOUT) -> bool:
        try:
            await asyncio.wait_for(self.arrived.wait(), timeout)
        except TimeoutError:
            return False
        return True

    def still_open(self) -> int:
        from websockets.protocol import State

        return sum(1 for c in self.clients if c.socket is not None and c.socket.state is State.OPEN)

    async def close(self) -> None:
        for client in self.clients:
            if client.task is not None:
                client.task.cancel()
        await asyncio.gather(
            *(c.socket.close() for c in self.clients if c.socket is not None),
            return_exceptions=True,
        )
        self.clients.clear()


# --- Announcements and their commit instants -----------------------------------------------


def announce(server: Server, cohort: Cohort, session: str, title: str) -> float:
    """POST the announcement form; returns when the response came back."""
    status, headers, body = server.post(
        f"/cohorts/{cohort.slug}/forum/announce/",
        {"title": title, "body": f"{title}: please read the updated schedule."},
        session=session,
    )
    returned = time.time()
    if status != 302:
        raise BenchError(
            f"The announcement POST answered {status}, not a redirect: "
            f"{headers.get('Location', '')} {body[:300]!r}\n{server.log_tail()}"
        )
    return returned


def commit_records(redis_url: str, key: str, count: int, timeout: float = 120) -> list[dict]:
    """The commit instants the servers recorded (bench/asgi.py), one per notified batch."""
    import redis

    client = redis.Redis.from_url(redis_url)
    records = []
    deadline = time.monotonic() + timeout
    while len(records) < count and time.monotonic() < deadline:
        item = client.blpop([key], timeout=1)
        if item is not None:
            records.append(json.loads(item[1]))
    if len(records) < count:
        raise BenchError(f"Only {len(records)} of {count} commit records arrived from the servers.")
    return records


def latencies(clients: Clients, records: list[dict]) -> tuple[list[float], int]:
    """Commit → arrival in ms of every signal that arrived, and how many arrived."""
    out = []
    for client in clients.clients:
        for notification_id, arrived in client.received.items():
            for record in records:
                if record["first_id"] <= notification_id <= record["last_id"]:
                    out.append((arrived - record["commit"]) * 1000)
                    break
    return out, len(out)


# --- The baseline: Redis PUBLISH to plain subscribers --------------------------------------


async def redis_publish_baseline(redis_url: str, channel: str, n: int) -> dict:
    """One PUBLISH to ``n`` redis.asyncio subscribers, each on a connection of its own."""
    import redis.asyncio as aioredis

    arrivals: list[float] = []
    done = asyncio.Event()
    subscribers = []
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)

    async def subscribe():
        async with gate:
            client = aioredis.Redis.from_url(redis_url)
            pubsub = client.pubsub()
            await pubsub.subscribe(channel)
            # Wait for Redis to confirm the subscription.
            while True:
                message = await pubsub.get_message(timeout=10)
                if message and message["type"] == "subscribe":
                    break
            subscribers.append((client, pubsub))
            return pubsub

    async def listen(pubsub):
        while True:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=None)
            if message is not None and message["type"] == "message":
                arrivals.append(time.time())
                if len(arrivals) >= n:
                    done.set()
                return

    pubsubs = await asyncio.gather(*(subscribe() for _ in range(n)))
    tasks = [asyncio.create_task(listen(p)) for p in pubsubs]
    await asyncio.sleep(0.2)
    publisher = aioredis.Redis.from_url(redis_url)
    sent = time.time()
    receivers = await publisher.publish(channel, json.dumps({"type": "notification", "id": 1}))
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(done.wait(), RECEIVE_TIMEOUT)
    for task in tasks:
        task.cancel()
    await publisher.aclose()
    for client, pubsub in subscribers:
        await pubsub.aclose()
        await client.aclose()
    stats = summary([(a - sent) * 1000 for a in arrivals])
    stats["subscribers"] = receivers
    return stats
