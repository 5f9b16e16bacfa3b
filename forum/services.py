import asyncio
import logging
import weakref
from collections.abc import Iterable
from contextvars import ContextVar

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from django.db.models import Count

from .models import Notification

logger = logging.getLogger(__name__)

# Group sends in flight at once in a process, whatever the number of writes signalling: each
# holds a Redis connection, and the channel layer's pool refuses a connection past its 100th
# (redis-py's default) instead of waiting for one.
SEND_CONCURRENCY = 32
# A write reaching at least this many of a cohort's members signals them with one message to
# the cohort's group (``_cohort_signal``).
COHORT_SIGNAL_MIN = 20
_send_gates: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore]" = (
    weakref.WeakKeyDictionary()
)
# While push_signals runs: the signals it collects, and the recipients' unread counts.
_batch: ContextVar[list | None] = ContextVar("forum_signal_batch", default=None)
_unread_counts: ContextVar[dict | None] = ContextVar("forum_unread_counts", default=None)


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def cohort_group(cohort_id: int) -> str:
    return f"cohort.{cohort_id}"


@transaction.atomic
def notify(*, recipient, kind: str, summary: str, url: str = "", cohort=None) -> Notification:
    """Write a notification and signal the recipient's sockets once the write commits."""
    notification = Notification.objects.create(
        recipient=recipient, kind=kind, summary=summary[:200], url=url, cohort=cohort
    )
    transaction.on_commit(lambda: push_signal(notification), robust=True)
    return notification


@transaction.atomic
def notify_many(
    recipients: Iterable, *, kind: str, summary: str, url: str = "", cohort=None
) -> list[Notification]:
    """Write one notification per recipient (users or user ids) in one INSERT, and signal
    each recipient's sockets once the write commits.

    The signals go out one per recipient after the commit; like ``notify``, a channel-layer
    failure is only logged and never fails the request that caused the notifications.
    """
    rows = [
        Notification(
            recipient_id=getattr(recipient, "pk", recipient),
            kind=kind,
            summary=summary[:200],
            url=url,
            cohort=cohort,
        )
        for recipient in recipients
    ]
    if not rows:
        return []
    created = Notification.objects.bulk_create(rows)
    transaction.on_commit(lambda: push_signals(created), robust=True)
    return created


def push_signals(notifications: Iterable[Notification]) -> int:
    """Signal each notification's recipient; returns how many recipients were signalled.

    The signals of one write go out together. When a write tells most of a cohort's members
    the same thing (an announcement), their sockets hear one message sent to the cohort's group
    instead of one per member (see ``_cohort_signal``). Everyone else gets a signal of their
    own: the unread counts in one query and the sends in one trip to the event loop, a few at a
    time, instead of a count query and a loop trip per recipient.
    """
    notifications = list(notifications)
    if not notifications:
        return 0
    sends: list[tuple[str, dict, list[Notification]]] = []
    try:
        cohort_send = _cohort_signal(notifications)
    except Exception:
        logger.exception("Could not signal %s notifications to their cohort", len(notifications))
        cohort_send = None
    if cohort_send is not None:
        sends.append(cohort_send)
        grouped = {n.pk for n in cohort_send[2]}
        notifications = [n for n in notifications if n.pk not in grouped]
    sent = sum(len(covered) for _, _, covered in sends)
    counts = None
    if notifications:
        try:
            counts = dict(
                Notification.objects.filter(
                    recipient_id__in={n.recipient_id for n in notifications},
                    read_at__isnull=True,
                )
                .values("recipient_id")
                .annotate(n=Count("pk"))
                .values_list("recipient_id", "n")
            )
        except Exception:
            logger.exception(
                "Could not count unread notifications for %s signals", len(notifications)
            )
    batch: list[tuple[Notification, dict]] = []
    tokens = _batch.set(batch), _unread_counts.set(counts)
    try:
        for notification in notifications:
            try:
                sent += push_signal(notification)
            except Exception:
                # The unread count could not be read (the database went away after the
                # commit): the recipient's client still resumes from its last id.
                logger.exception("Could not signal notification %s", notification.pk)
    finally:
        _batch.reset(tokens[0])
        _unread_counts.reset(tokens[1])
    sends.extend((user_group(n.recipient_id), message, [n]) for n, message in batch)
    if sends:
        try:
            failed = async_to_sync(_send_all)(sends)
        except Exception:
            logger.exception(
                "Could not signal %s groups of sockets over the channel layer", len(sends)
            )
            return sent - sum(len(covered) for _, _, covered in sends)
        for group, covered, error in failed:
            logger.error(
                "Could not signal %s notification(s) to %s over the channel layer",
                len(covered),
                group,
                exc_info=error,
            )
            sent -= len(covered)
    return sent


def _cohort_signal(
    notifications: list[Notification],
) -> tuple[str, dict, list[Notification]] | None:
    """One message to the cohort's group for the members among the recipients, or None.

    Each socket of a member joins its cohorts' groups when it connects (and reconnects when
    the person joins or leaves a team). Worth it only when a write of one kind in one cohort
    reaches at least COHORT_SIGNAL_MIN of its members and leaves out fewer members than it
    reaches: the message names the members it is not for, and each socket forwards it only if
    its person is not among them. It carries the newest id of the write, not each member's own
    (the page asks the feed for everything after the last id it saw), and no unread count.
    """
    if len(notifications) < COHORT_SIGNAL_MIN:
        return None
    cohort_ids = {n.cohort_id for n in notifications}
    kinds = {n.kind for n in notifications}
    if len(cohort_ids) != 1 or None in cohort_ids or len(kinds) != 1:
        return None
    from cohorts.models import Membership

    (cohort_id,) = cohort_ids
    members = set(
        Membership.objects.filter(team__cohort_id=cohort_id, user__is_active=True).values_list(
            "user_id", flat=True
        )
    )
    covered = [n for n in notifications if n.recipient_id in members]
    left_out = members - {n.recipient_id for n in covered}
    if len(covered) < COHORT_SIGNAL_MIN or len(left_out) >= len(covered):
        return None
    message = {
        "type": "notification.cohort",
        "id": max(n.pk for n in covered),
        "kind": kinds.pop(),
        "cohort": cohort_id,
        "except": sorted(left_out),
    }
    return cohort_group(cohort_id), message, covered


async def _send_all(
    sends: list[tuple[str, dict, list[Notification]]],
) -> list[tuple[str, list[Notification], BaseException]]:
    """Send every queued signal, at most SEND_CONCURRENCY at a time in this process (shared by
    every write signalling at once); returns the ones that failed."""
    layer = get_channel_layer()
    loop = asyncio.get_running_loop()
    gate = _send_gates.get(loop)
    if gate is None:
        gate = _send_gates[loop] = asyncio.Semaphore(SEND_CONCURRENCY)

    async def send(group: str, message: dict) -> None:
        async with gate:
            await layer.group_send(group, message)

    results = await asyncio.gather(*(send(g, m) for g, m, _ in sends), return_exceptions=True)
    return [
        (group, covered, r)
        for (group, _, covered), r in zip(sends, results, strict=True)
        if isinstance(r, BaseException)
    ]


def push_signal(notification: Notification) -> bool:
    """Tell the recipient's open sockets that something new is waiting.

    A channel-layer failure is logged, never raised: the row is already saved and every
    client resumes from its last seen id when it reconnects. Called from ``push_signals``,
    the signal joins that call's batch instead of going out on its own.
    """
    counts = _unread_counts.get()
    if counts is not None:
        unread = counts.get(notification.recipient_id, 0)
    else:
        unread = Notification.objects.for_user(notification.recipient_id).unread().count()
    message = {"type": "notification.signal", "unread": unread, **notification.as_signal()}
    batch = _batch.get()
    if batch is not None:
        batch.append((notification, message))
        return True
    try:
        async_to_sync(get_channel_layer().group_send)(
            user_group(notification.recipient_id), message
        )
    except Exception:
        logger.exception("Could not signal notification %s over the channel layer", notification.pk)
        return False
    return True
