"""Realtime notifications in real browsers, against real daphne processes.

Two members of one cohort, from different agencies, each in a browser context of their own:
Dave started a thread (so he watches it), Bob replies through the reply form. Dave's open page
shows the badge and a toast without a reload — the socket carries only ids and counts, the
toast's text comes from the feed over HTTP. Then Dave's socket is cut in different ways (the
socket alone, the whole daphne process, the Redis channel layer): while he is cut off Bob
keeps posting, and when the connection is back Dave's page shows what he missed, still
without a reload.

Each journey runs daphne on ``collaborative.asgi:application`` in a process of its own
(tests/daphne.py) against the test's database. The in-memory channel layer works within one
process; journeys with two processes, or a Redis outage, use the Redis layer.
"""

import re
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.urls import reverse
from playwright.sync_api import expect

from forum import posting
from forum.models import Category, Notification, Post
from tests.browser import check_accessibility, forgive_console_errors, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TITLE = "Debriefs after a critical incident"
REPLIED = f"Bob Chief replied in “{TITLE}”"
# How long a page may take to show what arrived: a signal is immediate, but after a cut the
# page waits for its backoff (capped at 30 s) or its next poll (every 15–25 s).
ARRIVAL_MS = 10_000
RECOVERY_MS = 40_000
# Console errors a cut causes on purpose: the socket's failed handshakes and, while the server
# is down, the polling requests it refuses.
SOCKET_ERRORS = "/ws/notifications/"
FEED_ERRORS = "/me/notifications/feed.json"


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def layer(request):
    """The channel layer of the daphne process: None for the in-memory one, or a Redis URL."""
    if request.param == "redis":
        return request.getfixturevalue("redis_url")
    return None


# Toasts leave after a few seconds; every one a page shows is recorded, so a journey can tell
# which notifications were toasted (and that none was toasted twice) whenever it looks.
TOAST_RECORDER = """
window.__toasts = [];
new MutationObserver((records) => {
  for (const record of records) {
    for (const node of record.addedNodes) {
      if (node.nodeType !== 1 || !node.classList.contains("toast")) continue;
      const link = node.querySelector("a");
      window.__toasts.push({ href: link ? link.getAttribute("href") : "", text: node.textContent });
    }
  }
}).observe(document, { childList: true, subtree: true });
"""


@pytest.fixture
def live_page(start_daphne, open_page):
    """Open a page whose notification socket reaches the daphne process that serves it.

    Depends on ``start_daphne`` first, so the pages close before the servers stop.
    """

    def open_():
        page = open_page(real_socket=True)
        page.context.add_init_script(TOAST_RECORDER)
        return page

    open_.tab = open_page.tab
    return open_


@pytest.fixture
def thread(cohort, team, other_team, command, peer):
    """Dave's thread in the cohort's General category; starting it made him a watcher."""
    posting.ensure_categories(cohort)
    general = Category.objects.get(cohort=cohort, slug=posting.GENERAL_SLUG)
    started = posting.start_thread(
        category=general, author=peer, title=TITLE, body="Who runs your debriefs, and when?"
    )
    return started.post.thread


class SocketCut:
    """Cuts a page's notification socket on demand while everything else keeps working.

    Every socket the page opens passes through Playwright to the real server; ``cut()``
    closes them and refuses new ones until ``restore()``.
    """

    def __init__(self, page):
        self.cut_off = False
        self.open: list[tuple] = []
        self.refused = 0
        page.context.route_web_socket("**/ws/notifications/", self._route)

    def _route(self, ws) -> None:
        if self.cut_off:
            self.refused += 1
            ws.close()
            return
        self.open.append((ws, ws.connect_to_server()))

    def cut(self) -> None:
        self.cut_off = True
        for page_side, server_side in self.open:
            page_side.close()
            server_side.close()
        self.open.clear()

    def restore(self) -> None:
        self.cut_off = False


def enter(page, server, user) -> None:
    """Sign in through the form on ``server`` and wait until the page's socket has greeted
    the server; the page then stays put (no reload) for the rest of the journey."""
    sign_in(page, server, user)
    check_accessibility(page)
    expect_live(page)
    page.evaluate("() => { window.__sameDocument = true; }")


def expect_live(page, timeout: int = ARRIVAL_MS) -> None:
    body = page.locator("body")
    expect(body).to_have_attribute("data-socket-state", "open", timeout=timeout)
    # The greeting's unread count is shown once the tab knows where to resume from.
    expect(body).to_have_attribute("data-unread", re.compile(r"^\d+$"), timeout=timeout)


def expect_cut_off(page) -> None:
    body = page.locator("body")
    expect(body).to_have_attribute("data-socket-state", "closed")
    expect(body).to_have_attribute("data-notifications-polling", "on")


def expect_unread(page, count: int, timeout: int = ARRIVAL_MS) -> None:
    badge = page.locator("#notification-badge")
    if count:
        expect(badge).to_be_visible(timeout=timeout)
        expect(badge.locator("[data-count]")).to_have_text(str(count), timeout=timeout)
    else:
        expect(badge).to_be_hidden(timeout=timeout)
    expect(page.locator("body")).to_have_attribute("data-unread", str(count), timeout=timeout)


def toast_href(notification) -> str:
    return reverse("notifications:open", args=[notification.pk])


def toasted(page) -> list[dict]:
    return page.evaluate("() => window.__toasts")


def expect_toasts(page, notifications, timeout: int = ARRIVAL_MS) -> None:
    """Each notification was toasted on the page, once, naming Bob's reply."""
    wanted = [toast_href(n) for n in notifications]
    deadline = time.monotonic() + timeout / 1000
    while not set(wanted) <= {t["href"] for t in toasted(page)}:
        if time.monotonic() > deadline:
            pytest.fail(f"no toast for {wanted} on {page.url}; toasts shown: {toasted(page)}")
        page.wait_for_timeout(100)
    for href in wanted:
        assert [t["text"] for t in toasted(page) if t["href"] == href] == [REPLIED]


def expect_live_toast(page, notification) -> None:
    """A toast for the notification is on screen now."""
    link = page.locator(f'#toasts .toast a[href="{toast_href(notification)}"]')
    expect(link).to_have_text(REPLIED)
    expect_toasts(page, [notification])


def assert_never_reloaded(page) -> None:
    assert page.evaluate("() => window.__sameDocument === true"), f"{page.url} was reloaded"


def reply_through_form(page, server, thread, text: str) -> Post:
    """Bob replies with the thread page's form; the reply is on the page that follows."""
    page.goto(f"{server.url}{thread.get_absolute_url()}")
    check_accessibility(page)
    page.get_by_label("Your reply").fill(text)
    with page.expect_navigation():
        page.get_by_role("button", name="Post reply").click()
    check_accessibility(page)
    expect(page.get_by_role("status").filter(has_text="Your reply is posted.")).to_be_visible()
    post = Post.objects.get(thread=thread, body=text)
    expect(page.locator(f"#post-{post.number}")).to_contain_text(text)
    return post


def elsewhere(write, **kwargs):
    """Run a write as another server would: in a thread of its own, outside the browser's
    event loop, with its own database connection (closed afterwards)."""

    def run():
        try:
            return write(**kwargs)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()


def replies_to(user) -> list[Notification]:
    return list(Notification.objects.filter(recipient=user, kind="reply").order_by("pk"))


def mark_all_read_in_another_tab(live_page, page, server) -> None:
    """Open the notification centre in a second tab of ``page``'s browser and mark all read."""
    centre = live_page.tab(page)
    centre.goto(f"{server.url}{reverse('notifications:list')}")
    check_accessibility(centre)
    with centre.expect_navigation():
        centre.get_by_role("button", name="Mark all as read").click()
    check_accessibility(centre)
    expect(centre.get_by_role("link", name="Unread (0)")).to_be_visible()
    expect(centre.get_by_text("New", exact=True)).to_have_count(0)


def test_a_reply_shows_live_and_a_cut_socket_catches_up(
    layer, start_daphne, live_page, thread, command, peer
):
    server = start_daphne(redis_url=layer)
    dave = live_page()
    cut = SocketCut(dave)
    # The page's own clock, so the test can move it past a poll or a backoff delay instead of
    # waiting for it; it otherwise runs at the normal pace.
    dave.clock.install()
    enter(dave, server, peer)
    expect_unread(dave, 0)
    bob = live_page()
    enter(bob, server, command)

    reply_through_form(bob, server, thread, "Our clinician does, within 72 hours.")

    [first] = replies_to(peer)
    expect_unread(dave, 1)
    expect_live_toast(dave, first)

    # The socket drops and stays refused; the page falls back to polling the feed.
    cut.cut()
    expect_cut_off(dave)
    reply_through_form(bob, server, thread, "We add a peer-support officer at 30 days.")
    reply_through_form(bob, server, thread, "And a check-in at six months.")
    missed = replies_to(peer)[1:]
    assert len(missed) == 2
    dave.clock.run_for(30_000)  # past the next poll, and past any reconnection delay
    expect_unread(dave, 3)
    expect_toasts(dave, missed)
    assert cut.refused >= 1, "the page never tried to reconnect while its socket was cut"
    expect_cut_off(dave)

    # The socket is back: the page reconnects, resumes and stops polling.
    cut.restore()
    dave.clock.run_for(30_000)
    expect_live(dave)
    expect(dave.locator("body")).to_have_attribute("data-notifications-polling", "off")
    expect_unread(dave, 3)

    # Reading everything in another tab clears this tab's badge, still without a reload.
    mark_all_read_in_another_tab(live_page, dave, server)
    expect_unread(dave, 0)
    assert not Notification.objects.filter(recipient=peer, read_at__isnull=True).exists()
    assert_never_reloaded(dave)


def test_a_restarted_server_loses_nothing(layer, start_daphne, live_page, thread, command, peer):
    server = start_daphne(redis_url=layer)
    dave = live_page()
    enter(dave, server, peer)
    bob = live_page()
    enter(bob, server, command)
    reply_through_form(bob, server, thread, "Our clinician does, within 72 hours.")
    [first] = replies_to(peer)
    expect_unread(dave, 1)
    expect_live_toast(dave, first)

    # The process stops: every socket drops and the pages poll a server that is not there.
    server.stop()
    expect_cut_off(dave)
    # Meanwhile Bob's replies are saved elsewhere (his request is served by the same code
    # another process runs); their signals reach no socket of Dave's.
    for text in ("We add a peer-support officer at 30 days.", "And a check-in at six months."):
        elsewhere(posting.reply, thread=thread, author=command, body=text)
    missed = replies_to(peer)[1:]
    assert len(missed) == 2

    # The process is back on the same port: the page reconnects (with backoff) and resumes.
    server.start()
    expect_unread(dave, 3, timeout=RECOVERY_MS)
    expect_toasts(dave, missed)
    expect_live(dave, timeout=RECOVERY_MS)
    assert_never_reloaded(dave)
    assert forgive_console_errors(dave, SOCKET_ERRORS) >= 1
    # Polls and Bob's page's reconnections may or may not have fallen in the outage.
    forgive_console_errors(dave, FEED_ERRORS)
    forgive_console_errors(bob, SOCKET_ERRORS)
    forgive_console_errors(bob, FEED_ERRORS)


@pytest.mark.redis
def test_two_processes_share_notifications_through_redis(
    redis_url, start_daphne, live_page, thread, command, peer
):
    one = start_daphne(redis_url=redis_url, name="one")
    two = start_daphne(redis_url=redis_url, name="two")
    dave = live_page()
    sockets = []
    dave.on("websocket", lambda ws: sockets.append(ws.url))
    enter(dave, two, peer)
    live_since = time.monotonic()
    bob = live_page()
    enter(bob, one, command)
    # An idle socket outlasts the channel layer's blocking read on Redis (5 s at a time).
    dave.wait_for_timeout(max(0, 7 - (time.monotonic() - live_since)) * 1000)
    assert len(sockets) == 1, f"Dave's idle socket was dropped and reopened: {sockets}"
    expect_live(dave)

    # Bob's reply is handled by process one; Dave's socket is held by process two.
    reply_through_form(bob, one, thread, "Our clinician does, within 72 hours.")
    [first] = replies_to(peer)
    expect_unread(dave, 1)
    expect_live_toast(dave, first)

    # Process two restarts while Bob keeps posting through process one.
    two.stop()
    expect_cut_off(dave)
    reply_through_form(bob, one, thread, "We add a peer-support officer at 30 days.")
    reply_through_form(bob, one, thread, "And a check-in at six months.")
    missed = replies_to(peer)[1:]
    two.start()
    expect_unread(dave, 3, timeout=RECOVERY_MS)
    expect_toasts(dave, missed)
    expect_live(dave, timeout=RECOVERY_MS)

    # Marking all read through process one clears the badge on Dave's page from process two.
    mark_all_read_in_another_tab(live_page, dave, one)
    expect_unread(dave, 0)
    assert_never_reloaded(dave)
    assert forgive_console_errors(dave, SOCKET_ERRORS) >= 1
    # A poll may or may not have fallen while process two was down.
    forgive_console_errors(dave, FEED_ERRORS)


@pytest.mark.redis
def test_a_redis_outage_loses_no_post_and_no_notification(
    own_redis, start_daphne, live_page, thread, command, peer
):
    server = start_daphne(redis_url=own_redis.url)
    dave = live_page()
    enter(dave, server, peer)
    bob = live_page()
    enter(bob, server, command)

    # Redis goes away: the channel layer is down, the database and HTTP are not.
    own_redis.stop()
    status, health = server.healthz()
    assert (status, health["database"], health["channel_layer"]) == (503, "up", "down")

    # Bob's reply is saved and his request succeeds; its signal has nowhere to go.
    reply_through_form(bob, server, thread, "Our clinician does, within 72 hours.")
    [missed] = replies_to(peer)

    # Redis is back: Dave's page (polling meanwhile, or asked to resume) shows what arrived,
    # without a reload.
    own_redis.start()
    expect_unread(dave, 1, timeout=RECOVERY_MS)
    expect_toasts(dave, [missed])
    expect_live(dave, timeout=RECOVERY_MS)
    assert server.healthz()[0] == 200
    assert_never_reloaded(dave)
    forgive_console_errors(dave, SOCKET_ERRORS)
    forgive_console_errors(bob, SOCKET_ERRORS)


def test_a_new_browser_polling_without_its_socket_toasts_only_what_is_new(
    start_daphne, live_page, cohort, peer, command
):
    # Dave has more notifications than one page of the feed holds, all from before today.
    old = Notification.objects.bulk_create(
        Notification(recipient=peer, kind="reply", summary=f"Old reply {n}", cohort=cohort)
        for n in range(60)
    )
    server = start_daphne()
    dave = live_page()
    cut = SocketCut(dave)
    cut.cut()  # his socket never gets through: the page knows nothing yet and polls
    dave.clock.install()
    sign_in(dave, server, peer)
    check_accessibility(dave)
    dave.evaluate("() => { window.__sameDocument = true; }")
    expect_cut_off(dave)

    # The first polls page through to the newest without toasting anything already there.
    dave.clock.run_for(5_000)
    expect_unread(dave, 60)
    newest = str(max(n.pk for n in old))
    mark = f"() => localStorage.getItem('collaborative:last-notification:{peer.pk}')"
    deadline = time.monotonic() + ARRIVAL_MS / 1000
    while dave.evaluate(mark) != newest:
        assert time.monotonic() < deadline, f"the page never caught up to {newest}"
        dave.wait_for_timeout(100)
    assert toasted(dave) == []

    # Something new arrives: the next poll toasts that, and only that.
    fresh = elsewhere(
        Notification.objects.create,
        recipient=peer,
        kind="reply",
        summary=REPLIED,
        cohort=cohort,
    )
    dave.clock.run_for(30_000)
    expect_unread(dave, 61)
    expect_toasts(dave, [fresh])
    assert [t["href"] for t in toasted(dave)] == [toast_href(fresh)]
    assert cut.refused >= 1
    assert_never_reloaded(dave)
