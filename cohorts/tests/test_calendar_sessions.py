"""Editing and cancelling sessions, who sees what on a session, and its materials."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cohorts.tests.helpers import page_text
from cohorts.tests.test_calendar_support import NEW_YORK, make_session, make_sme, make_topic
from conftest import login

MEETING = "https://zoom.example/j/555000111"
PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def march(cohort):
    """Session 1 on Tuesday March 10, 2026, 14:00–15:30 New York time."""
    return make_session(
        cohort,
        1,
        datetime(2026, 3, 10, 18, 0, tzinfo=UTC),
        title="Sleep and shift work",
        meeting_url=MEETING,
    )


@pytest.fixture
def upcoming(cohort):
    """A session a week from now, with a meeting link and one file shared."""
    from cohorts.models import SessionMaterial

    session = make_session(cohort, 5, title="Peer support teams", meeting_url=MEETING)
    SessionMaterial.objects.create(
        session=session,
        title="Slides",
        file=SimpleUploadedFile("peer-support.pdf", PDF, content_type="application/pdf"),
    )
    return session


def edit_data(session, **changes) -> dict:
    """The edit form as the organiser would submit it unchanged, times in New York time."""
    zone = ZoneInfo(NEW_YORK)
    data = {
        "number": session.number,
        "topic": session.topic_id or "",
        "title": session.title,
        "starts_at": f"{session.starts_at.astimezone(zone):%Y-%m-%dT%H:%M}",
        "ends_at": f"{session.ends_at.astimezone(zone):%Y-%m-%dT%H:%M}",
        "presenters": [p.pk for p in session.presenters.all()],
        "agenda": session.agenda,
        "meeting_url": session.meeting_url,
        "recording_url": session.recording_url,
    }
    data.update(changes)
    return data


def post_edit(client, session, **changes):
    url = reverse("cohorts:session_edit", args=[session.cohort.slug, session.number])
    return client.post(url, edit_data(session, **changes))


# Editing --------------------------------------------------------------------------------------


def test_times_are_entered_in_the_cohorts_zone_whatever_the_organisers_zone(client, staff, march):
    staff.time_zone = "America/Los_Angeles"
    staff.save()
    login(client, staff)

    response = post_edit(client, march, starts_at="2026-03-10T15:00", ends_at="2026-03-10T16:30")

    assert response.status_code == 302
    march.refresh_from_db()
    assert march.starts_at == datetime(2026, 3, 10, 19, 0, tzinfo=UTC)
    assert march.ends_at == datetime(2026, 3, 10, 20, 30, tzinfo=UTC)


def test_an_edit_ending_before_it_starts_is_refused_and_nothing_is_saved(client, staff, march):
    login(client, staff)

    response = post_edit(
        client, march, title="Renamed", starts_at="2026-03-10T15:00", ends_at="2026-03-10T14:00"
    )

    assert response.status_code == 200
    assert "The session must end after it starts." in page_text(response)
    march.refresh_from_db()
    assert march.title == "Sleep and shift work"
    assert march.starts_at == datetime(2026, 3, 10, 18, 0, tzinfo=UTC)
    assert march.sequence == 0


def test_moving_a_session_outside_the_cohorts_dates_is_refused(client, staff, march):
    login(client, staff)

    response = post_edit(client, march, starts_at="2027-01-12T14:00", ends_at="2027-01-12T15:30")

    assert response.status_code == 200
    assert "January 12, 2027 is outside the cohort's dates" in page_text(response)
    march.refresh_from_db()
    assert march.starts_at == datetime(2026, 3, 10, 18, 0, tzinfo=UTC)


def test_giving_a_session_the_number_of_another_is_refused(client, staff, cohort, march):
    make_session(cohort, 2, datetime(2026, 4, 14, 18, 0, tzinfo=UTC))
    login(client, staff)

    response = post_edit(client, march, number=2)

    assert response.status_code == 200
    assert "already has a session number 2" in page_text(response)
    march.refresh_from_db()
    assert march.number == 1


def test_an_unknown_topic_is_refused(client, staff, march):
    make_topic("Peer support")
    login(client, staff)

    response = post_edit(client, march, topic=987654)

    assert response.status_code == 200
    assert "Choose a topic from the list." in page_text(response)
    march.refresh_from_db()
    assert march.topic is None


@pytest.mark.parametrize(
    "changes",
    [
        {"title": "Sleep, fatigue and shift work"},
        {"starts_at": "2026-03-10T13:00"},
        {"meeting_url": "https://zoom.example/j/999"},
    ],
    ids=["title", "start time", "meeting link"],
)
def test_a_change_calendar_clients_must_see_bumps_the_sequence(client, staff, march, changes):
    login(client, staff)

    response = post_edit(client, march, **changes)

    assert response.status_code == 302
    march.refresh_from_db()
    assert march.sequence == 1


def test_adding_only_the_recording_link_does_not_bump_the_sequence(client, staff, march):
    login(client, staff)

    response = post_edit(client, march, recording_url="https://video.example/recording/1")

    assert response.status_code == 302
    march.refresh_from_db()
    assert march.recording_url == "https://video.example/recording/1"
    assert march.sequence == 0


def test_cancelling_asks_first_then_marks_the_session_cancelled(client, staff, march):
    from cohorts.models import Session

    login(client, staff)
    url = reverse("cohorts:session_cancel", args=[march.cohort.slug, march.number])

    confirm = client.get(url)
    march.refresh_from_db()
    assert confirm.status_code == 200
    assert "Cancel session 1?" in page_text(confirm)
    assert march.status == Session.Status.SCHEDULED

    response = client.post(url)

    assert response.status_code == 302
    march.refresh_from_db()
    assert march.status == Session.Status.CANCELLED
    assert march.sequence == 1


# Who sees what --------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["officer", "peer", "staff"])
def test_members_and_staff_see_the_meeting_link_and_materials(client, upcoming, persona, request):
    login(client, request.getfixturevalue(persona))

    response = client.get(upcoming.get_absolute_url())

    assert response.status_code == 200
    text = page_text(response)
    assert MEETING in text
    material = upcoming.materials.get()
    assert reverse("cohorts:material", args=["osw-test", 5, material.pk]) in text


def test_a_presenter_from_outside_the_cohort_sees_the_meeting_link_and_materials(client, upcoming):
    expert = make_sme()
    upcoming.presenters.add(expert)
    login(client, expert)

    response = client.get(upcoming.get_absolute_url())

    assert response.status_code == 200
    assert MEETING in page_text(response)
    assert "Slides" in page_text(response)
    assert "Sam Expert" in page_text(response)


def test_an_expert_who_does_not_present_the_session_cannot_open_it(client, upcoming):
    login(client, make_sme())

    assert client.get(upcoming.get_absolute_url()).status_code == 404


def outsider_requests(session):
    slug, number = session.cohort.slug, session.number
    material = session.materials.get()
    return [
        ("get", reverse("cohorts:session", args=[slug, number])),
        ("get", reverse("cohorts:session_ics", args=[slug, number])),
        ("get", reverse("cohorts:material", args=[slug, number, material.pk])),
        ("post", reverse("cohorts:rsvp", args=[slug, number])),
        ("get", reverse("cohorts:calendar", args=[slug])),
        ("get", reverse("cohorts:topics", args=[slug])),
        ("post", reverse("cohorts:topics", args=[slug])),
    ]


def test_an_outsider_gets_404_for_everything_of_another_cohorts_session(client, outsider, upcoming):
    from cohorts.models import Rsvp

    login(client, outsider)

    for method, url in outsider_requests(upcoming):
        response = getattr(client, method)(url, {"response": "going"})
        assert response.status_code == 404, url
    assert not Rsvp.objects.exists()


def staff_only_urls(session):
    slug, number = session.cohort.slug, session.number
    return [
        reverse("cohorts:attendance", args=[slug, number]),
        reverse("cohorts:attendance_import", args=[slug, number]),
        reverse("cohorts:attendance_rates", args=[slug]),
        reverse("cohorts:session_edit", args=[slug, number]),
        reverse("cohorts:session_cancel", args=[slug, number]),
        reverse("cohorts:session_create", args=[slug]),
        reverse("cohorts:series_create", args=[slug]),
    ]


@pytest.mark.parametrize("persona", ["command", "officer"])
def test_a_member_who_is_not_staff_is_refused_the_staff_pages(client, upcoming, persona, request):
    from cohorts.models import Session

    login(client, request.getfixturevalue(persona))

    for url in staff_only_urls(upcoming):
        assert client.get(url).status_code == 403, url
        assert client.post(url, {"title": "Hijacked"}).status_code == 403, url
    upcoming.refresh_from_db()
    assert upcoming.status == Session.Status.SCHEDULED
    assert upcoming.title == "Peer support teams"


# Materials ------------------------------------------------------------------------------------


def test_a_shared_file_is_downloaded_as_an_attachment_by_a_member(client, officer, upcoming):
    material = upcoming.materials.get()
    login(client, officer)

    response = client.get(reverse("cohorts:material", args=["osw-test", 5, material.pk]))

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert 'filename="peer-support.pdf"' in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == PDF
    response.close()


def test_staff_upload_a_pdf_that_members_can_download(client, staff, officer, upcoming):
    login(client, staff)
    response = client.post(
        reverse("cohorts:material_add", args=["osw-test", 5]),
        {"title": "Handout", "file": SimpleUploadedFile("handout.pdf", PDF), "url": ""},
    )
    assert response.status_code == 302
    handout = upcoming.materials.get(title="Handout")
    assert handout.added_by == staff

    login(client, officer)
    download = client.get(reverse("cohorts:material", args=["osw-test", 5, handout.pk]))

    assert download["Content-Disposition"].startswith("attachment")
    assert b"".join(download.streaming_content) == PDF
    download.close()


def test_a_file_whose_content_does_not_match_its_name_is_refused(client, staff, upcoming):
    login(client, staff)

    response = client.post(
        reverse("cohorts:material_add", args=["osw-test", 5]),
        {
            "title": "Not really slides",
            "file": SimpleUploadedFile("slides.pdf", b"just some plain text, not a PDF\n"),
            "url": "",
        },
    )

    assert response.status_code == 200
    assert "This file's content is not a .pdf file" in page_text(response)
    assert not upcoming.materials.filter(title="Not really slides").exists()


def test_a_file_over_the_size_limit_is_refused(client, staff, upcoming, settings):
    settings.MATERIAL_MAX_BYTES = 1024 * 1024
    login(client, staff)

    response = client.post(
        reverse("cohorts:material_add", args=["osw-test", 5]),
        {
            "title": "Huge deck",
            "file": SimpleUploadedFile("deck.pdf", PDF + b"0" * (1024 * 1024)),
            "url": "",
        },
    )

    assert response.status_code == 200
    assert "The file is larger than 1 MB." in page_text(response)
    assert not upcoming.materials.filter(title="Huge deck").exists()


def test_a_member_cannot_add_materials(client, officer, upcoming):
    login(client, officer)

    response = client.post(
        reverse("cohorts:material_add", args=["osw-test", 5]),
        {"title": "Mine", "file": SimpleUploadedFile("mine.pdf", PDF), "url": ""},
    )

    assert response.status_code == 403
    assert not upcoming.materials.filter(title="Mine").exists()


def test_a_presenter_can_share_a_link(client, upcoming):
    expert = make_sme()
    upcoming.presenters.add(expert)
    login(client, expert)

    response = client.post(
        reverse("cohorts:material_add", args=["osw-test", 5]),
        {"title": "Reading list", "url": "https://library.example/peer-support"},
    )

    assert response.status_code == 302
    link = upcoming.materials.get(title="Reading list")
    opened = client.get(reverse("cohorts:material", args=["osw-test", 5, link.pk]))
    assert opened.status_code == 302
    assert opened["Location"] == "https://library.example/peer-support"


def test_a_past_session_offers_its_recording_but_no_longer_the_meeting_link(
    client, officer, cohort
):
    past = make_session(
        cohort,
        9,
        datetime.now(UTC) - timedelta(days=3),
        meeting_url=MEETING,
        recording_url="https://video.example/recording/9",
    )
    login(client, officer)

    text = page_text(client.get(past.get_absolute_url()))

    assert MEETING not in text
    assert "https://video.example/recording/9" in text
