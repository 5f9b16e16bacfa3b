"""Two coordinators racing for the last seat on PostgreSQL: one seat, one waitlist."""

import threading

import pytest
from django.db import close_old_connections, connection

from conftest import make_agency
from training import seats
from training.models import Registration

from .helpers import make_event, person

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def race(event, entries) -> list:
    """Register every (agency, attendee) at the same moment, each in its own connection."""
    barrier = threading.Barrier(len(entries))
    outcomes: list = [None] * len(entries)

    def attempt(index: int, agency, attendee) -> None:
        close_old_connections()
        try:
            barrier.wait(timeout=10)
            outcomes[index] = seats.register(
                event=event, agency=agency, attendee=attendee, by=None, notify=False
            )
        except Exception as error:  # noqa: BLE001 - reported by the assertions below
            outcomes[index] = error
        finally:
            connection.close()

    threads = [
        threading.Thread(target=attempt, args=(i, agency, attendee))
        for i, (agency, attendee) in enumerate(entries)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


def test_two_agencies_racing_for_the_last_seat_in_the_room():
    riverton = make_agency("Riverton Police Department")
    marion = make_agency("Marion County Sheriff's Office", state="OR")
    event = make_event(capacity=2, per_agency_limit=2)
    seats.register(event=event, agency=riverton, attendee=person(1), by=None, notify=False)

    outcomes = race(event, [(riverton, person(2)), (marion, person(3, "marion.example"))])

    assert all(isinstance(o, Registration) for o in outcomes), outcomes
    assert sorted(o.status for o in outcomes) == ["confirmed", "waitlisted"]
    assert event.registrations.confirmed().count() == 2
    waiting = event.registrations.waitlisted().get()
    assert waiting.waitlist_reason == Registration.WaitlistReason.CAPACITY


def test_one_agency_racing_for_its_last_seat():
    riverton = make_agency("Riverton Police Department")
    event = make_event(capacity=20, per_agency_limit=2)
    seats.register(event=event, agency=riverton, attendee=person(1), by=None, notify=False)

    outcomes = race(event, [(riverton, person(n)) for n in (2, 3, 4, 5)])

    assert all(isinstance(o, Registration) for o in outcomes), outcomes
    assert event.registrations.confirmed().filter(agency=riverton).count() == 2
    assert event.registrations.waitlisted().count() == 3
    assert sorted(event.registrations.values_list("position", flat=True)) == [1, 2, 3, 4, 5]


def test_the_same_person_registered_twice_at_once_is_kept_once():
    riverton = make_agency("Riverton Police Department")
    event = make_event()

    outcomes = race(event, [(riverton, person(7)), (riverton, person(7))])

    kept = [o for o in outcomes if isinstance(o, Registration)]
    refused = [o for o in outcomes if isinstance(o, seats.RegistrationRefused)]
    assert len(kept) == 1 and len(refused) == 1, outcomes
    assert event.registrations.count() == 1
