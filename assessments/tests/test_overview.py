"""The staff overview of a cohort, its CSV export, and the measure for the outcome report."""

import csv
import io
from datetime import date, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from assessments.measures import teams_with_changes
from assessments.models import ActionStep
from assessments.services import plan_for
from conftest import login, make_agency, make_cohort, make_member, make_team, make_user

from .conftest import ALL_RATED, make_assessment

pytestmark = pytest.mark.django_db


def populate(cohort, version, teams: int):
    """``teams`` teams with command staff, each with a baseline, a draft midpoint, and steps
    of which every other team has one done."""
    made = []
    for i in range(teams):
        team = make_team(cohort, make_agency(f"{cohort.slug} Town {i} Police Department"))
        make_member(team, make_user(f"chief{i}@{cohort.slug}.example"), role="command_staff")
        make_assessment(team, version, ALL_RATED)
        make_assessment(team, version, {"a1": 1}, round="midpoint", submitted=False)
        plan = plan_for(team)
        ActionStep.objects.create(plan=plan, title="Buy-in", roadmap_step="buy_in")
        ActionStep.objects.create(
            plan=plan,
            title="Late",
            roadmap_step="evaluate",
            due_date=timezone.localdate() - timedelta(days=3),
        )
        if i % 2 == 0:
            ActionStep.objects.create(
                plan=plan,
                title="Done",
                roadmap_step="buy_in",
                status="done",
                done_at=timezone.now(),
            )
        made.append(team)
    return made


@pytest.mark.parametrize("teams", [3, 12])
def test_the_overview_takes_the_same_queries_at_any_size(
    client, staff, version, django_assert_num_queries, teams
):
    cohort = make_cohort(f"size-{teams}")
    populate(cohort, version, teams)
    login(client, staff)
    url = reverse("assessments:overview", args=[cohort.slug])
    client.get(url)  # warm up: sessions, content types

    # Session, user, cohort, teams with step counts, assessments, scores (two), roadmap steps.
    with django_assert_num_queries(8):
        response = client.get(url)

    assert response.status_code == 200
    assert len(response.context["overview"].rows) == teams


def test_the_overview_shows_each_teams_status_and_progress(client, staff, cohort, version):
    first, second = populate(cohort, version, 2)
    login(client, staff)

    response = client.get(reverse("assessments:overview", args=[cohort.slug]))

    rows = {row.team: row for row in response.context["overview"].rows}
    assert [c.status for c in rows[first].rounds] == ["submitted", "draft", "not_started"]
    assert rows[first].rounds[0].score == pytest.approx(50.0)
    assert (rows[first].done, rows[first].planned, rows[first].overdue) == (1, 3, 1)
    assert rows[second].changes_made is False
    assert rows[first].by_step["buy_in"] == (1, 2)
    page = response.content.decode()
    assert "Teams reporting changes made: <strong>1 of 2</strong>" in page
    assert "when at least one step of its action plan is marked done" in page


def test_the_overview_of_an_empty_cohort(client, staff, cohort):
    login(client, staff)
    page = client.get(reverse("assessments:overview", args=[cohort.slug])).content.decode()
    assert "This cohort has no teams yet." in page


def test_the_csv_export_has_a_row_per_team(client, staff, cohort, version):
    first, second = populate(cohort, version, 2)
    login(client, staff)

    response = client.get(reverse("assessments:overview_csv", args=[cohort.slug]))

    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [r["team"] for r in rows] == [first.name, second.name]
    assert rows[0]["baseline_status"] == "submitted"
    assert rows[0]["baseline_score_pct"] == "50"
    assert rows[0]["midpoint_status"] == "draft"
    assert rows[0]["changes_made"] == "yes"
    assert rows[1]["changes_made"] == "no"
    assert rows[0]["roadmap_1_buy_in_done_of_planned"] == "1/2"
    assert rows[0]["steps_overdue"] == "1"


def test_the_csv_export_defuses_formulas(client, staff, cohort, version):
    team = make_team(cohort, make_agency("=HYPERLINK(1) Police"))
    make_assessment(team, version, ALL_RATED)
    login(client, staff)

    body = client.get(reverse("assessments:overview_csv", args=[cohort.slug])).content.decode()

    assert "'=HYPERLINK(1) Police" in body


# The measure for the outcome report ------------------------------------------------------------


def done_on(team, day: date):
    moment = timezone.make_aware(datetime(day.year, day.month, day.day, 12), team.cohort.tz)
    return ActionStep.objects.create(
        plan=plan_for(team), title="Done", status="done", done_at=moment
    )


def test_teams_with_changes_counts_teams_with_a_step_done(cohort, team, other_team):
    make_team(cohort, make_agency("Third Police Department"))
    done_on(team, date(2026, 3, 1))
    done_on(team, date(2026, 8, 1))
    done_on(other_team, date(2026, 9, 15))
    ActionStep.objects.create(plan=plan_for(other_team), title="Open")

    assert teams_with_changes(cohort) == (2, 3)
    assert teams_with_changes(cohort, end=date(2026, 6, 30)) == (1, 3)
    assert teams_with_changes(cohort, start=date(2026, 9, 1)) == (1, 3)
    assert teams_with_changes(cohort, date(2026, 4, 1), date(2026, 8, 1)) == (1, 3)
    assert teams_with_changes(cohort, date(2026, 9, 16), date(2026, 12, 31)) == (0, 3)


def test_teams_with_changes_ignores_other_cohorts_and_takes_one_query(
    cohort, team, outsider_team, django_assert_num_queries
):
    done_on(outsider_team, date(2026, 3, 1))

    with django_assert_num_queries(1):
        assert teams_with_changes(cohort) == (0, 1)
