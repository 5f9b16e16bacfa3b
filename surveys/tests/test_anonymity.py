import datetime

import pytest

from surveys.models import Response, Wave, WaveInvitation
from surveys.services import save_draft, submit_response

from .conftest import END_ANSWERS, make_wave

pytestmark = pytest.mark.django_db


@pytest.fixture
def anonymous_wave(cohort, command, officer, peer, surveys):
    return make_wave(cohort, surveys["end-survey"], anonymity=Wave.Anonymity.ANONYMOUS)


def test_an_anonymous_response_has_no_link_to_the_person(anonymous_wave, officer):
    invitation = WaveInvitation.objects.get(wave=anonymous_wave, user=officer)
    save_draft(invitation=invitation, answers={"peer_outreach": "yes"})

    result = submit_response(invitation=invitation, answers=END_ANSWERS)

    response = Response.objects.get(wave=anonymous_wave)
    assert response == result.response
    assert response.user_id is None
    assert response.invitation_id is None
    assert not Response.objects.filter(user=officer).exists()
    assert type(response.submitted_on) is datetime.date
    assert response.answers.count() == len(END_ANSWERS)


def test_the_draft_of_an_anonymous_wave_never_names_the_person(anonymous_wave, officer):
    invitation = WaveInvitation.objects.get(wave=anonymous_wave, user=officer)
    draft = save_draft(invitation=invitation, answers={"peer_outreach": "yes"})

    assert draft.user_id is None


def test_the_invitation_keeps_only_the_day_it_was_used(anonymous_wave, officer):
    invitation = WaveInvitation.objects.get(wave=anonymous_wave, user=officer)
    submit_response(invitation=invitation, answers=END_ANSWERS)

    used_at = WaveInvitation.objects.get(pk=invitation.pk).used_at.astimezone(
        anonymous_wave.cohort.tz
    )
    assert (used_at.hour, used_at.minute, used_at.second) == (0, 0, 0)


def test_submitting_an_anonymous_wave_twice_stores_one_response(anonymous_wave, officer):
    invitation = WaveInvitation.objects.get(wave=anonymous_wave, user=officer)
    submit_response(invitation=invitation, answers=END_ANSWERS)
    second = submit_response(invitation=invitation, answers=END_ANSWERS)

    assert second.created is False
    assert second.response is None  # nothing leads from the invitation to the response
    assert Response.objects.filter(wave=anonymous_wave).count() == 1
