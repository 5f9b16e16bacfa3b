from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from cohorts.tests.helpers import page_text
from conftest import login, make_agency, make_cohort, make_member, make_team, make_user
from surveys.catalogue import ensure_templates
from surveys.models import WaveInvitation
from surveys.services import create_wave, save_draft, submit_response


def test_an_anonymous_visitor_gets_the_landing_page(client, db):
    response = client.get(reverse("home"))

    assert response.status_code == 200
    assert [t.name for t in response.templates][0] == "cohorts/landing.html"
    assert "Officer safety and wellness, built together" in page_text(response)
    assert reverse("account_login") in page_text(response)


def test_staff_get_the_program_dashboard(client, staff, cohort, command, other_team, outsider):
    login(client, staff)

    response = client.get(reverse("home"))

    page = page_text(response)
    assert "Program dashboard" in page
    assert {c.slug for c in response.context["cohorts"]} == {"osw-test", "osw-other"}
    assert list(response.context["incomplete"]) == [other_team]
    assert 'Marion County Sheriff\'s Office</a> <span class="tag tag-warn">Needs command staff' in (
        page
    )
    assert (
        reverse("cohorts:invite", args=[cohort.slug, other_team.pk]) + "?role=command_staff" in page
    )


def test_the_dashboard_ignores_incomplete_teams_of_completed_cohorts(client, staff):
    done = make_cohort("done", status="completed")
    make_team(done, make_agency("Old PD"))
    login(client, staff)

    response = client.get(reverse("home"))

    assert list(response.context["incomplete"]) == []
    assert "Every team in a planning or active cohort includes command staff." in (
        page_text(response)
    )


def test_a_member_is_shown_their_team_and_cohort(client, command, officer, team, cohort):
    login(client, officer)

    response = client.get(reverse("home"))

    page = page_text(response)
    assert list(response.context["teams"]) == [team]
    assert "Welcome, Carol" in page
    assert f'<a href="{team.get_absolute_url()}">Riverton Police Department</a>' in page
    assert f'<a href="{cohort.get_absolute_url()}">OSW Test Cohort</a>' in page
    assert "Bob Chief" in page
    assert "Program dashboard" not in page


def test_a_member_of_two_cohorts_sees_both_teams(client, command, team, outsider_team):
    make_member(outsider_team, command, role="command_staff")
    login(client, command)

    response = client.get(reverse("home"))

    assert set(response.context["teams"]) == {team, outsider_team}


def test_someone_on_no_team_is_told_so(client, cohort, team):
    login(client, make_user("new@example.com", first="Nia"))

    page = page_text(client.get(reverse("home")))

    assert "You are not on a team yet" in page
    assert "Riverton" not in page


# Open surveys ---------------------------------------------------------------------------------


def _wave(cohort, survey, title: str, **extra):
    now = timezone.now()
    return create_wave(
        survey=survey,
        cohort=cohort,
        title=title,
        opens_at=extra.pop("opens_at", now - timedelta(days=1)),
        closes_at=extra.pop("closes_at", now + timedelta(days=3)),
        created_by=None,
        notify=False,
        **extra,
    )


def test_a_member_sees_their_open_surveys_with_start_or_continue(client, cohort, command, officer):
    surveys = ensure_templates()
    now = timezone.now()
    fresh = _wave(
        cohort,
        surveys["midpoint-pulse"],
        "Midpoint pulse",
        closes_at=datetime(2031, 3, 7, 22, 0, tzinfo=UTC),
    )
    started = _wave(cohort, surveys["post-session"], "Session feedback")
    done = _wave(cohort, surveys["end-survey"], "Already answered")
    _wave(
        cohort,
        surveys["end-survey"],
        "Closed one",
        opens_at=now - timedelta(days=9),
        closes_at=now - timedelta(days=1),
    )
    _wave(cohort, surveys["end-survey"], "Not yet", opens_at=now + timedelta(days=1))
    mine = {w: WaveInvitation.objects.get(wave=w, user=officer) for w in [started, done]}
    save_draft(invitation=mine[started], answers={"session_relevant": "4"})
    submit_response(
        invitation=mine[done],
        answers={
            "peer_outreach": "yes",
            "knowledge_sharing": "in_group",
            "satisfaction": "4",
            "recommend": "yes",
        },
    )
    login(client, officer)

    response = client.get(reverse("home"))

    page = page_text(response)
    # Soonest to close first; the closing time in the cohort's zone.
    assert [i.wave.title for i in response.context["open_surveys"]] == [
        "Session feedback",
        "Midpoint pulse",
    ]
    assert "Surveys waiting for you" in page
    assert "closes Friday, Mar 7, 5:00 PM EST" in page
    assert "Continue<span" in page
    assert "Start<span" in page
    assert reverse("surveys:answer", args=[cohort.slug, fresh.pk]) in page
    for title in ["Already answered", "Closed one", "Not yet"]:
        assert title not in page


def test_a_member_with_nothing_to_answer_sees_no_survey_section(client, cohort, command):
    login(client, command)

    page = page_text(client.get(reverse("home")))

    assert "Surveys waiting for you" not in page


@pytest.mark.parametrize("waves", [1, 5])
def test_the_member_home_page_reads_open_surveys_in_one_query(
    client, cohort, command, waves, django_assert_num_queries
):
    surveys = ensure_templates()
    for i in range(waves):
        _wave(cohort, surveys["midpoint-pulse"], f"Pulse {i}")
    login(client, command)

    # session, user, teams, their rosters, the next session, open surveys
    with django_assert_num_queries(6):
        response = client.get(reverse("home"))

    assert len(response.context["open_surveys"]) == waves
