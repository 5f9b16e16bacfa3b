from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.db.models import Count, Max, Q

from accounts import mfa
from cohorts.models import Membership

from .models import Notification
from .services import cohort_group, user_group

# The most notifications one resume answer carries with their text; past that the page pages
# through the feed for the rest.
RESUME_LIMIT = 200


class NotificationConsumer(AsyncJsonWebsocketConsumer):
    """Signals new notifications to a signed-in person's open tabs.

    On connect the client is told its unread count; it then asks to resume from the last id
    it saw and receives what it missed, with the text, so a reconnect needs no HTTP request.
    The socket listens on its person's own group and on the group of each cohort they are a
    member of (joining or leaving a team closes it, so that it reconnects with the right
    groups); a cohort-wide signal names the members it is not for.
    """

    async def dispatch(self, message: dict) -> None:
        """Run the message's handler without channels' usual trip to a worker thread first.

        Channels closes stale database connections before every handler, in the one thread
        that runs synchronous code: an announcement to 1,000 sockets in a process then waits
        for 1,000 trips through that thread in turn (about a second and a half). The handlers
        here that use the database do so through ``database_sync_to_async``, which closes
        stale connections itself; the others never touch it.
        """
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_active:
            await self.close(code=4401)
            return
        self.user_id = user.pk
        state = await self._start(user)
        if state is None:
            # Staff without two-factor authentication reach no staff page; nor this socket.
            await self.close(code=4403)
            return
        unread, latest, cohort_ids = state
        self.groups_joined = [user_group(user.pk), *(cohort_group(c) for c in cohort_ids)]
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        await self.send_json({"type": "hello", "unread": unread, "latest": latest})

    async def disconnect(self, code: int) -> None:
        for group in getattr(self, "groups_joined", ()):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content, **kwargs) -> None:
        if not isinstance(content, dict):
            return
        if content.get("type") == "resume":
            try:
                last_id = max(0, int(content.get("after", 0)))
            except (TypeError, ValueError):
                await self.send_json({"type": "error", "error": "after must be an integer id"})
                return
            missed, more, unread = await self._missed(last_id)
            await self.send_json(
                {"type": "resume", "notifications": missed, "more": more, "unread": unread}
            )

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

    async def notification_cohort(self, event: dict) -> None:
        if self.user_id in event["except"]:
            return
        await self.send_json(
            {
                "type": "notification",
                "id": event["id"],
                "kind": event["kind"],
                "cohort": event["cohort"],
            }
        )

    async def notification_read(self, event: dict) -> None:
        await self.send_json({"type": "read", "ids": event["ids"], "unread": event["unread"]})

    async def layer_reconnected(self, event: dict) -> None:
        # This process lost Redis for a while: signals sent meanwhile never reached it, so the
        # page resumes from the last id it saw.
        await self.send_json({"type": "resync"})

    async def access_changed(self, event: dict) -> None:
        # The person joined or left a cohort: close with a code that tells the page to
        # reconnect, so the new socket starts from what they may see now.
        await self.close(code=4000)

    async def session_close(self, event: dict) -> None:
        await self.close(code=4403)

    @database_sync_to_async
    def _start(self, user) -> tuple[int, int, list[int]] | None:
        """The unread count, the newest id (a new browser starts from there) and the cohorts
        whose groups to join, in two queries; None for staff without TOTP."""
        if (
            user.is_staff
            and not mfa.remembered(self.scope["session"], user)
            and not mfa.has_totp(user)
        ):
            return None
        counts = Notification.objects.for_user(self.user_id).aggregate(
            unread=Count("pk", filter=Q(read_at__isnull=True)), latest=Max("pk")
        )
        cohort_ids = list(
            Membership.objects.filter(user_id=self.user_id)
            .values_list("team__cohort_id", flat=True)
            .distinct()
        )
        return counts["unread"], counts["latest"] or 0, cohort_ids

    @database_sync_to_async
    def _missed(self, last_id: int) -> tuple[list[dict], bool, int]:
        mine = Notification.objects.for_user(self.user_id)
        rows = mine.after(last_id)[: RESUME_LIMIT + 1].feed_items()
        return rows[:RESUME_LIMIT], len(rows) > RESUME_LIMIT, mine.unread().count()
