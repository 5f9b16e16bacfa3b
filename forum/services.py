import logging

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
