"""Survey report timings on PostgreSQL over a generated cohort with many answers.

    .venv/bin/python bench/survey_reports.py [--answers 100000] [--runs 30]
        [--database-url postgres://postgres@127.0.0.1:5432/bench_collaborative] [--reuse]

The database named in the URL must start with ``bench_``. It is dropped and created again on
every run (a database of that name that this benchmark did not create is refused), migrated,
and filled by ``bench.survey_data.generate`` with one cohort whose survey waves hold exactly
``--answers`` answers. The benchmark then times, after warm-up runs:

- the wave report page of two waves, through Django's test client signed in as staff, and the
  report functions behind it (``response_rate`` + ``question_summary``; ``wave_report`` and
  ``breakdown`` when the reports module provides them);
- ``outcome_indicators(cohort)`` and the outcome report page (``surveys:outcomes``), and
  ``surveys.funder.funder_report(cohort)`` when it exists;
- ``surveys.trends.cohort_trends(cohort)`` and the trends page, when they exist.

It prints a Markdown table (queries, p50, p95 and max in ms, time spent in SQL) and writes the
same figures as JSON to ``bench/results/survey_reports-<date>.json``.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import logging
import math
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/bench_collaborative"
DATABASE_PREFIX = "bench_"
# The comment that marks a database as created by this benchmark, so that it may drop it.
DATABASE_MARK = "Collaborative survey report benchmark (dropped and recreated on every run)"
BAR_P95_MS = 300.0
BAR_QUERIES = 6
WARMUP_RUNS = 3
STATEMENT_TIMEOUT_S = 30

from bench.survey_data import (  # noqa: E402 (needs the project root on the path)
    REPORTED_WAVES,
    BenchError,
    Generated,
    generate,
    load_generated,
)

# --- Measurement ---------------------------------------------------------------------------


@dataclass
class Case:
    name: str
    group: str  # "wave report", "outcome report", "survey list" or "trends"
    via: str  # "page" (test client, staff signed in) or "function"
    run: Callable[[], object] | None
    check: Callable[[object], None] | None = None
    optional: bool = False
    note: str = ""


@dataclass
class Result:
    name: str
    group: str
    via: str
    runs: int = 0
    queries: int | None = None
    queries_max: int | None = None
    p50_ms: float | None = None
    p95_ms: float | None = None
    max_ms: float | None = None
    sql_p50_ms: float | None = None  # of which in the database, as the debug cursor times it
    meets_time: bool | None = None
    meets_queries: bool | None = None
    note: str = ""

    @property
    def passes(self) -> bool | None:
        if self.meets_time is None:
            return None
        return bool(self.meets_time and self.meets_queries is not False)


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile: the smallest value with at least pct% of values at or below."""
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass
class _Timing:
    case: Case
    result: Result
    runs: int
    times: list[float] = field(default_factory=list)
    counts: list[int] = field(default_factory=list)
    in_sql: list[float] = field(default_factory=list)


def measure(cases: list[Case], *, runs: int, warmup: int, budget: float) -> list[Result]:
    """Warm every case up, then time ``runs`` rounds, counting queries in each run.

    Rounds take each case in turn, so that a burst of other work on the machine spreads over
    all the figures instead of spoiling one. A case so slow that its runs would take more than
    ``budget`` seconds is timed over fewer runs (at least three), and its result says so.
    """
    from django.db import OperationalError, connection
    from django.test.utils import CaptureQueriesContext

    # A query far over the bar is cancelled rather than left to hold the run for minutes.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SET statement_timeout = '{STATEMENT_TIMEOUT_S}s'")
    timings: list[_Timing] = []
    results: list[Result] = []
    for case in cases:
        result = Result(case.name, case.group, case.via, note=case.note)
        results.append(result)
        if case.run is None:
            continue
        try:
            start = time.perf_counter()
            outcome = case.run()
            first = time.perf_counter() - start
            if case.check is not None:
                case.check(outcome)
        except OperationalError as error:
            if "statement timeout" not in str(error):
                raise
            result.meets_time = False
            result.note = f"cancelled: one query ran over the {STATEMENT_TIMEOUT_S} s timeout"
            continue
        except Exception as error:
            if not case.optional:
                raise
            result.note = f"not timed: {type(error).__name__}: {error}"
            continue
        timing = _Timing(case, result, runs)
        if first * (runs + warmup) > budget:
            timing.runs = max(3, min(runs, int(budget // first)))
            result.note = f"only {timing.runs} runs: one takes {first:.1f} s"
        timings.append(timing)
    for n in range(1, warmup):
        for timing in timings:
            if n < timing.runs:  # a slow case gets a single warm-up run
                timing.case.run()
    for n in range(runs):
        for timing in timings:
            if n >= timing.runs:
                continue
            try:
                with CaptureQueriesContext(connection) as queries:
                    start = time.perf_counter()
                    timing.case.run()
                    elapsed = time.perf_counter() - start
            except OperationalError as error:
                if "statement timeout" not in str(error):
                    raise
                timing.runs = n  # no more runs of this one
                timing.result.note = (
                    f"run {n + 1} cancelled: one query ran over the {STATEMENT_TIMEOUT_S} s timeout"
                )
                timing.result.meets_time = False
                continue
            timing.times.append(elapsed * 1000)
            timing.counts.append(len(queries.captured_queries))
            timing.in_sql.append(sum(float(q["time"]) for q in queries.captured_queries) * 1000)
    for timing in timings:
        result = timing.result
        if not timing.times:
            continue
        result.runs = len(timing.times)
        result.queries, result.queries_max = min(timing.counts), max(timing.counts)
        result.p50_ms = round(percentile(timing.times, 50), 1)
        result.p95_ms = round(percentile(timing.times, 95), 1)
        result.max_ms = round(max(timing.times), 1)
        result.sql_p50_ms = round(percentile(timing.in_sql, 50), 1)
        result.meets_time = result.p95_ms <= BAR_P95_MS and result.meets_time is not False
        result.meets_queries = result.queries_max <= BAR_QUERIES
    return results


def _optional_function(module: str, name: str) -> tuple[Callable | None, str]:
    """A function that may not exist yet: (the function, or None with the reason)."""
    if importlib.util.find_spec(module) is None:
        return None, f"{module} does not exist"
    function = getattr(importlib.import_module(module), name, None)
    if function is None:
        return None, f"{module} has no {name}"
    return function, ""


def build_cases(generated: Generated) -> list[Case]:
    """What is timed. Required: the two report functions, the outcome indicators and the
    report pages. Optional (timed when the code provides them): ``wave_report``,
    ``breakdown``, ``funder_report``, ``cohort_trends`` and the trends page."""
    from django.test import Client
    from django.urls import NoReverseMatch, reverse

    from accounts.models import User
    from cohorts.models import Cohort
    from surveys import reports
    from surveys.models import Wave

    cohort = Cohort.objects.get(pk=generated.cohort_id)
    client = Client()
    client.force_login(User.objects.get(pk=generated.staff_id))
    cases: list[Case] = []

    def page(url: str, expected: str) -> tuple[Callable[[], object], Callable[[object], None]]:
        def run():
            response = client.get(url)
            if response.status_code != 200:
                raise BenchError(f"GET {url} answered {response.status_code}, not 200.")
            return response

        def check(response) -> None:
            if expected not in response.content.decode():
                raise BenchError(f"GET {url} does not show {expected!r}.")

        return run, check

    def optional(name: str, group: str, module: str, function: str, *args, **kwargs) -> Case:
        found, missing = _optional_function(module, function)
        run = None
        if found is not None:

            def run():
                return found(*args, **kwargs)

        return Case(name, group, "function", run, optional=True, note=missing)

    waves = {
        key: Wave.objects.select_related("survey").get(pk=generated.wave_ids[key])
        for key in REPORTED_WAVES
    }
    for key, wave in waves.items():
        responses = generated.per_wave[key]["submitted_responses"]
        run, check = page(reverse("surveys:report", args=[cohort.slug, wave.pk]), wave.title)
        cases.append(
            Case(
                f"wave report page: {wave.title} ({responses:,} responses)",
                "wave report",
                "page",
                run,
                check,
            )
        )

        def report_functions(wave=wave):
            return reports.response_rate(wave), reports.question_summary(wave)

        cases.append(
            Case(
                f"response_rate + question_summary: {wave.title}",
                "wave report",
                "function",
                report_functions,
            )
        )
        cases.append(
            optional(
                f"wave_report(wave): {wave.title}",
                "wave report",
                "surveys.reports",
                "wave_report",
                wave,
            )
        )

    wave = waves[REPORTED_WAVES[0]]
    question = wave.survey.questions.get(code="osw_changes")
    for by in ("role", "agency_kind"):
        cases.append(
            optional(
                f"breakdown by {by.replace('_', ' ')}: osw_changes, {wave.title}",
                "wave report",
                "surveys.reports",
                "breakdown",
                wave,
                question,
                by=by,
            )
        )

    def all_five_answered(result) -> None:
        empty = [i["code"] for i in result if not i["denominator"]]
        if empty:
            raise BenchError(f"The outcome indicators {', '.join(empty)} found no answers.")

    cases.append(
        Case(
            "outcome_indicators(cohort)",
            "outcome report",
            "function",
            lambda: reports.outcome_indicators(cohort),
            all_five_answered,
        )
    )
    run, check = page(reverse("surveys:outcomes", args=[cohort.slug]), "Outcome report")
    cases.append(Case("outcome report page", "outcome report", "page", run, check))
    cases.append(
        optional(
            "funder_report(cohort)", "outcome report", "surveys.funder", "funder_report", cohort
        )
    )

    run, check = page(reverse("surveys:wave_list", args=[cohort.slug]), waves["end"].title)
    cases.append(Case("survey list page (staff, 3 waves)", "survey list", "page", run, check))

    cases.append(
        optional("cohort_trends(cohort)", "trends", "surveys.trends", "cohort_trends", cohort)
    )
    try:
        url = reverse("surveys:trends", args=[cohort.slug])
    except NoReverseMatch:
        cases.append(Case("trends page", "trends", "page", None, note="no route surveys:trends"))
    else:
        run, check = page(url, cohort.name)
        cases.append(Case("trends page", "trends", "page", run, check, optional=True))
    return cases


# --- Database, machine and output ----------------------------------------------------------


def redacted(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return url


def bench_database_name(url: str) -> str:
    """The database named by a PostgreSQL URL, refused unless it is a bench database."""
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql"}:
        raise BenchError(
            "The benchmarks run on PostgreSQL only: --database-url must start "
            f"with postgres:// or postgresql://, not {redacted(url)!r}."
        )
    name = parts.path.lstrip("/")
    if not name.startswith(DATABASE_PREFIX) or "/" in name:
        raise BenchError(
            f"The benchmark drops and recreates its database, so it must be named "
            f"{DATABASE_PREFIX}<something>; {name or '(no name)'!r} is refused."
        )
    return name


def prepare_database(url: str, *, reuse: bool, mark: str = DATABASE_MARK) -> bool:
    """Drop and create the bench database (or keep it with ``reuse``); True when created.

    A database of that name this benchmark did not create (its comment is not ``mark``) is
    refused rather than dropped.
    """
    import psycopg
    from psycopg import sql

    name = bench_database_name(url)
    maintenance = urlunsplit(urlsplit(url)._replace(path="/postgres", query=""))
    try:
        connection = psycopg.connect(maintenance, autocommit=True, connect_timeout=10)
    except psycopg.OperationalError as error:
        raise BenchError(f"Cannot reach PostgreSQL at {redacted(maintenance)}: {error}") from None
    with connection:
        row = connection.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
            [name],
        ).fetchone()
        if row is not None and row[0] != mark:
            raise BenchError(
                f"A database named {name!r} exists but this benchmark did not create it; "
                "it is left alone. Choose another name with --database-url."
            )
        if row is not None and reuse:
            return False
        database = sql.Identifier(name)
        if row is not None:
            connection.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(database))
        connection.execute(sql.SQL("CREATE DATABASE {}").format(database))
        connection.execute(
            sql.SQL("COMMENT ON DATABASE {} IS {}").format(database, sql.Literal(mark))
        )
    return True


def configure_django(url: str) -> None:
    """Production-like settings (DEBUG off) on the bench database, served to the test client."""
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "collaborative.settings"
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-not-used-for-anything-real-0123")
    os.environ["ALLOWED_HOSTS"] = "testserver"
    os.environ["SECURE_SSL_REDIRECT"] = "0"
    # Static files from the source tree, as in tests: no collectstatic manifest is needed.
    os.environ["COLLABORATIVE_TESTING"] = "1"
    os.environ.setdefault("LOG_LEVEL", "WARNING")

    import django

    django.setup()
    # A page that fails is reported in the results; its traceback would only bury them.
    logging.getLogger("django.request").setLevel(logging.CRITICAL)


def machine() -> dict[str, object]:
    import django
    from django.db import connection

    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server_version = cursor.fetchone()[0]
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model or platform.processor(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "postgresql": server_version,
        # Other work on the machine while timing: figures are noisier when this is high.
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def code_version() -> str:
    """The commit measured, and whether the working tree had changes on top of it."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        changed = subprocess.run(
            # No optional locks: reading the status must not touch the index others use.
            ["git", "--no-optional-locks", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except OSError:
        return "unknown"
    if not commit:
        return "unknown"
    return f"{commit} with uncommitted changes" if changed else commit


def analyze() -> None:
    """Vacuum and analyze every table, as after a restore or once autovacuum has caught up:
    planner statistics match the data and no vacuum starts in the middle of the timing."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def _cell(value: float | int | None) -> str:
    return "—" if value is None else f"{value:,}" if isinstance(value, int) else f"{value:.1f}"


def _verdict(result: Result) -> str:
    if result.passes is None:
        return result.note or "not timed"
    if result.p95_ms is None:
        return f"misses ({result.note})"
    misses = []
    if result.meets_queries is False:
        misses.append(f"{result.queries_max} queries")
    if not result.meets_time:
        misses.append(f"p95 {result.p95_ms:.0f} ms")
    verdict = "passes" if not misses else "misses: " + ", ".join(misses)
    return f"{verdict} ({result.note})" if result.note else verdict


def markdown(report: dict, results: list[Result]) -> str:
    data, box = report["data"], report["machine"]
    lines = [
        f"Survey reports, {report['date']} — `{report['command']}`",
        "",
        f"Code: {report['code']}. Machine: {box['cpus']} CPUs ({box['cpu_model']}), PostgreSQL {box['postgresql']}, "
        f"Python {box['python']}, Django {box['django']}; load average "
        f"{' / '.join(str(x) for x in box['load_average'])} (1 / 5 / 15 min) after timing.",
        f"Data: {data['answers']:,} answers ({data['submitted_answers']:,} submitted) in "
        f"{data['submitted_responses']:,} submitted responses ({data['draft_responses']:,} "
        f"drafts) over {len(data['per_wave'])} waves; {data['members']:,} members in "
        f"{data['teams']:,} teams, {data['invitations']:,} invitations.",
        f"Timing: {report['runs']} rounds taking each measurement in turn, after "
        f"{report['warmup']} warm-up rounds; time.perf_counter; "
        f"bar: ≤ {BAR_QUERIES} queries and p95 ≤ {BAR_P95_MS:.0f} ms. Page query counts include "
        "the two that load the session and the signed-in user; SQL p50 is the part of the "
        "time spent in the database.",
        "",
        "| what | via | queries | p50 ms | p95 ms | max ms | SQL p50 ms | bar |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in results:
        queries = _cell(r.queries)
        if r.queries is not None and r.queries_max != r.queries:
            queries = f"{r.queries}–{r.queries_max}"
        lines.append(
            f"| {r.name} | {r.via} | {queries} | {_cell(r.p50_ms)} | {_cell(r.p95_ms)} | "
            f"{_cell(r.max_ms)} | {_cell(r.sql_p50_ms)} | {_verdict(r)} |"
        )
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="bench/survey_reports.py",
        description="Time the survey wave report and the outcome report over generated answers "
        "on PostgreSQL.",
    )
    parser.add_argument("--answers", type=int, default=100_000, help="answers to generate")
    parser.add_argument("--runs", type=int, default=30, help="timed runs of each measurement")
    parser.add_argument(
        "--database-url",
        default=DEFAULT_URL,
        help=f"a PostgreSQL database whose name starts with {DATABASE_PREFIX} (default: "
        f"{DEFAULT_URL}); it is dropped and created again",
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep the data a previous run left in the bench database (same --answers)",
    )
    parser.add_argument("--seed", type=int, default=2026, help="random seed of the generator")
    parser.add_argument(
        "--budget",
        type=float,
        default=120.0,
        help="seconds allowed for one measurement; a slower one is timed over fewer runs",
    )
    args = parser.parse_args(argv)
    if args.answers < 20:
        parser.error("--answers must be at least 20")
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    command = " ".join([".venv/bin/python bench/survey_reports.py", *(argv or sys.argv[1:])])
    try:
        created = prepare_database(args.database_url, reuse=args.reuse)
        configure_django(args.database_url)
        from django.core.management import call_command

        call_command("migrate", interactive=False, verbosity=0)
        started = time.perf_counter()
        if created:
            print(f"Generating {args.answers:,} answers…", file=sys.stderr, flush=True)
            generated = generate(args.answers, seed=args.seed)
            analyze()
            print(f"Generated in {time.perf_counter() - started:.1f} s.", file=sys.stderr)
        else:
            generated = load_generated(args.answers)
        if generated.answers != args.answers:
            raise BenchError(f"Generated {generated.answers} answers, not {args.answers}.")
        print(f"Timing {args.runs} rounds of each measurement…", file=sys.stderr, flush=True)
        results = measure(
            build_cases(generated), runs=args.runs, warmup=WARMUP_RUNS, budget=args.budget
        )
        report = {
            "date": date.today().isoformat(),
            "command": command,
            "database": redacted(args.database_url),
            "code": code_version(),
            "machine": machine(),
            "runs": args.runs,
            "warmup": WARMUP_RUNS,
            "bar": {"p95_ms": BAR_P95_MS, "queries": BAR_QUERIES},
            "data": asdict(generated),
            "results": [{**asdict(r), "passes": r.passes} for r in results],
        }
    except BenchError as error:
        print(f"bench/survey_reports.py: {error}", file=sys.stderr)
        return 2
    print(markdown(report, results))
    out = ROOT / "bench" / "results" / f"survey_reports-{report['date']}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nJSON: {out.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
