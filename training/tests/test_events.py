"""Training pages: registration by coordinators, rosters, attendance and cancellation (the
evaluation is in test_evaluation.py)."""

import csv
import io

import pytest
from django.urls import reverse

from conftest import login, make_agency, make_user
from training import seats, services
from training.models import Coordinator, Registration, TrainingEvent, TrainingRequest

from .helpers import in_days, make_event, make_registration, make_request, page_text, person

pytestmark = pytest.mark.django_db


def register_url(event) -> str:
    return reverse("training:register", args=[event.pk])


def attendee_data(agency, n: int, **extra) -> dict:
    return {
        "agency": agency.pk,
        "name": f"Attendee {n}",
        "rank_role": "Sergeant",
        "email": f"attendee{n}@riverton.example",
        **extra,
    }


# Who may register --------------------------------------------------------------------------


def test_visitors_see_the_training_and_how_to_register(client):
    event = make_event(capacity=10)

    text = page_text(client.get(event.get_absolute_url()))

    assert event.title in text
    assert "10 of 10 seats left" in text
    assert "sign in to register attendees" in text
    assert "Register attendees" not in text


def test_command_staff_see_their_agencys_seats(client, command, team):
    event = make_event(per_agency_limit=3)
    make_registration(event, team.agency, 1)
    login(client, command)

    text = page_text(client.get(event.get_absolute_url()))

    assert "Your agency's seats" in text
    assert "1 of 3 confirmed" in text
    assert "2 seats left for your agency" in text


def test_an_officer_is_not_a_coordinator(client, officer, team):
    event = make_event()
    login(client, officer)

    response = client.get(register_url(event))
    assert response.status_code == 403
    assert "Only agency coordinators register attendees" in page_text(response)
    response = client.post(register_url(event), attendee_data(team.agency, 1))
    assert response.status_code == 403
    assert not Registration.objects.exists()


def test_a_designated_coordinator_registers_for_their_agency(client, staff):
    agency = make_agency("Fairview Police Department", state="OR")
    wellness = make_user("wendy@fairview.example", first="Wendy", last="Wellness")
    Coordinator.objects.create(user=wellness, agency=agency, designated_by=staff)
    event = make_event()
    login(client, wellness)

    response = client.post(register_url(event), attendee_data(agency, 1))

    assert response.status_code == 302
    assert event.registrations.get().agency == agency


def test_a_designation_for_one_training_does_not_cover_another(client, staff):
    agency = make_agency("Fairview Police Department", state="OR")
    wellness = make_user("wendy@fairview.example")
    event, other = make_event(), make_event(title="Another")
    Coordinator.objects.create(user=wellness, agency=agency, event=event, designated_by=staff)
    login(client, wellness)

    assert client.get(register_url(event)).status_code == 200
    assert client.get(register_url(other)).status_code == 403


def test_a_coordinator_cannot_register_for_another_agency(client, command, other_team):
    event = make_event()
    login(client, command)

    response = client.post(register_url(event), attendee_data(other_team.agency, 1))

    assert response.status_code == 200
    assert "You can register attendees only for an agency you coordinate." in page_text(response)
    assert not Registration.objects.exists()


# Registering -------------------------------------------------------------------------------


def test_a_coordinator_registers_until_the_limit_and_then_sees_the_waitlist(client, command, team):
    event = make_event(capacity=10, per_agency_limit=2)
    login(client, command)

    for n in (1, 2, 3):
        response = client.post(register_url(event), attendee_data(team.agency, n), follow=True)

    text = page_text(response)
    assert (
        "Attendee 3 is on the waitlist (number 1): Riverton Police Department already has its "
        "2 seats for this training." in text
    )
    assert "2 of 2 seats confirmed, 1 on the waitlist" in text
    assert "The next person joins the waitlist." in text
    assert list(event.registrations.values_list("status", flat=True).order_by("position")) == [
        "confirmed",
        "confirmed",
        "waitlisted",
    ]


def test_a_duplicate_email_is_refused_on_the_email_field(client, command, team):
    event = make_event()
    login(client, command)
    client.post(register_url(event), attendee_data(team.agency, 1))

    response = client.post(
        register_url(event),
        attendee_data(team.agency, 9, email="Attendee1@Riverton.example"),
    )

    assert response.status_code == 200
    assert response.context["form"].errors["email"] == [
        "attendee1@riverton.example is already registered for this training (Attendee 1, "
        "Riverton Police Department, a confirmed seat). Each person registers once."
    ]
    assert event.registrations.count() == 1


def test_a_cancelled_training_takes_no_registrations(client, command, team):
    event = make_event(status="cancelled")
    login(client, command)

    response = client.post(register_url(event), attendee_data(team.agency, 1), follow=True)

    assert "was cancelled, so it takes no registrations" in page_text(response)
    assert not Registration.objects.exists()


def test_a_coordinator_cancels_a_seat_and_the_waitlist_moves_up(
    client, command, team, mailoutbox, django_capture_on_commit_callbacks
):
    event = make_event(capacity=5, per_agency_limit=1)
    first = seats.register(
        event=event, agency=team.agency, attendee=person(1), by=None, notify=False
    )
    second = seats.register(
        event=event, agency=team.agency, attendee=person(2), by=None, notify=False
    )
    login(client, command)
    url = reverse("training:registration_cancel", args=[event.pk, first.pk])

    assert "Cancel Person 1's registration?" in page_text(client.get(url))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, follow=True)

    text = page_text(response)
    assert "Person 1's registration is cancelled." in text
    assert "Person 2 (Riverton Police Department) moved up from the waitlist" in text
    second.refresh_from_db()
    assert second.is_confirmed
    assert {m.to[0] for m in mailoutbox} == {"person1@riverton.example", "person2@riverton.example"}


def test_coordinators_of_other_agencies_get_404_for_a_registration(client, peer, team):
    event = make_event()
    registration = make_registration(event, team.agency, 1)
    login(client, peer)

    url = reverse("training:registration_cancel", args=[event.pk, registration.pk])
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    registration.refresh_from_db()
    assert registration.is_confirmed


# Staff: rosters, attendance, the sign-in sheet ---------------------------------------------


def test_the_roster_lists_seats_and_the_waitlist_in_order(client, staff, team, other_team):
    event = make_event(capacity=2, per_agency_limit=1)
    make_registration(event, team.agency, 1)
    make_registration(event, other_team.agency, 2)
    make_registration(event, team.agency, 3, status="waitlisted", waitlist_reason="agency_limit")
    login(client, staff)

    response = client.get(reverse("training:roster", args=[event.pk]))

    # By agency, then in order of registration.
    assert [r.name for r in response.context["confirmed"]] == ["Person 2", "Person 1"]
    assert [r.name for r in response.context["waitlisted"]] == ["Person 3"]
    assert "Attendance can be marked from the day of the training." in page_text(response)


def test_staff_mark_attendance_on_the_day(client, staff, team):
    event = make_event(date=in_days(0))
    came = make_registration(event, team.agency, 1)
    missed = make_registration(event, team.agency, 2)
    login(client, staff)

    response = client.post(
        reverse("training:roster", args=[event.pk]), {"present": [str(came.pk)]}, follow=True
    )

    assert "Attendance saved (2 changes)." in page_text(response)
    came.refresh_from_db()
    missed.refresh_from_db()
    assert (came.attended, missed.attended) == (True, False)
    assert came.attendance_marked_by == staff


def test_attendance_cannot_be_marked_before_the_day(client, staff, team):
    event = make_event(date=in_days(3))
    registration = make_registration(event, team.agency, 1)
    login(client, staff)

    client.post(reverse("training:roster", args=[event.pk]), {"present": [str(registration.pk)]})

    registration.refresh_from_db()
    assert registration.attended is None


def test_the_roster_csv_lists_active_registrations_safely(client, staff, team):
    event = make_event(capacity=1, per_agency_limit=1)
    make_registration(event, team.agency, 1, rank_role='=HYPERLINK("http://x")')
    make_registration(event, team.agency, 2, status="waitlisted", waitlist_reason="capacity")
    make_registration(event, team.agency, 3, status="cancelled")
    login(client, staff)

    response = client.get(reverse("training:roster_csv", args=[event.pk]))

    assert response["Content-Type"].startswith("text/csv")
    assert "attachment;" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [(r["name"], r["status"], r["waitlist_position"]) for r in rows] == [
        ("Person 1", "confirmed", ""),
        ("Person 2", "waitlisted", "1"),
    ]
    assert rows[0]["rank_role"].startswith("'=")


def test_the_sign_in_sheet_lists_confirmed_attendees_only(client, staff, team):
    event = make_event(capacity=1, per_agency_limit=1)
    make_registration(event, team.agency, 1)
    make_registration(event, team.agency, 2, status="waitlisted")
    login(client, staff)

    text = page_text(client.get(reverse("training:sign_in_sheet", args=[event.pk])))

    assert "Sign-in sheet: Officer Resilience Training — Mid-Atlantic" in text
    assert "Person 1" in text
    assert "Person 2" not in text
    assert "js/print.js" in text


@pytest.mark.parametrize("who", ["command", "officer", "outsider"])
def test_members_cannot_use_staff_training_pages(client, request, who, team):
    event = make_event()
    make_registration(event, team.agency, 1)
    login(client, request.getfixturevalue(who))

    for name in [
        "roster",
        "roster_csv",
        "sign_in_sheet",
        "evaluation",
        "event_edit",
        "event_cancel",
    ]:
        assert client.get(reverse(f"training:{name}", args=[event.pk])).status_code == 403, name
    assert client.post(reverse("training:event_cancel", args=[event.pk])).status_code == 403
    assert client.get(reverse("training:event_create")).status_code == 403
    assert client.get(reverse("training:coordinators")).status_code == 403
    event.refresh_from_db()
    assert not event.is_cancelled


# Staff: changing and cancelling a training -------------------------------------------------


def test_a_bigger_room_moves_the_waitlist_up(
    client, staff, team, other_team, mailoutbox, django_capture_on_commit_callbacks
):
    event = make_event(capacity=1, per_agency_limit=1)
    make_registration(event, team.agency, 1)
    waiting = make_registration(event, other_team.agency, 2, status="waitlisted")
    login(client, staff)
    data = {
        "title": event.title, "date": event.date.isoformat(), "start_time": "08:30",
        "end_time": "16:30", "venue": event.venue, "address": event.address,
        "region": event.region, "capacity": "2", "per_agency_limit": "1", "description": "",
    }  # fmt: skip

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("training:event_edit", args=[event.pk]), data, follow=True)

    assert "Person 2 (Marion County Sheriff's Office) moved up from the waitlist" in page_text(
        response
    )
    waiting.refresh_from_db()
    assert waiting.is_confirmed
    assert [m.to[0] for m in mailoutbox] == [waiting.email]


def test_the_room_cannot_shrink_below_the_confirmed_seats(client, staff, team, other_team):
    event = make_event(capacity=4, per_agency_limit=2)
    for n in (1, 2):
        make_registration(event, team.agency, n)
    make_registration(event, other_team.agency, 3)
    login(client, staff)
    data = {
        "title": event.title, "date": event.date.isoformat(), "start_time": "08:30",
        "end_time": "16:30", "venue": event.venue, "address": event.address,
        "region": event.region, "capacity": "2", "per_agency_limit": "1", "description": "",
    }  # fmt: skip

    response = client.post(reverse("training:event_edit", args=[event.pk]), data)

    errors = response.context["form"].errors
    assert "3 people already have confirmed seats" in errors["capacity"][0]
    assert "An agency already has 2 confirmed seats" in errors["per_agency_limit"][0]
    event.refresh_from_db()
    assert (event.capacity, event.per_agency_limit) == (4, 2)


def test_cancelling_a_training_emails_everyone_and_reopens_its_requests(
    client, staff, team, mailoutbox, django_capture_on_commit_callbacks
):
    event = make_event(capacity=1, per_agency_limit=1)
    make_registration(event, team.agency, 1)
    make_registration(event, team.agency, 2, status="waitlisted")
    make_registration(event, team.agency, 3, status="cancelled")
    request = make_request(status="scheduled", event=event)
    login(client, staff)
    url = reverse("training:event_cancel", args=[event.pk])

    assert "This cannot be undone." in page_text(client.get(url))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"note": "The venue flooded."}, follow=True)

    assert "is cancelled; 2 registered people have been emailed." in page_text(response)
    event.refresh_from_db()
    assert event.is_cancelled
    assert sorted(m.to[0] for m in mailoutbox) == sorted(
        [f"person1@{team.agency.pk}.example", f"person2@{team.agency.pk}.example", request.email]
    )
    assert all("The venue flooded." in m.body for m in mailoutbox)
    request.refresh_from_db()
    assert (request.status, request.event) == (TrainingRequest.Status.UNDER_REVIEW, None)
    assert request.changes.last().from_status == "scheduled"


def test_a_cancelled_training_cannot_be_cancelled_again(staff):
    event = make_event(status="cancelled")
    with pytest.raises(services.TrainingError):
        services.cancel_event(event=event, by=staff)


# Staff: coordinators -----------------------------------------------------------------------


def test_staff_designate_and_remove_a_coordinator(client, staff, team):
    wellness = make_user("wendy@riverton.example", first="Wendy", last="Wellness")
    login(client, staff)

    response = client.post(
        reverse("training:coordinators"),
        {"email": "WENDY@riverton.example", "agency": team.agency.pk, "event": ""},
        follow=True,
    )
    assert "Wendy Wellness can now register attendees for Riverton Police Department." in (
        page_text(response)
    )
    designation = Coordinator.objects.get()
    assert (designation.user, designation.event, designation.designated_by) == (
        wellness,
        None,
        staff,
    )

    again = client.post(
        reverse("training:coordinators"),
        {"email": "wendy@riverton.example", "agency": team.agency.pk, "event": ""},
    )
    assert "already coordinates Riverton Police Department for every training" in page_text(again)

    client.post(reverse("training:coordinator_remove", args=[designation.pk]))
    assert not Coordinator.objects.exists()


def test_designating_someone_without_an_account_is_refused(client, staff, team):
    login(client, staff)

    response = client.post(
        reverse("training:coordinators"),
        {"email": "nobody@nowhere.example", "agency": team.agency.pk, "event": ""},
    )

    assert "Nobody has an account with nobody@nowhere.example" in page_text(response)
    assert not Coordinator.objects.exists()


def test_the_events_list_shows_upcoming_and_past(client):
    make_event(title="Coming up", date=in_days(10))
    make_event(title="Already held", date=in_days(-10))
    make_event(title="Called off", date=in_days(20), status="cancelled")

    upcoming = page_text(client.get(reverse("training:events")))
    past = page_text(client.get(reverse("training:events") + "?show=past"))

    assert "Coming up" in upcoming and "Called off" in upcoming
    assert "Already held" not in upcoming
    assert "Already held" in past and "Coming up" not in past
    assert TrainingEvent.objects.count() == 3
