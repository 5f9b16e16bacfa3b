"""The demo assessments and plans of the first collaborative tell the survey's story."""

from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command

from assessments.measures import teams_with_changes
from assessments.models import ActionStep, Assessment, CommunityPartner, ProgressNote, Rating
from cohorts.models import Cohort

pytestmark = pytest.mark.django_db


def snapshot() -> dict:
    return {
        "assessments": sorted(
            Assessment.objects.values_list("team__name", "team__cohort__slug", "round", "status")
        ),
        "ratings": Rating.objects.count(),
        "levels": sum(Rating.objects.exclude(level=None).values_list("level", flat=True)),
        "steps": sorted(
            ActionStep.objects.values_list("plan__team__name", "title", "status", "due_date")
        ),
        "notes": ProgressNote.objects.count(),
        "partners": CommunityPartner.objects.count(),
    }


def test_the_demo_seeds_three_rounds_and_plans_and_a_second_run_adds_nothing():
    call_command("seed_demo", stdout=StringIO())
    cohort = Cohort.objects.get(slug="osw-2021")

    submitted = Assessment.objects.filter(team__cohort=cohort, status="submitted")
    assert submitted.count() == 18 * 3
    assert set(submitted.values_list("round", flat=True)) == {"baseline", "midpoint", "end"}
    assert not Rating.objects.filter(assessment__in=submitted, level=None).exists()
    # About a quarter of the teams had made changes by the midpoint, as the survey said.
    assert teams_with_changes(cohort, end=date(2021, 6, 15)) == (5, 18)
    assert teams_with_changes(cohort) == (12, 18)
    assert CommunityPartner.objects.filter(team__cohort=cohort).exists()
    assert ProgressNote.objects.filter(step__plan__team__cohort=cohort).exists()
    # Every done step says when; the current cohort's demo team has a draft to finish.
    assert not ActionStep.objects.filter(status="done", done_at=None).exists()
    assert Assessment.objects.filter(team__cohort__slug="osw-2026", status="draft").count() == 1

    first = snapshot()
    call_command("seed_demo", stdout=StringIO())
    assert snapshot() == first


def test_the_demo_scores_improve_where_teams_planned():
    from assessments.scoring import team_results

    call_command("seed_demo", stdout=StringIO())
    cohort = Cohort.objects.get(slug="osw-2021")
    improved = 0
    for team in cohort.teams.all():
        results = team_results(team)
        planned = set(
            ActionStep.objects.filter(plan__team=team, domain__isnull=False).values_list(
                "domain__code", flat=True
            )
        )
        rows = {r.code: r for r in results.rows}
        if any(rows[code].change and rows[code].change > 0 for code in planned):
            improved += 1
    assert improved >= 15
