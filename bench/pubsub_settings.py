"""Production settings with the Redis pub/sub channel layer (collaborative.channel_layer) instead
of channels_redis's list-based one: ``bench/fanout.py --channel-layer pubsub`` compares the two."""

from collaborative.settings import *  # noqa: F403
from collaborative.settings import CHANNEL_LAYERS

_config = CHANNEL_LAYERS["default"]["CONFIG"]
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "collaborative.channel_layer.ChannelLayer",
        "CONFIG": {
            # No blocking reads: a send waits at most 5 s for Redis.
            "hosts": [{**host, "socket_timeout": 5} for host in _config["hosts"]],
            "prefix": _config["prefix"],
        },
    }
}
