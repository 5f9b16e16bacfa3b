"""The program's emails. Each is sent after the change it reports has committed, and reads
what it needs afresh, by id."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string

from .models import Registration, RequestChange, TrainingEvent, TrainingRequest


def _send(*, to: str, subject: str, template: str, context: dict) -> None:
    context = {**context, "site_url": settings.SITE_URL}
    send_mail(
        subject=subject,
        message=render_to_string(f"training/email/{template}", context),
        from_email=None,
        recipient_list=[to],
    )


def send_request_received(request_id: int) -> None:
    request = TrainingRequest.objects.get(pk=request_id)
    _send(
        to=request.email,
        subject="We received your training request",
        template="request_received.txt",
        context={"request": request},
    )


SUBJECTS = {
    TrainingRequest.Status.UNDER_REVIEW: "Your training request is under review",
    TrainingRequest.Status.SCHEDULED: "Your training is scheduled",
    TrainingRequest.Status.DECLINED: "About your training request",
}


def send_request_status(change_id: int) -> None:
    change = RequestChange.objects.select_related("request__event").get(pk=change_id)
    request = change.request
    _send(
        to=request.email,
        subject=SUBJECTS[change.to_status],
        template="request_status.txt",
        context={"request": request, "change": change, "event": request.event},
    )


def send_registration_notice(registration_id: int) -> None:
    from .seats import waitlist_number

    registration = Registration.objects.select_related("event", "agency").get(pk=registration_id)
    if registration.status == Registration.Status.CANCELLED:
        return
    event = registration.event
    context = {"registration": registration, "event": event}
    if registration.is_waitlisted:
        context["number"] = waitlist_number(registration)
        subject = f"You're on the waitlist for {event.title}"
    else:
        subject = f"Your seat at {event.title} is confirmed"
    _send(to=registration.email, subject=subject, template="registration.txt", context=context)


def send_promotion_notices(registration_ids: list[int]) -> None:
    registrations = Registration.objects.select_related("event", "agency").filter(
        pk__in=registration_ids, status=Registration.Status.CONFIRMED
    )
    for registration in registrations:
        _send(
            to=registration.email,
            subject=f"A seat opened for you at {registration.event.title}",
            template="promoted.txt",
            context={"registration": registration, "event": registration.event},
        )


def send_cancellation_notice(registration_id: int) -> None:
    registration = Registration.objects.select_related("event", "agency").get(pk=registration_id)
    _send(
        to=registration.email,
        subject=f"Your registration for {registration.event.title} was cancelled",
        template="registration_cancelled.txt",
        context={"registration": registration, "event": registration.event},
    )


def send_event_cancelled(
    event_id: int, registration_ids: list[int], request_ids: list[int]
) -> None:
    event = TrainingEvent.objects.get(pk=event_id)
    for registration in event.registrations.filter(pk__in=registration_ids):
        _send(
            to=registration.email,
            subject=f"Cancelled: {event.title}",
            template="event_cancelled.txt",
            context={"event": event, "name": registration.name},
        )
    for request in TrainingRequest.objects.filter(pk__in=request_ids):
        _send(
            to=request.email,
            subject=f"Cancelled: {event.title}",
            template="event_cancelled.txt",
            context={"event": event, "name": request.contact_name, "request": request},
        )
