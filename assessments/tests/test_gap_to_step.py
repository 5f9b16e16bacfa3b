"""One click on a gap in the results turns it into an action step."""

import pytest
from django.urls import reverse
from django.utils import timezone

from assessments.models import ActionStep, Domain
from assessments.services import SUGGESTED_STEP_DAYS
from conftest import login

from .conftest import ALL_RATED, make_assessment, make_instrument

pytestmark = pytest.mark.django_db


def suggest(client, team, domain):
    return client.post(
        reverse("assessments:step_suggest", args=[team.cohort.slug, team.pk]),
        {"domain": domain.pk},
    )


def test_a_gap_becomes_a_prefilled_step_in_one_click(client, team, command, version):
    make_assessment(team, version, ALL_RATED)
    beta = Domain.objects.get(version=version, code="beta")
    login(client, command)

    response = suggest(client, team, beta)

    step = ActionStep.objects.get()
    assert response["Location"] == step.get_absolute_url()
    assert step.title == "Improve beta practices"
    assert (step.term, step.roadmap_step, step.domain) == ("short", "priority_areas", beta)
    assert step.owner == command
    assert step.created_by == command
    assert step.status == "not_started"
    assert step.due_date == timezone.localdate() + timezone.timedelta(days=SUGGESTED_STEP_DAYS)
    # They land on the step's form to adjust it.
    page = client.get(response["Location"]).content.decode()
    assert "Adjust the details below" in page
    assert 'value="Improve beta practices"' in page


def test_the_starter_domains_suggest_a_sensible_roadmap_step(client, team, command):
    from assessments.services import start_assessment

    assessment = start_assessment(team=team, round="baseline", user=command)
    partners = assessment.version.domains.get(code="community_partners")
    login(client, command)

    suggest(client, team, partners)

    step = ActionStep.objects.get()
    assert step.roadmap_step == "referral_network"
    assert step.title == "Build a referral network of community partners"


def test_the_results_offer_a_step_for_each_gap_and_count_planned_ones(
    client, team, command, version
):
    make_assessment(team, version, ALL_RATED)
    login(client, command)
    results_url = reverse("assessments:results", args=[team.cohort.slug, team.pk])

    page = client.get(results_url).content.decode()
    assert page.count("Add an action step<span") == 1  # beta is the only gap

    suggest(client, team, Domain.objects.get(version=version, code="beta"))
    assert "1 action step planned" in client.get(results_url).content.decode()


def test_staff_may_add_a_step_without_owning_it(client, team, command, staff, version):
    make_assessment(team, version, ALL_RATED)
    login(client, staff)

    suggest(client, team, Domain.objects.get(version=version, code="beta"))

    assert ActionStep.objects.get().owner is None


def test_a_domain_the_team_never_assessed_is_refused(client, team, command, version):
    make_assessment(team, version, ALL_RATED)
    unrelated = make_instrument("unrelated", publish=False).domains.first()
    login(client, command)

    assert suggest(client, team, unrelated).status_code == 404
    assert not ActionStep.objects.exists()


def test_a_gap_becomes_a_step_when_several_rounds_used_the_version(client, team, command, version):
    make_assessment(team, version, ALL_RATED)
    make_assessment(team, version, ALL_RATED, round="midpoint")
    login(client, command)

    response = suggest(client, team, Domain.objects.get(version=version, code="beta"))

    assert response.status_code == 302
    assert ActionStep.objects.count() == 1


def test_a_made_up_domain_is_not_found(client, team, command, version):
    make_assessment(team, version, ALL_RATED)
    login(client, command)
    url = reverse("assessments:step_suggest", args=[team.cohort.slug, team.pk])

    assert client.post(url, {"domain": "not-a-number"}).status_code == 404
