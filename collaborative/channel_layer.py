"""The channel layer: channels_redis's Redis pub/sub layer, which also tells a process's sockets
when its connection to Redis comes back.

With pub/sub, a group send is one PUBLISH and each daphne process receives it once, on one
connection, and hands it to its own sockets in memory: an announcement to 1,000 members costs
one message instead of a Redis queue entry, and a Redis read, per socket. Redis keeps nothing
for a process that is not listening, so signals published while a process was cut off from
Redis are gone; sockets do not notice an outage either, since they stay open throughout. When
the connection comes back (redis-py reconnects and subscribes again), every socket of the
process is sent ``{"type": "layer.reconnected"}``, and the notification socket asks its page to
resume from the last id it saw, so nothing sent meanwhile is lost.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from channels_redis.pubsub import (
    RedisPubSubChannelLayer,
    RedisPubSubLoopLayer,
    RedisSingleShardConnection,
)
from channels_redis.utils import _wrap_close, create_pool
from redis import asyncio as aioredis
from redis.asyncio.client import PubSub

logger = logging.getLogger(__name__)

RECONNECTED = {"type": "layer.reconnected"}


class _PubSub(PubSub):
    """redis-py's PubSub, calling ``on_reconnect`` once it has subscribed again after a lost
    connection."""

    def __init__(self, *args, on_reconnect: Callable[[], None], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._on_reconnect = on_reconnect

    async def on_connect(self, connection) -> None:
        # Called by the connection on every reconnect (not on the first connect): what was
        # subscribed before is subscribed again here.
        had_subscriptions = bool(self.channels or self.patterns)
        await super().on_connect(connection)
        if had_subscriptions:
            self._on_reconnect()


class _Shard(RedisSingleShardConnection):
    def _ensure_redis(self) -> None:
        if self._redis is None:
            self._redis = aioredis.Redis(connection_pool=create_pool(self.host))
            self._pubsub = _PubSub(
                self._redis.connection_pool,
                event_dispatcher=self._redis._event_dispatcher,
                on_reconnect=self._reconnected,
            )

    async def publish(self, channel: str, message: bytes) -> None:
        """Publish without waiting for the connection's subscription lock.

        channels_redis takes the same lock to publish as to subscribe and unsubscribe, so a
        signal waits behind every socket joining or leaving its groups at that moment, and the
        request thread that sends it waits too: in a crowd of pages reconnecting, every request
        of the process stalled. A publish goes through the client's connection pool and touches
        nothing the lock guards.
        """
        self._ensure_redis()
        await self._redis.publish(channel, message)

    async def unsubscribe(self, channel: str) -> None:
        """Unsubscribe, unless a socket of this process wants the channel again by now.

        channels_redis decides to unsubscribe from a group when its last local socket leaves,
        then waits for the connection's lock; a socket that joins the group meanwhile finds it
        still subscribed and subscribes nothing, and the late UNSUBSCRIBE would leave it deaf
        (sockets come and go like that when pages reconnect in a crowd).
        """
        async with self._lock:
            layer = self.channel_layer
            if layer.groups.get(channel) or channel in layer.channels:
                return
            if channel in self._subscribed_to:
                self._ensure_redis()
                self._ensure_receiver()
                await self._pubsub.unsubscribe(channel)
                self._subscribed_to.remove(channel)

    async def _do_receiving(self) -> None:
        """channels_redis's receive loop, logging an outage once instead of every second."""
        failing = False
        while True:
            try:
                if self._pubsub and self._pubsub.subscribed:
                    message = await self._pubsub.get_message(
                        ignore_subscribe_messages=True, timeout=0.1
                    )
                    if failing:
                        logger.warning("The channel layer reaches Redis again.")
                        failing = False
                    self._receive_message(message)
                else:
                    await asyncio.sleep(0.1)
            except (TimeoutError, asyncio.CancelledError, GeneratorExit):
                raise
            except Exception:
                if not failing:
                    logger.exception("The channel layer lost Redis; retrying every second.")
                    failing = True
                await asyncio.sleep(1)

    def _reconnected(self) -> None:
        layer = self.channel_layer
        message = layer.channel_layer.serialize(RECONNECTED)
        for queue in list(layer.channels.values()):
            queue.put_nowait(message)
        logger.info("Told %s sockets to resume after Redis came back.", len(layer.channels))


class _LoopLayer(RedisPubSubLoopLayer):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._shards = [_Shard(shard.host, self) for shard in self._shards]


class ChannelLayer(RedisPubSubChannelLayer):
    """``channels_redis.pubsub.RedisPubSubChannelLayer`` with the reconnect signal above."""

    async def forget_channel(self, channel: str) -> None:
        """Unsubscribe from a channel this process made and no longer reads (a consumer's own
        channel is let go when its reading is cancelled; a one-off check's is not)."""
        layer = self._get_layer()
        layer.channels.pop(channel, None)
        await layer._get_shard(channel).unsubscribe(channel)

    def _get_layer(self) -> RedisPubSubLoopLayer:
        loop = asyncio.get_running_loop()
        if loop not in self._layers:
            self._layers[loop] = _LoopLayer(*self._args, **self._kwargs, channel_layer=self)
            _wrap_close(self, loop)  # closes the connections with the loop, as the base does
        return self._layers[loop]
