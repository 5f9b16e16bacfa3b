"""Email about notifications: preferences, the delayed email, the daily digest, unsubscribing.

Every notification appears in the notification centre; email is extra, chosen per kind:
immediately (a few minutes later, and only if still unread), in a daily digest, or off.

- When a notification is written, ``schedule`` queues one task (forum.tasks) to run
  ``settings.FORUM_EMAIL_DELAY`` later for the recipients who want that kind immediately.
- The task (``send_immediate``) claims each notification with a conditional UPDATE of
  ``emailed_at``, so however often it runs, and from however many workers, nobody gets the
  same email twice; a notification read in the meantime is skipped.
- ``send_due_digests`` (run by ``manage.py send_reminders``) sends each person one email a
  day, after ``FORUM_DIGEST_HOUR`` in their time zone, listing what is unread and not yet
  emailed of the kinds they get as a digest. A ``DigestDelivery`` row per person and day is
  the claim that keeps it to one.
- Every email carries a one-click unsubscribe link: a signed token for (person, kind) that
  switches that kind off without signing in (RFC 8058 ``List-Unsubscribe-Post``).

Emails say no more than the notification's summary and a link: message text and post bodies
stay on the site, behind sign-in.
"""

from __future__ import annotations

import logging
import zoneinfo
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import Case, CharField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone

from accounts.models import User

from .models import (
    ConversationMember,
    DigestDelivery,
    Notification,
    NotificationPreference,
    ThreadRead,
)

logger = logging.getLogger(__name__)

Delivery = NotificationPreference.Delivery
UNSUBSCRIBE_SALT = "forum.emails.unsubscribe"
DIGEST = "digest"  # an unsubscribe token for the digest switches off every kind it carries
DIGEST_WINDOW = timedelta(days=7)  # older unread notifications are not emailed any more
DIGEST_LIMIT = 50  # listed in one digest; the rest are counted
OVERDUE_GRACE = timedelta(minutes=10)
OVERDUE_WINDOW = timedelta(days=1)

KIND_PHRASES = {
    Notification.Kind.MESSAGE: "direct messages",
    Notification.Kind.MENTION: "mentions of you",
    Notification.Kind.REPLY: "replies in threads you watch",
    Notification.Kind.THREAD: "new threads in categories you watch",
    Notification.Kind.ANNOUNCEMENT: "announcements from program staff",
}

_held: ContextVar[bool] = ContextVar("forum_emails_held", default=False)


@contextmanager
def held() -> Iterator[None]:
    """Write notifications without queueing their emails (demo data, imports of the past)."""
    token = _held.set(True)
    try:
        yield
    finally:
        _held.reset(token)


# Preferences ----------------------------------------------------------------------------------


def deliveries_for(user) -> dict[str, str]:
    """Each kind's email delivery for ``user``: their choice, or the default. One query."""
    chosen = dict(NotificationPreference.objects.filter(user=user).values_list("kind", "delivery"))
    return {
        kind: chosen.get(kind, NotificationPreference.default_for(kind))
        for kind in NotificationPreference.KINDS
    }


@transaction.atomic
def set_deliveries(user, choices: dict[str, str]) -> list[str]:
    """Save ``user``'s choices (kind → delivery); returns the kinds that changed."""
    current = deliveries_for(user)
    changed = []
    for kind, delivery in choices.items():
        if kind not in NotificationPreference.KINDS or delivery not in Delivery.values:
            raise ValueError(f"Unknown kind or delivery: {kind!r}, {delivery!r}")
        if current[kind] == delivery:
            continue
        NotificationPreference.objects.update_or_create(
            user=user, kind=kind, defaults={"delivery": delivery}
        )
        changed.append(kind)
    return changed


def effective_delivery():
    """SQL for a notification's delivery: its recipient's choice for its kind, or the default."""
    chosen = NotificationPreference.objects.filter(
        user=OuterRef("recipient"), kind=OuterRef("kind")
    ).values("delivery")[:1]
    default = Case(
        *[
            When(kind=kind, then=Value(str(delivery)))
            for kind, delivery in NotificationPreference.DEFAULT_DELIVERY.items()
        ],
        default=Value(Delivery.OFF.value),
        output_field=CharField(),
    )
    return Coalesce(Subquery(chosen), default, output_field=CharField())


# Scheduling the delayed email -----------------------------------------------------------------


def email_delay() -> timedelta:
    return settings.FORUM_EMAIL_DELAY


def schedule(notifications: Iterable[Notification]) -> list[int]:
    """Queue the email for those of ``notifications`` whose recipients want their kind
    immediately: one task, after the transaction commits, to run FORUM_EMAIL_DELAY later.

    Returns the ids queued (after commit). One query when there is anything to check.
    """
    notifications = [n for n in notifications if n.kind in NotificationPreference.KINDS]
    if _held.get() or not notifications:
        return []
    recipients = {n.recipient_id for n in notifications}
    kinds = {n.kind for n in notifications}
    chosen = {
        (user_id, kind): delivery
        for user_id, kind, delivery in NotificationPreference.objects.filter(
            user_id__in=recipients, kind__in=kinds
        ).values_list("user_id", "kind", "delivery")
    }
    wanted = [
        n.pk
        for n in notifications
        if chosen.get((n.recipient_id, n.kind), NotificationPreference.default_for(n.kind))
        == Delivery.IMMEDIATELY
    ]
    if wanted:
        transaction.on_commit(lambda: enqueue(wanted), robust=True)
    return wanted


def enqueue(notification_ids: list[int]):
    """Hand the email of these notifications to the task worker, to run after the delay."""
    from .tasks import send_notification_emails

    job = send_notification_emails
    if job.get_backend().supports_defer:
        job = job.using(run_after=timezone.now() + email_delay())
    return job.enqueue(list(notification_ids))


# Sending --------------------------------------------------------------------------------------


def site_url(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def unsubscribe_token(user, kind: str) -> str:
    return signing.dumps([user.pk, str(kind)], salt=UNSUBSCRIBE_SALT, compress=True)


def read_unsubscribe_token(token: str) -> tuple[int, str]:
    """(user id, kind) from a token; ``signing.BadSignature`` for anything tampered with."""
    data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    if (
        not isinstance(data, list)
        or len(data) != 2
        or not isinstance(data[0], int)
        or data[1] not in [*NotificationPreference.KINDS, DIGEST]
    ):
        raise signing.BadSignature("Not an unsubscribe token.")
    return data[0], data[1]


def unsubscribe_url(user, kind: str) -> str:
    token = unsubscribe_token(user, kind)
    return site_url(reverse("notification_settings:unsubscribe", args=[token]))


def kind_phrase(kind: str) -> str:
    return "your daily digest" if kind == DIGEST else KIND_PHRASES.get(kind, "these notifications")


@transaction.atomic
def unsubscribe(user, kind: str) -> list[str]:
    """Switch off email for ``kind`` (for DIGEST: every kind that goes in the digest).
    Returns the kinds switched off now."""
    deliveries = deliveries_for(user)
    if kind == DIGEST:
        kinds = [k for k, d in deliveries.items() if d == Delivery.DIGEST]
    else:
        kinds = [kind] if deliveries.get(kind, Delivery.OFF) != Delivery.OFF else []
    return set_deliveries(user, dict.fromkeys(kinds, Delivery.OFF.value))


def _email(user, *, subject: str, template: str, context: dict, unsubscribe: str) -> EmailMessage:
    context = {
        **context,
        "user": user,
        "site_url": settings.SITE_URL,
        "unsubscribe_url": unsubscribe,
        "preferences_url": site_url(reverse("notification_settings:preferences")),
    }
    return EmailMessage(
        subject=" ".join(subject.split()),  # a name with a line break cannot break the header
        body=render_to_string(template, context),
        to=[user.email],
        headers={
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
        },
    )


def _no_longer_news(notification: Notification) -> bool:
    """Whether the email would tell the person nothing new: they have read the post in its
    thread (the thread page moves the read mark), or muted the conversation since."""
    try:
        match = resolve(notification.url.split("#", 1)[0])
    except Resolver404:
        return False
    if match.view_name == "forum:post":
        post_id = match.kwargs["post_id"]
        return ThreadRead.objects.filter(
            user_id=notification.recipient_id,
            thread__posts=post_id,
            last_read_post_id__gte=post_id,
        ).exists()
    if match.view_name == "conversations:conversation":
        return not ConversationMember.objects.filter(
            user_id=notification.recipient_id,
            conversation_id=match.kwargs["conversation_id"],
            muted=False,
        ).exists()
    return False


def send_immediate(notification_ids: Iterable[int], now: datetime | None = None) -> int:
    """Email each notification that is still unread and not yet emailed, if its recipient
    still wants its kind immediately. Returns how many emails were sent.

    For direct messages, one email covers every unread message of the conversation that has
    not been emailed yet. Safe to run again, and from several workers at once.
    """
    now = now or timezone.now()
    notifications = (
        Notification.objects.filter(
            pk__in=list(notification_ids), read_at__isnull=True, emailed_at__isnull=True
        )
        .annotate(delivery=effective_delivery())
        .select_related("recipient", "cohort")
        .order_by("pk")
    )
    sent = 0
    for notification in notifications:
        user = notification.recipient
        if notification.delivery != Delivery.IMMEDIATELY or not user.is_active or not user.email:
            continue
        if _no_longer_news(notification):
            continue
        if _send_one(notification, now):
            sent += 1
    return sent


def _claim(notification: Notification, now: datetime) -> int:
    """Claim the notification (and, for a message, its unread siblings in the same
    conversation) for this email. Returns how many were claimed; 0 if someone else was
    first or it was read in the meantime."""
    claimed = Notification.objects.filter(
        pk=notification.pk, read_at__isnull=True, emailed_at__isnull=True
    ).update(emailed_at=now)
    if not claimed:
        return 0
    if notification.kind == Notification.Kind.MESSAGE and notification.url:
        claimed += Notification.objects.filter(
            recipient_id=notification.recipient_id,
            kind=Notification.Kind.MESSAGE,
            url=notification.url,
            read_at__isnull=True,
            emailed_at__isnull=True,
        ).update(emailed_at=now)
    return claimed


def _send_one(notification: Notification, now: datetime) -> bool:
    claimed = _claim(notification, now)
    if not claimed:
        return False
    user = notification.recipient
    subject = notification.summary
    if notification.kind == Notification.Kind.MESSAGE and claimed > 1:
        subject = f"{notification.summary} (and {claimed - 1} more)"
    try:
        _email(
            user,
            subject=subject[:150],
            template="forum/email/notification.txt",
            context={
                "notification": notification,
                "more": claimed - 1,
                "open_url": site_url(reverse("notifications:open", args=[notification.pk])),
                "kind_phrase": kind_phrase(notification.kind),
            },
            unsubscribe=unsubscribe_url(user, notification.kind),
        ).send()
    except Exception:
        logger.exception("Could not email notification %s to user %s", notification.pk, user.pk)
        # Give the claim back, so that a later run can try again.
        claimed_here = Q(pk=notification.pk)
        if notification.kind == Notification.Kind.MESSAGE:
            claimed_here |= Q(kind=notification.kind, url=notification.url)
        Notification.objects.filter(claimed_here, recipient_id=user.pk, emailed_at=now).update(
            emailed_at=None
        )
        return False
    return True


def _pending(now: datetime) -> QuerySet[Notification]:
    """Unread notifications of the last week that no email has told about yet, with the
    ``delivery`` their recipient chose for their kind."""
    return Notification.objects.filter(
        read_at__isnull=True,
        emailed_at__isnull=True,
        created__gte=now - DIGEST_WINDOW,
        created__lte=now,
        kind__in=NotificationPreference.KINDS,
    ).annotate(delivery=effective_delivery())


def anything_to_email(now: datetime | None = None) -> bool:
    """Whether the digest job has anything to look at. One query."""
    now = now or timezone.now()
    return Notification.objects.filter(
        read_at__isnull=True,
        emailed_at__isnull=True,
        created__gte=now - DIGEST_WINDOW,
        kind__in=NotificationPreference.KINDS,
    ).exists()


def send_overdue(now: datetime | None = None) -> int:
    """Send the immediate emails whose task never ran (the worker was down, say): unread
    notifications set to "immediately" that are well past their delay."""
    now = now or timezone.now()
    overdue = (
        _pending(now)
        .filter(
            delivery=Delivery.IMMEDIATELY,
            created__lte=now - email_delay() - OVERDUE_GRACE,
            created__gte=now - OVERDUE_WINDOW,
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:500]
    )
    ids = list(overdue)
    return send_immediate(ids, now) if ids else 0


def _local_now(user, now: datetime) -> datetime:
    try:
        zone = zoneinfo.ZoneInfo(user.time_zone or settings.TIME_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    return now.astimezone(zone)


def send_due_digests(now: datetime | None = None) -> int:
    """Send today's digest to everyone who has something for it and whose day has reached
    FORUM_DIGEST_HOUR. At most one digest per person per (local) day, however often this
    runs. Returns how many digests were sent."""
    now = now or timezone.now()
    waiting = (
        _pending(now)
        .filter(delivery=Delivery.DIGEST)
        .order_by()
        .values_list("recipient_id", flat=True)
        .distinct()
    )
    people = User.objects.filter(pk__in=list(waiting), is_active=True).exclude(email="")
    due = []
    for user in people:
        local = _local_now(user, now)
        if local.hour >= settings.FORUM_DIGEST_HOUR:
            due.append((user, local.date()))
    if not due:
        return 0
    done = set(
        DigestDelivery.objects.filter(
            user__in=[user for user, _ in due], day__in={day for _, day in due}
        ).values_list("user_id", "day")
    )
    return sum(_send_digest(user, day, now) for user, day in due if (user.pk, day) not in done)


def _send_digest(user, day: date, now: datetime) -> bool:
    try:
        with transaction.atomic():
            delivery = DigestDelivery.objects.create(user=user, day=day, sent_at=now)
            candidates = list(
                _pending(now)
                .filter(recipient=user, delivery=Delivery.DIGEST)
                .values_list("pk", flat=True)
            )
            # Lock what is still unclaimed: an immediate email claiming the same rows at the
            # same moment waits, then finds them taken (and the other way round).
            claimed = list(
                Notification.objects.select_for_update()
                .filter(pk__in=candidates, read_at__isnull=True, emailed_at__isnull=True)
                .order_by("pk")
                .values_list("pk", flat=True)
            )
            if not claimed:
                raise _NothingToSend
            Notification.objects.filter(pk__in=claimed).update(emailed_at=now)
            delivery.notification_count = len(claimed)
            delivery.save(update_fields=["notification_count"])
    except (IntegrityError, _NothingToSend):
        return False
    items = list(
        Notification.objects.filter(pk__in=claimed).select_related("cohort").order_by("-pk")
    )
    try:
        _email(
            user,
            subject=f"Your daily digest: {len(items)} notification{'s' if len(items) != 1 else ''}",
            template="forum/email/digest.txt",
            context={
                "items": [
                    (n, site_url(reverse("notifications:open", args=[n.pk])))
                    for n in items[:DIGEST_LIMIT]
                ],
                "more": max(len(items) - DIGEST_LIMIT, 0),
                "day": day,
            },
            unsubscribe=unsubscribe_url(user, DIGEST),
        ).send()
    except Exception:
        logger.exception("Could not send the digest of %s to user %s", day, user.pk)
        with transaction.atomic():
            delivery.delete()
            Notification.objects.filter(pk__in=claimed, emailed_at=now).update(emailed_at=None)
        return False
    return True


class _NothingToSend(Exception):
    pass
