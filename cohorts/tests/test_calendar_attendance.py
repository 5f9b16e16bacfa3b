"""Attendance: marked on the roster or imported from the meeting tool, and the rates."""

import csv
import io
import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from cohorts.tests.helpers import page_text
from cohorts.tests.test_calendar_support import make_session
from conftest import login

# Zoom's "export with meeting data": a meeting summary (whose own "User Email" is the host's),
# a blank line, then the participant table. People who rejoin appear once per connection.
ZOOM_EXPORT = """\
Meeting ID,Topic,Start Time,End Time,User Email,Duration (Minutes),Participants
812 3456 7890,OSW session 3,11/03/2026 02:00:00 PM,11/03/2026 03:30:00 PM,host@osw.example,90,5

Name (Original Name),User Email,Join Time,Leave Time,Duration (Minutes),Guest
Carol Officer,CAROL@Riverton.Example,11/03/2026 01:58:12 PM,11/03/2026 03:30:02 PM,92,No
Bob Chief,bob@riverton.example,11/03/2026 02:01:40 PM,11/03/2026 02:40:00 PM,39,No
Bob Chief,bob@riverton.example,11/03/2026 02:45:10 PM,11/03/2026 03:29:00 PM,44,No
Pat Visitor,pat@elsewhere.example,11/03/2026 02:05:00 PM,11/03/2026 03:00:00 PM,55,Yes
Call-in user 1,,11/03/2026 02:10:00 PM,11/03/2026 03:10:00 PM,60,Yes
"""


@pytest.fixture
def held(cohort):
    """A session that took place three days ago."""
    return make_session(cohort, 3, timezone.now() - timedelta(days=3), title="Peer support")


@pytest.fixture
def roster(command, officer, peer):
    return {"command": command, "officer": officer, "peer": peer}


def mark(client, session, *present):
    return client.post(
        reverse("cohorts:attendance", args=[session.cohort.slug, session.number]),
        {"present": [u.pk for u in present]},
    )


def marks(session) -> dict[str, bool]:
    from cohorts.models import Attendance

    return dict(Attendance.objects.filter(session=session).values_list("user__email", "present"))


def changes(session) -> list[tuple]:
    from cohorts.models import AttendanceChange

    return sorted(
        AttendanceChange.objects.filter(session=session).values_list(
            "user__email", "previous", "present", "changed_by__email", "source"
        ),
        key=str,
    )


# On the roster --------------------------------------------------------------------------------


def test_marking_the_roster_records_everyone_and_who_marked_them(client, staff, roster, held):
    login(client, staff)

    response = mark(client, held, roster["officer"])

    assert response.status_code == 302
    assert marks(held) == {
        "bob@riverton.example": False,
        "carol@riverton.example": True,
        "dave@marion.example": False,
    }
    assert changes(held) == [
        ("bob@riverton.example", None, False, staff.email, "roster"),
        ("carol@riverton.example", None, True, staff.email, "roster"),
        ("dave@marion.example", None, False, staff.email, "roster"),
    ]


def test_a_correction_writes_one_change_with_the_previous_state(client, staff, roster, held):
    from cohorts.models import AttendanceChange

    login(client, staff)
    mark(client, held, roster["officer"])
    AttendanceChange.objects.all().delete()

    mark(client, held, roster["officer"], roster["peer"])

    assert marks(held)["dave@marion.example"] is True
    assert changes(held) == [("dave@marion.example", False, True, staff.email, "roster")]


def test_saving_the_same_attendance_again_writes_no_change(client, staff, roster, held):
    from cohorts.models import AttendanceChange

    login(client, staff)
    mark(client, held, roster["officer"], roster["peer"])
    before = AttendanceChange.objects.count()

    response = mark(client, held, roster["officer"], roster["peer"])

    assert AttendanceChange.objects.count() == before == 3
    assert "Attendance saved: 0 changes." in page_text(client.get(response["Location"]))


def test_someone_outside_the_cohort_cannot_be_marked_present(client, staff, roster, outsider, held):
    login(client, staff)

    response = mark(client, held, roster["officer"], outsider)

    assert response.status_code == 200
    assert "only be marked for the cohort's members" in page_text(response)
    assert marks(held) == {}


def test_the_roster_page_shows_the_history_of_changes(client, staff, roster, held):
    login(client, staff)
    mark(client, held, roster["officer"])
    mark(client, held)

    html = page_text(client.get(reverse("cohorts:attendance", args=["osw-test", 3])))

    text = re.sub(r"<[^>]+>", "", html)
    assert "Alice Organiser marked Carol Officer absent (was present)" in text


# Importing the participant report -------------------------------------------------------------


def upload(client, session, content: str, name: str = "participants.csv"):
    return client.post(
        reverse("cohorts:attendance_import", args=[session.cohort.slug, session.number]),
        {"file": SimpleUploadedFile(name, content.encode(), content_type="text/csv")},
    )


def test_a_zoom_export_marks_members_present_matched_by_email_in_any_case(
    client, staff, roster, held
):
    login(client, staff)

    response = upload(client, held, ZOOM_EXPORT)

    assert response.status_code == 200
    result = response.context["result"]
    assert {u.email for u in result.matched} == {"carol@riverton.example", "bob@riverton.example"}
    assert result.unmatched == [(8, "pat@elsewhere.example"), (9, "(no email)")]
    assert result.changed == 2
    assert marks(held) == {"carol@riverton.example": True, "bob@riverton.example": True}
    assert changes(held) == [
        ("bob@riverton.example", None, True, staff.email, "import"),
        ("carol@riverton.example", None, True, staff.email, "import"),
    ]
    text = page_text(response)
    assert "Line 8: pat@elsewhere.example" in text
    assert "Line 9: (no email)" in text


def test_an_import_never_marks_anyone_absent(client, staff, roster, held):
    login(client, staff)
    mark(client, held, roster["peer"])

    upload(client, held, ZOOM_EXPORT)

    assert marks(held) == {
        "bob@riverton.example": True,
        "carol@riverton.example": True,
        "dave@marion.example": True,
    }


def test_importing_the_same_report_twice_changes_nothing_the_second_time(
    client, staff, roster, held
):
    login(client, staff)
    upload(client, held, ZOOM_EXPORT)

    response = upload(client, held, ZOOM_EXPORT)

    assert response.context["result"].changed == 0
    assert len(changes(held)) == 2


def test_a_file_without_an_email_column_is_refused_and_changes_nothing(client, staff, roster, held):
    login(client, staff)

    response = upload(
        client,
        held,
        "Name,Join Time,Leave Time\nCarol Officer,2:00 PM,3:30 PM\nBob Chief,2:01 PM,3:29 PM\n",
    )

    assert response.status_code == 200
    assert response.context["result"] is None
    assert "No email column found." in page_text(response)
    assert marks(held) == {}
    assert changes(held) == []


def test_a_file_where_nobody_matches_changes_nothing(client, staff, roster, held):
    login(client, staff)

    response = upload(
        client, held, "Name,Email\nPat Visitor,pat@elsewhere.example\nLee,lee@else.example\n"
    )

    assert "No participant in the file matches a member of the cohort" in page_text(response)
    assert marks(held) == {}
    assert changes(held) == []


# Rates ----------------------------------------------------------------------------------------


@pytest.fixture
def two_held_sessions(cohort, roster, staff):
    """Two sessions held: Bob came to both, Carol to one, Dave to neither. A cancelled session
    and one still to come do not count."""
    from cohorts.sessions import mark_attendance

    now = timezone.now()
    first = make_session(cohort, 1, now - timedelta(days=60))
    second = make_session(cohort, 2, now - timedelta(days=30))
    cancelled = make_session(cohort, 3, now - timedelta(days=10))
    cancelled.cancel()
    make_session(cohort, 4, now + timedelta(days=20))
    bob, carol, dave = roster["command"], roster["officer"], roster["peer"]
    mark_attendance(session=first, present_user_ids={bob.pk, carol.pk}, marked_by=staff)
    mark_attendance(session=second, present_user_ids={bob.pk}, marked_by=staff)
    mark_attendance(session=cancelled, present_user_ids={dave.pk}, marked_by=staff)
    return first, second


def test_rates_per_person_team_and_cohort(cohort, two_held_sessions):
    from cohorts.sessions import attendance_rates

    rates = attendance_rates(cohort)

    assert rates.held == 2
    assert {p["membership"].user.email: (p["attended"], p["rate"]) for p in rates.people} == {
        "bob@riverton.example": (2, 1.0),
        "carol@riverton.example": (1, 0.5),
        "dave@marion.example": (0, 0.0),
    }
    teams = {t["team"].name: t for t in rates.teams}
    riverton, marion = teams["Riverton Police Department"], teams["Marion County Sheriff's Office"]
    assert (riverton["attended"], riverton["possible"], riverton["rate"]) == (3, 4, 0.75)
    assert (marion["attended"], marion["possible"], marion["rate"]) == (0, 2, 0.0)
    assert rates.cohort_rate == 0.5


def test_a_team_below_the_cohorts_goal_is_flagged(client, staff, cohort, two_held_sessions):
    cohort.attendance_goal = 75
    cohort.save()
    login(client, staff)

    response = client.get(reverse("cohorts:attendance_rates", args=[cohort.slug]))

    flagged = {t["team"].name: t["below_goal"] for t in response.context["rates"].teams}
    # Exactly at the goal is not below it.
    assert flagged == {
        "Riverton Police Department": False,
        "Marion County Sheriff's Office": True,
    }
    assert page_text(response).count("Below goal") == 1


def test_raising_the_goal_flags_a_team_that_met_the_old_one(cohort, two_held_sessions):
    from cohorts.sessions import attendance_rates

    cohort.attendance_goal = 80
    cohort.save()

    flagged = {t["team"].name: t["below_goal"] for t in attendance_rates(cohort).teams}

    assert flagged["Riverton Police Department"] is True


def test_the_csv_export_has_a_header_and_one_row_per_member(
    client, staff, cohort, two_held_sessions
):
    login(client, staff)

    response = client.get(
        reverse("cohorts:attendance_rates", args=[cohort.slug]), {"format": "csv"}
    )

    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="osw-test-attendance.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == [
        "agency",
        "email",
        "name",
        "role",
        "sessions_held",
        "attended",
        "rate_percent",
    ]
    assert sorted(rows[1:]) == [
        ["Marion County Sheriff's Office", "dave@marion.example", "Dave Deputy",
         "command_staff", "2", "0", "0.0"],
        ["Riverton Police Department", "bob@riverton.example", "Bob Chief",
         "command_staff", "2", "2", "100.0"],
        ["Riverton Police Department", "carol@riverton.example", "Carol Officer",
         "sworn", "2", "1", "50.0"],
    ]  # fmt: skip


def test_rates_before_any_session_is_held_are_empty_not_zero(client, staff, cohort, roster):
    from cohorts.sessions import attendance_rates

    make_session(cohort, 1, timezone.now() + timedelta(days=5))

    rates = attendance_rates(cohort)

    assert rates.held == 0
    assert rates.cohort_rate is None
    assert {p["rate"] for p in rates.people} == {None}
    assert not any(t["below_goal"] for t in rates.teams)
