"""The demo data for the training program."""

from io import StringIO

import pytest
from django.core.management import call_command

from training.models import (
    Registration,
    RequestChange,
    ResourceItem,
    TrainingEvent,
    TrainingRequest,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def demo_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def seed() -> None:
    call_command("seed_demo", stdout=StringIO())


def snapshot() -> dict:
    return {
        "events": sorted(TrainingEvent.objects.values_list("title", "date", "capacity")),
        "registrations": sorted(
            Registration.objects.values_list("event__title", "email", "status", "position")
        ),
        "requests": sorted(TrainingRequest.objects.values_list("email", "status")),
        "changes": RequestChange.objects.count(),
        "items": sorted(ResourceItem.objects.values_list("title", "published", "roles")),
    }


def test_the_demo_covers_every_part_of_the_program():
    seed()

    assert 5 <= TrainingEvent.objects.count() <= 6
    assert (
        TrainingEvent.objects.values("region").distinct().count() == TrainingEvent.objects.count()
    )
    full = [e for e in TrainingEvent.objects.with_counts() if e.is_full and e.waitlisted_count]
    assert full, "one training is full with a waitlist"
    held = [e for e in TrainingEvent.objects.with_counts() if e.is_past]
    assert held and held[0].attended_count > 0
    for event in TrainingEvent.objects.with_counts():
        assert event.confirmed_count <= event.capacity
        by_agency = event.registrations.confirmed().values("agency").distinct()
        for row in by_agency:
            assert (
                event.registrations.confirmed().filter(agency=row["agency"]).count()
                <= event.per_agency_limit
            )
    assert set(TrainingRequest.objects.values_list("status", flat=True)) == set(
        TrainingRequest.Status.values
    )
    for request in TrainingRequest.objects.all():
        assert request.changes.last().to_status == request.status
    assert ResourceItem.objects.published().count() >= 12
    assert ResourceItem.objects.published().filter(file__gt="").exists()
    kinds = set(ResourceItem.objects.values_list("kind", flat=True))
    assert kinds == set(ResourceItem.Kind.values)


def test_running_the_demo_twice_changes_nothing():
    seed()
    first = snapshot()

    seed()

    assert snapshot() == first
