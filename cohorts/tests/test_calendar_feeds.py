"""iCalendar files: one session's .ics, the personal and cohort feeds, and their tokens."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from icalendar import Calendar

from cohorts.tests.helpers import page_text
from cohorts.tests.test_calendar_support import NEW_YORK, make_session, make_sme
from conftest import login

MEETING = "https://zoom.example/j/555000111"


def events(body: bytes) -> list:
    return list(Calendar.from_ical(body).walk("VEVENT"))


def summaries(body: bytes) -> set[str]:
    return {str(e["SUMMARY"]) for e in events(body)}


@pytest.fixture
def march(cohort):
    """Tuesday March 10, 2026, 14:00–15:30 New York time (summer time: UTC-4)."""
    return make_session(
        cohort,
        1,
        datetime(2026, 3, 10, 18, 0, tzinfo=UTC),
        title="Sleep and shift work",
        meeting_url=MEETING,
    )


@pytest.fixture
def other_cohorts_session(other_cohort):
    return make_session(
        other_cohort, 1, datetime(2026, 3, 11, 18, 0, tzinfo=UTC), title="Elsewhere"
    )


def session_ics(client, session) -> bytes:
    response = client.get(
        reverse("cohorts:session_ics", args=[session.cohort.slug, session.number])
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    return response.content


# One session ----------------------------------------------------------------------------------


def test_a_sessions_ics_holds_one_event_at_the_stored_instant_in_new_york_time(
    client, officer, march
):
    login(client, officer)

    calendar = Calendar.from_ical(session_ics(client, march))

    (event,) = calendar.walk("VEVENT")
    start = event["DTSTART"]
    assert start.params["TZID"] == NEW_YORK
    assert start.dt == march.starts_at
    assert start.dt.utcoffset() == timedelta(hours=-4)
    assert event["DTEND"].dt == march.ends_at
    assert str(event["SUMMARY"]) == "OSW Test Cohort: Sleep and shift work"
    assert str(event["STATUS"]) == "CONFIRMED"
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == [NEW_YORK]


def test_the_uid_stays_and_the_sequence_grows_when_the_session_is_edited(
    client, staff, officer, march
):
    login(client, officer)
    before = events(session_ics(client, march))[0]

    login(client, staff)
    client.post(
        reverse("cohorts:session_edit", args=[march.cohort.slug, march.number]),
        {
            "number": 1,
            "title": "Sleep, fatigue and shift work",
            "starts_at": "2026-03-10T15:00",
            "ends_at": "2026-03-10T16:30",
            "meeting_url": MEETING,
        },
    )
    login(client, officer)
    after = events(session_ics(client, march))[0]

    assert str(after["UID"]) == str(before["UID"]) == f"{march.uid}@collaborative"
    assert after["SEQUENCE"] > before["SEQUENCE"]
    assert after["DTSTART"].dt == datetime(2026, 3, 10, 19, 0, tzinfo=UTC)


def test_a_cancelled_session_is_cancelled_in_the_ics(client, officer, march):
    march.cancel()
    login(client, officer)

    (event,) = events(session_ics(client, march))

    assert str(event["STATUS"]) == "CANCELLED"
    assert event["SEQUENCE"] == 1


def test_the_meeting_link_is_in_a_members_ics(client, officer, march):
    login(client, officer)

    (event,) = events(session_ics(client, march))

    assert str(event["LOCATION"]) == MEETING
    assert f"Join: {MEETING}" in str(event["DESCRIPTION"])


def test_the_presenters_are_named_in_the_ics(client, officer, march):
    march.presenters.add(make_sme())
    login(client, officer)

    (event,) = events(session_ics(client, march))

    assert "Presented by Sam Expert" in str(event["DESCRIPTION"])


# Subscriptions --------------------------------------------------------------------------------


def test_the_personal_feed_needs_no_login_and_lists_only_the_users_cohorts(
    client, officer, march, other_cohorts_session
):
    from cohorts.sessions import feed_for

    feed = feed_for(user=officer)

    response = client.get(feed.get_absolute_url())

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert summaries(response.content) == {"OSW Test Cohort: Sleep and shift work"}
    (event,) = events(response.content)
    assert str(event["LOCATION"]) == MEETING


def test_the_personal_feed_includes_sessions_the_user_presents_elsewhere(
    client, march, other_cohorts_session
):
    from cohorts.sessions import feed_for

    expert = make_sme()
    other_cohorts_session.presenters.add(expert)

    response = client.get(feed_for(user=expert).get_absolute_url())

    assert summaries(response.content) == {"Other Cohort: Elsewhere"}


def test_a_cohort_feed_lists_that_cohorts_sessions(
    client, peer, cohort, march, other_cohorts_session
):
    from cohorts.sessions import feed_for

    make_session(cohort, 2, datetime(2026, 4, 14, 18, 0, tzinfo=UTC), title="Peer support")

    response = client.get(feed_for(user=peer, cohort=cohort).get_absolute_url())

    assert response.status_code == 200
    assert summaries(response.content) == {
        "OSW Test Cohort: Sleep and shift work",
        "OSW Test Cohort: Peer support",
    }
    assert str(Calendar.from_ical(response.content)["X-WR-CALNAME"]) == "OSW Test Cohort"


def test_a_revoked_feed_answers_gone_with_a_clear_message(client, officer, march):
    from cohorts.sessions import feed_for

    feed = feed_for(user=officer)
    feed.revoke()

    response = client.get(feed.get_absolute_url())

    assert response.status_code == 410
    assert "This calendar feed was revoked" in response.content.decode()
    assert "BEGIN:VCALENDAR" not in response.content.decode()


def test_an_unknown_feed_token_is_not_found(client, officer, march):
    from cohorts.sessions import feed_for

    feed_for(user=officer)

    response = client.get(reverse("cohorts:feed", args=["not-a-real-token"]))

    assert response.status_code == 404


def test_renewing_the_feed_from_the_profile_replaces_the_address(client, officer, march):
    from cohorts.models import CalendarFeed
    from cohorts.sessions import feed_for

    old = feed_for(user=officer)
    login(client, officer)

    response = client.post(reverse("cohorts:feed_renew"), {"action": "renew"})

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:profile") + "#calendar-feed"
    new = CalendarFeed.objects.active().get(user=officer, cohort=None)
    assert new.token != old.token
    old.refresh_from_db()
    assert old.revoked_at is not None
    client.logout()
    assert client.get(old.get_absolute_url()).status_code == 410
    assert client.get(new.get_absolute_url()).status_code == 200
    login(client, officer)
    assert new.get_absolute_url() in page_text(client.get(reverse("accounts:profile")))


def test_switching_the_feed_off_leaves_no_working_address(client, officer, march):
    from cohorts.models import CalendarFeed
    from cohorts.sessions import feed_for

    old = feed_for(user=officer)
    login(client, officer)

    client.post(reverse("cohorts:feed_renew"), {"action": "revoke"})

    assert not CalendarFeed.objects.active().filter(user=officer).exists()
    assert client.get(old.get_absolute_url()).status_code == 410


def test_an_outsider_cannot_make_a_feed_for_another_cohort(client, outsider, cohort):
    from cohorts.models import CalendarFeed

    login(client, outsider)

    response = client.post(reverse("cohorts:feed_renew"), {"cohort": cohort.slug})

    assert response.status_code == 404
    assert not CalendarFeed.objects.exists()


def test_after_leaving_the_cohort_its_sessions_leave_the_users_feeds(
    client, officer, cohort, march
):
    from cohorts.sessions import feed_for

    personal = feed_for(user=officer)
    cohort_feed = feed_for(user=officer, cohort=cohort)
    assert len(events(client.get(personal.get_absolute_url()).content)) == 1

    officer.memberships.get().delete()

    response = client.get(personal.get_absolute_url())
    assert response.status_code == 200
    assert events(response.content) == []
    assert client.get(cohort_feed.get_absolute_url()).status_code == 404


def test_a_deactivated_users_feed_is_not_found(client, officer, march):
    from cohorts.sessions import feed_for

    feed = feed_for(user=officer)
    officer.is_active = False
    officer.save()

    assert client.get(feed.get_absolute_url()).status_code == 404
