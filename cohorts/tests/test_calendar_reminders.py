"""Reminder emails before a session and the follow-up with the recording afterwards."""

import io
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from cohorts.tests.test_calendar_support import make_session

MEETING = "https://zoom.example/j/555000111"
NOW = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)  # 10:00 in New York, the day after DST ended
MEMBERS = {"bob@riverton.example", "carol@riverton.example", "dave@marion.example"}


@pytest.fixture
def members(command, officer, peer):
    return {"command": command, "officer": officer, "peer": peer}


@pytest.fixture
def tomorrow(cohort):
    """Starts 20 hours after NOW: inside the cohort's 24-hour reminder lead time."""
    return make_session(
        cohort, 1, NOW + timedelta(hours=20), title="Sleep and shift work", meeting_url=MEETING
    )


def recipients(mailoutbox) -> list[str]:
    return sorted(address for message in mailoutbox for address in message.to)


def answer(session, user, response):
    from cohorts.sessions import set_rsvp

    set_rsvp(session=session, user=user, response=response)


def test_each_member_gets_one_reminder_within_the_lead_time(members, tomorrow, mailoutbox):
    from cohorts.sessions import send_due_reminders

    sent = send_due_reminders(now=NOW)

    assert sent == {"reminders": 3, "follow_ups": 0}
    assert recipients(mailoutbox) == sorted(MEMBERS)
    message = next(m for m in mailoutbox if m.to == ["carol@riverton.example"])
    assert message.subject == "Reminder: Sleep and shift work, OSW Test Cohort"
    assert "Hello Carol" in message.body
    # 20 hours after 10:00 New York time is 06:00 the next morning, shown in her zone.
    assert "Tuesday, November 3, 2026, 6:00 AM–7:30 AM EST" in message.body
    assert f"Join online: {MEETING}" in message.body
    assert tomorrow.get_absolute_url() in message.body


def test_no_reminder_before_the_lead_time(members, cohort, mailoutbox):
    from cohorts.sessions import send_due_reminders

    make_session(cohort, 1, NOW + timedelta(hours=25))

    assert send_due_reminders(now=NOW) == {"reminders": 0, "follow_ups": 0}
    assert mailoutbox == []


def test_the_lead_time_is_the_cohorts(members, cohort, tomorrow, mailoutbox):
    from cohorts.sessions import send_due_reminders

    cohort.reminder_hours_before = 4
    cohort.save()

    assert send_due_reminders(now=NOW)["reminders"] == 0
    assert send_due_reminders(now=NOW + timedelta(hours=17))["reminders"] == 3


def test_no_reminder_once_the_session_has_started(members, tomorrow, mailoutbox):
    from cohorts.sessions import send_due_reminders

    send_due_reminders(now=tomorrow.starts_at + timedelta(minutes=5))

    assert mailoutbox == []


def test_a_member_who_declined_is_skipped(members, tomorrow, mailoutbox):
    from cohorts.sessions import send_due_reminders

    answer(tomorrow, members["officer"], "not_going")
    answer(tomorrow, members["peer"], "maybe")

    send_due_reminders(now=NOW)

    assert recipients(mailoutbox) == ["bob@riverton.example", "dave@marion.example"]


def test_command_staff_who_declined_still_hear_what_their_team_hears(members, tomorrow, mailoutbox):
    from cohorts.sessions import send_due_reminders

    answer(tomorrow, members["command"], "not_going")
    answer(tomorrow, members["officer"], "going")
    answer(tomorrow, members["peer"], "not_going")

    send_due_reminders(now=NOW)

    # Dave leads his own team, which nobody attends: he is skipped like anyone declining.
    assert recipients(mailoutbox) == ["bob@riverton.example", "carol@riverton.example"]


def test_running_twice_sends_nothing_the_second_time(members, tomorrow, mailoutbox):
    from cohorts.sessions import send_due_reminders

    send_due_reminders(now=NOW)
    assert len(mailoutbox) == 3

    again = send_due_reminders(now=NOW + timedelta(hours=1))

    assert again == {"reminders": 0, "follow_ups": 0}
    assert len(mailoutbox) == 3


def test_a_cancelled_session_gets_no_reminder(members, tomorrow, mailoutbox):
    from cohorts.sessions import send_due_reminders

    tomorrow.cancel()

    assert send_due_reminders(now=NOW)["reminders"] == 0
    assert mailoutbox == []


def test_other_cohorts_members_get_no_reminder(members, outsider, tomorrow, mailoutbox):
    from cohorts.sessions import send_due_reminders

    send_due_reminders(now=NOW)

    assert outsider.email not in recipients(mailoutbox)


def test_a_failed_send_is_not_recorded_so_the_next_run_retries(
    members, tomorrow, mailoutbox, monkeypatch
):
    from cohorts import sessions
    from cohorts.models import ReminderDelivery

    real_send_mail = sessions.send_mail

    def broken(**kwargs):
        raise ConnectionRefusedError("SMTP server down")

    monkeypatch.setattr(sessions, "send_mail", broken)
    assert sessions.send_due_reminders(now=NOW) == {"reminders": 0, "follow_ups": 0}
    assert not ReminderDelivery.objects.exists()
    assert mailoutbox == []

    monkeypatch.setattr(sessions, "send_mail", real_send_mail)
    retried = sessions.send_due_reminders(now=NOW + timedelta(minutes=15))

    assert retried["reminders"] == 3
    assert recipients(mailoutbox) == sorted(MEMBERS)
    assert ReminderDelivery.objects.filter(kind="reminder").count() == 3


# Follow-ups -----------------------------------------------------------------------------------


@pytest.fixture
def ended(cohort):
    """Ended an hour before NOW."""
    return make_session(cohort, 2, NOW - timedelta(hours=2, minutes=30), title="Peer support")


def test_a_follow_up_with_the_recording_is_sent_once_after_the_session(members, ended, mailoutbox):
    from cohorts.sessions import send_due_reminders

    ended.recording_url = "https://video.example/recording/2"
    ended.save()

    first = send_due_reminders(now=NOW)
    second = send_due_reminders(now=NOW + timedelta(hours=6))

    assert first == {"reminders": 0, "follow_ups": 3}
    assert second == {"reminders": 0, "follow_ups": 0}
    assert recipients(mailoutbox) == sorted(MEMBERS)
    assert mailoutbox[0].subject == "Recording and materials: Peer support"
    assert "Recording: https://video.example/recording/2" in mailoutbox[0].body


def test_a_follow_up_lists_the_materials(members, ended, mailoutbox):
    from cohorts.models import SessionMaterial
    from cohorts.sessions import send_due_reminders

    SessionMaterial.objects.create(
        session=ended, title="Reading list", url="https://library.example/peer"
    )

    assert send_due_reminders(now=NOW)["follow_ups"] == 3
    assert "- Reading list: " in mailoutbox[0].body


def test_no_follow_up_without_a_recording_or_materials(members, ended, mailoutbox):
    from cohorts.sessions import send_due_reminders

    assert send_due_reminders(now=NOW)["follow_ups"] == 0
    assert mailoutbox == []


def test_no_follow_up_before_the_session_ends(members, ended, mailoutbox):
    from cohorts.sessions import send_due_reminders

    ended.recording_url = "https://video.example/recording/2"
    ended.save()

    assert send_due_reminders(now=ended.ends_at - timedelta(minutes=10))["follow_ups"] == 0
    assert mailoutbox == []


# The scheduled job ----------------------------------------------------------------------------


def test_the_send_reminders_command_prints_what_it_sent(members, cohort, mailoutbox):
    soon = make_session(cohort, 3, timezone.now() + timedelta(hours=3), meeting_url=MEETING)
    done = make_session(cohort, 4, timezone.now() - timedelta(hours=3))
    done.recording_url = "https://video.example/recording/4"
    done.save()
    out = io.StringIO()

    call_command("send_reminders", stdout=out)
    call_command("send_reminders", stdout=out)

    assert out.getvalue().splitlines() == [
        "Sent 3 session reminder(s), 3 follow-up(s) and 0 survey reminder(s).",
        "Sent 0 session reminder(s), 0 follow-up(s) and 0 survey reminder(s).",
    ]
    assert len(mailoutbox) == 6
    assert {m.subject for m in mailoutbox} == {
        f"Reminder: {soon.title}, OSW Test Cohort",
        f"Recording and materials: {done.title}",
    }
