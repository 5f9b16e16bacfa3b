"""Fixtures for the browser journeys (see tests/browser.py) and the servers the realtime
journeys run against (see tests/daphne.py)."""

import os
import tempfile
import uuid
from pathlib import Path

import pytest

from tests.browser import (
    DESKTOP,
    PHONE,
    chromium_missing_reason,
    close_watched_page,
    launch_chromium,
    open_watched_page,
    open_watched_tab,
)
from tests.daphne import Daphne, RedisServer, database_url, reachable

REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0 only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def pytest_sessionstart(session):
    """Remove SQLite test databases left by runs that were killed before their teardown
    (collaborative/settings.py names each run's file after its process id)."""
    for path in Path(tempfile.gettempdir()).glob("collaborative-test-*.sqlite3*"):
        pid = path.name.removeprefix("collaborative-test-").split(".", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _running(int(pid)):
            path.unlink(missing_ok=True)


def pytest_collection_modifyitems(config, items):
    # The Playwright sync API keeps an asyncio loop marked as running in the main thread for as
    # long as the session-scoped browser lives; run the browser journeys last so that no async
    # test (or Django's async-safety check) ever runs beside it.
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.browser_call_failed = report.failed


@pytest.fixture(scope="session")
def browser():
    reason = chromium_missing_reason()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    # Between sync calls Playwright leaves its event loop marked as running in this thread,
    # which Django would otherwise take for async code and refuse ORM queries from tests.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = launch_chromium(playwright)
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def open_page(browser, request):
    """Open a watched page: ``open_page()`` on a desktop, ``open_page(PHONE)`` on a phone.

    At teardown the test fails on any CSP violation, console error or uncaught exception on
    any page it opened, and on any page it navigated to without running check_accessibility.
    """
    opened = []

    def open_(viewport=DESKTOP, *, real_socket=False):
        page, watch = open_watched_page(browser, viewport, real_socket=real_socket)
        opened.append((page, watch))
        return page

    def tab(page):
        """Another tab beside ``page``: same browser context, watched the same way."""
        new, watch = open_watched_tab(page)
        opened.append((new, watch))
        return new

    open_.tab = tab
    yield open_
    problems = []
    for page, watch in opened:
        found = watch.problems()
        if getattr(request.node, "browser_call_failed", False):
            # The test already failed; only report what may explain it.
            found = [p for p in found if not p.startswith("page never checked")]
        problems += found
        close_watched_page(page)
    if problems:
        pytest.fail("Browser problems:\n" + "\n".join(f"- {p}" for p in problems), pytrace=False)


@pytest.fixture
def page(open_page):
    return open_page(DESKTOP)


@pytest.fixture
def phone_page(open_page):
    return open_page(PHONE)


# Servers for the realtime journeys ------------------------------------------------------------


@pytest.fixture
def redis_url():
    """The shared Redis the realtime journeys use (REDIS_URL, or the local default)."""
    if not reachable(REDIS_URL):
        pytest.skip(f"Redis is not reachable at {REDIS_URL}: start it or set REDIS_URL")
    return REDIS_URL


@pytest.fixture
def start_daphne(transactional_db, request):
    """Start daphne processes serving this test's database: ``start_daphne()`` uses the
    in-memory channel layer, ``start_daphne(redis_url=...)`` the Redis one.

    Processes given the same ``group`` share channel-layer and cache key prefixes (unique to
    the test), so they see each other's signals and nobody else's. All are stopped at
    teardown, after the pages (request this fixture before ``open_page``).
    """
    from django.db import connection

    started: list[Daphne] = []
    run = uuid.uuid4().hex[:10]
    used_redis: set[str] = set()

    def start(*, redis_url: str | None = None, group: str = "default", name: str = "daphne"):
        env = {
            "DATABASE_URL": database_url(connection.settings_dict),
            # DEBUG serves static files through WhiteNoise's finders and allows 127.0.0.1.
            "DEBUG": "1",
            "COLLABORATIVE_TESTING": "1",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
        }
        if redis_url:
            prefix = f"test-rt-{run}-{group}"
            env.update({"REDIS_URL": redis_url, "CHANNELS_PREFIX": prefix, "CACHE_PREFIX": prefix})
            used_redis.add(redis_url)
        server = Daphne(env, name=name)
        started.append(server)
        return server.start()

    yield start
    for server in started:
        server.stop()
        if getattr(request.node, "browser_call_failed", False):
            # What the servers logged goes into the failure report.
            print(f"\n{server} log:\n{server.log_tail(200)}")
        server.close()
    for url in used_redis:
        forget_keys(url, f"test-rt-{run}-")


def forget_keys(url: str, prefix: str) -> None:
    """Delete what the test's servers left in a shared Redis (groups, rate-limit counters)."""
    import redis

    if not reachable(url):
        return
    client = redis.Redis.from_url(url)
    try:
        keys = list(client.scan_iter(match=f"{prefix}*", count=500))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@pytest.fixture
def own_redis():
    """A redis-server of this test's own, on a free port, to stop and start at will."""
    try:
        server = RedisServer()
    except FileNotFoundError as error:
        pytest.skip(f"{error}: apt-get install redis-server")
    server.start()
    yield server
    server.close()
