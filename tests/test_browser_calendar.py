"""Browser journeys through the session calendar: ranking topics, RSVP, .ics, attendance."""

from datetime import timedelta
from pathlib import Path

import pytest
from icalendar import Calendar
from playwright.sync_api import expect

from cohorts.models import Attendance, AttendanceChange, Rsvp, Session, Topic, TopicVote
from tests.browser import check_accessibility, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def running_cohort(cohort):
    """The persona cohort, running from half a year ago to half a year ahead."""
    from django.utils import timezone

    today = timezone.localdate()
    cohort.start_date = today - timedelta(days=180)
    cohort.end_date = today + timedelta(days=180)
    cohort.status = "active"
    cohort.save()
    return cohort


@pytest.fixture
def topics(db):
    names = ["Critical Incident Stress Response", "Resilience and Burnout", "Mentorship"]
    return [
        Topic.objects.create(name=name, slug=name.lower().replace(" ", "-"), position=i)
        for i, name in enumerate(names, start=1)
    ]


def make_session(cohort, number: int, *, days: int, topic=None) -> Session:
    from django.utils import timezone

    starts = timezone.now().replace(second=0, microsecond=0) + timedelta(days=days)
    return Session.objects.create(
        cohort=cohort,
        number=number,
        topic=topic,
        title=topic.name if topic else f"Session {number}",
        starts_at=starts,
        ends_at=starts + timedelta(minutes=90),
        meeting_url="https://meet.example.org/osw/session",
    )


def test_a_member_ranks_topics_rsvps_and_downloads_the_ics(
    page, live_server, officer, running_cohort, topics
):
    upcoming = make_session(running_cohort, 1, days=10, topic=topics[1])

    sign_in(page, live_server, officer)
    check_accessibility(page)
    # The next session is the first thing on the member's home page.
    next_card = page.get_by_role("region", name=f"Session 1: {upcoming.title}")
    expect(next_card).to_be_visible()

    page.goto(f"{live_server.url}/cohorts/{running_cohort.slug}/topics/")
    check_accessibility(page)
    page.get_by_label("Resilience and Burnout").select_option("1")
    page.get_by_label("Mentorship").select_option("2")
    page.get_by_role("button", name="Save my ranking").click()
    page.wait_for_load_state("load")
    check_accessibility(page)
    expect(page.get_by_role("status").filter(has_text="Your ranking is saved")).to_be_visible()
    ranked = list(
        TopicVote.objects.filter(user=officer)
        .order_by("rank")
        .values_list("topic__name", flat=True)
    )
    assert ranked == ["Resilience and Burnout", "Mentorship"]

    next_card_link = f"{live_server.url}{upcoming.get_absolute_url()}"
    page.goto(next_card_link)
    check_accessibility(page)
    expect(page.get_by_role("link", name="https://meet.example.org/osw/session")).to_be_visible()
    rsvp = page.get_by_role("region", name="Will you attend?")
    rsvp.get_by_label("Going", exact=True).check()
    rsvp.get_by_role("button", name="Save answer").click()
    # htmx swaps the answer in place: no reload, and the saved answer is announced.
    expect(page.get_by_role("region", name="Will you attend?")).to_contain_text("Saved: Going")
    check_accessibility(page)
    assert Rsvp.objects.get(session=upcoming, user=officer).response == "going"

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Add to calendar (.ics)").click()
    download = download_info.value
    assert download.suggested_filename == f"{running_cohort.slug}-session-1.ics"
    calendar = Calendar.from_ical(Path(download.path()).read_bytes())
    (event,) = calendar.walk("VEVENT")
    assert event["UID"] == f"{upcoming.uid}@collaborative"
    assert event.decoded("DTSTART") == upcoming.starts_at


def test_staff_mark_attendance_on_the_roster(
    page, live_server, staff, officer, command, running_cohort, topics
):
    held = make_session(running_cohort, 1, days=-3, topic=topics[0])

    sign_in(page, live_server, staff)
    check_accessibility(page)
    page.goto(f"{live_server.url}{held.get_absolute_url()}")
    check_accessibility(page)
    page.get_by_role("link", name="Attendance", exact=True).click()
    page.wait_for_url(f"**/sessions/{held.number}/attendance/")
    check_accessibility(page)

    page.get_by_label("Carol Officer").check()
    page.get_by_role("button", name="Save attendance").click()
    page.wait_for_load_state("load")
    check_accessibility(page)
    expect(page.get_by_role("status").filter(has_text="Attendance saved")).to_be_visible()
    expect(page.get_by_label("Carol Officer")).to_be_checked()
    expect(page.get_by_label("Bob Chief")).not_to_be_checked()
    history = page.get_by_role("region", name="Changes")
    expect(history).to_contain_text("marked Carol Officer present")

    assert Attendance.objects.get(session=held, user=officer).present is True
    change = AttendanceChange.objects.get(session=held, user=officer)
    assert change.changed_by == staff and change.present is True

    page.get_by_role("link", name="Cohort attendance rates").click()
    page.wait_for_load_state("load")
    check_accessibility(page)
    expect(page.get_by_role("row").filter(has_text="Carol Officer")).to_contain_text("100%")
