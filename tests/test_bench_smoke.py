"""The benchmarks still run against the current models, routes and reports.

The survey report benchmark runs on PostgreSQL over 100,000 answers (``make bench-surveys``);
here its data generator and its measurements run at a tiny size on the test database. The
server benchmarks (pages under load, notification fan-out, resume, held sockets, two
processes) run as the commands they are, at a tiny size, against PostgreSQL and Redis. A change
to the models, routes, reports or realtime code that would break a benchmark fails the suite.
"""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.db.models import Count, F

from bench.survey_data import WAVES, BenchError, generate
from bench.survey_reports import bench_database_name, build_cases, measure, percentile
from cohorts.models import Membership, Team
from surveys.models import Answer, Response, Wave, WaveInvitation


@pytest.mark.django_db
def test_the_generator_stores_exactly_the_answers_asked_for():
    generated = generate(200)

    assert generated.answers == Answer.objects.count() == 200
    assert sum(w["answers"] for w in generated.per_wave.values()) == 200
    assert (
        generated.submitted_answers == Answer.objects.filter(response__status="submitted").count()
    )
    assert generated.members == Membership.objects.count() > 10
    assert generated.invitations == WaveInvitation.objects.count() == generated.members * 3
    assert generated.submitted_responses == Response.objects.submitted().count() > 10
    assert set(generated.wave_ids) == {spec.key for spec in WAVES}


@pytest.mark.django_db
def test_the_generated_cohort_looks_like_a_real_one():
    generate(200)

    # Every team is led by command staff, and the roles and agency kinds vary.
    assert not Team.objects.lacking_command_staff().exists()
    assert Membership.objects.filter(is_lead=True).count() == Team.objects.count() >= 2
    assert Response.objects.order_by().values("role").distinct().count() >= 2
    # Answers are options of their own question, and one value per question otherwise.
    assert not Answer.objects.exclude(option=None).exclude(option__question=F("question")).exists()
    assert not (
        Answer.objects.filter(option=None)
        .values("response", "question")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .exists()
    )
    # Anonymous waves keep nothing that links a submitted response to a person.
    anonymous = Wave.objects.get(anonymity=Wave.Anonymity.ANONYMOUS)
    submitted = anonymous.responses.submitted()
    assert submitted.exists()
    assert not submitted.exclude(user=None, invitation=None).exists()
    assert anonymous.invitations.exclude(used_at=None).count() == submitted.count()


@pytest.mark.django_db
def test_every_required_measurement_runs_on_the_generated_data():
    generated = generate(300)

    results = measure(build_cases(generated), runs=2, warmup=1, budget=60)

    names = [r.name for r in results]
    assert any(name.startswith("wave report page") for name in names)
    assert "outcome report page" in names
    assert "outcome_indicators(cohort)" in names
    required = [r for r in results if not r.note]
    assert len(required) >= 6
    for result in required:
        assert result.runs == 2, result.name
        assert result.queries is not None and result.p95_ms is not None, result.name


def test_the_benchmark_only_drops_bench_databases_on_postgresql():
    assert bench_database_name("postgres://postgres@127.0.0.1:5432/bench_x") == "bench_x"
    assert bench_database_name("postgresql://u:p@db/bench_reports") == "bench_reports"
    for url in (
        "sqlite:///db.sqlite3",
        "mysql://root@127.0.0.1/bench_x",
        "postgres://postgres@127.0.0.1:5432/test",
        "postgres://postgres@127.0.0.1:5432/collaborative",
        "postgres://postgres@127.0.0.1:5432/",
    ):
        with pytest.raises(BenchError):
            bench_database_name(url)


def test_p95_is_the_nearest_rank():
    assert percentile(list(range(1, 31)), 95) == 29
    assert percentile(list(range(1, 31)), 50) == 15
    assert percentile([7.0], 95) == 7.0


# The server benchmarks (bench/load_pages.py, fanout.py, resume.py, held_sockets.py,
# two_processes.py) run daphne processes on PostgreSQL and Redis. Each runs here as the command
# it is, at a tiny size, on bench databases of its own (kept between runs: --reuse).

SMOKE_POSTGRES = "postgres://postgres@127.0.0.1:5432"
SMOKE_REDIS = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
SMOKE_TIMEOUT = 240


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture
def bench_services():
    """PostgreSQL and Redis where the server benchmarks expect them, or a skip saying which
    is missing (a failure in CI)."""
    if not _reachable("127.0.0.1", 5432):
        pytest.skip("The server benchmarks need PostgreSQL on 127.0.0.1:5432 (not reachable).")
    parts = urlsplit(SMOKE_REDIS)
    if not _reachable(parts.hostname or "127.0.0.1", parts.port or 6379):
        pytest.skip(f"The server benchmarks need Redis at {SMOKE_REDIS} (not reachable).")


def run_bench(script: str, database: str, *args: str, results: Path) -> tuple[str, dict]:
    """Run ``bench/<script>.py`` as a command; returns its table and its JSON report."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE", "COLLABORATIVE_TESTING"}
        and not k.startswith("DJANGO_ALLOW")
    }
    env["BENCH_RESULTS_DIR"] = str(results)
    completed = subprocess.run(
        [
            sys.executable,
            f"bench/{script}.py",
            "--database-url",
            f"{SMOKE_POSTGRES}/{database}",
            "--redis-url",
            SMOKE_REDIS,
            "--reuse",
            *args,
        ],
        cwd=Path(__file__).resolve().parent.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=SMOKE_TIMEOUT,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    reports = list(results.glob(f"{script}-*.json"))
    assert len(reports) == 1, completed.stderr
    return completed.stdout, json.loads(reports[0].read_text())


def test_load_pages_times_every_key_page_and_the_hello_baseline(bench_services, tmp_path):
    out, report = run_bench(
        "load_pages",
        "bench_smoke_pages",
        "--answers", "200", "--clients", "2", "--seconds", "1", "--slices", "1",
        results=tmp_path,
    )  # fmt: skip

    pages = {r["page"].split(" (")[0]: r for r in report["results"]}
    assert {"hello view", "dashboard /", "cohort calendar", "thread of 200 posts"} <= set(pages)
    assert any(name.startswith("wave report") for name in pages)
    for row in report["results"]:
        # Every response was a 200 (signed in, staff past the two-factor check).
        assert row["errors"] == 0, row
        assert row["requests"] > 0 and row["p95_ms"] > 0, row
    assert pages["hello view"]["share_of_hello"] == 1.0
    assert "| hello view (baseline) |" in out


def test_fanout_delivers_to_every_socket_and_times_the_redis_baseline(bench_services, tmp_path):
    out, report = run_bench("fanout", "bench_smoke_realtime", "--sizes", "5", results=tmp_path)

    (row,) = report["results"]
    assert row["n"] == row["received"] == 5 and row["lost"] == 0
    assert 0 < row["p50_ms"] <= row["p95_ms"] <= row["max_ms"]
    assert row["baseline"]["count"] == row["baseline"]["subscribers"] == 5


def test_resume_answers_every_missed_notification(bench_services, tmp_path):
    # The script itself fails unless each resume answer holds all 60 with their text.
    _, report = run_bench(
        "resume", "bench_smoke_realtime", "--missed", "60", "--runs", "3", results=tmp_path
    )

    assert report["reconnect_and_resume"]["count"] == report["baseline_hello"]["count"] == 3


def test_held_sockets_counts_the_sockets_still_answering(bench_services, tmp_path):
    _, report = run_bench(
        "held_sockets",
        "bench_smoke_realtime",
        "--sockets", "5", "--minutes", "0.02", "--check-every", "0.5",
        results=tmp_path,
    )  # fmt: skip

    result = report["result"]
    assert report["held"] == result["open_at_end"] == result["answered_at_end"] == 5
    assert result["resume_answered"] == result["resume_sample"] == 5
    assert result["rss_connected_kib"] > 0


def test_two_processes_deliver_across_processes(bench_services, tmp_path):
    _, report = run_bench(
        "two_processes",
        "bench_smoke_realtime",
        "--sockets", "4", "--posts", "2", "--rounds", "1",
        results=tmp_path,
    )  # fmt: skip

    # Half the sockets are on process B; the post went to A.
    assert report["across"]["received_on_other_processes"] == 2
    assert report["across"]["lost"] == 0
    for processes in ("1", "2"):
        (row,) = report["capacity"][processes]
        assert row["received"] == 8 and row["deliveries_per_s"] > 0
