"""Keeping every open tab in step: read marks and access changes travel as small signals.

Like new-notification signals, these carry ids and counts only, are sent after the write
commits, and never fail the request when the channel layer is down: the page's polling
fallback and the resume on reconnect bring any tab back in line.
"""

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from django.utils import timezone

from .models import Notification
from .services import user_group

logger = logging.getLogger(__name__)


def send_to_user(user_id: int, message: dict) -> bool:
    """Send ``message`` to the user's sockets; log and return False if the layer is down."""
    try:
        async_to_sync(get_channel_layer().group_send)(user_group(user_id), message)
    except Exception:
        logger.exception("Could not send %s to user %s's sockets", message.get("type"), user_id)
        return False
    return True


@transaction.atomic
def mark_read(user, ids: list[int] | None = None) -> int:
    """Mark the user's notifications read (all unread ones when ``ids`` is None).

    Returns how many changed; after commit every open tab of the user is told which ids are
    now read and the new unread count.
    """
    unread = Notification.objects.for_user(user).unread()
    if ids is not None:
        unread = unread.filter(pk__in=ids)
    changed = list(unread.values_list("pk", flat=True))
    if not changed:
        return 0
    Notification.objects.filter(pk__in=changed).update(read_at=timezone.now())
    user_id = user.pk

    def signal() -> None:
        count = Notification.objects.for_user(user_id).unread().count()
        send_to_user(user_id, {"type": "notification.read", "ids": changed[:200], "unread": count})

    transaction.on_commit(signal, robust=True)
    return len(changed)


def access_changed(user_id: int) -> None:
    """Close the user's sockets so they reconnect with what they may now see (after commit)."""
    transaction.on_commit(lambda: send_to_user(user_id, {"type": "access.changed"}), robust=True)
