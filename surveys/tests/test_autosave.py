"""The answer form's draft endpoint: what the page's script posts as the person types."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from conftest import login
from surveys.models import Answer, Response
from surveys.services import submit_response

from .conftest import END_ANSWERS, make_wave

pytestmark = pytest.mark.django_db


def autosave_url(wave):
    return reverse("surveys:autosave", args=[wave.cohort.slug, wave.pk])


def saved(officer) -> dict[str, str]:
    draft = Response.objects.get(user=officer, status="draft")
    return {
        a.question.code: a.option.code if a.option_id else a.text or str(a.number)
        for a in draft.answers.select_related("question", "option")
    }


def test_autosave_stores_a_draft_and_answers_json(client, end_wave, officer):
    login(client, officer)

    response = client.post(autosave_url(end_wave), {"peer_outreach": "yes", "most_useful": "Peers"})

    assert response.status_code == 200
    assert response.json()["status"] == "saved"
    assert response.json()["saved_at"]
    assert saved(officer) == {"peer_outreach": "yes", "most_useful": "Peers"}


def test_autosave_replaces_what_the_form_no_longer_holds(client, end_wave, officer):
    login(client, officer)
    client.post(autosave_url(end_wave), {"peer_outreach": "yes", "most_useful": "Peers"})

    client.post(autosave_url(end_wave), {"peer_outreach": "no"})

    assert saved(officer) == {"peer_outreach": "no"}


def test_an_unreadable_answer_saves_nothing_and_says_which(client, end_wave, officer):
    login(client, officer)
    client.post(autosave_url(end_wave), {"peer_outreach": "yes"})

    response = client.post(autosave_url(end_wave), {"peer_outreach": "no", "peer_contacts": "lots"})

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["peer_contacts"]
    assert saved(officer) == {"peer_outreach": "yes"}


def test_autosave_after_submitting_changes_nothing(client, end_wave, officer):
    invitation = end_wave.invitations.get(user=officer)
    submit_response(invitation=invitation, answers=END_ANSWERS)
    login(client, officer)

    response = client.post(autosave_url(end_wave), {"peer_outreach": "no"})

    assert response.status_code == 409
    assert response.json()["status"] == "submitted"
    assert not Answer.objects.filter(question__code="peer_outreach", option__code="no").exists()


def test_autosave_on_a_closed_wave_is_refused(client, cohort, officer, surveys):
    now = timezone.now()
    wave = make_wave(
        cohort,
        surveys["end-survey"],
        opens_at=now - timedelta(days=9),
        closes_at=now - timedelta(days=2),
    )
    login(client, officer)

    response = client.post(autosave_url(wave), {"peer_outreach": "yes"})

    assert response.status_code == 410
    assert "no longer accepts answers" in response.json()["message"]
    assert not Response.objects.exists()


def test_autosave_needs_a_post_and_an_invitation(client, end_wave, officer, outsider):
    login(client, officer)
    assert client.get(autosave_url(end_wave)).status_code == 405

    login(client, outsider)
    assert client.post(autosave_url(end_wave), {"peer_outreach": "yes"}).status_code == 404
    assert not Response.objects.exists()


def test_autosave_without_a_session_sends_to_sign_in(client, end_wave):
    response = client.post(autosave_url(end_wave), {"peer_outreach": "yes"})

    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]
    assert not Response.objects.exists()


def test_the_answer_form_loads_the_autosave_script(client, end_wave, officer):
    page = login(client, officer).get(
        reverse("surveys:answer", args=[end_wave.cohort.slug, end_wave.pk])
    )

    content = page.content.decode()
    assert f'data-autosave="{autosave_url(end_wave)}"' in content
    assert "js/survey-autosave" in content
