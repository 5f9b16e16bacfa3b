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
_send_gates: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore]" = (
    weakref.WeakKeyDictionary()
)
# While push_signals runs: the signals it collects, and the recipients' unread counts.
_batch: ContextVar[list | None] = ContextVar("forum_signal_batch", default=None)
_unread_counts: ContextVar[dict | None] = ContextVar("forum_unread_counts", default=None)


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


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
    """Signal each notification's recipient; returns how many signals went out.

    The signals of one write go out together: the unread counts in one query and the sends
    in one trip to the event loop, a few at a time, instead of a count query and a loop trip
    per recipient (an announcement to 1,000 members took seconds that way).
    """
    notifications = list(notifications)
    if not notifications:
        return 0
    counts = None
    try:
        counts = dict(
            Notification.objects.filter(
                recipient_id__in={n.recipient_id for n in notifications}, read_at__isnull=True
            )
            .values("recipient_id")
            .annotate(n=Count("pk"))
            .values_list("recipient_id", "n")
        )
    except Exception:
        logger.exception("Could not count unread notifications for %s signals", len(notifications))
    batch: list[tuple[Notification, dict]] = []
    tokens = _batch.set(batch), _unread_counts.set(counts)
    sent = 0
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
    if batch:
        try:
            failed = async_to_sync(_send_all)(batch)
        except Exception:
            logger.exception("Could not signal %s notifications over the channel layer", len(batch))
            return sent - len(batch)
        for notification, error in failed:
            logger.error(
                "Could not signal notification %s over the channel layer",
                notification.pk,
                exc_info=error,
            )
        sent -= len(failed)
    return sent


async def _send_all(
    batch: list[tuple[Notification, dict]],
) -> list[tuple[Notification, BaseException]]:
    """Send every queued signal, at most SEND_CONCURRENCY at a time in this process (shared by
    every write signalling at once); returns the ones that failed."""
    layer = get_channel_layer()
    loop = asyncio.get_running_loop()
    gate = _send_gates.get(loop)
    if gate is None:
        gate = _send_gates[loop] = asyncio.Semaphore(SEND_CONCURRENCY)

    async def send(notification: Notification, message: dict) -> None:
        async with gate:
            await layer.group_send(user_group(notification.recipient_id), message)

    results = await asyncio.gather(*(send(n, m) for n, m in batch), return_exceptions=True)
    return [
        (n, r) for (n, _), r in zip(batch, results, strict=True) if isinstance(r, BaseException)
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
