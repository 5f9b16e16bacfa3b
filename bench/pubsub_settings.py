"""Production settings with channels_redis's Redis pub/sub channel layer instead of its default
(list-based) one: ``bench/fanout.py --channel-layer pubsub`` compares the two."""

from collaborative.settings import *  # noqa: F403
from collaborative.settings import CHANNEL_LAYERS

_config = CHANNEL_LAYERS["default"]["CONFIG"]
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {"hosts": _config["hosts"], "prefix": _config["prefix"]},
    }
}
