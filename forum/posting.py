"""Writes in the forum: threads, replies, edits, moderation, flags, read marks and watches.

Each function runs in one transaction. Notifications are rows written in that same
transaction (through services.notify_many), so a reply and the notifications it causes are saved
together or not at all; the socket signal follows after commit and may fail without harm.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator

from accounts.models import User
from cohorts.models import Cohort, Membership, Topic

from . import emails
from .mentions import Directory
from .models import Attachment, Category, Flag, Notification, Post, Thread, ThreadRead, Watch
from .rendering import Rendered, render
from .services import notify_many

GENERAL_SLUG = "general"
MAX_ATTACHMENTS = 5


class ForumRefusal(ValidationError):
    """Something a person tried that the forum refuses, with the reason to show them."""


@dataclass
class Posted:
    post: Post
    unknown_mentions: list[str] = field(default_factory=list)

    @property
    def warnings(self) -> list[str]:
        return [
            f"@{handle} is not a member of this cohort, so they were not notified."
            for handle in self.unknown_mentions
        ]


# Categories ------------------------------------------------------------------------------------


def ensure_categories(cohort: Cohort) -> None:
    """Give the cohort its "General" category and one per topic, creating what is missing.

    Two queries when nothing is missing; safe to run concurrently (conflicts are ignored).
    """
    have = Category.objects.filter(cohort=cohort)
    missing_topics = list(
        Topic.objects.exclude(Exists(have.filter(topic=OuterRef("pk")))).order_by("position")
    )
    has_general = have.filter(topic__isnull=True).exists()
    if has_general and not missing_topics:
        return
    new = []
    if not has_general:
        new.append(
            Category(
                cohort=cohort,
                name="General",
                slug=GENERAL_SLUG,
                position=0,
                description="Introductions, questions and anything that fits no topic.",
            )
        )
    for topic in missing_topics:
        slug = topic.slug if topic.slug != GENERAL_SLUG else f"topic-{topic.slug}"
        new.append(
            Category(
                cohort=cohort,
                topic=topic,
                name=topic.name,
                slug=slug[:120],
                position=topic.position + 1,
                description=topic.description,
            )
        )
    Category.objects.bulk_create(new, ignore_conflicts=True)


# Who may take part ----------------------------------------------------------------------------


def is_participant(user, cohort: Cohort) -> bool:
    """Members of the cohort's teams and program staff read and write its forum."""
    if not user.is_authenticated or not user.is_active:
        return False
    return user.is_staff or Membership.objects.filter(user=user, team__cohort=cohort).exists()


def _require_participant(user, cohort: Cohort) -> None:
    if not is_participant(user, cohort):
        raise PermissionDenied("Only the cohort's members and program staff post here.")


def _require_staff(user) -> None:
    if not user.is_staff:
        raise PermissionDenied("Only program staff can do that.")


# Rendering and notifications ------------------------------------------------------------------


def member_url(cohort: Cohort, user_id: int) -> str:
    return reverse("forum:member", args=[cohort.slug, user_id])


def render_for(cohort: Cohort, body: str) -> Rendered:
    directory = Directory.for_cohort(cohort)
    return render(body, directory=directory, member_url=lambda uid: member_url(cohort, uid))


def _short(title: str) -> str:
    return Truncator(title).chars(70)


def _post_url(cohort: Cohort, post: Post) -> str:
    return reverse("forum:post", args=[cohort.slug, post.pk])


def _still_participants(cohort: Cohort, user_ids: Iterable[int]):
    """The given people who can still see the cohort (active members or staff)."""
    ids = set(user_ids)
    if not ids:
        return User.objects.none()
    member = Membership.objects.filter(user=OuterRef("pk"), team__cohort=cohort)
    return User.objects.filter(pk__in=ids, is_active=True).filter(
        Q(is_staff=True) | Q(Exists(member))
    )


def _notify_all(users, *, kind: str, summary: str, url: str, cohort: Cohort) -> None:
    """One notification per person, written together; their email is queued for those who
    want this kind immediately."""
    notifications = notify_many(users, kind=kind, summary=summary, url=url, cohort=cohort)
    emails.schedule(notifications)


def _watchers(thread: Thread) -> set[int]:
    """People watching the thread: a choice on the thread wins over one on its category."""
    rows = Watch.objects.filter(Q(thread=thread) | Q(category_id=thread.category_id)).values_list(
        "user_id", "thread_id", "level"
    )
    on_thread: dict[int, str] = {}
    on_category: dict[int, str] = {}
    for user_id, thread_id, level in rows:
        (on_thread if thread_id else on_category)[user_id] = level
    levels = {**on_category, **on_thread}
    return {user_id for user_id, level in levels.items() if level == Watch.Level.WATCHING}


def _notify_mentions(cohort, thread, post, author, user_ids: Iterable[int]) -> None:
    ids = set(user_ids) - {author.pk}
    _notify_all(
        _still_participants(cohort, ids),
        kind=Notification.Kind.MENTION,
        summary=f"{author.display_name} mentioned you in “{_short(thread.title)}”",
        url=_post_url(cohort, post),
        cohort=cohort,
    )


# A form sent twice ----------------------------------------------------------------------------


def once[T](sent: QuerySet | None, write: Callable[[], T]) -> tuple[Any, T | None]:
    """Make what a form asks for once, however many times the same form is sent.

    A form carries a key (``submission``), stored on what it makes under a unique constraint
    per author. ``sent`` finds what an earlier sending of the same form made (None for a form
    without a key: an old page, or a script). Returns ``(earlier, None)`` when the form was
    sent before, and ``(None, what write returned)`` otherwise; the caller notifies only in
    the second case, so a form sent again notifies nobody.

    ``write`` runs in a savepoint. When the same form is sent twice at the same moment,
    neither may find the other's row; on PostgreSQL the unique constraint makes the second
    insert wait for the first transaction and then fail, which rolls back only the savepoint
    (everything ``write`` did) and answers with the row the first one made. Call it inside a
    transaction, so that the second lookup and what follows share the caller's transaction.
    """
    if sent is None:
        return None, write()
    earlier = sent.first()
    if earlier is not None:
        return earlier, None
    try:
        with transaction.atomic():
            return None, write()
    except IntegrityError:
        earlier = sent.first()
        if earlier is None:
            raise
        return earlier, None


def sent_posts(author, submission: UUID | None, **scope) -> QuerySet[Post] | None:
    """The post ``author`` made from the form with key ``submission`` (within ``scope``)."""
    if submission is None:
        return None
    return Post.objects.filter(author=author, submission=submission, **scope).select_related(
        "thread__cohort"
    )


# Posting --------------------------------------------------------------------------------------


def _add_post(
    thread: Thread,
    *,
    author,
    body: str,
    quoted: Post | None,
    files: Iterable,
    when: datetime,
    submission: UUID | None = None,
) -> tuple[Post, Rendered]:
    from collaborative.uploads import content_type_for

    files = list(files)
    if len(files) > MAX_ATTACHMENTS:
        raise ForumRefusal(f"Attach at most {MAX_ATTACHMENTS} files to one post.")
    rendered = render_for(thread.cohort, body)
    number = thread.post_count + 1
    post = Post.objects.create(
        thread=thread,
        number=number,
        author=author,
        body=body,
        body_html=rendered.html,
        quoted=quoted,
        created=when,
        submission=submission,
    )
    mentioned = [uid for uid in rendered.mentioned if uid != author.pk]
    if mentioned:
        post.mentions.set(mentioned)
    for upload in files:
        name = upload.name.rsplit("/", 1)[-1][:255]
        Attachment.objects.create(
            post=post,
            file=upload,
            original_name=name,
            content_type=content_type_for(name),
            size=upload.size,
        )
    Thread.objects.filter(pk=thread.pk).update(post_count=number, last_post=post, last_post_at=when)
    thread.post_count, thread.last_post, thread.last_post_at = number, post, when
    return post, rendered


def _watch_by_default(user, thread: Thread) -> None:
    """Watch a thread one starts or replies to, unless one chose otherwise for it."""
    Watch.objects.bulk_create(
        [Watch(user=user, thread=thread, level=Watch.Level.WATCHING)], ignore_conflicts=True
    )


@transaction.atomic
def start_thread(
    *,
    category: Category,
    author,
    title: str,
    body: str,
    files: Iterable = (),
    when: datetime | None = None,
    submission: UUID | None = None,
) -> Posted:
    """Start a thread with its opening post.

    A ``submission`` key this author already used (the same form sent again) returns the
    opening post it made, adds nothing and notifies nobody.
    """
    cohort = category.cohort
    when = when or timezone.now()

    def write() -> tuple[Post, Rendered]:
        _require_participant(author, cohort)
        thread = Thread.objects.create(
            category=category,
            cohort=cohort,
            title=title.strip(),
            author=author,
            created=when,
            last_post_at=when,
        )
        return _add_post(
            thread,
            author=author,
            body=body,
            quoted=None,
            files=files,
            when=when,
            submission=submission,
        )

    earlier, made = once(sent_posts(author, submission), write)
    if earlier is not None:
        return Posted(earlier)
    post, rendered = made
    thread = post.thread
    _watch_by_default(author, thread)
    mark_read(user=author, thread=thread, post_id=post.pk)

    category_watchers = {
        user_id
        for user_id, level in Watch.objects.filter(category=category).values_list(
            "user_id", "level"
        )
        if level == Watch.Level.WATCHING
    } - {author.pk}
    _notify_all(
        _still_participants(cohort, category_watchers),
        kind=Notification.Kind.THREAD,
        summary=f"{author.display_name} started “{_short(thread.title)}” in {category.name}",
        url=_post_url(cohort, post),
        cohort=cohort,
    )
    _notify_mentions(cohort, thread, post, author, post_mentions(post, rendered, author))
    return Posted(post, rendered.unknown)


def post_mentions(post: Post, rendered: Rendered, author) -> list[int]:
    return [uid for uid in rendered.mentioned if uid != author.pk]


@transaction.atomic
def reply(
    *,
    thread: Thread,
    author,
    body: str,
    quoted: Post | None = None,
    files: Iterable = (),
    when: datetime | None = None,
    submission: UUID | None = None,
) -> Posted:
    """Add a reply. Refused on a locked or hidden thread, whoever asks.

    A ``submission`` key already used by this author in this thread (the same form sent
    again) returns the reply it posted and adds nothing.
    """
    # Lock the thread row: two replies at once get consecutive numbers, and a lock that
    # lands between reading the page and posting is honoured.
    thread = (
        Thread.objects.select_for_update().select_related("cohort", "category").get(pk=thread.pk)
    )
    cohort = thread.cohort

    def write() -> tuple[Post, Rendered]:
        refusal = thread.refusal_for_reply()
        if refusal:
            raise ForumRefusal(refusal)
        _require_participant(author, cohort)
        quotable = quoted is not None and quoted.thread_id == thread.pk and not quoted.is_deleted
        return _add_post(
            thread,
            author=author,
            body=body,
            quoted=quoted if quotable else None,
            files=files,
            when=when or timezone.now(),
            submission=submission,
        )

    earlier, made = once(sent_posts(author, submission, thread=thread), write)
    if earlier is not None:
        return Posted(earlier)
    post, rendered = made
    _watch_by_default(author, thread)
    mark_read(user=author, thread=thread, post_id=post.pk)

    _notify_all(
        _still_participants(cohort, _watchers(thread) - {author.pk}),
        kind=Notification.Kind.REPLY,
        summary=f"{author.display_name} replied in “{_short(thread.title)}”",
        url=_post_url(cohort, post),
        cohort=cohort,
    )
    _notify_mentions(cohort, thread, post, author, post_mentions(post, rendered, author))
    return Posted(post, rendered.unknown)


@transaction.atomic
def edit_post(
    *, post: Post, editor, body: str, title: str | None = None, when: datetime | None = None
) -> Posted:
    """Change one's own post; it is marked as edited. Newly mentioned members are notified."""
    post = Post.objects.select_for_update().select_related("thread__cohort").get(pk=post.pk)
    thread = post.thread
    if post.author_id != editor.pk:
        raise PermissionDenied("You can only edit your own posts.")
    if post.is_deleted:
        raise ForumRefusal("This post was deleted, so it cannot be edited.")
    if post.is_hidden:
        raise ForumRefusal("Program staff hid this post, so it cannot be edited.")
    if thread.locked:
        raise ForumRefusal("This thread is locked: its posts can no longer be edited.")
    _require_participant(editor, thread.cohort)
    rendered = render_for(thread.cohort, body)
    before = set(post.mentions.values_list("pk", flat=True))
    post.body = body
    post.body_html = rendered.html
    post.edited_at = when or timezone.now()
    post.save(update_fields=["body", "body_html", "edited_at"])
    mentioned = post_mentions(post, rendered, editor)
    post.mentions.set(mentioned)
    if title is not None and post.is_opening and title.strip() and title.strip() != thread.title:
        thread.title = title.strip()
        thread.save(update_fields=["title"])
    _notify_mentions(thread.cohort, thread, post, editor, set(mentioned) - before)
    return Posted(post, rendered.unknown)


@transaction.atomic
def delete_post(*, post: Post, by) -> None:
    """Delete a post (its author or staff). The thread keeps its shape: the post stays in
    place as "This post was deleted", and its text, mentions and attachments are removed."""
    post = Post.objects.select_for_update().get(pk=post.pk)
    if post.author_id != by.pk and not by.is_staff:
        raise PermissionDenied("You can only delete your own posts.")
    if post.is_deleted:
        return
    post.deleted_at = timezone.now()
    post.deleted_by = by
    post.body = ""
    post.body_html = ""
    post.save(update_fields=["deleted_at", "deleted_by", "body", "body_html"])
    post.mentions.clear()
    files = [a.file.name for a in post.attachments.all() if a.file]
    post.attachments.all().delete()
    if files:
        storage = Attachment._meta.get_field("file").storage

        def remove_files() -> None:
            for name in files:
                storage.delete(name)

        transaction.on_commit(remove_files, robust=True)


# Announcements --------------------------------------------------------------------------------


def cohort_member_ids(cohort: Cohort, *, exclude=None) -> list[int]:
    """Active members of the cohort's teams (each once)."""
    member = Membership.objects.filter(user=OuterRef("pk"), team__cohort=cohort)
    people = User.objects.filter(is_active=True).filter(Exists(member))
    if exclude is not None:
        people = people.exclude(pk=exclude.pk)
    return list(people.order_by("pk").values_list("pk", flat=True))


@transaction.atomic
def announce(
    *, cohort: Cohort, author, title: str, body: str, when: datetime | None = None
) -> Posted:
    """A staff announcement: a pinned, locked thread in the cohort's General category, and an
    announcement notification for every member of the cohort, written in this transaction."""
    _require_staff(author)
    title = title.strip()
    if not title:
        raise ForumRefusal("Give the announcement a title.")
    ensure_categories(cohort)
    general = Category.objects.get(cohort=cohort, topic__isnull=True)
    when = when or timezone.now()
    thread = Thread.objects.create(
        category=general,
        cohort=cohort,
        title=title,
        author=author,
        created=when,
        last_post_at=when,
        pinned=True,
        locked=True,
    )
    post, rendered = _add_post(thread, author=author, body=body, quoted=None, files=(), when=when)
    mark_read(user=author, thread=thread, post_id=post.pk)
    _notify_all(
        cohort_member_ids(cohort, exclude=author),
        kind=Notification.Kind.ANNOUNCEMENT,
        summary=f"Announcement from program staff: “{_short(title)}”",
        url=_post_url(cohort, post),
        cohort=cohort,
    )
    return Posted(post, rendered.unknown)


# Moderation -----------------------------------------------------------------------------------


@transaction.atomic
def moderate_thread(
    *,
    thread: Thread,
    by,
    pinned: bool | None = None,
    locked: bool | None = None,
    hidden: bool | None = None,
) -> Thread:
    """Pin, lock or hide a thread (program staff)."""
    _require_staff(by)
    thread = Thread.objects.select_for_update().get(pk=thread.pk)
    changed = []
    for name, value in (("pinned", pinned), ("locked", locked), ("hidden", hidden)):
        if value is not None and getattr(thread, name) != value:
            setattr(thread, name, value)
            changed.append(name)
    if changed:
        thread.save(update_fields=changed)
    return thread


@transaction.atomic
def flag_post(*, post: Post, by, reason: str, detail: str = "") -> Flag:
    """Ask program staff to review a post: one open flag per person per post."""
    post = Post.objects.select_related("thread__cohort").get(pk=post.pk)
    _require_participant(by, post.thread.cohort)
    if post.author_id == by.pk:
        raise ForumRefusal("This is your own post: edit or delete it instead of flagging it.")
    if post.is_deleted:
        raise ForumRefusal("This post was deleted, so there is nothing to review.")
    if reason not in Flag.Reason.values:
        raise ForumRefusal("Choose why the post should be reviewed.")
    try:
        with transaction.atomic():
            return Flag.objects.create(post=post, by=by, reason=reason, detail=detail.strip())
    except IntegrityError:
        raise ForumRefusal(
            "You have already flagged this post; program staff will review it."
        ) from None


@transaction.atomic
def resolve_flag(*, flag: Flag, by, outcome: str) -> int:
    """Close every open flag on the flagged post: keep the post, or hide it from members.
    Returns how many flags were closed."""
    _require_staff(by)
    if outcome not in Flag.Outcome.values:
        raise ForumRefusal("Choose whether to keep or hide the post.")
    post = Post.objects.select_for_update().get(pk=flag.post_id)
    now = timezone.now()
    closed = (
        Flag.objects.open()
        .filter(post=post)
        .update(resolved_by=by, resolved_at=now, outcome=outcome)
    )
    if outcome == Flag.Outcome.HIDDEN and not post.is_hidden:
        post.hidden_at = now
        post.save(update_fields=["hidden_at"])
    return closed


@transaction.atomic
def set_post_hidden(*, post: Post, by, hidden: bool) -> Post:
    _require_staff(by)
    post = Post.objects.select_for_update().get(pk=post.pk)
    post.hidden_at = (post.hidden_at or timezone.now()) if hidden else None
    post.save(update_fields=["hidden_at"])
    return post


# Reading and watching -------------------------------------------------------------------------


def mark_read(*, user, thread: Thread, post_id: int) -> None:
    """Move the person's read mark in the thread up to ``post_id``; never back.

    One conditional UPDATE when the person has read the thread before; on a first visit the
    row is inserted (ignoring a concurrent insert) and the UPDATE repeated, so whichever of
    two tabs writes last, the mark ends at the higher of the two.
    """
    if not user.is_authenticated:
        return
    ahead = ThreadRead.objects.filter(user=user, thread=thread, last_read_post_id__lt=post_id)
    if ahead.update(last_read_post_id=post_id, updated=timezone.now()):
        return
    ThreadRead.objects.bulk_create(
        [ThreadRead(user=user, thread=thread, last_read_post_id=post_id)], ignore_conflicts=True
    )
    ahead.update(last_read_post_id=post_id, updated=timezone.now())


@transaction.atomic
def set_watch(
    *, user, level: str, thread: Thread | None = None, category: Category | None = None
) -> Watch | None:
    """Watch or mute a thread or a category; an empty level goes back to the default."""
    if (thread is None) == (category is None):
        raise ValueError("Give a thread or a category.")
    cohort = thread.cohort if thread is not None else category.cohort
    _require_participant(user, cohort)
    target = {"thread": thread} if thread is not None else {"category": category}
    if not level:
        Watch.objects.filter(user=user, **target).delete()
        return None
    if level not in Watch.Level.values:
        raise ForumRefusal("Choose watching, normal or muted.")
    watch, _ = Watch.objects.update_or_create(user=user, **target, defaults={"level": level})
    return watch


def watch_level(user, thread: Thread) -> tuple[str, str, str]:
    """(choice on the thread, choice on its category, what applies) — one query."""
    rows = Watch.objects.filter(
        Q(thread=thread) | Q(category_id=thread.category_id), user=user
    ).values_list("thread_id", "level")
    on_thread = on_category = ""
    for thread_id, level in rows:
        if thread_id:
            on_thread = level
        else:
            on_category = level
    return on_thread, on_category, on_thread or on_category
