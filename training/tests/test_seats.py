"""Seat limits, the waitlist and its automatic promotion (the logic, on any database)."""

import pytest

from conftest import make_agency
from training import seats
from training.models import Registration

from .helpers import in_days, make_event, person

pytestmark = pytest.mark.django_db


@pytest.fixture
def riverton(db):
    return make_agency("Riverton Police Department")


@pytest.fixture
def marion(db):
    return make_agency("Marion County Sheriff's Office", state="OR", kind="sheriff")


def register(event, agency, n, **kwargs):
    return seats.register(event=event, agency=agency, attendee=person(n), by=None, **kwargs)


def statuses(event) -> list[tuple[str, str]]:
    return list(event.registrations.order_by("position").values_list("name", "status"))


def test_attendees_get_seats_until_the_agency_limit_then_join_the_waitlist(riverton):
    event = make_event(capacity=10, per_agency_limit=2)

    first, second, third = (register(event, riverton, n) for n in (1, 2, 3))

    assert first.is_confirmed and second.is_confirmed
    assert third.is_waitlisted
    assert third.waitlist_reason == Registration.WaitlistReason.AGENCY_LIMIT
    assert seats.outcome_message(third) == (
        "Person 3 is on the waitlist (number 1): Riverton Police Department already has its "
        "2 seats for this training. If a seat frees that they can take, they move up "
        "automatically and we email them."
    )
    assert seats.outcome_message(first) == (
        "Person 1 has a confirmed seat at Officer Resilience Training — Mid-Atlantic."
    )


def test_a_full_room_waitlists_even_an_agency_with_seats_left(riverton, marion):
    event = make_event(capacity=3, per_agency_limit=2)
    register(event, riverton, 1)
    register(event, riverton, 2)
    register(event, marion, 3)

    late = seats.register(event=event, agency=marion, attendee=person(4, "marion.example"), by=None)

    assert late.is_waitlisted
    assert late.waitlist_reason == Registration.WaitlistReason.CAPACITY
    assert "the training is full (3 seats)" in seats.outcome_message(late)
    assert event.registrations.confirmed().count() == 3


def test_the_same_email_cannot_register_twice_for_one_training(riverton, marion):
    event = make_event()
    register(event, riverton, 1)

    with pytest.raises(seats.RegistrationRefused) as refusal:
        seats.register(
            event=event,
            agency=marion,
            attendee=seats.Attendee(
                name="Someone", rank_role="Deputy", email="PERSON1@Riverton.example "
            ),
            by=None,
        )

    assert refusal.value.field == "email"
    assert "person1@riverton.example is already registered for this training" in str(refusal.value)
    assert event.registrations.count() == 1


def test_a_cancelled_registration_frees_the_email_for_a_new_one(riverton):
    event = make_event()
    first = register(event, riverton, 1)
    seats.cancel(registration=first, by=None)

    again = register(event, riverton, 1)

    assert again.is_confirmed
    assert event.registrations.count() == 2


def test_a_cancelled_training_refuses_registrations(riverton):
    event = make_event(status="cancelled")

    with pytest.raises(
        seats.RegistrationRefused, match="was cancelled, so it takes no registrations"
    ):
        register(event, riverton, 1)
    assert not event.registrations.exists()


def test_a_past_training_refuses_registrations(riverton):
    event = make_event(date=in_days(-1))

    with pytest.raises(seats.RegistrationRefused, match="has already taken place"):
        register(event, riverton, 1)
    assert not event.registrations.exists()


def test_cancelling_a_seat_promotes_the_first_in_line_and_emails_them(
    riverton, marion, mailoutbox, django_capture_on_commit_callbacks
):
    event = make_event(capacity=2, per_agency_limit=2)
    held = register(event, riverton, 1, notify=False)
    register(event, marion, 2, notify=False)
    waiting_first = register(event, riverton, 3, notify=False)
    register(event, marion, 4, notify=False)

    with django_capture_on_commit_callbacks(execute=True):
        promoted = seats.cancel(registration=held, by=None)

    assert [r.pk for r in promoted] == [waiting_first.pk]
    assert statuses(event) == [
        ("Person 1", "cancelled"),
        ("Person 2", "confirmed"),
        ("Person 3", "confirmed"),
        ("Person 4", "waitlisted"),
    ]
    subjects = {m.to[0]: m.subject for m in mailoutbox}
    assert subjects["person3@riverton.example"] == (
        "A seat opened for you at Officer Resilience Training — Mid-Atlantic"
    )
    assert subjects["person1@riverton.example"].startswith("Your registration for")
    assert "person4@riverton.example" not in subjects


def test_promotion_passes_over_someone_whose_agency_is_at_its_limit(riverton, marion):
    event = make_event(capacity=3, per_agency_limit=2)
    register(event, riverton, 1)
    register(event, riverton, 2)
    leaving = register(event, marion, 3)
    blocked = register(event, riverton, 4)  # waits: Riverton has its two seats
    fits = seats.register(event=event, agency=marion, attendee=person(5, "m.example"), by=None)

    promoted = seats.cancel(registration=leaving, by=None)

    assert [r.pk for r in promoted] == [fits.pk]
    blocked.refresh_from_db()
    assert blocked.is_waitlisted
    assert event.registrations.confirmed().count() == 3


def test_cancelling_a_waitlisted_registration_promotes_nobody(riverton):
    event = make_event(capacity=1, per_agency_limit=1)
    register(event, riverton, 1)
    waiting = register(event, riverton, 2)
    register(event, riverton, 3)

    assert seats.cancel(registration=waiting, by=None) == []
    assert event.registrations.confirmed().count() == 1
    assert event.registrations.waitlisted().count() == 1


def test_cancelling_twice_changes_nothing(riverton, mailoutbox, django_capture_on_commit_callbacks):
    event = make_event(capacity=1, per_agency_limit=1)
    held = register(event, riverton, 1, notify=False)
    register(event, riverton, 2, notify=False)
    seats.cancel(registration=held, by=None, notify=False)

    with django_capture_on_commit_callbacks(execute=True):
        assert seats.cancel(registration=held, by=None) == []

    assert mailoutbox == []
    assert event.registrations.confirmed().count() == 1


def test_registration_emails_say_confirmed_or_waitlisted(
    riverton, mailoutbox, django_capture_on_commit_callbacks
):
    event = make_event(capacity=5, per_agency_limit=1)

    with django_capture_on_commit_callbacks(execute=True):
        register(event, riverton, 1)
        register(event, riverton, 2)

    assert [m.subject for m in mailoutbox] == [
        "Your seat at Officer Resilience Training — Mid-Atlantic is confirmed",
        "You're on the waitlist for Officer Resilience Training — Mid-Atlantic",
    ]
    assert "You are number 1 on the waitlist, because your agency has used its 1 seat" in (
        mailoutbox[1].body
    )


def test_no_email_leaves_before_the_registration_commits(riverton, mailoutbox):
    event = make_event()

    register(event, riverton, 1)

    # pytest-django holds the test's transaction open: nothing has committed, nothing sent.
    assert mailoutbox == []


def test_the_waitlist_is_served_in_order_of_arrival(riverton, marion):
    event = make_event(capacity=2, per_agency_limit=2)
    a = register(event, riverton, 1)
    b = register(event, marion, 2)
    waiting = [register(event, riverton, n) for n in (3, 4, 5)]

    seats.cancel(registration=a, by=None)
    seats.cancel(registration=b, by=None)

    assert [
        r.status
        for r in Registration.objects.filter(pk__in=[w.pk for w in waiting]).order_by("position")
    ] == [
        "confirmed",
        "confirmed",
        "waitlisted",
    ]
    assert seats.waitlist_number(Registration.objects.get(pk=waiting[2].pk)) == 1


def test_a_past_training_keeps_its_roster(riverton):
    event = make_event(capacity=1, per_agency_limit=1)
    held = register(event, riverton, 1)
    register(event, riverton, 2)
    event.date = in_days(-1)
    event.save()

    with pytest.raises(seats.RegistrationRefused, match="mark attendance instead"):
        seats.cancel(registration=held, by=None)
    held.refresh_from_db()
    assert held.is_confirmed
