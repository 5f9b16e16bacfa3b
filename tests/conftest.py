"""Fixtures for the browser journeys (see tests/browser.py)."""

import os

import pytest

from tests.browser import (
    DESKTOP,
    PHONE,
    chromium_missing_reason,
    close_watched_page,
    launch_chromium,
    open_watched_page,
)


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

    def open_(viewport=DESKTOP):
        page, watch = open_watched_page(browser, viewport)
        opened.append((page, watch))
        return page

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
