"""Feedback after a session: staff ask the people present, members are asked on the page."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from cohorts.models import Attendance
from cohorts.tests.helpers import page_text
from cohorts.tests.test_calendar_support import make_session
from conftest import login, make_agency, make_cohort, make_member, make_team, make_user
from surveys.models import WaveInvitation
from surveys.services import create_wave, invite_session_attendees, save_draft, submit_response

from .conftest import make_wave

pytestmark = pytest.mark.django_db

FEEDBACK = {"session_relevant": "4", "presenter_clear": "5", "will_use": "yes"}


@pytest.fixture
def held(cohort):
    """Session 1, which ended yesterday."""
    return make_session(cohort, 1, timezone.now() - timedelta(days=1), title="Sleep and shifts")


def mark_present(session, *users):
    for user in users:
        Attendance.objects.create(session=session, user=user, present=True)


def feedback_wave(session, surveys, **extra):
    return make_wave(session.cohort, surveys["post-session"], session=session, **extra)


def ask_url(session) -> str:
    return reverse("surveys:wave_new", args=[session.cohort.slug]) + f"?session={session.number}"


# Who is invited -------------------------------------------------------------------------------


def test_only_the_people_marked_present_are_invited(cohort, command, officer, peer, held, surveys):
    mark_present(held, officer)
    Attendance.objects.create(session=held, user=peer, present=False)

    wave = feedback_wave(held, surveys)

    assert list(wave.invitations.values_list("user", flat=True)) == [officer.pk]


def test_inviting_again_adds_people_marked_present_since(
    cohort, command, officer, peer, held, surveys
):
    mark_present(held, officer)
    wave = feedback_wave(held, surveys)
    mark_present(held, peer)

    added = invite_session_attendees(wave=wave, notify=False)

    assert [i.user for i in added] == [peer]
    assert invite_session_attendees(wave=wave, notify=False) == []


def test_someone_who_left_the_cohort_is_not_asked(cohort, team, command, officer, held, surveys):
    mark_present(held, command, officer)
    team.remove_member(team.memberships.get(user=officer))

    wave = feedback_wave(held, surveys)

    assert list(wave.invitations.values_list("user", flat=True)) == [command.pk]


def test_a_session_of_another_cohort_is_refused(cohort, other_cohort, command, surveys):
    from django.core.exceptions import ValidationError

    elsewhere = make_session(other_cohort, 1, timezone.now() - timedelta(days=1))
    now = timezone.now()
    with pytest.raises(ValidationError, match="belongs to another cohort"):
        create_wave(
            survey=surveys["post-session"],
            cohort=cohort,
            session=elsewhere,
            title="Feedback",
            opens_at=now,
            closes_at=now + timedelta(days=7),
            created_by=None,
            notify=False,
        )


# The session page, for staff ------------------------------------------------------------------


def test_staff_are_offered_to_ask_attendees_after_the_session(client, staff, cohort, command, held):
    mark_present(held, command)

    page = page_text(login(client, staff).get(held.get_absolute_url()))

    assert "Ask attendees for feedback" in page
    assert f'href="{ask_url(held)}"' in page
    assert "A short survey to the 1 person marked present." in page


def test_no_feedback_is_offered_before_the_session(client, staff, cohort, command):
    upcoming = make_session(cohort, 2)
    mark_present(upcoming, command)

    page = page_text(login(client, staff).get(upcoming.get_absolute_url()))

    assert "Ask attendees for feedback" not in page


def test_without_attendance_staff_are_told_to_mark_it_first(client, staff, held):
    page = page_text(login(client, staff).get(held.get_absolute_url()))

    assert "Ask attendees for feedback" not in page
    assert "Mark who attended to ask them for feedback" in page


def test_staff_see_the_sessions_feedback_waves_and_their_reports(
    client, staff, cohort, command, officer, held, surveys
):
    mark_present(held, command, officer)
    wave = feedback_wave(held, surveys, title="Feedback: Session 1")
    make_wave(cohort, surveys["midpoint-pulse"], title="Cohort pulse")
    submit_response(
        invitation=WaveInvitation.objects.get(wave=wave, user=officer), answers=FEEDBACK
    )

    page = page_text(login(client, staff).get(held.get_absolute_url()))

    report = reverse("surveys:report", args=[cohort.slug, wave.pk])
    assert f'<a href="{report}">Feedback: Session 1</a>' in page
    assert "1 of 2 answered" in page
    assert "Cohort pulse" not in page


def test_the_link_opens_the_prefilled_form(client, staff, cohort, command, held, surveys):
    mark_present(held, command)
    response = login(client, staff).get(ask_url(held))

    assert response.context["form"]["title"].value() == "Feedback: Session 1 — Sleep and shifts"


# The session page, for members ----------------------------------------------------------------


def test_a_member_invited_is_asked_how_the_session_went(
    client, cohort, command, officer, held, surveys
):
    mark_present(held, officer)
    wave = feedback_wave(held, surveys)

    page = page_text(login(client, officer).get(held.get_absolute_url()))

    assert "Tell us how this session went" in page
    assert reverse("surveys:answer", args=[cohort.slug, wave.pk]) in page


def test_a_member_with_a_draft_is_asked_to_finish(client, cohort, command, officer, held, surveys):
    mark_present(held, officer)
    wave = feedback_wave(held, surveys)
    save_draft(
        invitation=WaveInvitation.objects.get(wave=wave, user=officer),
        answers={"session_relevant": "4"},
    )

    page = page_text(login(client, officer).get(held.get_absolute_url()))

    assert "Finish telling us how this session went" in page


def test_members_not_invited_or_done_are_not_asked(client, cohort, command, officer, held, surveys):
    mark_present(held, officer)
    wave = feedback_wave(held, surveys)

    absent = page_text(login(client, command).get(held.get_absolute_url()))
    submit_response(
        invitation=WaveInvitation.objects.get(wave=wave, user=officer), answers=FEEDBACK
    )
    answered = page_text(login(client, officer).get(held.get_absolute_url()))

    assert "Tell us how this session went" not in absent
    assert "Tell us how this session went" not in answered
    assert "Ask attendees for feedback" not in absent


def test_a_closed_feedback_wave_is_not_offered(client, cohort, command, officer, held, surveys):
    mark_present(held, officer)
    now = timezone.now()
    feedback_wave(
        held, surveys, opens_at=now - timedelta(days=9), closes_at=now - timedelta(hours=1)
    )

    page = page_text(login(client, officer).get(held.get_absolute_url()))

    assert "Tell us how this session went" not in page


# Queries --------------------------------------------------------------------------------------


def past_session_with_feedback(surveys, size: int):
    """A session that ended yesterday with ``size`` people present and ``size`` feedback waves."""
    cohort = make_cohort(f"fb-{size}")
    team = make_team(cohort, make_agency(f"Feedback {size} Police Department"))
    people = [make_user(f"p{i}@fb{size}.example") for i in range(size)]
    for person in people:
        make_member(team, person)
    session = make_session(cohort, 1, timezone.now() - timedelta(days=1))
    mark_present(session, *people)
    for i in range(size):
        feedback_wave(session, surveys, title=f"Feedback {i}")
    return session, people[0]


@pytest.mark.parametrize("size", [2, 6])
def test_the_past_session_page_runs_a_fixed_number_of_queries(
    client, staff, surveys, size, django_assert_num_queries
):
    session, member = past_session_with_feedback(surveys, size)

    # session, user, the session, presenters, own RSVP, membership, RSVP counts, materials,
    # feedback waves with their counts, people present
    login(client, staff)
    with django_assert_num_queries(10):
        client.get(session.get_absolute_url())

    # the same for a member, with the private-parts membership check, and their open
    # invitation to a feedback wave instead of the staff's two
    login(client, member)
    with django_assert_num_queries(10):
        response = client.get(session.get_absolute_url())
    assert "Tell us how this session went" in page_text(response)
