"""Notification fan-out: a staff announcement to a cohort whose members all have a socket open.

    .venv/bin/python bench/fanout.py [--sizes 100,500,1000] [--processes 1] [--posts 1]
        [--database-url postgres://postgres@127.0.0.1:5432/bench_collab_realtime]
        [--redis-url redis://127.0.0.1:6379/0] [--reuse]

For each N: a cohort of exactly N members, each signed in (a session made directly) with one
real ``websockets`` client on the notification socket (the site's Origin, the session cookie),
spread round-robin over ``--processes`` daphne processes. Once every socket has said hello
(it is in its member's group), staff post an announcement through the announcement form
(HTTP POST to the first process), which notifies every member. The commit instant is recorded
by the server (bench/asgi.py): the start of the first callback that runs after the write's
transaction commits, which is the one that sends the signals. The time from there to each
socket's signal is reported (p50/p95/max) with the count received. The baseline, in the same
run: one Redis PUBLISH to N redis.asyncio subscribers, timed from the PUBLISH.

With ``--posts K`` the K announcements are posted at once, round-robin over the processes;
the figure "deliveries/s" is the signals received divided by the time from the first commit
to the last signal (bench/two_processes.py uses it as the fan-out capacity).

To compare designs: ``--signals sequential`` (one signal at a time, as before batching) and
``--channel-layer pubsub`` (the Redis pub/sub layer); ``--profile PATH`` profiles each
daphne process over the fan-out window.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import (  # noqa: E402
    DEFAULT_REDIS_URL,
    BenchError,
    Server,
    Setup,
    check_redis,
    code_version,
    configure_django,
    load_average,
    machine,
    migrate_and_collect_static,
    new_prefix,
    prepare_database,
    raise_open_files,
    redacted,
    summary,
    table,
    write_json,
)

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/bench_collab_realtime"
DATABASE_MARK = "Collaborative realtime benchmark (dropped and recreated unless --reuse)"
BAR_P95_MS = 500.0
BAR_SIZE = 1000


async def fan_out(
    servers: list[Server], setup: Setup, commit_key: str, n: int, *, posts: int = 1
) -> dict:
    """Connect N member sockets over the servers, announce, and time commit → signal."""
    from asgiref.sync import sync_to_async

    from bench import realtime

    cohort = await sync_to_async(realtime.seed)(n)
    sessions = await sync_to_async(realtime.sessions_for)(cohort.member_ids)
    staff = await sync_to_async(realtime.staff_session)(cohort)
    clients = realtime.Clients(sessions, servers)
    try:
        started = time.monotonic()
        await clients.connect(cohort.member_ids)
        connect_s = time.monotonic() - started
        await asyncio.sleep(1.0)
        clients.expect(n * posts)
        toggle_profilers(servers)
        stamp = datetime.now().strftime("%H:%M:%S.%f")
        sent_at = time.time()
        returned = await asyncio.gather(
            *(
                asyncio.to_thread(
                    realtime.announce,
                    servers[k % len(servers)],
                    cohort,
                    staff,
                    f"Fan-out check {n} #{k + 1} at {stamp}",
                )
                for k in range(posts)
            )
        )
        await clients.wait()
        toggle_profilers(servers)
        await asyncio.sleep(0.5)  # a straggler beyond the expected count would show as extra
        records = await asyncio.to_thread(
            realtime.commit_records, setup.redis_url, commit_key, posts
        )
        sent_records = await asyncio.to_thread(
            realtime.commit_records, setup.redis_url, f"{commit_key}:sent", posts
        )
        times, received = realtime.latencies(clients, records)
        arrived = sum(len(c.received) for c in clients.clients)
        for record in records:  # how many of each post's signals arrived
            record["arrived"] = sum(
                record["first_id"] <= i <= record["last_id"]
                for c in clients.clients
                for i in c.received
            )
        on_other = sum(len(c.received) for c in clients.clients if c.server is not servers[0])
        first_commit = min(r["commit"] for r in records)
        last_arrival = max(
            (a for c in clients.clients for a in c.received.values()), default=first_commit
        )
        closed = [c.closed for c in clients.clients if c.closed]
    finally:
        await clients.close()
    span = last_arrival - first_commit
    return {
        "n": n,
        "processes": len(servers),
        "posts": posts,
        "expected": n * posts,
        "received": received,
        "lost": n * posts - arrived,
        "unmatched": arrived - received,  # arrived, but matched to no commit record
        "records": records,
        "received_on_other_processes": on_other,
        "closed_sockets": len(closed),
        "connect_s": round(connect_s, 1),
        "connect_retries": clients.retries,
        **summary(times),
        "post_response_ms": round((max(returned) - sent_at) * 1000, 1),
        "signals_sent_ms": round(max(r["sent"] - r["commit"] for r in sent_records) * 1000, 1),
        "deliveries_per_s": round(received / span, 1) if span > 0 else None,
    }


def toggle_profilers(servers: list[Server]) -> None:
    """Start or stop the profile of servers started with --profile (bench/asgi.py)."""
    import signal

    for server in servers:
        if "BENCH_PROFILE" in server.env and server.process is not None:
            server.process.send_signal(signal.SIGUSR1)


async def run_sizes(servers, setup, commit_key, sizes, posts) -> list[dict]:
    from bench import realtime

    rows = []
    for n in sizes:
        print(f"Fan-out to {n:,} sockets…", file=sys.stderr, flush=True)
        result = await fan_out(servers, setup, commit_key, n, posts=posts)
        result["baseline"] = await realtime.redis_publish_baseline(
            setup.redis_url, f"{setup.prefix}-baseline-{n}", n
        )
        rows.append(result)
    return rows


def start_servers(
    setup: Setup,
    processes: int,
    commit_key: str,
    profile: str = "",
    layer: str = "core",
    signals: str = "batched",
) -> list[Server]:
    servers = []
    try:
        for i in range(processes):
            env = {"BENCH_COMMIT_KEY": commit_key}
            if signals == "sequential":
                env["BENCH_SIGNALS"] = "sequential"
            if layer == "pubsub":
                env["DJANGO_SETTINGS_MODULE"] = "bench.pubsub_settings"
            if profile:
                env["BENCH_PROFILE"] = f"{profile}.{i + 1}"
            servers.append(Server(setup, name=f"daphne-{i + 1}", extra_env=env))
            servers[-1].start()
    except BaseException:
        for server in servers:
            server.close()
        raise
    return servers


def prepare(args, name: str) -> Setup:
    """Database, Redis and Django for a realtime benchmark (shared by the realtime scripts)."""
    raise_open_files()
    check_redis(args.redis_url)
    prepare_database(args.database_url, mark=DATABASE_MARK, reuse=args.reuse)
    setup = Setup(args.database_url, args.redis_url, new_prefix(name))
    configure_django(setup)
    migrate_and_collect_static()
    return setup


def verdict(row: dict) -> str:
    if row["lost"]:
        return f"misses: {row['lost']} lost"
    if row["n"] >= BAR_SIZE and row["p95_ms"] is not None:
        return "passes" if row["p95_ms"] <= BAR_P95_MS else f"misses: p95 {row['p95_ms']:.0f} ms"
    return "none lost"


def markdown(report: dict) -> str:
    rows = []
    for r in report["results"]:
        base = r["baseline"]
        ratio = (
            round(r["p95_ms"] / base["p95_ms"], 1)
            if r["p95_ms"] is not None and base["p95_ms"]
            else None
        )
        rows.append(
            [
                r["n"],
                f"{r['received']:,}/{r['expected']:,}",
                r["p50_ms"],
                r["p95_ms"],
                r["max_ms"],
                r["signals_sent_ms"],
                f"{base['count']:,}/{r['n']:,}",
                base["p50_ms"],
                base["p95_ms"],
                base["max_ms"],
                f"{ratio}×" if ratio is not None else "—",
                verdict(r),
            ]
        )
    box = report["machine"]
    return "\n".join(
        [
            f"Notification fan-out, {report['date']} — `{report['command']}`",
            "",
            f"Code: {report['code']}. {box['cpus']} CPUs ({box['cpu_model']}); "
            f"{report['processes']} daphne process(es), channel layer "
            f"{report['channel_layer']}, {report['signals']} signals; load average {report['load_before']} "
            f"before, {report['load_after']} after (1 / 5 / 15 min).",
            f"Bar: N = {BAR_SIZE:,}, p95 commit → signal ≤ {BAR_P95_MS:.0f} ms, none lost. "
            "Commit = the first after-commit callback in the server; signal = the socket's "
            "notification frame read by the client.",
            "",
            table(
                [
                    "sockets",
                    "received",
                    "p50 ms",
                    "p95 ms",
                    "max ms",
                    "all sent after (ms)",
                    "Redis baseline received",
                    "baseline p50",
                    "baseline p95",
                    "baseline max",
                    "p95 / baseline p95",
                    "bar",
                ],
                rows,
            ),
        ]
    )


def parse_args(argv: list[str] | None, prog: str = "bench/fanout.py") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100,500,1000", help="socket counts, comma-separated")
    parser.add_argument("--processes", type=int, default=1, help="daphne processes")
    parser.add_argument("--posts", type=int, default=1, help="announcements posted at once")
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL)
    parser.add_argument("--reuse", action="store_true", help="keep the previous run's data")
    parser.add_argument(
        "--channel-layer",
        choices=["core", "pubsub"],
        default="core",
        help="the production channel layer (channels_redis's list-based one), or the Redis "
        "pub/sub layer of collaborative.channel_layer to compare",
    )
    parser.add_argument(
        "--signals",
        choices=["batched", "sequential"],
        default="batched",
        help="the app's batched signals, or one at a time as before (to compare)",
    )
    parser.add_argument(
        "--profile",
        default="",
        help="write a cProfile of each daphne process's event loop to PATH.<n> (pstats)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv).parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    command = " ".join([".venv/bin/python bench/fanout.py", *(argv or sys.argv[1:])])
    servers: list[Server] = []
    try:
        setup = prepare(args, "fanout")
        commit_key = f"{setup.prefix}-commits"
        load_before = load_average()
        servers = start_servers(
            setup, args.processes, commit_key, args.profile, args.channel_layer, args.signals
        )
        results = asyncio.run(run_sizes(servers, setup, commit_key, sizes, args.posts))
        report = {
            "date": datetime.now().date().isoformat(),
            "command": command,
            "database": redacted(args.database_url),
            "code": code_version(),
            "machine": machine(),
            "processes": args.processes,
            "channel_layer": args.channel_layer,
            "signals": args.signals,
            "load_before": load_before,
            "load_after": load_average(),
            "bar": {"n": BAR_SIZE, "p95_ms": BAR_P95_MS, "lost": 0},
            "results": results,
        }
    except BenchError as error:
        print(f"bench/fanout.py: {error}", file=sys.stderr)
        return 2
    finally:
        for server in servers:
            server.close()
    print(markdown(report))
    print(f"\nJSON: {write_json('fanout', report)}", file=sys.stderr)
    return 0 if all(r["lost"] == 0 for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
