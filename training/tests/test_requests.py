"""The public request form, its spam protection, and the staff workflow with its emails."""

import pytest
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.urls import reverse

from conftest import login
from training import services
from training.models import RequestChange, TrainingEvent, TrainingRequest

from .helpers import in_days, make_event, make_request, page_text

pytestmark = pytest.mark.django_db

FORM_URL = "/training/request/"


def form_data(**overrides) -> dict:
    data = {
        "agency_name": "Fairview Police Department",
        "region": "pacific",
        "expected_attendees": "14",
        "contact_name": "Pat Rivera",
        "email": "pat@fairview.example",
        "phone": "(555) 010-0199",
        "preferred_date": in_days(45).isoformat(),
        "alternate_date": in_days(52).isoformat(),
        "second_alternate_date": "",
        "notes": "Patrol and dispatch together.",
        "website": "",
    }
    data.update(overrides)
    return data


def submit(client, capture, **overrides):
    with capture(execute=True):
        return client.post(FORM_URL, form_data(**overrides))


# The form ----------------------------------------------------------------------------------


def test_a_visitor_requests_a_training_and_is_emailed_a_confirmation(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    response = submit(client, django_capture_on_commit_callbacks)

    assert response.status_code == 302
    assert response["Location"] == reverse("training:request_thanks")
    request = TrainingRequest.objects.get()
    assert request.status == TrainingRequest.Status.RECEIVED
    assert request.expected_attendees == 14
    assert request.preferred_dates == [in_days(45), in_days(52)]
    assert list(request.changes.values_list("from_status", "to_status")) == [("", "received")]
    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.to == ["pat@fairview.example"]
    assert email.subject == "We received your training request"
    assert "Fairview Police Department" in email.body
    assert f"{in_days(45):%B} {in_days(45).day}, {in_days(45).year}" in email.body


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("preferred_date", in_days(-3).isoformat(), "is not in the future"),
        ("preferred_date", in_days(0).isoformat(), "is not in the future"),
        ("alternate_date", in_days(-1).isoformat(), "is not in the future"),
        ("preferred_date", in_days(800).isoformat(), "within the next two years"),
        ("alternate_date", in_days(45).isoformat(), "is the same date as the first choice"),
        ("expected_attendees", "0", "At least one person needs to attend."),
        ("expected_attendees", "-4", "At least one person needs to attend."),
        ("expected_attendees", "501", "One request covers up to 500 attendees"),
        ("expected_attendees", "100000", "One request covers up to 500 attendees"),
        ("expected_attendees", "lots", "whole number"),
        ("phone", "call me maybe", "Enter a phone number"),
        ("email", "not-an-email", "Enter a valid email address."),
        ("region", "atlantis", "Select a valid choice."),
    ],
)
def test_bad_input_is_refused_with_a_clear_message_and_nothing_is_saved(
    client, mailoutbox, django_capture_on_commit_callbacks, field, value, message
):
    response = submit(client, django_capture_on_commit_callbacks, **{field: value})

    assert response.status_code == 200
    assert message in page_text(response)
    assert "nothing has been sent yet" in page_text(response)
    # What the visitor typed is still in the form.
    assert response.context["form"]["agency_name"].value() == "Fairview Police Department"
    assert not TrainingRequest.objects.exists()
    assert not RequestChange.objects.exists()
    assert mailoutbox == []


def test_the_database_refuses_an_absurd_attendee_count_too():
    with pytest.raises(IntegrityError), transaction.atomic():
        make_request(expected_attendees=0)


def test_the_honeypot_answers_like_a_real_request_but_keeps_nothing(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    response = submit(client, django_capture_on_commit_callbacks, website="http://spam.example")

    assert response.status_code == 302
    assert response["Location"] == reverse("training:request_thanks")
    assert not TrainingRequest.objects.exists()
    assert mailoutbox == []


def test_the_honeypot_is_hidden_from_people_and_screen_readers(client):
    text = client.get(FORM_URL).content.decode()

    start = text.index('<div class="visually-hidden" aria-hidden="true">')
    hidden = text[start : text.index("</div>", start)]
    assert 'name="website"' in hidden
    assert 'tabindex="-1"' in hidden
    assert 'autocomplete="off"' in hidden
    assert "Leave this field empty" in hidden


def test_the_sixth_request_in_an_hour_from_one_address_gets_a_429(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    for n in range(5):
        response = submit(client, django_capture_on_commit_callbacks, email=f"p{n}@x.example")
        assert response.status_code == 302

    response = submit(client, django_capture_on_commit_callbacks, email="p6@x.example")

    assert response.status_code == 429
    assert response["Retry-After"] == "3600"
    assert "Too many requests from your network" in page_text(response)
    assert "Nothing from this attempt was saved" in page_text(response)
    assert TrainingRequest.objects.count() == 5
    assert len(mailoutbox) == 5


def test_honeypot_hits_count_towards_the_limit(client, django_capture_on_commit_callbacks):
    for _ in range(5):
        submit(client, django_capture_on_commit_callbacks, website="spam")

    response = submit(client, django_capture_on_commit_callbacks)

    assert response.status_code == 429
    assert not TrainingRequest.objects.exists()


def test_the_limit_is_per_client_address(client, django_capture_on_commit_callbacks):
    for n in range(5):
        submit(client, django_capture_on_commit_callbacks, email=f"p{n}@x.example")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(FORM_URL, form_data(), REMOTE_ADDR="198.51.100.7")

    assert response.status_code == 302
    assert TrainingRequest.objects.count() == 6


def test_corrections_do_not_use_up_the_limit(client, django_capture_on_commit_callbacks):
    for _ in range(8):
        submit(client, django_capture_on_commit_callbacks, expected_attendees="0")

    response = submit(client, django_capture_on_commit_callbacks)

    assert response.status_code == 302
    assert TrainingRequest.objects.count() == 1


def test_the_limit_follows_the_setting(client, settings, django_capture_on_commit_callbacks):
    settings.TRAINING_REQUEST_RATE = (1, 60)
    assert submit(client, django_capture_on_commit_callbacks).status_code == 302
    assert submit(client, django_capture_on_commit_callbacks).status_code == 429


def test_the_limiter_does_not_keep_the_address(
    client, settings, django_capture_on_commit_callbacks
):
    # A process-local cache, whose keys can be listed, whatever the run is configured with.
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "t"}
    }
    submit(client, django_capture_on_commit_callbacks)

    keys = [key for key in cache._cache if "training" in key]
    assert keys
    assert not any("127.0.0.1" in key for key in keys)


# The staff workflow ------------------------------------------------------------------------


def test_staff_start_the_review_and_the_requester_is_emailed(
    client, staff, mailoutbox, django_capture_on_commit_callbacks
):
    request = make_request()
    login(client, staff)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("training:request_review", args=[request.pk]), {"note": "Checking dates"}
        )

    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == TrainingRequest.Status.UNDER_REVIEW
    change = request.changes.last()
    assert (change.from_status, change.to_status, change.by, change.note) == (
        "received",
        "under_review",
        staff,
        "Checking dates",
    )
    assert [m.subject for m in mailoutbox] == ["Your training request is under review"]
    assert mailoutbox[0].to == ["pat@fairview.example"]


def test_staff_schedule_a_request_into_an_existing_training(
    client, staff, mailoutbox, django_capture_on_commit_callbacks
):
    request = make_request(status="under_review")
    event = make_event(venue="Lakewood Justice Center", per_agency_limit=4)
    login(client, staff)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("training:request_schedule", args=[request.pk]),
            {"mode": "existing", "event": event.pk, "note": ""},
        )

    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == TrainingRequest.Status.SCHEDULED
    assert request.event == event
    assert request.changes.last().to_status == "scheduled"
    assert [m.subject for m in mailoutbox] == ["Your training is scheduled"]
    body = mailoutbox[0].body
    assert event.title in body
    assert "Lakewood Justice Center" in body
    assert f"{event.date:%B} {event.date.day}, {event.date.year}" in body
    assert "up to 4 per agency" in body


def test_staff_schedule_a_request_by_creating_a_training(
    client, staff, mailoutbox, django_capture_on_commit_callbacks
):
    request = make_request()
    login(client, staff)
    data = {
        "mode": "new",
        "new-title": "Officer Resilience Training — Pacific",
        "new-date": in_days(70).isoformat(),
        "new-start_time": "08:30",
        "new-end_time": "16:30",
        "new-venue": "Fairview Hall",
        "new-address": "1 Main St, Fairview, OR",
        "new-region": "pacific",
        "new-capacity": "20",
        "new-per_agency_limit": "2",
        "new-description": "",
    }

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("training:request_schedule", args=[request.pk]), data)

    assert response.status_code == 302
    event = TrainingEvent.objects.get()
    assert (event.capacity, event.per_agency_limit, event.created_by) == (20, 2, staff)
    request.refresh_from_db()
    assert request.event == event
    assert "Fairview Hall" in mailoutbox[0].body


def test_a_bad_new_training_saves_nothing(client, staff, mailoutbox):
    request = make_request()
    login(client, staff)

    response = client.post(
        reverse("training:request_schedule", args=[request.pk]),
        {
            "mode": "new",
            "new-title": "Too small",
            "new-date": in_days(-2).isoformat(),
            "new-start_time": "16:00",
            "new-end_time": "09:00",
            "new-venue": "Hall",
            "new-address": "1 Main St",
            "new-region": "pacific",
            "new-capacity": "5",
            "new-per_agency_limit": "8",
        },
    )

    assert response.status_code == 200
    text = page_text(response)
    assert "A training cannot be scheduled in the past." in text
    assert "The training must end after it starts." in text
    assert "An agency cannot have more seats than the room holds (5)." in text
    assert not TrainingEvent.objects.exists()
    request.refresh_from_db()
    assert request.status == TrainingRequest.Status.RECEIVED
    assert mailoutbox == []


def test_declining_needs_a_reason(client, staff, mailoutbox):
    request = make_request()
    login(client, staff)

    response = client.post(reverse("training:request_decline", args=[request.pk]), {"reason": " "})

    assert response.status_code == 200
    assert "This field is required." in page_text(response)
    request.refresh_from_db()
    assert request.status == TrainingRequest.Status.RECEIVED
    assert mailoutbox == []


def test_declining_emails_the_reason(client, staff, mailoutbox, django_capture_on_commit_callbacks):
    request = make_request()
    login(client, staff)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("training:request_decline", args=[request.pk]),
            {"reason": "We cannot travel to Alaska this year."},
        )

    request.refresh_from_db()
    assert request.status == TrainingRequest.Status.DECLINED
    assert request.decline_reason == "We cannot travel to Alaska this year."
    assert request.changes.last().note == "We cannot travel to Alaska this year."
    assert mailoutbox[0].subject == "About your training request"
    assert "Reason: We cannot travel to Alaska this year." in mailoutbox[0].body


def test_the_database_refuses_a_declined_request_without_a_reason():
    request = make_request()
    with pytest.raises(IntegrityError), transaction.atomic():
        TrainingRequest.objects.filter(pk=request.pk).update(status="declined")


def test_a_finished_request_cannot_move_again(client, staff, mailoutbox):
    declined = make_request(status="declined", decline_reason="No budget")
    event = make_event()
    login(client, staff)

    response = client.post(
        reverse("training:request_schedule", args=[declined.pk]),
        {"mode": "existing", "event": event.pk},
        follow=True,
    )

    assert "This request is declined; it cannot be scheduled." in page_text(response)
    with pytest.raises(services.TrainingError, match="cannot be moved"):
        services.start_review(request=declined, by=staff)
    declined.refresh_from_db()
    assert declined.status == "declined"
    assert declined.changes.count() == 1
    assert mailoutbox == []


def test_a_cancelled_or_past_training_cannot_be_chosen(staff):
    request = make_request()
    cancelled = make_event(status="cancelled")
    past = make_event(date=in_days(-1))

    for event in (cancelled, past):
        with pytest.raises(services.TrainingError):
            services.schedule_request(request=request, event=event, by=staff)
    request.refresh_from_db()
    assert request.status == "received"


def test_the_queue_filters_by_status(client, staff):
    make_request(agency_name="Received PD")
    make_request(agency_name="Reviewing PD", status="under_review")
    make_request(agency_name="Declined PD", status="declined", decline_reason="No")
    make_request(agency_name="Scheduled PD", status="scheduled", event=make_event())
    login(client, staff)

    everything = page_text(client.get(reverse("training:requests")))
    declined = page_text(client.get(reverse("training:requests") + "?status=declined"))

    for name in ["Received PD", "Reviewing PD", "Declined PD", "Scheduled PD"]:
        assert name in everything
    assert "Declined PD" in declined
    assert "Received PD" not in declined
    assert "Scheduled PD" not in declined


def test_the_request_page_shows_the_history(client, staff):
    request = make_request()
    services.start_review(request=request, by=staff, note="Looking at the Pacific dates")
    login(client, staff)

    text = page_text(client.get(request.get_absolute_url()))

    assert "Received → Under review" in text
    assert "Looking at the Pacific dates" in text
    assert "Alice Organiser" in text


@pytest.mark.parametrize("who", ["officer", "command", "outsider"])
def test_members_never_see_the_queue(client, request, who):
    user = request.getfixturevalue(who)
    training_request = make_request()
    login(client, user)

    for url in [
        reverse("training:requests"),
        training_request.get_absolute_url(),
        reverse("training:request_schedule", args=[training_request.pk]),
        reverse("training:request_decline", args=[training_request.pk]),
    ]:
        assert client.get(url).status_code == 403
    assert (
        client.post(reverse("training:request_review", args=[training_request.pk])).status_code
        == 403
    )
    training_request.refresh_from_db()
    assert training_request.status == "received"


def test_a_scheduled_request_cannot_be_declined(client, staff, mailoutbox):
    request = make_request(status="scheduled", event=make_event())
    login(client, staff)

    response = client.post(
        reverse("training:request_decline", args=[request.pk]),
        {"reason": "Changed our mind"},
        follow=True,
    )

    assert "This request is scheduled; it cannot be declined." in page_text(response)
    request.refresh_from_db()
    assert (request.status, request.decline_reason) == ("scheduled", "")
    assert mailoutbox == []
