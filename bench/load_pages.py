"""Key pages under 20 concurrent signed-in clients, against a bare "hello" view on the same daphne.

    .venv/bin/python bench/load_pages.py [--clients 20] [--seconds 15] [--slices 5]
        [--answers 148000] [--database-url postgres://postgres@127.0.0.1:5432/bench_collab_load]
        [--redis-url redis://127.0.0.1:6379/0] [--reuse]

Data: ``bench.survey_data.generate`` (agencies, teams of about 30, three survey waves; the
default ``--answers`` gives the autumn pulse wave about 10,000 submitted responses), plus a
200-post thread in the cohort's forum and a year of monthly sessions for the calendar.

One daphne process serves ``bench.asgi:application`` (production settings, DEBUG=0). Each of
``--clients`` threads keeps one HTTP/1.1 keep-alive connection and a session of its own
(members for the dashboard, the calendar and the thread; the staff member, who holds a TOTP
authenticator, for the wave report), and requests one page as fast as it answers. Each page is
timed for ``--seconds`` in all, in ``--slices`` turns that go round the pages in a shuffled
order, so a burst of other work on the machine falls on all of them. Reported per page: p50,
p95 and max latency, requests per second, errors (any status but 200; the first is printed)
and throughput as a share of the hello view's. Bars: p95 ≤ 150 ms, throughput ≥ 25 % of hello.
"""

from __future__ import annotations

import argparse
import http.client
import random
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import (  # noqa: E402
    DEFAULT_REDIS_URL,
    FORWARDED,
    HOST,
    BenchError,
    Server,
    Setup,
    check_redis,
    code_version,
    configure_django,
    give_totp,
    load_average,
    machine,
    migrate_and_collect_static,
    new_prefix,
    percentile,
    prepare_database,
    raise_open_files,
    redacted,
    sign_in,
    table,
    write_json,
)

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/bench_collab_load"
DATABASE_MARK = "Collaborative page load benchmark (dropped and recreated unless --reuse)"
BAR_P95_MS = 150.0
BAR_SHARE = 0.25
THREAD_POSTS = 200
THREAD_TITLE = "Two hundred replies on peer support policies"
WARMUP_S = 2.0


@dataclass
class Page:
    name: str
    path: str
    sessions: list[str]
    times: list[float] = field(default_factory=list)
    errors: int = 0
    first_error: str = ""
    seconds: float = 0.0


def seed_extras(cohort_id: int) -> None:
    """The 200-post thread and the calendar's sessions (kept when reused)."""
    from django.db import transaction
    from django.utils import timezone

    from cohorts.models import Cohort, Membership
    from cohorts.schedule import Session
    from forum import posting
    from forum.models import Category, Post, Thread

    cohort = Cohort.objects.get(pk=cohort_id)
    if Thread.objects.filter(cohort=cohort, title=THREAD_TITLE).exists():
        return
    with transaction.atomic():
        posting.ensure_categories(cohort)
        general = Category.objects.get(cohort=cohort, topic__isnull=True)
        authors = list(
            Membership.objects.filter(team__cohort=cohort)
            .order_by("user_id")
            .values_list("user_id", flat=True)[:40]
        )
        start = timezone.now() - timedelta(days=60)
        thread = Thread.objects.create(
            category=general,
            cohort=cohort,
            title=THREAD_TITLE,
            author_id=authors[0],
            created=start,
            last_post_at=start,
        )
        rows = []
        for n in range(1, THREAD_POSTS + 1):
            body = (
                f"Reply {n}: our agency tried a peer support policy with **two** trained "
                "officers per shift; the union backed it once the confidentiality rules were "
                "written down. Happy to share the template."
            )
            rendered = posting.render_for(cohort, body)
            rows.append(
                Post(
                    thread=thread,
                    number=n,
                    author_id=authors[n % len(authors)],
                    body=body,
                    body_html=rendered.html,
                    created=start + timedelta(minutes=17 * n),
                )
            )
        posts = Post.objects.bulk_create(rows)
        Thread.objects.filter(pk=thread.pk).update(
            post_count=THREAD_POSTS, last_post=posts[-1], last_post_at=posts[-1].created
        )
        first = timezone.now().replace(hour=14, minute=0, second=0, microsecond=0)
        Session.objects.bulk_create(
            Session(
                cohort=cohort,
                number=m + 1,
                title=f"Monthly session {m + 1}: building a wellness unit",
                starts_at=first + timedelta(days=30 * (m - 6)),
                ends_at=first + timedelta(days=30 * (m - 6), hours=1, minutes=30),
                agenda="Presentations, then agencies compare notes in small groups.",
            )
            for m in range(12)
        )


def build_pages(generated, clients: int) -> list[Page]:
    from django.urls import reverse

    from accounts.models import User
    from bench.asgi import HELLO_PATH
    from cohorts.models import Cohort, Membership
    from forum.models import Thread

    cohort = Cohort.objects.get(pk=generated.cohort_id)
    staff = User.objects.get(pk=generated.staff_id)
    authenticator = give_totp(staff)
    members = list(
        User.objects.filter(
            pk__in=Membership.objects.filter(team__cohort=cohort).values("user_id")
        ).order_by("pk")[:clients]
    )
    member_sessions = [sign_in(user) for user in members]
    staff_sessions = [sign_in(staff, authenticator=authenticator) for _ in range(clients)]
    thread = Thread.objects.get(cohort=cohort, title=THREAD_TITLE)
    wave_id = generated.wave_ids["autumn"]
    responses = generated.per_wave["autumn"]["submitted_responses"]
    return [
        Page("hello view (baseline)", HELLO_PATH, member_sessions),
        Page("dashboard /", "/", member_sessions),
        Page("cohort calendar", reverse("cohorts:calendar", args=[cohort.slug]), member_sessions),
        Page(f"thread of {THREAD_POSTS} posts", thread.get_absolute_url(), member_sessions),
        Page(
            f"wave report ({responses:,} responses, staff)",
            reverse("surveys:report", args=[cohort.slug, wave_id]),
            staff_sessions,
        ),
    ]


def hammer(server: Server, page: Page, clients: int, seconds: float, record: bool) -> None:
    """``clients`` threads request ``page`` over keep-alive connections for ``seconds``."""
    barrier = threading.Barrier(clients + 1)
    lock = threading.Lock()
    stop_at = [0.0]

    def worker(index: int) -> None:
        cookie = f"sessionid={page.sessions[index % len(page.sessions)]}"
        headers = {**FORWARDED, "Cookie": cookie, "Accept": "text/html"}
        connection = http.client.HTTPConnection(HOST, server.port, timeout=30)
        times: list[float] = []
        errors = 0
        first_error = ""
        barrier.wait()
        while time.perf_counter() < stop_at[0]:
            start = time.perf_counter()
            try:
                connection.request("GET", page.path, headers=headers)
                response = connection.getresponse()
                body = response.read()
                status = response.status
            except (OSError, http.client.HTTPException) as error:
                connection.close()
                connection = http.client.HTTPConnection(HOST, server.port, timeout=30)
                status, body = 0, f"{type(error).__name__}: {error}".encode()
            elapsed = (time.perf_counter() - start) * 1000
            if status == 200:
                times.append(elapsed)
            else:
                errors += 1
                if not first_error:
                    location = response.getheader("Location", "") if status else ""
                    first_error = f"{status} {location} {body[:200]!r}"
        connection.close()
        if record:
            with lock:
                page.times.extend(times)
                page.errors += errors
                page.first_error = page.first_error or first_error

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    stop_at[0] = time.perf_counter() + seconds
    started = time.perf_counter()
    barrier.wait()
    for thread in threads:
        thread.join()
    if record:
        page.seconds += time.perf_counter() - started


def measure(server: Server, pages: list[Page], *, clients: int, seconds: float, slices: int):
    for page in pages:  # warm-up: caches, connections, first compiles
        hammer(server, page, clients, WARMUP_S / 2, record=False)
    order = list(pages)
    rng = random.Random(2026)
    for n in range(slices):
        rng.shuffle(order)
        print(f"  turn {n + 1}/{slices}", file=sys.stderr, flush=True)
        for page in order:
            hammer(server, page, clients, seconds / slices, record=True)


def results(pages: list[Page]) -> list[dict]:
    hello = pages[0]
    hello_rate = len(hello.times) / hello.seconds if hello.seconds else 0
    out = []
    for page in pages:
        rate = len(page.times) / page.seconds if page.seconds else 0
        p95 = round(percentile(page.times, 95), 1) if page.times else None
        share = rate / hello_rate if hello_rate else None
        out.append(
            {
                "page": page.name,
                "path": page.path,
                "requests": len(page.times) + page.errors,
                "errors": page.errors,
                "first_error": page.first_error,
                "p50_ms": round(percentile(page.times, 50), 1) if page.times else None,
                "p95_ms": p95,
                "max_ms": round(max(page.times), 1) if page.times else None,
                "req_per_s": round(rate, 1),
                "share_of_hello": round(share, 3) if share is not None else None,
                "passes": None
                if page is hello
                else bool(
                    page.errors == 0
                    and p95 is not None
                    and p95 <= BAR_P95_MS
                    and share is not None
                    and share >= BAR_SHARE
                ),
            }
        )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="bench/load_pages.py", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=15.0, help="timed seconds per page")
    parser.add_argument("--slices", type=int, default=5, help="turns round the pages")
    parser.add_argument("--answers", type=int, default=148_000, help="survey answers to generate")
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL)
    parser.add_argument("--reuse", action="store_true", help="keep the previous run's data")
    args = parser.parse_args(argv)
    command = " ".join([".venv/bin/python bench/load_pages.py", *(argv or sys.argv[1:])])
    server = None
    try:
        raise_open_files()
        check_redis(args.redis_url)
        created = prepare_database(args.database_url, mark=DATABASE_MARK, reuse=args.reuse)
        setup = Setup(args.database_url, args.redis_url, new_prefix("pages"))
        configure_django(setup)
        migrate_and_collect_static()
        from bench.survey_data import generate, load_generated

        if created:
            print(f"Generating {args.answers:,} answers…", file=sys.stderr, flush=True)
            generated = generate(args.answers)
        else:
            generated = load_generated(args.answers)
        seed_extras(generated.cohort_id)
        if created:
            from django.db import connection

            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
        pages = build_pages(generated, args.clients)
        load_before = load_average()
        server = Server(setup, name="daphne-pages").start()
        print(
            f"Timing {len(pages)} pages, {args.seconds:g} s each, {args.clients} clients…",
            file=sys.stderr,
            flush=True,
        )
        measure(server, pages, clients=args.clients, seconds=args.seconds, slices=args.slices)
        rows = results(pages)
        report = {
            "date": datetime.now().date().isoformat(),
            "command": command,
            "database": redacted(args.database_url),
            "code": code_version(),
            "machine": machine(),
            "clients": args.clients,
            "seconds": args.seconds,
            "load_before": load_before,
            "load_after": load_average(),
            "data": {
                "answers": generated.answers,
                "members": generated.members,
                "wave_responses": generated.per_wave["autumn"]["submitted_responses"],
            },
            "bar": {"p95_ms": BAR_P95_MS, "share_of_hello": BAR_SHARE},
            "results": rows,
        }
    except BenchError as error:
        print(f"bench/load_pages.py: {error}", file=sys.stderr)
        return 2
    finally:
        if server is not None:
            server.close()
    box = report["machine"]
    print(
        "\n".join(
            [
                f"Key pages, {report['date']} — `{command}`",
                "",
                f"Code: {report['code']}. {box['cpus']} CPUs ({box['cpu_model']}); one daphne "
                f"process, {args.clients} clients on the same machine; load average "
                f"{load_before} before, {report['load_after']} after (1 / 5 / 15 min).",
                f"Data: {generated.answers:,} answers, {generated.members:,} members; "
                f"bars: p95 ≤ {BAR_P95_MS:.0f} ms, throughput ≥ {BAR_SHARE:.0%} of hello, "
                "every response 200.",
                "",
                table(
                    [
                        "page",
                        "requests",
                        "errors",
                        "p50 ms",
                        "p95 ms",
                        "max ms",
                        "req/s",
                        "share of hello",
                        "bar",
                    ],
                    [
                        [
                            r["page"],
                            r["requests"],
                            r["errors"],
                            r["p50_ms"],
                            r["p95_ms"],
                            r["max_ms"],
                            r["req_per_s"],
                            f"{r['share_of_hello']:.0%}"
                            if r["share_of_hello"] is not None
                            else "—",
                            "baseline"
                            if r["passes"] is None
                            else "passes"
                            if r["passes"]
                            else "misses",
                        ]
                        for r in rows
                    ],
                ),  # fmt: skip
            ]
        )
    )
    for r in rows:
        if r["errors"]:
            print(f"\nFirst error on {r['page']}: {r['first_error']}")
    print(f"\nJSON: {write_json('load_pages', report)}", file=sys.stderr)
    return 0 if all(r["errors"] == 0 for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
