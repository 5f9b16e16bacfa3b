import logging
from collections.abc import Iterable

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from .models import Notification

logger = logging.getLogger(__name__)


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
    """Signal each notification's recipient; returns how many signals went out."""
    sent = 0
    for notification in notifications:
        try:
            sent += push_signal(notification)
        except Exception:
            # The unread count could not be read (the database went away after the commit):
            # the recipient's client still resumes from its last id.
            logger.exception("Could not signal notification %s", notification.pk)
    return sent


def push_signal(notification: Notification) -> bool:
    """Tell the recipient's open sockets that something new is waiting.

    A channel-layer failure is logged, never raised: the row is already saved and every
    client resumes from its last seen id when it reconnects.
    """
    unread = Notification.objects.for_user(notification.recipient_id).unread().count()
    message = {"type": "notification.signal", "unread": unread, **notification.as_signal()}
    try:
        async_to_sync(get_channel_layer().group_send)(
            user_group(notification.recipient_id), message
        )
    except Exception:
        logger.exception("Could not signal notification %s over the channel layer", notification.pk)
        return False
    return True
