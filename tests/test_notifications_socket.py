"""The notification socket: who may connect, what travels over it, and what survives failure.

Sockets carry signals only (ids, kinds, counts); a notification's text stays in the database.
"""

import json
import logging
import os
import socket
import uuid
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.db import transaction
from django.test import Client
from django.urls import reverse

import forum.realtime
import forum.services
from collaborative.asgi import application
from conftest import PASSWORD
from forum.models import Notification
from forum.services import notify, push_signal

PATH = "/ws/notifications/"
SECRET_SUMMARY = "Sgt. Carol replied: the peer-support referral for Officer X is approved"
FOREIGN_ORIGIN = b"http://evil.example"
OUR_ORIGIN = b"<this site>"  # sentinel: communicator() sends an origin on ALLOWED_HOSTS
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
TIMEOUT = 3

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def our_host() -> str:
    """A host the running settings accept, so the Origin check passes for honest clients."""
    for host in settings.ALLOWED_HOSTS:
        if host and host != "*":
            return host.lstrip(".")
    return "localhost"


def communicator(*, cookie: str | None = None, origin: bytes | None = OUR_ORIGIN):
    """A socket as a browser opens it; ``origin=None`` sends no Origin header at all."""
    host = our_host()
    headers = [(b"host", host.encode())]
    if origin is OUR_ORIGIN:
        origin = f"http://{host}".encode()
    if origin is not None:
        headers.append((b"origin", origin))
    if cookie:
        headers.append((b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode()))
    return WebsocketCommunicator(application, PATH, headers=headers)


@database_sync_to_async
def sign_in(user) -> str:
    """Sign in the way a browser does and return the session cookie's value."""
    client = Client()
    assert client.login(email=user.email, password=PASSWORD)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


@asynccontextmanager
async def open_socket(user):
    """A signed-in socket past its greeting; always disconnected afterwards."""
    ws = communicator(cookie=await sign_in(user))
    try:
        connected, _ = await ws.connect(timeout=TIMEOUT)
        assert connected, "a signed-in member's socket was refused"
        hello = await ws.receive_json_from(timeout=TIMEOUT)
        assert hello["type"] == "hello"
        yield ws
    finally:
        await ws.disconnect()


async def refused(ws: WebsocketCommunicator) -> tuple[bool, int]:
    try:
        return await ws.connect(timeout=TIMEOUT)
    finally:
        await ws.disconnect()


def make_notification(user, *, read: bool = False, summary: str = SECRET_SUMMARY):
    from django.utils import timezone

    return Notification.objects.create(
        recipient=user,
        kind=Notification.Kind.REPLY,
        summary=summary,
        read_at=timezone.now() if read else None,
    )


async def notify_async(user, **extra) -> Notification:
    return await database_sync_to_async(notify)(
        recipient=user, kind=Notification.Kind.REPLY, summary=SECRET_SUMMARY, **extra
    )


async def assert_signal_arrives(ws: WebsocketCommunicator, user, cohort) -> None:
    notification = await notify_async(user, url="/cohorts/", cohort=cohort)

    raw = await ws.receive_from(timeout=TIMEOUT)

    assert SECRET_SUMMARY not in raw
    assert "Officer X" not in raw
    assert json.loads(raw) == {
        "type": "notification",
        "id": notification.pk,
        "kind": "reply",
        "cohort": cohort.pk,
        "unread": 1,
    }


class RecordingLayer:
    def __init__(self):
        self.sent: list[tuple[str, dict]] = []

    async def group_send(self, group: str, message: dict) -> None:
        self.sent.append((group, message))


class BrokenLayer:
    async def group_send(self, group: str, message: dict) -> None:
        raise ConnectionError("Redis connection refused")


# Who may connect.


@pytest.mark.asyncio
async def test_a_foreign_origin_is_refused_even_with_a_session(officer):
    ws = communicator(cookie=await sign_in(officer), origin=FOREIGN_ORIGIN)

    connected, _ = await refused(ws)

    assert connected is False


@pytest.mark.asyncio
async def test_a_missing_origin_is_refused(officer):
    ws = communicator(cookie=await sign_in(officer), origin=None)

    connected, _ = await refused(ws)

    assert connected is False


@pytest.mark.asyncio
async def test_an_anonymous_visitor_is_refused(db):
    connected, code = await refused(communicator())

    assert (connected, code) == (False, 4401)


@pytest.mark.asyncio
async def test_a_forged_session_cookie_is_refused(officer):
    connected, code = await refused(communicator(cookie="not-a-real-session-key"))

    assert (connected, code) == (False, 4401)


@pytest.mark.asyncio
async def test_a_deactivated_person_is_refused(officer):
    cookie = await sign_in(officer)
    officer.is_active = False
    await database_sync_to_async(officer.save)()

    connected, code = await refused(communicator(cookie=cookie))

    assert (connected, code) == (False, 4401)


# What travels over it.


@pytest.mark.asyncio
async def test_it_greets_with_the_unread_count_and_the_newest_id(officer, peer):
    await database_sync_to_async(make_notification)(officer)
    await database_sync_to_async(make_notification)(officer)
    newest = await database_sync_to_async(make_notification)(officer, read=True)
    await database_sync_to_async(make_notification)(peer)
    ws = communicator(cookie=await sign_in(officer))
    try:
        connected, _ = await ws.connect(timeout=TIMEOUT)
        assert connected

        assert await ws.receive_json_from(timeout=TIMEOUT) == {
            "type": "hello",
            "unread": 2,
            "latest": newest.pk,
        }
    finally:
        await ws.disconnect()


@pytest.mark.asyncio
async def test_a_notification_is_signalled_without_its_text(officer, cohort):
    async with open_socket(officer) as ws:
        await assert_signal_arrives(ws, officer, cohort)


@pytest.mark.asyncio
async def test_another_persons_notification_does_not_reach_the_socket(officer, peer, cohort):
    async with open_socket(officer) as ws:
        await notify_async(peer, cohort=cohort)

        assert await ws.receive_nothing(timeout=0.5)

        # The socket still works: the next thing it hears is its own person's signal.
        mine = await notify_async(officer, cohort=cohort)
        message = await ws.receive_json_from(timeout=TIMEOUT)
        assert (message["type"], message["id"]) == ("notification", mine.pk)


@pytest.mark.asyncio
async def test_resume_returns_every_missed_notification_in_order(officer, peer):
    seen = await database_sync_to_async(make_notification)(officer)
    first_missed = await database_sync_to_async(make_notification)(officer)
    await database_sync_to_async(make_notification)(peer)
    second_missed = await database_sync_to_async(make_notification)(officer, read=True)
    third_missed = await database_sync_to_async(make_notification)(officer)

    async with open_socket(officer) as ws:
        await ws.send_json_to({"type": "resume", "after": seen.pk})
        raw = await ws.receive_from(timeout=TIMEOUT)

    # The answer comes from the database to the person's own socket, never through the
    # channel layer: it carries what the feed would give, text included, and nothing of
    # anyone else's.
    answer = json.loads(raw)
    assert [(n["id"], n["kind"], n["read"]) for n in answer["notifications"]] == [
        (first_missed.pk, "reply", False),
        (second_missed.pk, "reply", True),
        (third_missed.pk, "reply", False),
    ]
    assert answer["notifications"][0] == {
        "id": first_missed.pk,
        "kind": "reply",
        "summary": SECRET_SUMMARY,
        "cohort": "",
        "url": reverse("notifications:open", args=[first_missed.pk]),
        "created": first_missed.created.isoformat(),
        "read": False,
    }
    assert (answer["type"], answer["more"], answer["unread"]) == ("resume", False, 3)


@pytest.mark.asyncio
async def test_resume_pages_past_its_limit(officer, monkeypatch):
    from forum import consumers

    monkeypatch.setattr(consumers, "RESUME_LIMIT", 2)
    seen = await database_sync_to_async(make_notification)(officer)
    missed = [await database_sync_to_async(make_notification)(officer) for _ in range(3)]

    async with open_socket(officer) as ws:
        await ws.send_json_to({"type": "resume", "after": seen.pk})
        answer = await ws.receive_json_from(timeout=TIMEOUT)

    assert [n["id"] for n in answer["notifications"]] == [n.pk for n in missed[:2]]
    assert answer["more"] is True


@pytest.mark.asyncio
async def test_resume_rejects_an_id_that_is_not_a_number(officer):
    async with open_socket(officer) as ws:
        await ws.send_json_to({"type": "resume", "after": "1 OR 1=1"})

        assert await ws.receive_json_from(timeout=TIMEOUT) == {
            "type": "error",
            "error": "after must be an integer id",
        }


# Broadcast after commit, and survive a broken channel layer.


def test_the_signal_is_sent_only_after_the_write_commits(officer, monkeypatch):
    layer = RecordingLayer()
    monkeypatch.setattr(forum.services, "get_channel_layer", lambda: layer)

    with transaction.atomic():
        notification = notify(recipient=officer, kind="reply", summary=SECRET_SUMMARY)
        assert layer.sent == []

    assert layer.sent == [
        (
            f"user.{officer.pk}",
            {
                "type": "notification.signal",
                "id": notification.pk,
                "kind": "reply",
                "cohort": None,
                "unread": 1,
            },
        )
    ]


def test_a_rolled_back_notification_is_never_signalled(officer, monkeypatch):
    layer = RecordingLayer()
    monkeypatch.setattr(forum.services, "get_channel_layer", lambda: layer)

    with pytest.raises(RuntimeError), transaction.atomic():
        notify(recipient=officer, kind="reply", summary=SECRET_SUMMARY)
        raise RuntimeError("a later step failed")

    assert layer.sent == []
    assert not Notification.objects.exists()


def test_a_failing_channel_layer_keeps_the_notification_and_logs(officer, monkeypatch, caplog):
    monkeypatch.setattr(forum.services, "get_channel_layer", lambda: BrokenLayer())

    with caplog.at_level(logging.ERROR, logger="forum.services"):
        notification = notify(recipient=officer, kind="reply", summary=SECRET_SUMMARY)

    assert Notification.objects.filter(pk=notification.pk, recipient=officer).exists()
    errors = [r for r in caplog.records if r.name == "forum.services"]
    assert len(errors) == 1
    assert errors[0].levelno == logging.ERROR
    assert errors[0].getMessage() == (
        f"Could not signal notification {notification.pk} over the channel layer"
    )
    assert errors[0].exc_info is not None
    assert push_signal(notification) is False


# The same round trip through Redis, as in production.


def redis_reachable(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379), 0.5):
            return True
    except OSError:
        return False


def use_redis_layer(settings, backend: str) -> None:
    if not redis_reachable(REDIS_URL):
        pytest.skip(f"Redis is not reachable at {REDIS_URL}: start it or set REDIS_URL")
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": backend,
            # A prefix of its own keeps this test's groups apart from anything else on the server.
            "CONFIG": {"hosts": [REDIS_URL], "prefix": f"test-{uuid.uuid4().hex[:8]}"},
        }
    }


@pytest.fixture
def redis_channel_layer(settings):
    use_redis_layer(settings, "channels_redis.core.RedisChannelLayer")


@pytest.mark.redis
@pytest.mark.usefixtures("redis_channel_layer")
class TestThroughRedis:
    @pytest.mark.asyncio
    async def test_a_notification_is_signalled_through_redis(self, officer, cohort):
        from channels_redis.core import RedisChannelLayer

        assert isinstance(get_channel_layer(), RedisChannelLayer)
        async with open_socket(officer) as ws:
            await assert_signal_arrives(ws, officer, cohort)

    @pytest.mark.asyncio
    async def test_another_persons_notification_stays_out_through_redis(self, officer, peer):
        async with open_socket(officer) as ws:
            await notify_async(peer)

            assert await ws.receive_nothing(timeout=0.5)


@pytest.fixture
def redis_pubsub_layer(settings):
    use_redis_layer(settings, "collaborative.channel_layer.ChannelLayer")


@pytest.mark.redis
@pytest.mark.usefixtures("redis_pubsub_layer")
class TestThroughRedisPubSub:
    """The pub/sub layer that bench/fanout.py --channel-layer pubsub compares."""

    @pytest.mark.asyncio
    async def test_a_notification_is_signalled(self, officer, cohort):
        async with open_socket(officer) as ws:
            await assert_signal_arrives(ws, officer, cohort)

    @pytest.mark.asyncio
    async def test_the_health_check_lets_its_channel_go(self):
        from collaborative.views import _channel_layer_state

        assert await _channel_layer_state() == "up"
        assert await _channel_layer_state() == "up"

        layer = get_channel_layer()._get_layer()
        assert layer.channels == {}
        assert layer._shards[0]._subscribed_to == set()

    @pytest.mark.asyncio
    async def test_a_lost_redis_connection_asks_the_page_to_resume(self, officer, cohort):
        async with open_socket(officer) as ws:
            shard = get_channel_layer()._get_layer()._shards[0]
            # The process's subscription connection drops (Redis restarted, a network fault):
            # whatever was published meanwhile never reached it.
            await shard._pubsub.connection.disconnect()

            assert await ws.receive_json_from(timeout=TIMEOUT) == {"type": "resync"}
            # Subscribed again: signals arrive as before.
            await assert_signal_arrives(ws, officer, cohort)


# Keeping tabs in step: read marks and access changes.


@pytest.mark.asyncio
async def test_reading_a_notification_tells_every_open_tab(officer):
    first = await database_sync_to_async(make_notification)(officer)
    await database_sync_to_async(make_notification)(officer)
    async with open_socket(officer) as tab_one, open_socket(officer) as tab_two:
        await database_sync_to_async(forum.realtime.mark_read)(officer, ids=[first.pk])

        for tab in (tab_one, tab_two):
            assert await tab.receive_json_from(timeout=TIMEOUT) == {
                "type": "read",
                "ids": [first.pk],
                "unread": 1,
            }


@pytest.mark.asyncio
async def test_leaving_a_team_closes_the_members_sockets_so_they_reconnect(officer, team):
    membership = await database_sync_to_async(team.memberships.get)(user=officer)
    async with open_socket(officer) as ws:
        await database_sync_to_async(team.remove_member)(membership)

        assert await ws.receive_output(timeout=TIMEOUT) == {"type": "websocket.close", "code": 4000}


def test_read_marks_survive_a_failing_channel_layer(officer, monkeypatch, caplog):
    notification = make_notification(officer)
    monkeypatch.setattr(forum.realtime, "get_channel_layer", lambda: BrokenLayer())

    with caplog.at_level(logging.ERROR, logger="forum.realtime"):
        assert forum.realtime.mark_read(officer) == 1

    notification.refresh_from_db()
    assert notification.read_at is not None
    assert [r.levelno for r in caplog.records if r.name == "forum.realtime"] == [logging.ERROR]


# One message to a cohort's group for a write that reaches most of its members.


@pytest.fixture
def small_cohort_signals(monkeypatch):
    """A cohort-wide signal from two recipients on, so that a handful of members show it."""
    monkeypatch.setattr(forum.services, "COHORT_SIGNAL_MIN", 2)


def sends_recorded(monkeypatch) -> list[tuple[str, dict]]:
    """Record every group send the signals make (and still send them)."""
    sent: list[tuple[str, dict]] = []
    original = forum.services._send_all

    async def recording(sends):
        sent.extend((group, message) for group, message, _ in sends)
        return await original(sends)

    monkeypatch.setattr(forum.services, "_send_all", recording)
    return sent


@pytest.mark.asyncio
async def test_a_write_to_most_of_a_cohort_is_one_message_to_its_group(
    small_cohort_signals, monkeypatch, cohort, command, officer, peer, outsider
):
    sent = sends_recorded(monkeypatch)
    async with (
        open_socket(officer) as officer_ws,
        open_socket(peer) as peer_ws,
        open_socket(command) as command_ws,
        open_socket(outsider) as outsider_ws,
    ):
        created = await database_sync_to_async(forum.services.notify_many)(
            [officer, peer],
            kind=Notification.Kind.ANNOUNCEMENT,
            summary=SECRET_SUMMARY,
            cohort=cohort,
        )
        newest = max(n.pk for n in created)

        for ws in (officer_ws, peer_ws):
            raw = await ws.receive_from(timeout=TIMEOUT)
            assert SECRET_SUMMARY not in raw
            assert json.loads(raw) == {
                "type": "notification",
                "id": newest,
                "kind": "announcement",
                "cohort": cohort.pk,
            }
        # A member the write left out, and someone from another cohort, hear nothing.
        assert await command_ws.receive_nothing(timeout=0.5)
        assert await outsider_ws.receive_nothing(timeout=0.2)

    assert [(group, message["except"]) for group, message in sent] == [
        (forum.services.cohort_group(cohort.pk), [command.pk])
    ]


def test_recipients_outside_the_cohort_get_signals_of_their_own(
    small_cohort_signals, monkeypatch, cohort, command, officer, peer, staff
):
    sent = sends_recorded(monkeypatch)
    with transaction.atomic():
        forum.services.notify_many(
            [command, officer, peer, staff],
            kind=Notification.Kind.ANNOUNCEMENT,
            summary="News",
            cohort=cohort,
        )

    groups = sorted(group for group, _ in sent)
    assert groups == sorted([forum.services.cohort_group(cohort.pk), f"user.{staff.pk}"])
    (own,) = [message for group, message in sent if group == f"user.{staff.pk}"]
    assert own["unread"] == 1


def test_a_write_to_few_of_a_cohort_signals_each_recipient(
    small_cohort_signals, monkeypatch, cohort, command, officer, peer
):
    sent = sends_recorded(monkeypatch)
    with transaction.atomic():
        # One recipient of three members: naming the two left out would cost more.
        forum.services.notify_many(
            [officer], kind=Notification.Kind.REPLY, summary="Reply", cohort=cohort
        )
        forum.services.notify_many(
            [officer, peer], kind=Notification.Kind.REPLY, summary="No cohort"
        )

    assert sorted(group for group, _ in sent) == sorted(
        [f"user.{officer.pk}", f"user.{officer.pk}", f"user.{peer.pk}"]
    )


@pytest.mark.asyncio
async def test_joining_a_team_closes_the_sockets_so_they_hear_the_new_cohort(
    officer, outsider_team
):
    from cohorts.models import Membership

    async with open_socket(officer) as ws:
        await database_sync_to_async(Membership.objects.create)(
            team=outsider_team, user=officer, role="sworn"
        )

        assert await ws.receive_output(timeout=TIMEOUT) == {"type": "websocket.close", "code": 4000}


# Staff need two-factor authentication for the socket as for every staff page.


@pytest.mark.asyncio
async def test_staff_without_an_authenticator_app_are_refused(db):
    from conftest import make_user

    staff = await database_sync_to_async(make_user)(
        "frank@staff.example", is_staff=True, totp=False
    )

    assert await refused(communicator(cookie=await sign_in(staff))) == (False, 4403)


@pytest.mark.asyncio
async def test_staff_with_an_authenticator_app_connect(staff):
    async with open_socket(staff) as ws:
        await notify_async(staff)
        assert (await ws.receive_json_from(timeout=TIMEOUT))["type"] == "notification"
