import html
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from conftest import login
from surveys.models import Response, WaveInvitation
from surveys.services import submit_response

from .conftest import END_ANSWERS, make_wave

pytestmark = pytest.mark.django_db


def url(name, wave, **extra):
    return reverse(f"surveys:{name}", args=[wave.cohort.slug, wave.pk])


def text(response) -> str:
    """What the reader sees: no tags, entities decoded, whitespace collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


def test_a_member_sees_the_form_with_its_questions(client, end_wave, officer):
    response = login(client, officer).get(url("answer", end_wave))

    assert response.status_code == 200
    assert "Have you reached out to a peer from the group outside meeting times?" in text(response)
    assert "program staff report answers only in groups of at least 5" in text(response)


def test_saving_a_draft_keeps_the_answers_for_later(client, end_wave, officer):
    login(client, officer)
    response = client.post(url("answer", end_wave), {"action": "save", "peer_outreach": "yes"})

    assert response.status_code == 302
    draft = Response.objects.get(user=officer)
    assert draft.status == Response.Status.DRAFT
    page = client.get(url("answer", end_wave))
    assert page.context["form"]["peer_outreach"].value() == "yes"
    assert "Your saved answers are filled in." in text(page)


def test_submitting_shows_the_thank_you_page(client, end_wave, officer):
    login(client, officer)
    response = client.post(
        url("answer", end_wave), {"action": "submit", **END_ANSWERS}, follow=True
    )

    assert response.redirect_chain[-1][0] == url("thanks", end_wave)
    assert "Thank you" in text(response)
    assert Response.objects.submitted().get().user == officer


def test_submitting_twice_shows_the_same_thank_you_page(client, end_wave, officer):
    login(client, officer)
    client.post(url("answer", end_wave), {"action": "submit", **END_ANSWERS})
    again = client.post(url("answer", end_wave), {"action": "submit", **END_ANSWERS})

    assert again.status_code == 302
    assert again["Location"] == url("thanks", end_wave)
    assert Response.objects.count() == 1


def test_submitting_without_required_answers_says_which(client, end_wave, officer):
    login(client, officer)
    response = client.post(url("answer", end_wave), {"action": "submit", "peer_outreach": "yes"})

    assert response.status_code == 200
    assert "This field is required." in text(response)
    assert not Response.objects.submitted().exists()


def test_a_closed_wave_says_so_and_refuses_answers(client, cohort, officer, surveys):
    now = timezone.now()
    wave = make_wave(
        cohort,
        surveys["end-survey"],
        opens_at=now - timedelta(days=9),
        closes_at=now - timedelta(days=2),
    )
    login(client, officer)

    page = client.get(url("answer", wave))
    post = client.post(url("answer", wave), {"action": "submit", **END_ANSWERS})

    assert "no longer accepts answers" in text(page)
    assert "no longer accepts answers" in text(post)
    assert not Response.objects.exists()


def test_an_outsider_gets_404_everywhere(client, end_wave, outsider):
    login(client, outsider)
    for name in ["answer", "thanks"]:
        assert client.get(url(name, end_wave)).status_code == 404
    assert client.get(reverse("surveys:wave_list", args=[end_wave.cohort.slug])).status_code == 404


def test_members_cannot_see_reports(client, end_wave, command):
    login(client, command)

    assert client.get(url("report", end_wave)).status_code == 403
    assert client.get(reverse("surveys:outcomes", args=[end_wave.cohort.slug])).status_code == 403


def test_a_member_lists_their_surveys_with_what_they_did(client, end_wave, officer):
    submit_response(
        invitation=WaveInvitation.objects.get(wave=end_wave, user=officer), answers=END_ANSWERS
    )
    response = login(client, officer).get(reverse("surveys:wave_list", args=[end_wave.cohort.slug]))

    assert end_wave.title in text(response)
    assert "Submitted" in text(response)


def test_staff_see_counts_percent_and_interval_but_not_small_groups(
    client, end_wave, command, officer, peer, staff
):
    for user in [command, officer, peer]:
        submit_response(
            invitation=WaveInvitation.objects.get(wave=end_wave, user=user), answers=END_ANSWERS
        )
    login(client, staff)

    small = text(client.get(url("report", end_wave)))
    end_wave.min_group_size = 3
    end_wave.save()
    shown = text(client.get(url("report", end_wave)))

    assert "Fewer than 5 people answered" in small
    row = "I am sharing with others in the group 3 100% (3 of 3; 95% CI 44–100%)"
    assert row not in small
    assert row in shown
    assert "Response rate" in shown


def test_staff_see_the_outcome_report(client, end_wave, officer, staff):
    submit_response(
        invitation=WaveInvitation.objects.get(wave=end_wave, user=officer), answers=END_ANSWERS
    )
    response = login(client, staff).get(reverse("surveys:outcomes", args=[end_wave.cohort.slug]))

    page = text(response)
    assert "Reached out to a peer from the group outside meeting times" in page
    assert "100% (1 of 1; 95% CI 21–100%)" in page
