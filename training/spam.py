"""Spam protection for the public request form, with no outside service.

Two layers: a honeypot field that people never see (bots fill every field) and a limit on how
many requests one client address may send per hour. The limit lives in Django's cache, so it
works with the local-memory cache and with Redis shared by several processes. The address is
never stored: the cache key holds a keyed hash of it, and expires with the window.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from allauth.account.adapter import get_adapter
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

HONEYPOT_FIELD = "website"
# (requests, seconds): five accepted requests per client address per hour.
DEFAULT_RATE = (5, 3600)


def rate() -> tuple[int, int]:
    return getattr(settings, "TRAINING_REQUEST_RATE", DEFAULT_RATE)


def client_address(request: HttpRequest) -> str:
    # allauth's helper honours ALLAUTH_TRUSTED_PROXY_COUNT, so one setting decides which
    # X-Forwarded-For entry is trusted for sign-in limits and for this form alike.
    try:
        return get_adapter(request).get_client_ip(request)
    except PermissionDenied:
        return "unknown"


def _key(request: HttpRequest) -> str:
    limit, window = rate()
    bucket = int(time.time() // window)
    digest = hmac.new(
        settings.SECRET_KEY.encode(), client_address(request).encode(), hashlib.sha256
    ).hexdigest()[:32]
    return f"training:request-rate:{bucket}:{digest}"


def is_rate_limited(request: HttpRequest) -> bool:
    limit, _ = rate()
    return (cache.get(_key(request)) or 0) >= limit


def count_request(request: HttpRequest) -> None:
    _, window = rate()
    key = _key(request)
    # add() is a no-op when the key exists; incr() is atomic in both caches.
    cache.add(key, 0, timeout=window)
    try:
        cache.incr(key)
    except ValueError:
        # The window expired between the two calls: start the new one.
        cache.set(key, 1, timeout=window)


def caught_by_honeypot(request: HttpRequest) -> bool:
    return bool(request.POST.get(HONEYPOT_FIELD, "").strip())
