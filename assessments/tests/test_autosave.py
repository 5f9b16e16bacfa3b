"""The draft endpoint the assessment page's script posts to as people rate items."""

import pytest
from django.urls import reverse

from assessments.models import Assessment, Rating
from assessments.services import start_assessment, submit_assessment
from conftest import login

from .conftest import ALL_RATED, item, rate

pytestmark = pytest.mark.django_db


def autosave_url(team, round_="baseline"):
    return reverse("assessments:autosave", args=[team.cohort.slug, team.pk, round_])


def test_autosave_stores_the_ratings_and_answers_json(client, team, officer, version):
    login(client, officer)

    response = client.post(
        autosave_url(team),
        {f"item_{item(version, 'a1').pk}": "2", f"note_{item(version, 'g1').pk}": "Ask HR"},
    )

    assert response.status_code == 200
    assert response.json()["status"] == "saved"
    assert response.json()["saved_at"]
    assessment = Assessment.objects.get(team=team, round="baseline")
    assert {r.item.code: (r.level, r.note) for r in assessment.ratings.select_related("item")} == {
        "a1": (2, ""),
        "g1": (None, "Ask HR"),
    }


def test_a_level_off_the_scale_saves_nothing_and_says_which(client, team, officer, version):
    login(client, officer)
    client.post(autosave_url(team), {f"item_{item(version, 'a1').pk}": "2"})

    response = client.post(
        autosave_url(team),
        {f"item_{item(version, 'a1').pk}": "3", f"item_{item(version, 'a2').pk}": "9"},
    )

    assert response.status_code == 400
    assert list(response.json()["errors"]) == [f"item_{item(version, 'a2').pk}"]
    assert Rating.objects.get().level == 2


def test_a_submitted_assessment_refuses_drafts(client, team, command, version):
    assessment = rate(start_assessment(team=team, round="baseline", user=command), ALL_RATED)
    submit_assessment(assessment=assessment, user=command)
    login(client, command)

    response = client.post(autosave_url(team), {f"item_{item(version, 'a1').pk}": "0"})

    assert response.status_code == 409
    assert response.json()["status"] == "submitted"
    assert Rating.objects.get(item__code="a1").level == 4


def test_autosave_needs_a_post_and_a_sign_in(client, team, officer, version):
    response = client.post(autosave_url(team), {})
    assert response.status_code == 302
    login(client, officer)
    assert client.get(autosave_url(team)).status_code == 405


def test_the_page_loads_the_autosave_script_with_its_address(client, team, officer, version):
    login(client, officer)

    page = client.get(
        reverse("assessments:round", args=[team.cohort.slug, team.pk, "baseline"])
    ).content.decode()

    assert "js/survey-autosave" in page
    assert f'data-autosave="{autosave_url(team)}"' in page
    assert "data-autosave-status" in page


def test_a_first_save_uses_the_version_the_page_showed(client, team, officer, version):
    from .conftest import make_instrument

    login(client, officer)
    client.get(reverse("assessments:round", args=[team.cohort.slug, team.pk, "baseline"]))
    make_instrument("newer")  # published by staff while the officer was rating

    response = client.post(
        autosave_url(team), {f"item_{item(version, 'a1').pk}": "3", "version": version.pk}
    )

    assert response.status_code == 200
    assert Assessment.objects.get().version == version
    assert Rating.objects.get().level == 3
