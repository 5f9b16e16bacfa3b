"""The demo forum: realistic conversations between agencies, seeded once."""

from io import StringIO

import pytest
from django.core.management import call_command

from forum.models import Attachment, Flag, Notification, Post, Thread, ThreadRead, Watch

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
    assert Thread.objects.filter(cohort__slug="osw-2026", pinned=True).count() == 1
    assert not Notification.objects.filter(cohort__slug="osw-2021", read_at=None).exists()
