"""The ASGI application the server benchmarks run under daphne.

It is ``collaborative.asgi.application`` with two additions that production does not have,
so that the production URLconf and code stay as they are:

- ``HELLO_PATH`` answers "hello" from a bare Django view, through the same handler and
  middleware as every page: the baseline the key pages are compared with;
- when ``BENCH_COMMIT_KEY`` is set, the moment each batch of notification signals starts
  going out (the first thing that runs once the write's transaction has committed) is
  pushed to that Redis list, so the fan-out benchmark can time commit → receipt.
"""

from __future__ import annotations

import json
import os
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "collaborative.settings")

from django.core.handlers.asgi import ASGIHandler  # noqa: E402
from django.http import HttpRequest, HttpResponse  # noqa: E402
from django.urls import path  # noqa: E402

from collaborative.asgi import application as collaborative_application  # noqa: E402

HELLO_PATH = "/bench-hello/"


def hello(request: HttpRequest) -> HttpResponse:
    return HttpResponse("hello", content_type="text/plain")


urlpatterns = [path(HELLO_PATH.strip("/") + "/", hello)]


class HelloHandler(ASGIHandler):
    """Django's own ASGI handler, resolving against this module's one-route URLconf."""

    async def get_response_async(self, request):
        request.urlconf = __name__
        return await super().get_response_async(request)


hello_application = HelloHandler()


async def application(scope, receive, send):
    if scope["type"] == "http" and scope["path"] == HELLO_PATH:
        return await hello_application(scope, receive, send)
    return await collaborative_application(scope, receive, send)


def _sequential_signals() -> None:
    """Signals as forum.services sent them before they were batched: a count query and a
    trip to the event loop per recipient, one after another (for comparison only)."""
    from forum import services

    def push_signals(notifications) -> int:
        sent = 0
        for notification in notifications:
            try:
                sent += services.push_signal(notification)
            except Exception:
                services.logger.exception("Could not signal notification %s", notification.pk)
        return sent

    services.push_signals = push_signals


if os.environ.get("BENCH_SIGNALS") == "sequential":
    _sequential_signals()


def _time_signals(key: str, redis_url: str) -> None:
    """Record when each batch of notification signals starts and ends (after commit)."""
    import redis

    from forum import services

    client = redis.Redis.from_url(redis_url)
    original = services.push_signals

    def push_signals(notifications):
        started = time.time()
        notifications = list(notifications)
        record = {
            "commit": started,
            "count": len(notifications),
            "first_id": min((n.pk for n in notifications), default=None),
            "last_id": max((n.pk for n in notifications), default=None),
            "pid": os.getpid(),
        }
        # Recorded before sending, so a slow send cannot hide the commit instant.
        client.rpush(key, json.dumps(record))
        sent = original(notifications)
        client.rpush(f"{key}:sent", json.dumps({**record, "sent": time.time(), "signals": sent}))
        return sent

    # notify_many's on-commit callback looks the function up in its module when it runs.
    services.push_signals = push_signals


if os.environ.get("BENCH_COMMIT_KEY"):
    _time_signals(os.environ["BENCH_COMMIT_KEY"], os.environ["REDIS_URL"])


def _profile(path: str) -> None:
    """Profile between two SIGUSR1 signals (the fan-out window only), then write ``path``."""
    import cProfile
    import signal

    profiler = cProfile.Profile()
    state = {"on": False}

    def toggle(signum, frame) -> None:
        if not state["on"]:
            profiler.enable()
            state["on"] = True
        else:
            profiler.disable()
            profiler.dump_stats(path)
            state["on"] = False

    signal.signal(signal.SIGUSR1, toggle)


if os.environ.get("BENCH_PROFILE"):
    _profile(os.environ["BENCH_PROFILE"])
