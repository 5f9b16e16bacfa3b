"""Hot pages run a fixed number of queries whatever the number of teams and people."""

import pytest
from django.urls import reverse

from conftest import login, make_agency, make_member, make_team, make_user

SIZES = [2, 12]


@pytest.fixture(params=SIZES, ids=[f"{n}-teams" for n in SIZES])
def populated(request, cohort, staff):
    """``cohort`` with N teams of a lead, an officer and a dispatcher, one open invitation
    per team, and one team in N lacking command staff."""
    from cohorts.models import Invitation

    teams = []
    for i in range(request.param):
        team = make_team(cohort, make_agency(f"Agency {i:02} Police Department"))
        role = "sworn" if i == 1 else "command_staff"
        make_member(team, make_user(f"lead{i}@example.com", first="Lead", last=f"{i}"),
                    role=role, is_lead=role == "command_staff", rank="Chief")  # fmt: skip
        make_member(team, make_user(f"officer{i}@example.com", first="Officer", last=f"{i}"))
        make_member(team, make_user(f"dispatch{i}@example.com"), role="dispatcher")
        Invitation.objects.create(team=team, email=f"invitee{i}@example.com", role="sworn")
        teams.append(team)
    return teams


@pytest.fixture
def member(populated):
    return populated[0].memberships.get(is_lead=True).user


def test_the_cohort_list_for_staff(client, staff, populated, django_assert_num_queries):
    login(client, staff)

    # session, user, cohorts with their counts
    with django_assert_num_queries(3):
        response = client.get(reverse("cohorts:cohort_list"))

    assert response.context["cohorts"][0].team_count == len(populated)


def test_the_cohort_list_for_a_member(client, member, populated, django_assert_num_queries):
    login(client, member)

    with django_assert_num_queries(3):
        response = client.get(reverse("cohorts:cohort_list"))

    assert response.context["cohorts"][0].member_count == 3 * len(populated)


def test_the_cohort_page_for_staff(client, staff, cohort, populated, django_assert_num_queries):
    login(client, staff)

    # session, user, cohort, teams, counts, incomplete count, invitations, my teams
    with django_assert_num_queries(8):
        response = client.get(reverse("cohorts:cohort", args=[cohort.slug]))

    assert len(response.context["teams"]) == len(populated)
    assert response.content.decode().count("invitee") == len(populated)


def test_the_cohort_page_for_a_member(client, member, cohort, populated, django_assert_num_queries):
    login(client, member)

    with django_assert_num_queries(7):
        response = client.get(reverse("cohorts:cohort", args=[cohort.slug]))

    assert len(response.context["teams"]) == len(populated)


@pytest.mark.parametrize("persona", ["staff", "member"])
def test_the_people_page(client, cohort, populated, persona, request, django_assert_num_queries):
    login(client, request.getfixturevalue(persona))

    # session, user, cohort, count, people (with user, team, cohort and agency)
    with django_assert_num_queries(5):
        response = client.get(reverse("cohorts:people", args=[cohort.slug]))

    assert len(response.context["page"]) == 3 * len(populated)


def test_the_team_page_for_staff(client, staff, cohort, populated, django_assert_num_queries):
    team = populated[-1]
    for i in range(len(populated)):
        make_member(team, make_user(f"extra{i}@example.com"))
    login(client, staff)

    # session, user, cohort, team, roster, invitations
    with django_assert_num_queries(6):
        response = client.get(reverse("cohorts:team", args=[cohort.slug, team.pk]))

    assert len(response.context["roster"]) == 3 + len(populated)


def test_the_team_page_for_a_member(client, member, cohort, populated, django_assert_num_queries):
    team = populated[0]
    for i in range(len(populated)):
        make_member(team, make_user(f"extra{i}@example.com"))
    login(client, member)

    with django_assert_num_queries(5):
        response = client.get(reverse("cohorts:team", args=[cohort.slug, team.pk]))

    assert len(response.context["roster"]) == 3 + len(populated)


def test_the_staff_dashboard(client, staff, populated, django_assert_num_queries):
    login(client, staff)

    # session, user, cohorts with their counts, incomplete teams
    with django_assert_num_queries(4):
        response = client.get(reverse("home"))

    assert len(response.context["incomplete"]) == 1


def test_the_member_home_page(client, member, populated, django_assert_num_queries):
    login(client, member)

    # session, user, teams (with whether a survey is open), their rosters, the next session
    with django_assert_num_queries(5):
        response = client.get(reverse("home"))

    assert len(response.context["teams"]) == 1
