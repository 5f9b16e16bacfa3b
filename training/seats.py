"""Seats at a regional training: registration, the waitlist and cancellations.

Every change locks the training's row first (``select_for_update``; on SQLite the immediate
transaction serialises writers), then counts, so two coordinators registering at the same
moment can never take one seat more than the room or the agency's limit allows.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Q
from django.utils import timezone

from accounts.models import User
from cohorts.models import Agency

from . import emails
from .models import Registration, TrainingEvent


class RegistrationRefused(Exception):
    """The registration or cancellation was refused; the message says why, for people.

    ``field`` names the form field the refusal is about, when there is one.
    """

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class Attendee:
    name: str
    rank_role: str
    email: str


def _locked(event_id: int) -> TrainingEvent:
    return TrainingEvent.objects.select_for_update().get(pk=event_id)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


@transaction.atomic
def register(
    *,
    event: TrainingEvent,
    agency: Agency,
    attendee: Attendee,
    by: User | None,
    notify: bool = True,
) -> Registration:
    """Give ``attendee`` a seat if the training and the agency have one left, else a place on
    the waitlist. Refuses a cancelled or past training and a second registration of one email.
    """
    locked = _locked(event.pk)
    if locked.is_cancelled:
        raise RegistrationRefused(f"{locked.title} was cancelled, so it takes no registrations.")
    if locked.is_past:
        raise RegistrationRefused(f"{locked.title} has already taken place.")
    email = attendee.email.strip().lower()
    existing = locked.registrations.active().filter(email=email).select_related("agency").first()
    if existing is not None:
        raise RegistrationRefused(_duplicate_message(existing), field="email")

    counts = locked.registrations.confirmed().aggregate(
        total=Count("pk"), agency=Count("pk", filter=Q(agency=agency))
    )
    if counts["agency"] >= locked.per_agency_limit:
        status, reason = Registration.Status.WAITLISTED, Registration.WaitlistReason.AGENCY_LIMIT
    elif counts["total"] >= locked.capacity:
        status, reason = Registration.Status.WAITLISTED, Registration.WaitlistReason.CAPACITY
    else:
        status, reason = Registration.Status.CONFIRMED, ""
    position = (locked.registrations.aggregate(last=Max("position"))["last"] or 0) + 1
    try:
        with transaction.atomic():
            registration = Registration.objects.create(
                event=locked,
                agency=agency,
                name=attendee.name.strip(),
                rank_role=attendee.rank_role.strip(),
                email=email,
                status=status,
                waitlist_reason=reason,
                position=position,
                registered_by=by,
            )
    except IntegrityError as exc:
        raise RegistrationRefused(
            f"{email} is already registered for this training.", field="email"
        ) from exc
    registration.event = locked
    registration.agency = agency
    if notify:
        transaction.on_commit(lambda: emails.send_registration_notice(registration.pk), robust=True)
    return registration


def _duplicate_message(existing: Registration) -> str:
    where = "a confirmed seat" if existing.is_confirmed else "a place on the waitlist"
    return (
        f"{existing.email} is already registered for this training ({existing.name}, "
        f"{existing.agency.name}, {where}). Each person registers once."
    )


def waitlist_number(registration: Registration) -> int:
    """The registration's place in the training's waitlist, counting from 1."""
    return Registration.objects.filter(
        event_id=registration.event_id,
        status=Registration.Status.WAITLISTED,
        position__lte=registration.position,
    ).count()


def outcome_message(registration: Registration) -> str:
    """What the coordinator is told after registering someone."""
    event, agency = registration.event, registration.agency
    if registration.is_confirmed:
        return f"{registration.name} has a confirmed seat at {event.title}."
    number = waitlist_number(registration)
    if registration.waitlist_reason == Registration.WaitlistReason.AGENCY_LIMIT:
        why = (
            f"{agency.name} already has its {_plural(event.per_agency_limit, 'seat')} "
            "for this training"
        )
    else:
        why = f"the training is full ({_plural(event.capacity, 'seat')})"
    return (
        f"{registration.name} is on the waitlist (number {number}): {why}. If a seat frees "
        "that they can take, they move up automatically and we email them."
    )


@transaction.atomic
def cancel(
    *, registration: Registration, by: User | None, notify: bool = True
) -> list[Registration]:
    """Cancel a registration; a freed seat goes to the first waitlisted person who fits.

    Returns the registrations promoted from the waitlist.
    """
    locked = _locked(registration.event_id)
    current = Registration.objects.get(pk=registration.pk)
    if current.status == Registration.Status.CANCELLED:
        return []
    if locked.is_past:
        raise RegistrationRefused(
            f"{locked.title} has already taken place: mark attendance instead of cancelling."
        )
    freed_seat = current.is_confirmed
    current.status = Registration.Status.CANCELLED
    current.waitlist_reason = ""
    current.cancelled_at = timezone.now()
    current.save(update_fields=["status", "waitlist_reason", "cancelled_at"])
    registration.status = current.status
    if notify and not locked.is_cancelled:
        transaction.on_commit(lambda: emails.send_cancellation_notice(current.pk), robust=True)
    if not freed_seat or locked.is_cancelled:
        return []
    return fill_from_waitlist(locked, notify=notify)


def fill_from_waitlist(event: TrainingEvent, *, notify: bool = True) -> list[Registration]:
    """Promote waitlisted registrations, first come first served, while seats are free.

    Someone whose agency has used its seats is passed over (and keeps their place) in favour of
    the next person whose agency has room. The caller holds the lock on ``event``.
    """
    confirmed = dict(
        event.registrations.confirmed()
        .values("agency")
        .annotate(n=Count("pk"))
        .values_list("agency", "n")
    )
    total = sum(confirmed.values())
    promoted: list[Registration] = []
    now = timezone.now()
    for waiting in event.registrations.waitlisted().select_related("agency"):
        if total >= event.capacity:
            break
        if confirmed.get(waiting.agency_id, 0) >= event.per_agency_limit:
            continue
        waiting.status = Registration.Status.CONFIRMED
        waiting.waitlist_reason = ""
        waiting.promoted_at = now
        waiting.save(update_fields=["status", "waitlist_reason", "promoted_at"])
        confirmed[waiting.agency_id] = confirmed.get(waiting.agency_id, 0) + 1
        total += 1
        promoted.append(waiting)
    if notify and promoted:
        ids = [r.pk for r in promoted]
        transaction.on_commit(lambda: emails.send_promotion_notices(ids), robust=True)
    return promoted
