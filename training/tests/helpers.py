"""Small builders for the training tests."""

import html
from datetime import date, time, timedelta

from django.utils import timezone

from training.models import Registration, TrainingEvent, TrainingRequest
from training.seats import Attendee


def in_days(days: int) -> date:
    return timezone.localdate() + timedelta(days=days)


def make_event(**extra) -> TrainingEvent:
    values = {
        "title": "Officer Resilience Training — Mid-Atlantic",
        "date": in_days(30),
        "start_time": time(8, 30),
        "end_time": time(16, 30),
        "venue": "Riverton Training Center",
        "address": "1 Academy Drive, Riverton, VA",
        "region": "mid_atlantic",
        "capacity": 10,
        "per_agency_limit": 3,
    }
    values.update(extra)
    return TrainingEvent.objects.create(**values)


def make_request(**extra) -> TrainingRequest:
    values = {
        "agency_name": "Fairview Police Department",
        "contact_name": "Pat Rivera",
        "email": "pat@fairview.example",
        "phone": "555-010-0199",
        "region": "pacific",
        "expected_attendees": 12,
        "preferred_date": in_days(60),
    }
    values.update(extra)
    request = TrainingRequest.objects.create(**values)
    request.changes.create(from_status="", to_status=request.status)
    return request


def person(n: int, domain: str = "riverton.example") -> Attendee:
    return Attendee(name=f"Person {n}", rank_role="Officer", email=f"person{n}@{domain}")


def make_registration(event, agency, n: int, status="confirmed", **extra) -> Registration:
    last = event.registrations.order_by("-position").values_list("position", flat=True).first()
    values = {
        "event": event,
        "agency": agency,
        "name": f"Person {n}",
        "rank_role": "Officer",
        "email": f"person{n}@{agency.pk}.example",
        "status": status,
        "position": (last or 0) + 1,
    }
    values.update(extra)
    return Registration.objects.create(**values)


def page_text(response) -> str:
    return html.unescape(response.content.decode())
