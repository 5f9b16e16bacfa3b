"""Reminders to people who have not answered an open wave: by hand, and on the schedule."""

import io
import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from conftest import make_agency, make_cohort, make_member, make_team, make_user
from surveys import services
from surveys.models import Wave, WaveInvitation
from surveys.services import (
    WaveClosed,
    reminder_counts,
    send_due_survey_reminders,
    send_wave_reminders,
    submit_response,
)

from .conftest import END_ANSWERS, make_wave

pytestmark = pytest.mark.django_db

CLOSES = datetime(2026, 12, 10, 22, 0, tzinfo=UTC)  # Thursday, 5:00 PM in New York
OPENS = CLOSES - timedelta(days=10)
MEMBERS = ["bob@riverton.example", "carol@riverton.example", "dave@marion.example"]


def before_closing(hours: float) -> datetime:
    return CLOSES - timedelta(hours=hours)


def recipients() -> list[str]:
    return sorted(address for message in mail.outbox for address in message.to)


def invitation(wave, user) -> WaveInvitation:
    return WaveInvitation.objects.get(wave=wave, user=user)


@pytest.fixture
def wave(cohort, command, officer, peer, surveys):
    """Open for ten days; the three members were invited when it opened."""
    wave = make_wave(cohort, surveys["end-survey"], opens_at=OPENS, closes_at=CLOSES)
    wave.invitations.update(sent_at=OPENS)
    return wave


# By hand --------------------------------------------------------------------------------------


def test_staff_remind_everyone_who_has_not_answered(wave, officer):
    submit_response(invitation=invitation(wave, officer), answers=END_ANSWERS, at=OPENS)

    sent = send_wave_reminders(wave, at=before_closing(100))

    assert sent == 2
    assert recipients() == ["bob@riverton.example", "dave@marion.example"]
    reminded = wave.invitations.filter(reminded_at__isnull=False)
    assert set(reminded.values_list("user__email", flat=True)) == {
        "bob@riverton.example",
        "dave@marion.example",
    }
    assert set(reminded.values_list("reminded_at", flat=True)) == {before_closing(100)}
    # Only the schedule's reminders are counted towards its two.
    assert set(wave.invitations.values_list("reminder_count", flat=True)) == {0}


def test_reminding_again_within_12_hours_sends_nothing(wave):
    send_wave_reminders(wave, at=before_closing(100))

    assert send_wave_reminders(wave, at=before_closing(100)) == 0
    assert send_wave_reminders(wave, at=before_closing(89)) == 0
    assert reminder_counts(wave, at=before_closing(89)).to_remind == 0
    assert send_wave_reminders(wave, at=before_closing(88)) == 3
    assert len(mail.outbox) == 6


def test_a_closed_or_unopened_wave_reminds_nobody(wave):
    with pytest.raises(WaveClosed, match="is not open"):
        send_wave_reminders(wave, at=CLOSES)
    with pytest.raises(WaveClosed):
        send_wave_reminders(wave, at=OPENS - timedelta(minutes=1))
    assert mail.outbox == []


def test_the_reminder_says_where_and_until_when(wave, command):
    send_wave_reminders(wave, at=before_closing(100))

    message = next(m for m in mail.outbox if m.to == [command.email])
    assert message.subject == "Reminder: End-of-collaborative survey closes December 10"
    assert "Hello Bob" in message.body
    assert f"{settings.SITE_URL}/cohorts/osw-test/surveys/{wave.pk}/" in message.body
    assert "It closes on Thursday, December 10, 2026, 5:00 PM EST." in message.body
    assert "confidential" in message.body


def test_the_closing_time_is_given_in_the_cohorts_zone(surveys):
    west = make_cohort("west", "West Cohort", time_zone="America/Los_Angeles")
    team = make_team(west, make_agency("Coastal Police Department", state="CA"))
    make_member(team, make_user("pat@coastal.example", first="Pat"))
    wave = make_wave(west, surveys["end-survey"], opens_at=OPENS, closes_at=CLOSES)

    send_wave_reminders(wave, at=before_closing(100))

    assert "It closes on Thursday, December 10, 2026, 2:00 PM PST." in mail.outbox[0].body


def test_an_anonymous_wave_reminds_by_the_invitation_alone(cohort, officer, command, surveys):
    wave = make_wave(
        cohort,
        surveys["end-survey"],
        anonymity=Wave.Anonymity.ANONYMOUS,
        opens_at=OPENS,
        closes_at=CLOSES,
    )
    submit_response(invitation=invitation(wave, officer), answers=END_ANSWERS, at=OPENS)

    send_wave_reminders(wave, at=before_closing(100))

    assert recipients() == ["bob@riverton.example"]
    assert "This reminder only knows that you have not submitted yet." in mail.outbox[0].body


def test_inactive_accounts_are_not_reminded(wave, peer):
    peer.is_active = False
    peer.save()

    assert send_wave_reminders(wave, at=before_closing(100)) == 2
    assert "dave@marion.example" not in recipients()


# On the schedule ------------------------------------------------------------------------------


def test_nothing_is_sent_before_72_hours_remain(wave):
    assert send_due_survey_reminders(at=before_closing(72.5)) == 0
    assert mail.outbox == []


def test_one_reminder_when_72_hours_remain_and_one_when_24_remain(wave, officer):
    submit_response(invitation=invitation(wave, officer), answers=END_ANSWERS, at=OPENS)

    sent = [
        send_due_survey_reminders(at=before_closing(hours)) for hours in [72, 60, 48, 24, 12, 1]
    ]

    assert sent == [2, 0, 0, 2, 0, 0]
    assert recipients() == ["bob@riverton.example"] * 2 + ["dave@marion.example"] * 2
    assert set(wave.invitations.values_list("reminder_count", flat=True)) == {0, 2}


def test_running_twice_sends_nothing_twice(wave):
    assert send_due_survey_reminders(at=before_closing(72)) == 3
    assert send_due_survey_reminders(at=before_closing(72)) == 0
    assert send_due_survey_reminders(at=before_closing(71)) == 0
    assert sorted(recipients()) == MEMBERS


def test_a_late_run_still_sends_the_stage_it_missed_once(wave):
    assert send_due_survey_reminders(at=before_closing(30)) == 3
    assert send_due_survey_reminders(at=before_closing(24)) == 0  # 6 hours later: too soon
    assert send_due_survey_reminders(at=before_closing(18)) == 3
    assert send_due_survey_reminders(at=before_closing(2)) == 0


def test_a_manual_reminder_counts_for_the_12_hours_spacing(wave):
    send_wave_reminders(wave, at=before_closing(30))

    assert send_due_survey_reminders(at=before_closing(24)) == 0
    assert send_due_survey_reminders(at=before_closing(18.5)) == 0
    assert send_due_survey_reminders(at=before_closing(18)) == 3
    assert len(mail.outbox) == 6


def test_a_manual_reminder_inside_a_stage_is_that_stages_reminder(wave):
    send_wave_reminders(wave, at=before_closing(20))

    assert send_due_survey_reminders(at=before_closing(6)) == 0
    assert len(mail.outbox) == 3


def test_an_early_manual_reminder_leaves_both_scheduled_ones(wave):
    send_wave_reminders(wave, at=before_closing(120))

    assert send_due_survey_reminders(at=before_closing(72)) == 3
    assert send_due_survey_reminders(at=before_closing(24)) == 3
    assert len(mail.outbox) == 9
    assert set(wave.invitations.values_list("reminder_count", flat=True)) == {2}


def test_the_schedule_sends_at_most_two_even_if_the_closing_time_moves(wave):
    send_due_survey_reminders(at=before_closing(72))
    send_due_survey_reminders(at=before_closing(24))
    Wave.objects.filter(pk=wave.pk).update(closes_at=CLOSES + timedelta(days=5))

    later = CLOSES + timedelta(days=5)
    assert send_due_survey_reminders(at=later - timedelta(hours=72)) == 0
    assert send_due_survey_reminders(at=later - timedelta(hours=24)) == 0
    assert len(mail.outbox) == 6


def test_an_invitation_sent_inside_a_stage_counts_as_its_reminder(wave):
    wave.invitations.update(sent_at=before_closing(48))

    assert send_due_survey_reminders(at=before_closing(36)) == 0
    assert send_due_survey_reminders(at=before_closing(24)) == 3


def test_nobody_is_reminded_within_12_hours_of_their_invitation(wave):
    wave.invitations.update(sent_at=before_closing(74))

    assert send_due_survey_reminders(at=before_closing(72)) == 0
    assert send_due_survey_reminders(at=before_closing(62)) == 3


def test_closed_waves_and_used_invitations_are_skipped(wave, cohort, officer, surveys):
    submit_response(invitation=invitation(wave, officer), answers=END_ANSWERS, at=OPENS)
    closed = make_wave(
        cohort,
        surveys["midpoint-pulse"],
        opens_at=OPENS - timedelta(days=20),
        closes_at=before_closing(80),
    )

    assert send_due_survey_reminders(at=before_closing(72)) == 2
    assert not closed.invitations.filter(reminder_count__gt=0).exists()
    assert invitation(wave, officer).reminded_at is None


def test_a_run_that_picked_the_same_people_as_another_sends_nothing(wave):
    """Two workers at once: the second to claim an invitation finds it already claimed."""
    at = before_closing(72)
    picked_by_the_slow_worker = list(services.not_answered(wave).select_related("user"))

    assert send_due_survey_reminders(at=at) == 3

    due = services._due_automatically(services._stage_start(wave, at), at)
    claims = [
        services._claim_and_send(invitation, wave=wave, at=at, claim=due, scheduled=True)
        for invitation in picked_by_the_slow_worker
    ]
    assert claims == [False, False, False]
    assert len(mail.outbox) == 3


def test_a_failed_send_is_tried_again_by_the_next_run(wave, command, monkeypatch):
    real_send = services.send_mail

    def flaky(*, recipient_list, **kwargs):
        if recipient_list == [command.email]:
            raise ConnectionRefusedError("mail server down")
        return real_send(recipient_list=recipient_list, **kwargs)

    monkeypatch.setattr(services, "send_mail", flaky)
    assert send_due_survey_reminders(at=before_closing(72)) == 2
    failed = invitation(wave, command)
    assert (failed.reminded_at, failed.reminder_count) == (None, 0)

    monkeypatch.setattr(services, "send_mail", real_send)
    assert send_due_survey_reminders(at=before_closing(71)) == 1
    assert mail.outbox[-1].to == [command.email]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_each_reminder_once(cohort, surveys):
    team = make_team(cohort, make_agency("Busy Police Department"))
    for i in range(30):
        make_member(team, make_user(f"officer{i}@busy.example"))
    make_wave(cohort, surveys["end-survey"], opens_at=OPENS, closes_at=CLOSES)
    barrier = threading.Barrier(2)
    counts = []

    def worker():
        try:
            barrier.wait()
            counts.append(send_due_survey_reminders(at=before_closing(72)))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(counts) == 30
    assert len(recipients()) == 30
    assert len(set(recipients())) == 30


# The scheduled job ----------------------------------------------------------------------------


def due_wave(cohort, surveys) -> Wave:
    """A wave closing in 30 hours, its invitations sent a week ago: one reminder is due now."""
    now = timezone.now()
    wave = make_wave(
        cohort,
        surveys["midpoint-pulse"],
        opens_at=now - timedelta(days=7),
        closes_at=now + timedelta(hours=30),
    )
    wave.invitations.update(sent_at=now - timedelta(days=7))
    return wave


def test_the_send_reminders_command_sends_survey_reminders_too(cohort, command, officer, surveys):
    due_wave(cohort, surveys)
    out = io.StringIO()

    call_command("send_reminders", stdout=out)
    call_command("send_reminders", stdout=out)

    assert out.getvalue().splitlines() == [
        "Sent 0 session reminder(s), 0 follow-up(s) and 2 survey reminder(s).",
        "Sent 0 session reminder(s), 0 follow-up(s) and 0 survey reminder(s).",
    ]
    assert recipients() == ["bob@riverton.example", "carol@riverton.example"]


def test_the_command_queues_both_jobs_for_the_worker(cohort, command, surveys):
    from django_tasks_db.models import DBTaskResult

    due_wave(cohort, surveys)
    out = io.StringIO()

    call_command("send_reminders", "--enqueue", stdout=out)

    assert out.getvalue().startswith("Queued the session reminder job (")
    assert "and the survey reminder job (" in out.getvalue()
    assert sorted(DBTaskResult.objects.values_list("task_path", flat=True)) == [
        "cohorts.tasks.send_session_reminders",
        "surveys.tasks.send_survey_reminders",
    ]
    assert mail.outbox == []  # the worker sends them


def test_the_task_sends_what_is_due(cohort, command, surveys):
    from surveys.tasks import send_survey_reminders

    due_wave(cohort, surveys)

    assert send_survey_reminders.call() == 1
    assert send_survey_reminders.call() == 0
    assert recipients() == ["bob@riverton.example"]


def test_a_session_waves_reminder_names_the_session(cohort, officer, surveys):
    from cohorts.models import Attendance
    from cohorts.tests.test_calendar_support import make_session

    held = make_session(cohort, 4, OPENS - timedelta(days=1), title="Peer support teams")
    Attendance.objects.create(session=held, user=officer, present=True)
    wave = make_wave(
        cohort, surveys["post-session"], session=held, opens_at=OPENS, closes_at=CLOSES
    )

    assert send_due_survey_reminders(at=before_closing(24)) == 1
    assert mail.outbox[0].to == [officer.email]
    assert "It is about session 4, Peer support teams." in mail.outbox[0].body
    assert wave.invitations.get().reminder_count == 1
