"""The demo forum: realistic conversations between agencies, seeded once."""

from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import User
from cohorts.models import Cohort
from forum import messaging
from forum.measures import peer_contacts
from forum.models import (
    Attachment,
    Conversation,
    ConversationMember,
    Flag,
    Message,
    Notification,
    Post,
    Thread,
    ThreadRead,
    Watch,
)

pytestmark = pytest.mark.django_db


def seed() -> None:
    call_command("seed_demo", "--quiet", stdout=StringIO())


def snapshot() -> dict:
    return {
        "threads": sorted(Thread.objects.values_list("cohort__slug", "title", "post_count")),
        "posts": sorted(
            Post.objects.values_list("thread__title", "number", "author__email", "body")
        ),
        "attachments": Attachment.objects.count(),
        "flags": Flag.objects.count(),
        "notifications": Notification.objects.count(),
        "watches": Watch.objects.count(),
        "reads": ThreadRead.objects.count(),
        "conversations": sorted(
            Conversation.objects.values_list("cohort__slug", "title", "message_count")
        ),
        "messages": sorted(Message.objects.values_list("author__email", "body")),
        "read_marks": sorted(
            ConversationMember.objects.values_list("user__email", "last_read_message_id")
        ),
        "unread": Notification.objects.filter(read_at__isnull=True).count(),
        "sharing": sorted(
            User.objects.filter(share_email=True).values_list("email", "share_phone", "phone")
        ),
    }


def test_the_demo_forum_is_seeded_once_and_the_same_each_time():
    seed()
    first = snapshot()
    seed()

    assert snapshot() == first
    assert {slug for slug, _, _ in first["threads"]} == {"osw-2021", "osw-2026"}


def test_the_demo_conversations_cross_agencies_with_quotes_mentions_and_a_policy():
    seed()
    thread = Thread.objects.get(cohort__slug="osw-2026", title__startswith="Who runs your critical")
    posts = list(thread.posts.select_related("author").order_by("number"))
    agencies = {p.author.memberships.get(team__cohort=thread.cohort).team.agency_id for p in posts}

    assert len(agencies) >= 3
    assert any(p.quoted_id for p in posts)
    assert any('class="mention"' in p.body_html for p in posts)
    assert Attachment.objects.filter(post__thread=thread).exists()
    # The personas of the current cohort have something waiting for them.
    assert Notification.objects.filter(
        recipient__email="command@demo.collaborative.example", kind="mention", read_at=None
    ).exists()
    assert Flag.objects.open().filter(post__thread__cohort__slug="osw-2026").count() == 1
    # The welcome is pinned; the staff announcement is pinned and locked.
    assert Thread.objects.filter(cohort__slug="osw-2026", pinned=True, locked=False).count() == 1
    assert not Notification.objects.filter(cohort__slug="osw-2021", read_at=None).exists()


def test_the_demo_messages_cross_agencies_and_leave_the_personas_something_unread():
    seed()
    cohort = Cohort.objects.get(slug="osw-2026")
    conversations = Conversation.objects.filter(cohort=cohort)
    assert conversations.filter(direct_key="").count() == 1  # a small group
    assert conversations.exclude(direct_key="").count() == 2  # and one-to-one conversations
    for conversation in conversations:
        people = conversation.members.values_list("user", flat=True)
        agencies = set(
            cohort.teams.filter(memberships__user__in=people).values_list("agency", flat=True)
        )
        assert len(agencies) >= 2
    peer = User.objects.get(email="peer@demo.collaborative.example")
    officer = User.objects.get(email="officer@demo.collaborative.example")
    assert messaging.unread_count(peer) >= 2
    assert messaging.unread_count(officer) >= 1
    for persona in (peer, officer):
        mine = Notification.objects.filter(recipient=persona, cohort=cohort)
        assert mine.filter(kind="message", read_at=None).exists()
        assert mine.filter(read_at__isnull=False).exists()
    assert Notification.objects.filter(recipient=peer, kind="announcement", read_at=None).exists()
    assert Thread.objects.filter(cohort=cohort, pinned=True, locked=True).exists()
    # Nothing is queued for email by the demo.
    from django_tasks_db.models import DBTaskResult

    assert not DBTaskResult.objects.exists()


def test_the_first_collaboratives_platform_contact_sits_beside_its_survey():
    seed()
    cohort = Cohort.objects.get(slug="osw-2021")

    made, members = peer_contacts(cohort)

    assert members == 56
    assert 30 <= made <= 40
    assert not ConversationMember.objects.filter(
        conversation__cohort=cohort, last_read_message_id=0
    ).exists()
    assert not Notification.objects.filter(cohort=cohort, read_at=None).exists()


def test_some_members_share_contact_details_and_most_do_not():
    seed()
    members = User.objects.filter(memberships__team__cohort__slug="osw-2026").distinct()

    sharing = members.filter(share_email=True).count()
    assert 0 < sharing < members.count()
    assert members.filter(share_phone=True).exclude(phone="").exists()
