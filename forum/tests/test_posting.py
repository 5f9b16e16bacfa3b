"""The forum's write services: posting, editing, deleting, moderation, flags and read marks."""

import pytest
from django.core.exceptions import PermissionDenied

import forum.services
from conftest import make_member, make_user
from forum import posting
from forum.models import Flag, Notification, Post, Thread, ThreadRead, Watch

from .helpers import answer, start

pytestmark = pytest.mark.django_db


def test_starting_a_thread_writes_its_opening_post(general, command):
    thread = start(
        general, command, title="  Peer support: first steps ", body="**Where** to start?"
    )

    assert thread.title == "Peer support: first steps"
    assert thread.cohort == general.cohort
    assert thread.post_count == 1
    opening = thread.posts.get()
    assert opening.number == 1
    assert "<strong>Where</strong>" in opening.body_html
    assert Thread.objects.get().last_post == opening


def test_replies_are_numbered_in_order(general, command, peer):
    thread = start(general, command)
    first = answer(thread, peer)
    second = answer(thread, command)

    thread.refresh_from_db()
    assert (first.number, second.number) == (2, 3)
    assert thread.post_count == 3
    assert thread.last_post == second


def test_an_outsider_cannot_post(general, outsider):
    with pytest.raises(PermissionDenied):
        start(general, outsider)


def test_staff_can_take_part_in_any_cohort(general, staff, command):
    thread = start(general, command)

    post = answer(thread, staff, body="Program staff here: the template is in the library.")

    assert post.author == staff


@pytest.mark.parametrize(
    ("flag", "message"),
    [("locked", "This thread is locked"), ("hidden", "hidden by program staff")],
)
def test_a_reply_to_a_locked_or_hidden_thread_is_refused(general, command, peer, flag, message):
    thread = start(general, command)
    Thread.objects.filter(pk=thread.pk).update(**{flag: True})

    with pytest.raises(posting.ForumRefusal, match=message):
        answer(thread, peer)

    assert thread.posts.count() == 1


def test_a_reply_reads_the_lock_from_the_database_not_the_callers_copy(general, command, peer):
    thread = start(general, command)
    stale = Thread.objects.get(pk=thread.pk)
    posting.moderate_thread(thread=thread, by=make_user("s@x.example", is_staff=True), locked=True)

    with pytest.raises(posting.ForumRefusal):
        answer(stale, peer)


# Editing and deleting -------------------------------------------------------------------------


def test_the_author_edits_a_post_and_it_is_marked_edited(general, command):
    thread = start(general, command, body="Old text")
    post = thread.posts.get()

    posting.edit_post(post=post, editor=command, body="*New* text", title="A better title")

    post.refresh_from_db()
    thread.refresh_from_db()
    assert post.body == "*New* text"
    assert "<em>New</em>" in post.body_html
    assert post.edited_at is not None
    assert thread.title == "A better title"


def test_only_the_author_edits_a_post(general, command, peer, staff):
    post = start(general, command).posts.get()

    for other in (peer, staff):
        with pytest.raises(PermissionDenied):
            posting.edit_post(post=post, editor=other, body="Rewritten")

    post.refresh_from_db()
    assert post.body == "How did you begin?"
    assert post.edited_at is None


def test_posts_in_a_locked_thread_cannot_be_edited(general, command, staff):
    thread = start(general, command)
    posting.moderate_thread(thread=thread, by=staff, locked=True)

    with pytest.raises(posting.ForumRefusal, match="locked"):
        posting.edit_post(post=thread.posts.get(), editor=command, body="Changed")


def test_deleting_keeps_the_threads_shape_and_removes_the_text(general, command, peer):
    thread = start(general, command)
    reply = answer(thread, peer, body="Ask @bob.chief")

    posting.delete_post(post=reply, by=peer)

    reply.refresh_from_db()
    assert reply.is_deleted
    assert reply.body == "" and reply.body_html == ""
    assert thread.posts.count() == 2
    assert reply.number == 2


def test_only_the_author_or_staff_delete_a_post(general, command, peer, officer, staff):
    thread = start(general, command)
    reply = answer(thread, peer)

    with pytest.raises(PermissionDenied):
        posting.delete_post(post=reply, by=officer)
    assert not Post.objects.get(pk=reply.pk).is_deleted

    posting.delete_post(post=reply, by=staff)
    assert Post.objects.get(pk=reply.pk).deleted_by == staff


# Moderation and flags -------------------------------------------------------------------------


def test_staff_pin_lock_and_hide_threads(general, command, staff):
    thread = start(general, command)

    posting.moderate_thread(thread=thread, by=staff, pinned=True, locked=True, hidden=True)

    thread.refresh_from_db()
    assert (thread.pinned, thread.locked, thread.hidden) == (True, True, True)


def test_members_cannot_moderate(general, command):
    thread = start(general, command)

    with pytest.raises(PermissionDenied):
        posting.moderate_thread(thread=thread, by=command, locked=True)
    thread.refresh_from_db()
    assert not thread.locked


def test_a_member_flags_a_post_once(general, command, peer):
    post = start(general, command).posts.get()

    posting.flag_post(post=post, by=peer, reason="private", detail="Names an officer")
    with pytest.raises(posting.ForumRefusal, match="already flagged"):
        posting.flag_post(post=post, by=peer, reason="spam")

    assert Flag.objects.open().filter(post=post).count() == 1


def test_nobody_flags_their_own_post(general, command):
    post = start(general, command).posts.get()

    with pytest.raises(posting.ForumRefusal, match="your own post"):
        posting.flag_post(post=post, by=command, reason="spam")


def test_staff_hiding_a_flagged_post_closes_every_open_flag(general, command, peer, officer, staff):
    post = start(general, command).posts.get()
    flag = posting.flag_post(post=post, by=peer, reason="abusive")
    posting.flag_post(post=post, by=officer, reason="abusive")

    closed = posting.resolve_flag(flag=flag, by=staff, outcome="hidden")

    post.refresh_from_db()
    assert closed == 2
    assert post.is_hidden
    assert not Flag.objects.open().exists()
    assert set(Flag.objects.values_list("outcome", flat=True)) == {"hidden"}


def test_keeping_a_flagged_post_leaves_it_visible_and_allows_a_new_flag(
    general, command, peer, staff
):
    post = start(general, command).posts.get()
    flag = posting.flag_post(post=post, by=peer, reason="off_topic")

    posting.resolve_flag(flag=flag, by=staff, outcome="kept")
    posting.flag_post(post=post, by=peer, reason="abusive")

    post.refresh_from_db()
    assert not post.is_hidden
    assert Flag.objects.filter(post=post).count() == 2


def test_members_cannot_resolve_flags(general, command, peer, officer):
    post = start(general, command).posts.get()
    flag = posting.flag_post(post=post, by=peer, reason="spam")

    with pytest.raises(PermissionDenied):
        posting.resolve_flag(flag=flag, by=officer, outcome="hidden")


# Read marks -----------------------------------------------------------------------------------


def test_the_read_mark_only_moves_forward(general, command, peer):
    thread = start(general, command)
    posts = [answer(thread, command) for _ in range(3)]

    posting.mark_read(user=peer, thread=thread, post_id=posts[2].pk)
    posting.mark_read(user=peer, thread=thread, post_id=posts[0].pk)

    assert ThreadRead.objects.get(user=peer, thread=thread).last_read_post_id == posts[2].pk
    posting.mark_read(user=peer, thread=thread, post_id=posts[2].pk + 1000)
    assert ThreadRead.objects.get(user=peer, thread=thread).last_read_post_id == posts[2].pk + 1000
    assert ThreadRead.objects.filter(user=peer, thread=thread).count() == 1


def test_posting_marks_the_thread_read_for_the_author(general, command, peer):
    thread = start(general, command)
    reply = answer(thread, peer)

    assert ThreadRead.objects.get(user=peer, thread=thread).last_read_post_id == reply.pk
    unread = Thread.objects.with_read_state(command).get(pk=thread.pk)
    assert unread.is_unread
    assert not Thread.objects.with_read_state(peer).get(pk=thread.pk).is_unread


# Watching and notifications -------------------------------------------------------------------


def test_people_watch_threads_they_start_or_reply_to(general, command, peer):
    thread = start(general, command)
    answer(thread, peer)

    watching = Watch.objects.filter(thread=thread, level="watching")
    assert set(watching.values_list("user", flat=True)) == {command.pk, peer.pk}


def test_a_reply_notifies_every_watcher_but_the_author(general, command, peer, officer):
    thread = start(general, command)
    posting.set_watch(user=officer, thread=thread, level="watching")

    post = answer(thread, peer)

    rows = Notification.objects.filter(kind="reply")
    assert set(rows.values_list("recipient", flat=True)) == {command.pk, officer.pk}
    row = rows.get(recipient=command)
    assert row.cohort == general.cohort
    assert row.url == f"/cohorts/{general.cohort.slug}/forum/p/{post.pk}/"
    assert row.summary == "Dave Deputy replied in “Peer support team: where to start?”"


def test_notifications_carry_no_post_text(general, command, peer):
    thread = start(general, command, title="Budget")
    answer(thread, peer, body="A confidential detail about Officer X @bob.chief")

    for row in Notification.objects.all():
        assert "confidential" not in row.summary and "confidential" not in row.url


def test_a_muted_thread_sends_no_reply_notifications(general, command, peer):
    thread = start(general, command)
    posting.set_watch(user=command, thread=thread, level="muted")

    answer(thread, peer)

    assert not Notification.objects.filter(recipient=command).exists()


def test_a_category_watch_covers_its_threads_unless_one_is_muted(general, command, peer, officer):
    posting.set_watch(user=officer, category=general, level="watching")
    watched = start(general, command, title="Watched through the category")
    muted = start(general, command, title="Muted on its own")
    posting.set_watch(user=officer, thread=muted, level="muted")

    answer(watched, peer)
    answer(muted, peer)

    kinds = list(
        Notification.objects.filter(recipient=officer).order_by("pk").values_list("kind", "summary")
    )
    assert kinds == [
        ("thread", "Bob Chief started “Watched through the category” in General"),
        ("thread", "Bob Chief started “Muted on its own” in General"),
        ("reply", "Dave Deputy replied in “Watched through the category”"),
    ]


def test_mentioned_members_are_notified_and_non_members_reported(general, command, peer, outsider):
    thread = start(general, command)

    posted = posting.reply(
        thread=thread, author=peer, body="@bob.chief and @carol.officer, ask @erin.outsider"
    )

    mentions = Notification.objects.filter(kind="mention")
    assert list(mentions.values_list("recipient", flat=True)) == [command.pk]
    assert posted.unknown_mentions == ["carol.officer", "erin.outsider"]
    assert posted.warnings[1] == (
        "@erin.outsider is not a member of this cohort, so they were not notified."
    )
    assert not Notification.objects.filter(recipient=outsider).exists()
    assert list(posted.post.mentions.all()) == [command]


def test_editing_notifies_only_newly_mentioned_members(general, command, peer, officer):
    thread = start(general, command)
    post = answer(thread, peer, body="Thanks @bob.chief")
    Notification.objects.all().delete()

    posting.edit_post(post=post, editor=peer, body="Thanks @bob.chief and @carol.officer")

    assert list(Notification.objects.values_list("recipient", "kind")) == [(officer.pk, "mention")]


def test_a_removed_member_is_no_longer_notified(general, command, peer, officer):
    thread = start(general, command)
    posting.set_watch(user=officer, thread=thread, level="watching")
    officer.memberships.all().delete()

    answer(thread, peer)

    assert not Notification.objects.filter(recipient=officer).exists()


@pytest.mark.django_db(transaction=True)
def test_notifications_are_written_in_the_same_transaction_as_the_reply(
    general, command, peer, monkeypatch
):
    thread = start(general, command)

    def fail(*args, **kwargs):
        raise RuntimeError("the database went away after the reply notifications")

    # Mentions are handled last, after the watchers' notifications are written.
    monkeypatch.setattr(posting, "_notify_mentions", fail)
    with pytest.raises(RuntimeError):
        answer(thread, peer)

    # Nothing of the failed reply survives: neither the post nor its notifications.
    assert thread.posts.count() == 1
    assert not Notification.objects.filter(kind="reply").exists()


@pytest.mark.django_db(transaction=True)
def test_a_reply_is_saved_when_the_channel_layer_fails(general, command, peer, monkeypatch, caplog):
    thread = start(general, command)

    def broken_layer():
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(forum.services, "get_channel_layer", broken_layer)
    with caplog.at_level("ERROR", logger="forum.services"):
        post = answer(thread, peer)

    # The push was tried after the commit, failed, and was only logged.
    assert any("Could not signal" in r.getMessage() for r in caplog.records)
    assert Post.objects.filter(pk=post.pk).exists()
    assert Notification.objects.filter(recipient=command, kind="reply").exists()


def test_the_reply_pushes_a_signal_after_commit(
    general, command, peer, django_capture_on_commit_callbacks
):
    thread = start(general, command)

    with django_capture_on_commit_callbacks() as callbacks:
        answer(thread, peer)

    # One signal per notification, none before the commit.
    assert len(callbacks) == Notification.objects.filter(kind="reply").count() == 1


def test_ensure_categories_adds_general_and_one_per_topic_once(cohort):
    from cohorts.models import Topic
    from forum.models import Category

    Topic.objects.create(name="Mentorship", slug="mentorship", position=5)
    Topic.objects.create(name="Financial Literacy", slug="financial-literacy", position=6)

    posting.ensure_categories(cohort)
    posting.ensure_categories(cohort)

    names = list(Category.objects.filter(cohort=cohort).values_list("name", flat=True))
    assert names == ["General", "Mentorship", "Financial Literacy"]


def test_a_member_of_two_teams_is_one_mention(general, cohort, command, peer):
    from conftest import make_agency, make_team

    third = make_team(cohort, make_agency("Fairview Police Department", state="OR"))
    make_member(third, command, role="command_staff")
    thread = start(general, peer)

    posted = posting.reply(thread=thread, author=peer, body="@bob.chief")

    assert Notification.objects.filter(recipient=command, kind="mention").count() == 1
    assert posted.unknown_mentions == []


def test_a_submission_key_is_one_reply_per_author(general, command, peer):
    import uuid

    thread = start(general, command)
    key = uuid.uuid4()

    first = answer(thread, peer, submission=key)
    again = answer(thread, peer, body="Different words, same form", submission=key)
    other = answer(thread, command, submission=key)  # another person's form: their own reply

    assert again.pk == first.pk and again.body == first.body
    assert other.pk != first.pk
    assert thread.posts.count() == 3
