"""Idle notification sockets held open by one daphne process.

    .venv/bin/python bench/held_sockets.py [--sockets 2000] [--minutes 10] [--check-every 30]
        [--database-url postgres://postgres@127.0.0.1:5432/bench_collab_sockets]
        [--redis-url redis://127.0.0.1:6379/0] [--reuse]

M members (a cohort of exactly M) each open one real ``websockets`` client on the
notification socket of ONE daphne process and keep it idle for D minutes. The clients answer
the server's pings and ping it themselves (every 20 s, as ``websockets`` does); every
``--check-every`` seconds the script counts the sockets still open; at the end it pings every
socket and counts the pongs, so a socket that is open but dead is not counted as held, and
sends a "resume" on 50 of them in turn to check their consumers still answer. It reports how many held, daphne's resident memory (VmRSS) before connecting, once all
are connected and at the end, and the memory per socket. Bar: ≥ 2,000 for 10 minutes.
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
    table,
    write_json,
)

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/bench_collab_sockets"
BAR_SOCKETS = 2000
BAR_MINUTES = 10.0
RESUME_SAMPLE = 50


async def answered(clients, timeout: float = 30.0) -> int:
    """How many sockets answer a WebSocket ping (daphne answers it) within ``timeout``."""

    async def one(client) -> bool:
        try:
            pong = await client.socket.ping()
            await asyncio.wait_for(pong, timeout)
        except Exception:
            return False
        return True

    results = await asyncio.gather(*(one(c) for c in clients.clients))
    return sum(results)


async def resumed(clients, sample: int) -> int:
    """How many of the first ``sample`` sockets answer a resume request (the consumer is
    still there, not only the connection), asked one after another."""
    answered_resume = 0
    for client in clients.clients[:sample]:
        client.hello.pop("resumed", None)
        try:
            await client.socket.send(json.dumps({"type": "resume", "after": 0}))
        except Exception:
            continue
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not client.hello.get("resumed"):
            await asyncio.sleep(0.05)
        answered_resume += bool(client.hello.get("resumed"))
    return answered_resume


async def hold(server: Server, sockets: int, seconds: float, every: float) -> dict:
    from asgiref.sync import sync_to_async

    from bench import realtime

    cohort = await sync_to_async(realtime.seed)(sockets)
    sessions = await sync_to_async(realtime.sessions_for)(cohort.member_ids)
    rss_idle = server.rss_kib()
    clients = realtime.Clients(sessions, [server])
    # Mark each socket's resume answer (the listener records notification signals only).
    original = realtime.Clients._listen

    async def listen(self, client):
        from websockets.exceptions import ConnectionClosed

        try:
            async for raw in client.socket:
                if json.loads(raw).get("type") == "resume":
                    client.hello["resumed"] = True
        except ConnectionClosed as closed:
            client.closed = f"closed {closed.rcvd.code if closed.rcvd else 'without a frame'}"

    realtime.Clients._listen = listen
    checks = []
    try:
        started = time.monotonic()
        await clients.connect(cohort.member_ids)
        connected_s = time.monotonic() - started
        await asyncio.sleep(2)
        rss_connected = server.rss_kib()
        fds = server.open_files()
        print(
            f"{sockets:,} sockets open in {connected_s:.1f} s; holding for {seconds / 60:.1f} min…",
            file=sys.stderr,
            flush=True,
        )
        held_from = time.monotonic()
        while (elapsed := time.monotonic() - held_from) < seconds:
            await asyncio.sleep(min(every, seconds - elapsed))
            checks.append(
                {
                    "after_s": round(time.monotonic() - held_from),
                    "open": clients.still_open(),
                    "rss_kib": server.rss_kib(),
                }
            )
            print(f"  {checks[-1]}", file=sys.stderr, flush=True)
        open_at_end = clients.still_open()
        responsive = await answered(clients)
        resume_ok = await resumed(clients, RESUME_SAMPLE)
        rss_end = server.rss_kib()
        closed = [c.closed for c in clients.clients if c.closed]
    finally:
        realtime.Clients._listen = original
        await clients.close()
    per_socket = (
        round((rss_connected - rss_idle) / sockets, 1) if rss_connected and rss_idle else None
    )
    return {
        "sockets": sockets,
        "minutes": round(seconds / 60, 2),
        "connect_s": round(connected_s, 1),
        "open_at_end": open_at_end,
        "answered_at_end": responsive,
        "resume_sample": min(RESUME_SAMPLE, sockets),
        "resume_answered": resume_ok,
        "closed": len(closed),
        "first_close": closed[0] if closed else None,
        "rss_before_kib": rss_idle,
        "rss_connected_kib": rss_connected,
        "rss_end_kib": rss_end,
        "kib_per_socket": per_socket,
        "daphne_open_files": fds,
        "checks": checks,
        "daphne_cpu_s": server.cpu_seconds(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="bench/held_sockets.py", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--sockets", type=int, default=BAR_SOCKETS)
    parser.add_argument("--minutes", type=float, default=BAR_MINUTES)
    parser.add_argument("--check-every", type=float, default=30.0, help="seconds between checks")
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL)
    parser.add_argument("--reuse", action="store_true")
    args = parser.parse_args(argv)
    command = " ".join([".venv/bin/python bench/held_sockets.py", *(argv or sys.argv[1:])])
    server = None
    try:
        setup = prepare(args, "held")
        load_before = load_average()
        server = Server(setup, name="daphne-held").start()
        result = asyncio.run(hold(server, args.sockets, args.minutes * 60, args.check_every))
    except BenchError as error:
        print(f"bench/held_sockets.py: {error}", file=sys.stderr)
        return 2
    finally:
        if server is not None:
            server.close()
    held = min(result["open_at_end"], result["answered_at_end"])
    passes = held >= BAR_SOCKETS and args.minutes >= BAR_MINUTES
    report = {
        "date": datetime.now().date().isoformat(),
        "command": command,
        "database": redacted(args.database_url),
        "code": code_version(),
        "machine": machine(),
        "load_before": load_before,
        "load_after": load_average(),
        "bar": {"sockets": BAR_SOCKETS, "minutes": BAR_MINUTES},
        "result": result,
        "held": held,
        "passes": passes,
    }
    mib = lambda kib: round(kib / 1024, 1) if kib else None  # noqa: E731
    print(
        "\n".join(
            [
                f"Held sockets, {report['date']} — `{command}`",
                "",
                f"Code: {report['code']}. {report['machine']['cpus']} CPUs; one daphne process; "
                f"load average {load_before} before, {report['load_after']} after.",
                "",
                table(
                    [
                        "sockets",
                        "minutes",
                        "open at end",
                        "answering a ping at end",
                        "resume answered",
                        "RSS before MiB",
                        "RSS connected MiB",
                        "RSS end MiB",
                        "KiB per socket",
                        "bar",
                    ],
                    [
                        [
                            result["sockets"],
                            result["minutes"],
                            result["open_at_end"],
                            result["answered_at_end"],
                            f"{result['resume_answered']}/{result['resume_sample']}",
                            mib(result["rss_before_kib"]),
                            mib(result["rss_connected_kib"]),
                            mib(result["rss_end_kib"]),
                            result["kib_per_socket"],
                            "passes"
                            if passes
                            else f"misses (≥ {BAR_SOCKETS:,} for {BAR_MINUTES:.0f} min)",
                        ]
                    ],
                ),
            ]
        )
    )
    print(f"\nJSON: {write_json('held_sockets', report)}", file=sys.stderr)
    return 0 if held == args.sockets else 1


if __name__ == "__main__":
    sys.exit(main())
