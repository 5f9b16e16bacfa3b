from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.db.models import Count, Max, Q

from .models import Notification
from .services import user_group

RESUME_LIMIT = 500


class NotificationConsumer(AsyncJsonWebsocketConsumer):
    """Signals new notifications to a signed-in person's open tabs.

    On connect the client is told its unread count; it then asks to resume from the last id
    it saw and receives every signal it missed.
    """

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_active:
            await self.close(code=4401)
            return
        self.user_id = user.pk
        self.group = user_group(user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        unread, latest = await self._counts()
        await self.send_json({"type": "hello", "unread": unread, "latest": latest})

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content, **kwargs) -> None:
        if not isinstance(content, dict):
            return
        if content.get("type") == "resume":
            try:
                last_id = max(0, int(content.get("after", 0)))
            except (TypeError, ValueError):
                await self.send_json({"type": "error", "error": "after must be an integer id"})
                return
            missed, unread = await self._missed(last_id)
            await self.send_json({"type": "resume", "notifications": missed, "unread": unread})

    async def notification_signal(self, event: dict) -> None:
        await self.send_json(
            {
                "type": "notification",
                "id": event["id"],
                "kind": event["kind"],
                "cohort": event.get("cohort"),
                "unread": event["unread"],
            }
        )

    async def notification_read(self, event: dict) -> None:
        await self.send_json({"type": "read", "ids": event["ids"], "unread": event["unread"]})

    async def access_changed(self, event: dict) -> None:
        # The person joined or left a cohort: close with a code that tells the page to
        # reconnect, so the new socket starts from what they may see now.
        await self.close(code=4000)

    async def session_close(self, event: dict) -> None:
        await self.close(code=4403)

    @database_sync_to_async
    def _counts(self) -> tuple[int, int]:
        """The unread count, and the newest id: a new browser starts from there (one query)."""
        counts = Notification.objects.for_user(self.user_id).aggregate(
            unread=Count("pk", filter=Q(read_at__isnull=True)), latest=Max("pk")
        )
        return counts["unread"], counts["latest"] or 0

    @database_sync_to_async
    def _missed(self, last_id: int) -> tuple[list[dict], int]:
        rows = Notification.objects.for_user(self.user_id).after(last_id)[:RESUME_LIMIT]
        missed = [n.as_signal() for n in rows]
        return missed, Notification.objects.for_user(self.user_id).unread().count()
