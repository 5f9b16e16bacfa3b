from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command

from accounts.models import User
from cohorts.demo import DEMO_PASSWORD, PERSONAS, TOPICS
from cohorts.models import Agency, Cohort, Invitation, Membership, Team, Topic

pytestmark = pytest.mark.django_db


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def snapshot() -> dict:
    return {
        "agencies": sorted(Agency.objects.values_list("name", "state", "kind", "sworn_size")),
        "teams": sorted(Team.objects.values_list("cohort__slug", "agency__name")),
        "members": sorted(
            Membership.objects.values_list("team__cohort__slug", "user__email", "role", "is_lead")
        ),
        "users": User.objects.count(),
        "topics": list(Topic.objects.values_list("name", flat=True)),
        "invitations": Invitation.objects.count(),
    }


def test_it_seeds_the_first_collaborative_with_18_teams_all_with_command_staff():
    seed()
    cohort = Cohort.objects.get(slug="osw-2021")
    assert cohort.teams.count() == 18
    assert not cohort.incomplete_teams().exists()
    assert cohort.status == Cohort.Status.COMPLETED
    # Every team has exactly one lead, and the lead is command staff (a database rule too).
    for team in cohort.teams.all():
        assert team.memberships.filter(is_lead=True, role="command_staff").count() == 1


def test_it_seeds_the_2022_collaborative_with_30_agencies():
    seed()
    cohort = Cohort.objects.get(slug="osw-2022")
    assert cohort.teams.values("agency").distinct().count() == 30
    assert not cohort.incomplete_teams().exists()


def test_it_seeds_enough_participants_for_the_survey_waves():
    seed()
    # The midpoint survey has 50 respondents and the end survey 48.
    assert Membership.objects.filter(team__cohort__slug="osw-2021").count() >= 50


def test_it_seeds_the_eight_topics_in_order():
    seed()
    assert list(Topic.objects.values_list("name", flat=True)) == [name for name, _ in TOPICS]


def test_every_persona_signs_in_with_the_printed_password():
    output = seed()
    for persona in PERSONAS:
        assert persona.email in output
        assert authenticate(email=persona.email, password=DEMO_PASSWORD) is not None
    assert DEMO_PASSWORD in output
    assert User.objects.get(email=PERSONAS[0].email).is_staff


def test_the_officer_persona_shares_a_team_with_the_command_persona():
    seed()
    officer = Membership.objects.get(
        user__email="officer@demo.collaborative.example", team__cohort__slug="osw-2026"
    )
    assert officer.team.memberships.filter(
        user__email="command@demo.collaborative.example", is_lead=True
    ).exists()


def test_it_leaves_one_pending_invitation():
    seed()
    assert Invitation.objects.pending().count() == 1


def test_running_it_twice_changes_nothing():
    seed()
    first = snapshot()
    seed()
    assert snapshot() == first
