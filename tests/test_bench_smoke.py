"""The survey report benchmark still runs against the current models, routes and reports.

The benchmark itself runs on PostgreSQL over 100,000 answers (``make bench-surveys``); here its
data generator and its measurements run at a tiny size on the test database, so a change to
the models or the report code that would break the benchmark fails the suite instead.
"""

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
