"""Writes across the training tables, and the emails they send after commit."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Max
from django.utils import timezone

from accounts.models import User
from cohorts.models import Agency
from surveys import services as surveys
from surveys.models import Survey, Wave, WaveInvitation
from surveys.services import Invitee

from . import emails
from .models import (
    Coordinator,
    Registration,
    RequestChange,
    ResourceItem,
    ResourceSuggestion,
    TrainingEvent,
    TrainingRequest,
)
from .seats import fill_from_waitlist


class TrainingError(Exception):
    """A change staff asked for that cannot be made; the message says why."""


# Requests ----------------------------------------------------------------------------------


@transaction.atomic
def submit_request(*, data: dict) -> TrainingRequest:
    """Record a request from the public form and email the requester a confirmation."""
    request = TrainingRequest.objects.create(**data, status=TrainingRequest.Status.RECEIVED)
    RequestChange.objects.create(
        request=request, from_status="", to_status=TrainingRequest.Status.RECEIVED
    )
    transaction.on_commit(lambda: emails.send_request_received(request.pk), robust=True)
    return request


def _move(
    request: TrainingRequest, *, to: str, by: User, note: str = "", **changes
) -> RequestChange:
    locked = TrainingRequest.objects.select_for_update().get(pk=request.pk)
    if not locked.can_move_to(to):
        label = TrainingRequest.Status(to).label.lower()
        raise TrainingError(
            f"This request is {locked.get_status_display().lower()}, so it cannot be "
            f"moved to “{label}”."
        )
    change = RequestChange.objects.create(
        request=locked, from_status=locked.status, to_status=to, by=by, note=note
    )
    locked.status = to
    for name, value in changes.items():
        setattr(locked, name, value)
    locked.save()
    request.refresh_from_db()
    transaction.on_commit(lambda: emails.send_request_status(change.pk), robust=True)
    return change


@transaction.atomic
def start_review(*, request: TrainingRequest, by: User, note: str = "") -> RequestChange:
    return _move(request, to=TrainingRequest.Status.UNDER_REVIEW, by=by, note=note)


@transaction.atomic
def schedule_request(
    *, request: TrainingRequest, event: TrainingEvent, by: User, note: str = ""
) -> RequestChange:
    """Book the request into ``event``; an unsaved event is created with it, or not at all."""
    if event.pk is None:
        save_event(event=event, by=by)
    if event.is_cancelled:
        raise TrainingError(f"{event.title} is cancelled: choose another training.")
    if event.is_past:
        raise TrainingError(f"{event.title} has already taken place: choose another training.")
    return _move(
        request,
        to=TrainingRequest.Status.SCHEDULED,
        by=by,
        note=note or f"Scheduled for {event}.",
        event=event,
    )


@transaction.atomic
def decline_request(*, request: TrainingRequest, reason: str, by: User) -> RequestChange:
    reason = reason.strip()
    if not reason:
        raise TrainingError("Give the reason: it goes to the requester.")
    return _move(
        request, to=TrainingRequest.Status.DECLINED, by=by, note=reason, decline_reason=reason
    )


# Trainings ---------------------------------------------------------------------------------


@transaction.atomic
def save_event(*, event: TrainingEvent, by: User) -> list[Registration]:
    """Save a new or edited training; a larger room or agency limit serves the waitlist.

    A smaller capacity or agency limit than the seats already confirmed is refused: cancel
    registrations first.
    """
    if event.pk is None:
        event.created_by = by
        event.full_clean()
        event.save()
        return []
    TrainingEvent.objects.select_for_update().get(pk=event.pk)
    confirmed = event.registrations.confirmed()
    total = confirmed.count()
    errors = {}
    if event.capacity < total:
        errors["capacity"] = (
            f"{total} people already have confirmed seats; the capacity cannot be lower. "
            "Cancel registrations first."
        )
    busiest = (
        confirmed.values("agency").annotate(n=Count("pk")).aggregate(most=Max("n"))["most"] or 0
    )
    if event.per_agency_limit < busiest:
        errors["per_agency_limit"] = (
            f"An agency already has {busiest} confirmed seats; the limit cannot be lower. "
            "Cancel registrations first."
        )
    if errors:
        raise ValidationError(errors)
    event.full_clean()
    event.save()
    if event.is_cancelled or event.is_past:
        return []
    return fill_from_waitlist(event)


@transaction.atomic
def cancel_event(*, event: TrainingEvent, by: User, note: str = "") -> int:
    """Cancel a training and email everyone registered or waitlisted, and the agencies whose
    requests it answered. Returns how many registrants are told."""
    locked = TrainingEvent.objects.select_for_update().get(pk=event.pk)
    if locked.is_cancelled:
        raise TrainingError("This training is already cancelled.")
    if locked.is_past:
        raise TrainingError("This training has already taken place.")
    locked.status = TrainingEvent.Status.CANCELLED
    locked.cancelled_at = timezone.now()
    locked.cancellation_note = note.strip()
    locked.save(update_fields=["status", "cancelled_at", "cancellation_note"])
    event.refresh_from_db()
    told = list(locked.registrations.active().values_list("pk", flat=True))
    # The agencies whose requests this training answered go back to the review queue.
    requests = list(locked.requests.filter(status=TrainingRequest.Status.SCHEDULED))
    for request in requests:
        RequestChange.objects.create(
            request=request,
            from_status=request.status,
            to_status=TrainingRequest.Status.UNDER_REVIEW,
            by=by,
            note=f"{locked} was cancelled; the request needs another date.",
        )
        request.status = TrainingRequest.Status.UNDER_REVIEW
        request.event = None
        request.save(update_fields=["status", "event", "updated"])
    request_ids = [r.pk for r in requests]
    transaction.on_commit(
        lambda: emails.send_event_cancelled(locked.pk, told, request_ids), robust=True
    )
    return len(told)


@transaction.atomic
def mark_attendance(*, event: TrainingEvent, present_ids: Iterable[int], by: User) -> int:
    """Record who came among the confirmed registrations; returns how many rows changed."""
    if event.date > timezone.localdate():
        raise TrainingError("Attendance can be marked from the day of the training.")
    if event.is_cancelled:
        raise TrainingError("This training was cancelled.")
    present = set(present_ids)
    now = timezone.now()
    changed = 0
    for registration in event.registrations.confirmed().select_for_update():
        attended = registration.pk in present
        if registration.attended is attended:
            continue
        registration.attended = attended
        registration.attendance_marked_by = by
        registration.attendance_marked_at = now
        registration.save(
            update_fields=["attended", "attendance_marked_by", "attendance_marked_at"]
        )
        changed += 1
    return changed


@dataclass(frozen=True)
class EvaluationSent:
    """What sending the evaluation did: the wave, how many were invited now, and whether the
    wave was created by this sending."""

    wave: Wave
    invited: int
    created: bool


@transaction.atomic
def send_evaluation(
    *,
    event: TrainingEvent,
    survey: Survey,
    closes_at: datetime,
    anonymity: str = Wave.Anonymity.CONFIDENTIAL,
    by: User | None,
    at: datetime | None = None,
    notify: bool = True,
) -> EvaluationSent:
    """Invite the attendees marked present to the training's evaluation, a survey wave that
    opens now; they answer through their emailed link, with no account.

    The first sending creates the wave with ``survey`` and ``anonymity``. Sending again invites,
    into the same wave, only those marked present since (nobody is emailed twice) and moves
    the closing time to ``closes_at``; the survey and anonymity stay what attendees were told.
    """
    at = at or timezone.now()
    locked = TrainingEvent.objects.select_for_update().get(pk=event.pk)
    if locked.is_cancelled:
        raise TrainingError("This training was cancelled: there is nothing to evaluate.")
    if locked.date > timezone.localdate(at):
        raise TrainingError(
            "This training has not taken place yet: the evaluation can be sent from its day on."
        )
    if closes_at <= at:
        raise TrainingError("The closing date has passed: choose a later one.")
    attendees = locked.registrations.confirmed().filter(attended=True).order_by("position")
    invitees = [Invitee(email=r.email, name=r.name) for r in attendees]
    if not invitees:
        raise TrainingError(
            "Nobody is marked present yet: mark attendance first, then send the evaluation."
        )
    try:
        if locked.evaluation_wave_id is None:
            wave = surveys.create_email_wave(
                survey=survey,
                title=f"Evaluation: {locked}",
                opens_at=at,
                closes_at=closes_at,
                invitees=invitees,
                anonymity=anonymity,
                created_by=by,
                notify=notify,
            )
            locked.evaluation_wave = wave
            locked.save(update_fields=["evaluation_wave"])
            result = EvaluationSent(wave=wave, invited=wave.invitations.count(), created=True)
        else:
            wave = Wave.objects.select_for_update().get(pk=locked.evaluation_wave_id)
            if wave.closes_at != closes_at:
                wave.closes_at = closes_at
                wave.full_clean()
                wave.save(update_fields=["closes_at"])
            invited = surveys.invite_by_email(wave=wave, invitees=invitees, notify=notify)
            result = EvaluationSent(wave=wave, invited=len(invited), created=False)
    except ValidationError as error:
        raise TrainingError(" ".join(error.messages)) from None
    event.refresh_from_db()
    return result


def evaluation_invitations(event: TrainingEvent) -> set[str]:
    """The addresses (lower case) already invited to the training's evaluation."""
    if event.evaluation_wave_id is None:
        return set()
    emails = WaveInvitation.objects.filter(wave_id=event.evaluation_wave_id)
    return {e.lower() for e in emails.values_list("email", flat=True)}


# Coordinators ------------------------------------------------------------------------------


@transaction.atomic
def designate_coordinator(
    *, user: User, agency: Agency, event: TrainingEvent | None, by: User
) -> Coordinator:
    clash = Coordinator.objects.filter(user=user, agency=agency, event=event)
    if clash.exists():
        scope = f"for {event.title}" if event else "for every training"
        raise TrainingError(f"{user.display_name} already coordinates {agency.name} {scope}.")
    return Coordinator.objects.create(user=user, agency=agency, event=event, designated_by=by)


# Library -----------------------------------------------------------------------------------


@transaction.atomic
def approve_suggestion(*, suggestion: ResourceSuggestion, by: User) -> ResourceItem:
    """Turn a suggestion into an unpublished library item for staff to finish."""
    locked = ResourceSuggestion.objects.select_for_update().get(pk=suggestion.pk)
    if locked.status != ResourceSuggestion.Status.PENDING:
        raise TrainingError("This suggestion has already been reviewed.")
    summary = locked.note
    if locked.forum_post_url:
        summary += f"\n\nSuggested from a forum post: {locked.forum_post_url}"
    item = ResourceItem.objects.create(
        title=locked.title,
        kind=ResourceItem.Kind.DOCUMENT,
        summary=summary,
        url=locked.url,
        published=False,
        created_by=by,
    )
    locked.status = ResourceSuggestion.Status.APPROVED
    locked.reviewed_by = by
    locked.reviewed_at = timezone.now()
    locked.item = item
    locked.save(update_fields=["status", "reviewed_by", "reviewed_at", "item"])
    return item


@transaction.atomic
def decline_suggestion(*, suggestion: ResourceSuggestion, by: User) -> None:
    locked = ResourceSuggestion.objects.select_for_update().get(pk=suggestion.pk)
    if locked.status != ResourceSuggestion.Status.PENDING:
        raise TrainingError("This suggestion has already been reviewed.")
    locked.status = ResourceSuggestion.Status.DECLINED
    locked.reviewed_by = by
    locked.reviewed_at = timezone.now()
    locked.save(update_fields=["status", "reviewed_by", "reviewed_at"])
