"""Two daphne processes sharing Redis: cross-process delivery and fan-out capacity, 1 vs 2.

    .venv/bin/python bench/two_processes.py [--sockets 500] [--posts 4] [--rounds 2]
        [--database-url postgres://postgres@127.0.0.1:5432/bench_collab_two]
        [--redis-url redis://127.0.0.1:6379/0] [--reuse]

Two daphne processes, A and B, on the same database and Redis channel layer.

1. Delivery across processes: the cohort's member sockets are split between A and B, and one
   announcement is posted to A; every socket on B must get its signal (count and commit →
   signal times, as bench/fanout.py measures them).
2. Fan-out capacity, defined as deliveries per second at saturation: ``--posts`` announcements
   posted at once to a cohort of ``--sockets`` connected members, so that
   posts × sockets signals are in flight together; capacity = signals received / (last
   signal − first commit). With one process, A takes every socket and every POST; with two,
   sockets and POSTs are split round-robin between A and B. The two set-ups alternate for
   ``--rounds`` rounds and the best round of each counts. Bar: 2 processes ≥ 1.6 × one.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.fanout import fan_out, prepare, start_servers  # noqa: E402
from bench.harness import (  # noqa: E402
    DEFAULT_REDIS_URL,
    BenchError,
    code_version,
    load_average,
    machine,
    redacted,
    table,
    write_json,
)

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/bench_collab_two"
BAR_RATIO = 1.6


async def run(servers, setup, commit_key, sockets: int, posts: int, rounds: int) -> dict:
    print(f"Across processes: {sockets:,} sockets on A and B, one post to A…", file=sys.stderr)
    across = await fan_out(servers, setup, commit_key, sockets, posts=1)
    capacity: dict[int, list[dict]] = {1: [], 2: []}
    for n in range(rounds):
        for processes in (1, 2):
            print(
                f"Capacity round {n + 1}/{rounds}, {processes} process(es), {posts} posts × "
                f"{sockets:,} sockets…",
                file=sys.stderr,
                flush=True,
            )
            capacity[processes].append(
                await fan_out(servers[:processes], setup, commit_key, sockets, posts=posts)
            )
    return {"across": across, "capacity": capacity}


def rounds_of(result: dict, processes: int) -> str:
    return ", ".join(f"{r['deliveries_per_s']:.0f}" for r in result["capacity"][processes])


def median_ratio(result: dict) -> str:
    from statistics import median

    one = median(r["deliveries_per_s"] or 0 for r in result["capacity"][1])
    two = median(r["deliveries_per_s"] or 0 for r in result["capacity"][2])
    return f"{two / one:.2f}×" if one else "—"


def best(rows: list[dict]) -> dict:
    return max(rows, key=lambda r: r["deliveries_per_s"] or 0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="bench/two_processes.py", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--sockets", type=int, default=500)
    parser.add_argument("--posts", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL)
    parser.add_argument("--reuse", action="store_true")
    args = parser.parse_args(argv)
    command = " ".join([".venv/bin/python bench/two_processes.py", *(argv or sys.argv[1:])])
    servers = []
    try:
        setup = prepare(args, "two")
        commit_key = f"{setup.prefix}-commits"
        load_before = load_average()
        servers = start_servers(setup, 2, commit_key)
        result = asyncio.run(run(servers, setup, commit_key, args.sockets, args.posts, args.rounds))
    except BenchError as error:
        print(f"bench/two_processes.py: {error}", file=sys.stderr)
        return 2
    finally:
        for server in servers:
            server.close()
    across = result["across"]
    one, two = best(result["capacity"][1]), best(result["capacity"][2])
    ratio = (
        round(two["deliveries_per_s"] / one["deliveries_per_s"], 2)
        if one["deliveries_per_s"] and two["deliveries_per_s"]
        else None
    )
    on_b = args.sockets // 2
    report = {
        "date": datetime.now().date().isoformat(),
        "command": command,
        "database": redacted(args.database_url),
        "code": code_version(),
        "machine": machine(),
        "load_before": load_before,
        "load_after": load_average(),
        "bar": {"ratio": BAR_RATIO},
        "across": across,
        "capacity": result["capacity"],
        "ratio": ratio,
    }
    lost = across["lost"] + sum(r["lost"] for rows in result["capacity"].values() for r in rows)
    print(
        "\n".join(
            [
                f"Two processes, {report['date']} — `{command}`",
                "",
                f"Code: {report['code']}. {report['machine']['cpus']} CPUs; daphne A and B; "
                f"load average {load_before} before, {report['load_after']} after.",
                "",
                "Across processes (one post to A, sockets split between A and B):",
                "",
                table(
                    ["sockets", "on B", "received on B", "lost", "p50 ms", "p95 ms", "max ms"],
                    [
                        [
                            args.sockets,
                            on_b,
                            across["received_on_other_processes"],
                            across["lost"],
                            across["p50_ms"],
                            across["p95_ms"],
                            across["max_ms"],
                        ]
                    ],
                ),
                "",
                f"Fan-out capacity ({args.posts} posts at once × {args.sockets:,} sockets; "
                f"deliveries/s = received ÷ (last signal − first commit); best of {args.rounds}):",
                "",
                table(
                    [
                        "processes",
                        "received",
                        "lost",
                        "p50 ms",
                        "p95 ms",
                        "max ms",
                        "deliveries/s",
                        "vs one process",
                        "bar",
                    ],
                    [
                        [
                            1,
                            one["received"],
                            one["lost"],
                            one["p50_ms"],
                            one["p95_ms"],
                            one["max_ms"],
                            one["deliveries_per_s"],
                            "1.00×",
                            "baseline",
                        ],
                        [
                            2,
                            two["received"],
                            two["lost"],
                            two["p50_ms"],
                            two["p95_ms"],
                            two["max_ms"],
                            two["deliveries_per_s"],
                            f"{ratio:.2f}×" if ratio else "—",
                            "passes"
                            if ratio and ratio >= BAR_RATIO
                            else f"misses (≥ {BAR_RATIO}×)",
                        ],
                    ],
                ),  # fmt: skip
                "",
                f"Every round, deliveries/s — 1 process: {rounds_of(result, 1)}; 2 processes: "
                f"{rounds_of(result, 2)}; ratio of the medians: {median_ratio(result)}.",
            ]
        )
    )
    print(f"\nJSON: {write_json('two_processes', report)}", file=sys.stderr)
    return 0 if lost == 0 and across["received_on_other_processes"] == on_b else 1


if __name__ == "__main__":
    sys.exit(main())
