"""Production settings with channels_redis's default (list-based) channel layer instead of the
pub/sub one: ``bench/fanout.py --channel-layer core`` compares the two."""

from collaborative.settings import *  # noqa: F403
from collaborative.settings import CHANNEL_LAYERS

_config = CHANNEL_LAYERS["default"]["CONFIG"]
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {
            # A blocking pop waits up to 5 s: reads may take longer than that.
            "hosts": [{**host, "socket_timeout": 15} for host in _config["hosts"]],
            "prefix": _config["prefix"],
            # A process's queue must hold a whole fan-out (100 messages by default).
            "capacity": 10_000,
        },
    }
}
