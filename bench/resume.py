"""Resume after reconnect: a member with 200 missed notifications comes back.

    .venv/bin/python bench/resume.py [--missed 200] [--runs 50]
        [--database-url postgres://postgres@127.0.0.1:5432/bench_collab_resume]
        [--redis-url redis://127.0.0.1:6379/0] [--reuse]

A member whose page last saw notification id L has ``--missed`` newer ones. Each run does
what static/js/notifications.js does on reconnect: open the notification socket (session
cookie, the site's Origin), read the hello (its ``latest`` is past L), send
``{"type": "resume", "after": L}`` and read the answer, and fetch
``/me/notifications/feed.json?after=…`` page by page (50 a page, over one keep-alive
connection) until the feed says there is no more. Timed: from opening the socket to holding
all the missed notifications, and the feed pages alone. Nothing is marked read, so every run
resumes the same notifications. Bar: p95 ≤ 50 ms for 200 missed.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import sys
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.fanout import prepare  # noqa: E402
from bench.harness import (  # noqa: E402
    DEFAULT_REDIS_URL,
    FORWARDED,
    HOST,
    BenchError,
    Server,
    code_version,
    load_average,
    machine,
    redacted,
    summary,
    table,
    write_json,
)

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/bench_collab_resume"
BAR_P95_MS = 50.0
WARMUP_RUNS = 3
FEED_PAGE = 50  # forum.notification_views.FEED_LIMIT


def seed_missed(missed: int) -> tuple[int, str, int]:
    """(member id, session key, the last id the member's page saw) with ``missed`` newer."""
    from django.db.models import Max

    from bench import realtime
    from cohorts.models import Cohort
    from forum.models import Notification

    cohort = realtime.seed(1, slug="bench-resume")
    user_id = cohort.member_ids[0]
    mine = Notification.objects.filter(recipient_id=user_id)
    if mine.count() != missed + 1:
        mine.delete()
        model_cohort = Cohort.objects.get(pk=cohort.cohort_id)
        seen = Notification.objects.create(
            recipient_id=user_id,
            kind="reply",
            summary="The last one the page saw",
            cohort=model_cohort,
        )
        Notification.objects.bulk_create(
            Notification(
                recipient_id=user_id,
                kind="announcement",
                summary=f"Announcement from program staff: “Schedule change {n}”",
                url=f"/cohorts/{cohort.slug}/forum/",
                cohort=model_cohort,
            )
            for n in range(missed)
        )
    else:
        seen = mine.order_by("pk").first()
    assert mine.aggregate(m=Max("pk"))["m"] > seen.pk
    return user_id, realtime.sessions_for([user_id])[user_id], seen.pk


async def one_run(server: Server, session: str, seen: int, missed: int) -> tuple[float, float]:
    from websockets.asyncio.client import connect

    started = time.perf_counter()
    async with connect(
        server.ws_url,
        origin=server.origin,
        additional_headers={"Cookie": f"sessionid={session}"},
        compression=None,
    ) as socket:
        hello = json.loads(await socket.recv())
        if hello.get("type") != "hello" or hello["latest"] <= seen:
            raise BenchError(f"Unexpected hello: {hello!r}")
        await socket.send(json.dumps({"type": "resume", "after": seen}))
        resumed = json.loads(await socket.recv())
        if resumed.get("type") != "resume" or len(resumed["notifications"]) != missed:
            raise BenchError(f"The socket resumed {len(resumed.get('notifications', []))}")
        feed_started = time.perf_counter()
        got = await asyncio.to_thread(fetch_feed, server, session, seen)
        done = time.perf_counter()
    if got != missed:
        raise BenchError(f"The feed returned {got} notifications, not {missed}.")
    return (done - started) * 1000, (done - feed_started) * 1000


async def baseline_run(server: Server, session: str, requests: int) -> float:
    """The same shape with no work behind it: open the socket, read the hello, then as many
    requests to the bare hello view over one keep-alive connection as the feed took pages."""
    from websockets.asyncio.client import connect

    from bench.asgi import HELLO_PATH

    started = time.perf_counter()
    async with connect(
        server.ws_url,
        origin=server.origin,
        additional_headers={"Cookie": f"sessionid={session}"},
        compression=None,
    ) as socket:
        json.loads(await socket.recv())
        await asyncio.to_thread(hello_requests, server, session, HELLO_PATH, requests)
    return (time.perf_counter() - started) * 1000


def hello_requests(server: Server, session: str, path: str, requests: int) -> None:
    connection = http.client.HTTPConnection(HOST, server.port, timeout=30)
    headers = {**FORWARDED, "Cookie": f"sessionid={session}"}
    try:
        for _ in range(requests):
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                raise BenchError(f"The hello view answered {response.status}")
    finally:
        connection.close()


def fetch_feed(server: Server, session: str, after: int) -> int:
    """Page through the feed as the client does; returns how many notifications came."""
    connection = http.client.HTTPConnection(HOST, server.port, timeout=30)
    headers = {**FORWARDED, "Cookie": f"sessionid={session}", "Accept": "application/json"}
    got = 0
    try:
        while True:
            connection.request("GET", f"/me/notifications/feed.json?after={after}", headers=headers)
            response = connection.getresponse()
            body = response.read()
            if response.status != 200:
                raise BenchError(f"The feed answered {response.status}: {body[:200]!r}")
            data = json.loads(body)
            items = data["notifications"]
            got += len(items)
            if items:
                after = items[-1]["id"]
            if not data["more"]:
                return got
    finally:
        connection.close()


async def measure(server: Server, session: str, seen: int, missed: int, runs: int):
    pages = max(1, -(-missed // FEED_PAGE))  # pages the feed takes to return them all
    for _ in range(WARMUP_RUNS):
        await one_run(server, session, seen, missed)
        await baseline_run(server, session, pages)
    whole, feed, base = [], [], []
    for _ in range(runs):  # alternating, so a burst of other work hits both
        a, b = await one_run(server, session, seen, missed)
        whole.append(a)
        feed.append(b)
        base.append(await baseline_run(server, session, pages))
    return summary(whole), summary(feed), summary(base), pages


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/resume.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--missed", type=int, default=200)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL)
    parser.add_argument("--reuse", action="store_true")
    args = parser.parse_args(argv)
    command = " ".join([".venv/bin/python bench/resume.py", *(argv or sys.argv[1:])])
    server = None
    try:
        setup = prepare(args, "resume")
        _, session, seen = seed_missed(args.missed)
        load_before = load_average()
        server = Server(setup, name="daphne-resume").start()
        whole, feed, base, pages = asyncio.run(
            measure(server, session, seen, args.missed, args.runs)
        )
    except BenchError as error:
        print(f"bench/resume.py: {error}", file=sys.stderr)
        return 2
    finally:
        if server is not None:
            server.close()
    report = {
        "date": datetime.now().date().isoformat(),
        "command": command,
        "database": redacted(args.database_url),
        "code": code_version(),
        "machine": machine(),
        "load_before": load_before,
        "load_after": load_average(),
        "missed": args.missed,
        "runs": args.runs,
        "bar": {"p95_ms": BAR_P95_MS},
        "reconnect_and_fetch": whole,
        "feed_pages_only": feed,
        "baseline_hello": base,
        "feed_requests": pages,
    }
    passes = whole["p95_ms"] <= BAR_P95_MS
    print(
        "\n".join(
            [
                f"Resume after reconnect, {report['date']} — `{command}`",
                "",
                f"Code: {report['code']}. {report['machine']['cpus']} CPUs; one daphne process; "
                f"load average {load_before} before, {report['load_after']} after. "
                f"{args.missed} missed notifications, {args.runs} runs after {WARMUP_RUNS} warm-up.",
                "",
                table(
                    ["what", "runs", "p50 ms", "p95 ms", "max ms", "bar"],
                    [
                        [
                            "socket open → hello → resume → all feed pages",
                            whole["count"],
                            whole["p50_ms"],
                            whole["p95_ms"],
                            whole["max_ms"],
                            "passes" if passes else f"misses (p95 ≤ {BAR_P95_MS:.0f} ms)",
                        ],
                        [
                            "of which the feed pages (HTTP, keep-alive)",
                            feed["count"],
                            feed["p50_ms"],
                            feed["p95_ms"],
                            feed["max_ms"],
                            "—",
                        ],
                        [
                            f"baseline: socket open → hello, then {pages} hello-view requests",
                            base["count"],
                            base["p50_ms"],
                            base["p95_ms"],
                            base["max_ms"],
                            f"resume p95 = {whole['p95_ms'] / base['p95_ms']:.1f}× baseline p95",
                        ],
                    ],
                ),
            ]
        )
    )
    print(f"\nJSON: {write_json('resume', report)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
