from datetime import timedelta

import pytest
from django.utils import timezone

from conftest import race
from surveys.models import Response, WaveInvitation
from surveys.services import (
    AlreadySubmitted,
    IncompleteResponse,
    SurveyError,
    WaveClosed,
    save_draft,
    submit_response,
)

from .conftest import END_ANSWERS, make_wave

pytestmark = pytest.mark.django_db


def invitation_of(wave, user) -> WaveInvitation:
    return WaveInvitation.objects.get(wave=wave, user=user)


def test_it_stores_the_answers_with_the_person_and_their_role(end_wave, officer):
    result = submit_response(invitation=invitation_of(end_wave, officer), answers=END_ANSWERS)

    response = result.response
    assert result.created
    assert response.status == Response.Status.SUBMITTED
    assert response.user == officer
    assert response.role == "sworn"
    assert response.agency_kind == "municipal"
    assert response.submitted_on == timezone.localdate()
    codes = dict(response.answers.values_list("question__code", "option__code"))
    assert codes["peer_outreach"] == "yes"
    assert codes["knowledge_sharing"] == "in_group"
    assert invitation_of(end_wave, officer).used_at is not None


def test_submitting_twice_stores_one_response_and_returns_it(end_wave, officer):
    invitation = invitation_of(end_wave, officer)
    first = submit_response(invitation=invitation, answers=END_ANSWERS)
    second = submit_response(invitation=invitation, answers={**END_ANSWERS, "recommend": "no"})

    assert second.created is False
    assert second.response == first.response
    assert Response.objects.filter(wave=end_wave).count() == 1
    # The second submission changed nothing.
    assert first.response.answers.get(question__code="recommend").option.code == "yes"


def test_a_draft_is_kept_and_completed_by_the_submission(end_wave, officer):
    invitation = invitation_of(end_wave, officer)
    draft = save_draft(invitation=invitation, answers={"peer_outreach": "no"})
    save_draft(invitation=invitation, answers={"most_useful": "  The forum.  "})

    assert draft.status == Response.Status.DRAFT
    result = submit_response(
        invitation=invitation,
        answers={"knowledge_sharing": "not_yet", "satisfaction": "3", "recommend": "yes"},
    )

    assert result.response.pk == draft.pk
    answers = {a.question.code: a for a in result.response.answers.select_related("question")}
    assert answers["peer_outreach"].option.code == "no"
    assert answers["most_useful"].text == "The forum."


def test_saving_a_question_again_replaces_its_answer(end_wave, officer):
    invitation = invitation_of(end_wave, officer)
    save_draft(invitation=invitation, answers={"peer_outreach": "no"})
    response = save_draft(invitation=invitation, answers={"peer_outreach": "yes"})

    assert list(response.answers.values_list("option__code", flat=True)) == ["yes"]


def test_a_draft_cannot_be_saved_after_submitting(end_wave, officer):
    invitation = invitation_of(end_wave, officer)
    submit_response(invitation=invitation, answers=END_ANSWERS)

    with pytest.raises(AlreadySubmitted):
        save_draft(invitation=invitation, answers={"recommend": "no"})


def test_it_refuses_a_submission_missing_required_answers(end_wave, officer):
    with pytest.raises(IncompleteResponse) as refused:
        submit_response(invitation=invitation_of(end_wave, officer), answers={"recommend": "yes"})

    assert {q.code for q in refused.value.missing} == {
        "peer_outreach",
        "knowledge_sharing",
        "satisfaction",
    }
    assert not Response.objects.exists()


@pytest.mark.parametrize(
    "answers, message",
    [
        ({"peer_outreach": "maybe"}, "is not an answer"),
        ({"no_such_question": "yes"}, "no question no_such_question"),
        ({"peer_contacts": "several"}, "needs a number"),
        ({"knowledge_sharing": ["in_group", "not_yet"]}, "Choose one answer"),
    ],
)
def test_it_refuses_answers_the_survey_does_not_allow(end_wave, officer, answers, message):
    with pytest.raises(SurveyError, match=message):
        save_draft(invitation=invitation_of(end_wave, officer), answers=answers)


def test_a_closed_wave_refuses_with_a_clear_message(cohort, officer, surveys):
    now = timezone.now()
    wave = make_wave(
        cohort,
        surveys["end-survey"],
        opens_at=now - timedelta(days=10),
        closes_at=now - timedelta(days=1),
    )
    invitation = invitation_of(wave, officer)

    with pytest.raises(WaveClosed, match="no longer accepts answers"):
        submit_response(invitation=invitation, answers=END_ANSWERS)
    with pytest.raises(WaveClosed):
        save_draft(invitation=invitation, answers=END_ANSWERS)
    assert not Response.objects.exists()


def test_a_wave_closed_by_staff_refuses_from_that_moment(end_wave, officer):
    end_wave.close()

    with pytest.raises(WaveClosed):
        submit_response(invitation=invitation_of(end_wave, officer), answers=END_ANSWERS)


def test_a_wave_not_yet_open_refuses(cohort, officer, surveys):
    now = timezone.now()
    wave = make_wave(
        cohort,
        surveys["end-survey"],
        opens_at=now + timedelta(days=1),
        closes_at=now + timedelta(days=8),
    )
    with pytest.raises(WaveClosed, match="opens on"):
        submit_response(invitation=invitation_of(wave, officer), answers=END_ANSWERS)


def test_a_second_submission_after_closing_still_returns_the_first(end_wave, officer):
    invitation = invitation_of(end_wave, officer)
    first = submit_response(invitation=invitation, answers=END_ANSWERS)
    end_wave.close()

    assert submit_response(invitation=invitation).response == first.response


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_tabs_submitting_at_once_store_one_response(end_wave, officer):
    invitation = invitation_of(end_wave, officer)

    def submit():
        return submit_response(invitation=invitation, answers=END_ANSWERS)

    results = race(submit, submit)

    assert sorted(r.created for r in results) == [False, True]
    assert results[0].response.pk == results[1].response.pk
    assert Response.objects.filter(wave=end_wave).count() == 1
