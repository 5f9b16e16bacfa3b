"""A team's assessments, plan and partners are private to the team and program staff."""

import pytest
from django.urls import reverse

from assessments.models import ActionStep, CommunityPartner
from assessments.services import plan_for
from conftest import login

from .conftest import ALL_RATED, make_assessment

pytestmark = pytest.mark.django_db


@pytest.fixture
def workspace(team, command, officer, version):
    """A team with a submitted baseline, a step and a partner."""
    make_assessment(team, version, ALL_RATED)
    step = ActionStep.objects.create(plan=plan_for(team), title="Write the protocol")
    partner = CommunityPartner.objects.create(team=team, name="Meal Prep Co.", kind="nutrition")
    return {"step": step, "partner": partner}


def team_urls(team, workspace) -> list[str]:
    args = [team.cohort.slug, team.pk]
    step, partner = workspace["step"], workspace["partner"]
    return [
        reverse("assessments:team", args=args),
        reverse("assessments:results", args=args),
        reverse("assessments:round", args=[*args, "baseline"]),
        reverse("assessments:round", args=[*args, "midpoint"]),
        reverse("assessments:plan", args=args),
        reverse("assessments:step_create", args=args),
        reverse("assessments:step", args=[*args, step.pk]),
        reverse("assessments:step_delete", args=[*args, step.pk]),
        reverse("assessments:partners", args=args),
        reverse("assessments:partner_edit", args=[*args, partner.pk]),
        reverse("assessments:partner_delete", args=[*args, partner.pk]),
    ]


def team_posts(team, workspace) -> list[tuple[str, dict]]:
    args = [team.cohort.slug, team.pk]
    step, partner = workspace["step"], workspace["partner"]
    domain_id = team.assessments.get().version.domains.first().pk
    return [
        (reverse("assessments:autosave", args=[*args, "midpoint"]), {}),
        (reverse("assessments:round", args=[*args, "midpoint"]), {"action": "save"}),
        (reverse("assessments:step_suggest", args=args), {"domain": domain_id}),
        (reverse("assessments:step_create", args=args), {"title": "x"}),
        (reverse("assessments:step", args=[*args, step.pk]), {"title": "x"}),
        (reverse("assessments:step_note", args=[*args, step.pk]), {"text": "x"}),
        (reverse("assessments:step_delete", args=[*args, step.pk]), {}),
        (reverse("assessments:plan", args=args), {"mission": "x"}),
        (reverse("assessments:partners", args=args), {"name": "x", "kind": "other"}),
        (reverse("assessments:partner_edit", args=[*args, partner.pk]), {"name": "x"}),
        (reverse("assessments:partner_delete", args=[*args, partner.pk]), {}),
    ]


@pytest.mark.parametrize("persona", ["command", "officer", "staff"])
def test_the_team_and_staff_see_every_page(client, request, team, workspace, persona):
    login(client, request.getfixturevalue(persona))
    for url in team_urls(team, workspace):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("persona", ["peer", "outsider"])
def test_another_agency_finds_nothing(client, request, team, workspace, persona):
    login(client, request.getfixturevalue(persona))
    for url in team_urls(team, workspace):
        assert client.get(url).status_code == 404, url


@pytest.mark.parametrize("persona", ["peer", "outsider"])
def test_another_agency_can_change_nothing(client, request, team, workspace, persona):
    login(client, request.getfixturevalue(persona))
    for url, data in team_posts(team, workspace):
        assert client.post(url, data).status_code == 404, url
    assert ActionStep.objects.get().title == "Write the protocol"
    assert not ActionStep.objects.get().notes.exists()
    assert CommunityPartner.objects.get().name == "Meal Prep Co."
    assert team.assessments.count() == 1


def test_a_team_page_of_another_cohort_is_not_found_through_the_wrong_slug(
    client, team, workspace, command, other_cohort
):
    login(client, command)
    url = reverse("assessments:results", args=[other_cohort.slug, team.pk])
    assert client.get(url).status_code == 404


def test_steps_and_partners_of_another_team_are_not_found(
    client, team, other_team, workspace, peer
):
    # The peer is on other_team: addressing this team's step under their own team finds nothing.
    login(client, peer)
    args = [other_team.cohort.slug, other_team.pk]
    assert (
        client.get(reverse("assessments:step", args=[*args, workspace["step"].pk])).status_code
        == 404
    )
    assert (
        client.get(
            reverse("assessments:partner_edit", args=[*args, workspace["partner"].pk])
        ).status_code
        == 404
    )


def test_the_overview_is_for_staff(client, cohort, team, workspace, staff, command, outsider):
    urls = [
        reverse("assessments:overview", args=[cohort.slug]),
        reverse("assessments:overview_csv", args=[cohort.slug]),
    ]
    login(client, staff)
    assert [client.get(url).status_code for url in urls] == [200, 200]
    login(client, command)
    assert [client.get(url).status_code for url in urls] == [403, 403]
    login(client, outsider)
    assert [client.get(url).status_code for url in urls] == [404, 404]


def test_the_team_page_links_members_to_their_workspace(client, team, command, peer):
    team_url = reverse("cohorts:team", args=[team.cohort.slug, team.pk])
    workspace_url = reverse("assessments:team", args=[team.cohort.slug, team.pk])
    login(client, command)
    assert workspace_url in client.get(team_url).content.decode()
    assert workspace_url in client.get(reverse("home")).content.decode()
    # Another agency may see the roster page, but no link into the private workspace.
    login(client, peer)
    assert workspace_url not in client.get(team_url).content.decode()
