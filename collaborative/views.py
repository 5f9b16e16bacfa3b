import asyncio
import logging

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache

logger = logging.getLogger(__name__)
CHANNEL_CHECK_TIMEOUT = 2.0


def _database_state() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        logger.exception("Health check: database unreachable")
        return "down"
    finally:
        connection.close_if_unusable_or_obsolete()
    return "up"


async def _channel_layer_state() -> str:
    layer = get_channel_layer()
    if layer is None:
        return "down"
    try:
        async with asyncio.timeout(CHANNEL_CHECK_TIMEOUT):
            channel = await layer.new_channel()
            try:
                await layer.send(channel, {"type": "healthz.ping"})
                message = await layer.receive(channel)
            finally:
                # Redis pub/sub keeps a channel subscribed until it is let go.
                forget = getattr(layer, "forget_channel", None)
                if forget is not None:
                    await forget(channel)
    except Exception:
        logger.exception("Health check: channel layer unreachable")
        return "down"
    return "up" if message.get("type") == "healthz.ping" else "down"


@never_cache
async def healthz(request):
    database = await sync_to_async(_database_state)()
    channel_layer = await _channel_layer_state()
    healthy = database == "up" and channel_layer == "up"
    return JsonResponse(
        {
            "status": "ok" if healthy else "unavailable",
            "database": database,
            "channel_layer": channel_layer,
        },
        status=200 if healthy else 503,
    )
