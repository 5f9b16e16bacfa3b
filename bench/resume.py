"""Resume after reconnect: a member with 200 missed notifications comes back.

    .venv/bin/python bench/resume.py [--missed 200] [--runs 50]
        [--database-url postgres://postgres@127.0.0.1:5432/bench_collab_resume]
        [--redis-url redis://127.0.0.1:6379/0] [--reuse]

A member whose page last saw notification id L has ``--missed`` newer ones. Each run does
what static/js/notifications.js does on reconnect: open the notification socket (session
cookie, the site's Origin), read the hello (its ``latest`` is past L), send
``{"type": "resume", "after": L}`` and read the answer, which carries the missed
notifications with their text (up to 200; past that the page asks the feed for the rest).
Timed: from opening the socket to holding all the missed notifications, next to a baseline
of the same socket with no work behind it (open, read the hello, close). Nothing is marked
read, so every run resumes the same notifications. Bar: p95 ≤ 50 ms for 200 missed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.fanout import prepare  # noqa: E402
from bench.harness import (  # noqa: E402
    DEFAULT_REDIS_URL,
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


async def one_run(server: Server, session: str, seen: int, missed: int) -> float:
    from websockets.asyncio.client import connect

    started = time.perf_counter()
    async with connect(
        server.ws_url,
        origin=server.origin,
        additional_headers={"Cookie": f"sessionid={session}"},
        compression=None,
        max_size=None,
    ) as socket:
        hello = json.loads(await socket.recv())
        if hello.get("type") != "hello" or hello["latest"] <= seen:
            raise BenchError(f"Unexpected hello: {hello!r}")
        await socket.send(json.dumps({"type": "resume", "after": seen}))
        resumed = json.loads(await socket.recv())
        done = time.perf_counter()
    got = resumed.get("notifications", [])
    if resumed.get("type") != "resume" or len(got) != missed or resumed.get("more"):
        raise BenchError(f"The socket resumed {len(got)} of {missed} (more: {resumed.get('more')})")
    if not all(n.get("summary") for n in got):
        raise BenchError("The resume answer came without the notifications' text.")
    return (done - started) * 1000


async def baseline_run(server: Server, session: str) -> float:
    """The same socket with no work behind it: open it, read the hello."""
    from websockets.asyncio.client import connect

    started = time.perf_counter()
    async with connect(
        server.ws_url,
        origin=server.origin,
        additional_headers={"Cookie": f"sessionid={session}"},
        compression=None,
    ) as socket:
        json.loads(await socket.recv())
        done = time.perf_counter()
    return (done - started) * 1000


async def measure(server: Server, session: str, seen: int, missed: int, runs: int):
    for _ in range(WARMUP_RUNS):
        await one_run(server, session, seen, missed)
        await baseline_run(server, session)
    whole, base = [], []
    for _ in range(runs):  # alternating, so a burst of other work hits both
        whole.append(await one_run(server, session, seen, missed))
        base.append(await baseline_run(server, session))
    return summary(whole), summary(base)


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
        whole, base = asyncio.run(measure(server, session, seen, args.missed, args.runs))
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
        "reconnect_and_resume": whole,
        "baseline_hello": base,
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
                            "socket open → hello → resume answer with every missed text",
                            whole["count"],
                            whole["p50_ms"],
                            whole["p95_ms"],
                            whole["max_ms"],
                            "passes" if passes else f"misses (p95 ≤ {BAR_P95_MS:.0f} ms)",
                        ],
                        [
                            "baseline: socket open → hello",
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
