"""Writes and reads for direct messages: starting conversations, sending, read marks, muting.

A conversation belongs to one cohort, and everyone in it is a member of one of the cohort's
teams or program staff. Each write runs in one transaction; the notifications a message
causes are rows written in that transaction (services.notify_many), their socket signals and
email follow after the commit.
"""

from collections.abc import Iterable
from datetime import datetime
from uuid import UUID

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.text import Truncator

from accounts.models import User
from cohorts.models import Cohort, Membership

from . import emails, realtime
from .conversations import MAX_PARTICIPANTS, direct_key, unread_messages
from .forms import BODY_MAX
from .models import Conversation, ConversationMember, Message, Notification
from .posting import ForumRefusal, is_participant, once
from .rendering import render
from .services import notify_many

OUTSIDE_COHORT = (
    "Only members of this cohort's teams and program staff can be messaged here. "
    "Choose people from the cohort's directory."
)


def people_to_message(cohort: Cohort, *, exclude=None) -> QuerySet[User]:
    """Everyone who can take part in the cohort's conversations (active members of its teams
    and program staff), with ``directory_team`` and ``directory_rank`` for labels."""
    membership = Membership.objects.filter(user=OuterRef("pk"), team__cohort=cohort).order_by("pk")
    people = (
        User.objects.filter(is_active=True)
        .filter(Q(is_staff=True) | Q(Exists(membership)))
        .annotate(
            directory_team=Subquery(membership.values("team__name")[:1]),
            directory_rank=Subquery(membership.values("rank")[:1]),
        )
        .order_by("last_name", "first_name", "pk")
    )
    if exclude is not None:
        people = people.exclude(pk=exclude.pk)
    return people


def _participants(cohort: Cohort, user_ids: Iterable[int]) -> set[int]:
    ids = set(user_ids)
    if not ids:
        return set()
    return set(people_to_message(cohort).filter(pk__in=ids).values_list("pk", flat=True))


def _clean_body(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise ForumRefusal("Write a message.")
    if len(body) > BODY_MAX:
        raise ForumRefusal(f"A message can be at most {BODY_MAX:,} characters.")
    return body


def _short(text: str) -> str:
    return Truncator(text).chars(60)


def sent_messages(author, submission: UUID | None, **scope) -> QuerySet[Message] | None:
    """The message ``author`` sent from the form with key ``submission`` (within ``scope``)."""
    if submission is None:
        return None
    return Message.objects.filter(author=author, submission=submission, **scope).select_related(
        "conversation__cohort"
    )


@transaction.atomic
def start_conversation(
    *,
    cohort: Cohort,
    author,
    recipients: Iterable,
    body: str,
    title: str = "",
    when: datetime | None = None,
    submission: UUID | None = None,
) -> tuple[Conversation, Message]:
    """Send a first message to one person or a small group (up to eight people, the author
    included). Writing to one person again continues the conversation the two already have
    in this cohort.

    Refused, saying why, for anyone outside the cohort: the refusal is the same whether or
    not such a person exists.

    A ``submission`` key this author already used (the same form sent again) returns the
    conversation and message it made, adds nothing and notifies nobody.
    """
    when = when or timezone.now()

    def write() -> tuple[Message, list[int]]:
        if not is_participant(author, cohort):
            raise PermissionDenied("Only the cohort's members and program staff write here.")
        ids = {getattr(r, "pk", r) for r in recipients} - {author.pk}
        if not ids:
            raise ForumRefusal("Choose at least one person to write to.")
        if len(ids) > MAX_PARTICIPANTS - 1:
            raise ForumRefusal(
                f"A conversation has at most {MAX_PARTICIPANTS} people, you included: "
                f"choose up to {MAX_PARTICIPANTS - 1}."
            )
        if _participants(cohort, ids) != ids:
            raise ForumRefusal(OUTSIDE_COHORT)
        text = _clean_body(body)
        if len(ids) == 1:
            conversation = _direct(cohort, author, next(iter(ids)), when)
        else:
            conversation = Conversation.objects.create(
                cohort=cohort,
                created_by=author,
                title=title.strip()[:120],
                created=when,
                last_message_at=when,
            )
            ConversationMember.objects.bulk_create(
                ConversationMember(conversation=conversation, user_id=user_id, joined=when)
                for user_id in sorted(ids | {author.pk})
            )
        return _add_message(
            _lock(conversation), author=author, body=text, when=when, submission=submission
        )

    # A group conversation is made afresh by each sending: the message's key, checked before
    # and enforced by its constraint, is what keeps a second sending from making a second one.
    earlier, made = once(sent_messages(author, submission), write)
    if earlier is not None:
        return earlier.conversation, earlier
    message, recipients_to_notify = made
    _notify_message(message, recipients_to_notify)
    return message.conversation, message


def _direct(cohort: Cohort, author, other_id: int, when: datetime) -> Conversation:
    key = direct_key(author.pk, other_id)
    existing = Conversation.objects.filter(cohort=cohort, direct_key=key).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            conversation = Conversation.objects.create(
                cohort=cohort, created_by=author, direct_key=key, created=when, last_message_at=when
            )
            ConversationMember.objects.bulk_create(
                ConversationMember(conversation=conversation, user_id=user_id, joined=when)
                for user_id in sorted({author.pk, other_id})
            )
    except IntegrityError:
        # The other person started it at the same moment: theirs is the conversation.
        return Conversation.objects.get(cohort=cohort, direct_key=key)
    return conversation


def message_summary(conversation: Conversation, author) -> str:
    if conversation.is_direct:
        return f"{author.display_name} sent you a message"
    name = conversation.title or "a group conversation"
    return f"{author.display_name} wrote in “{_short(name)}”"


def _lock(conversation: Conversation) -> Conversation:
    return Conversation.objects.select_for_update().select_related("cohort").get(pk=conversation.pk)


def _add_message(
    conversation: Conversation,
    *,
    author,
    body: str,
    when: datetime | None,
    submission: UUID | None,
) -> tuple[Message, list[int]]:
    """Write a message in ``conversation`` (its row locked by ``_lock``) and move the
    conversation's counters; return it with the people the caller is to notify."""
    cohort = conversation.cohort
    members = list(conversation.members.all())
    if not any(m.user_id == author.pk for m in members) or not is_participant(author, cohort):
        raise PermissionDenied("You are not in this conversation.")
    body = _clean_body(body)
    others = [m for m in members if m.user_id != author.pk]
    reachable = _participants(cohort, [m.user_id for m in others])
    if not reachable:
        raise ForumRefusal(
            f"Nobody else in this conversation is still in {cohort.name}, so nobody would "
            "read your message."
        )
    when = when or timezone.now()
    message = Message.objects.create(
        conversation=conversation,
        author=author,
        body=body,
        body_html=render(body).html,
        created=when,
        submission=submission,
    )
    Conversation.objects.filter(pk=conversation.pk).update(
        last_message=message, last_message_at=when, message_count=F("message_count") + 1
    )
    conversation.last_message, conversation.last_message_at = message, when
    conversation.message_count += 1
    # The author has read what they wrote.
    ConversationMember.objects.filter(
        conversation=conversation, user=author, last_read_message_id__lt=message.pk
    ).update(last_read_message_id=message.pk)
    return message, [m.user_id for m in others if m.user_id in reachable and not m.muted]


def _notify_message(message: Message, recipients: list[int]) -> None:
    """Everyone else in the conversation who can still see the cohort and has not muted it
    gets a notification, written in the caller's transaction; email follows for those who
    want it immediately."""
    conversation = message.conversation
    notifications = notify_many(
        recipients,
        kind=Notification.Kind.MESSAGE,
        summary=message_summary(conversation, message.author),
        url=conversation.get_absolute_url(),
        cohort=conversation.cohort,
    )
    emails.schedule(notifications)


@transaction.atomic
def send_message(
    *,
    conversation: Conversation,
    author,
    body: str,
    when: datetime | None = None,
    submission: UUID | None = None,
) -> Message:
    """Add a message. Everyone else in the conversation who can still see the cohort and has
    not muted it gets a notification, written in this transaction.

    A ``submission`` key this author already used in the conversation (the same form sent
    again) returns the message it sent, adds nothing and notifies nobody.
    """
    # Locked first: two messages at once are written one after the other, and the second
    # sending of a form finds the first one's message once it waited for it.
    conversation = _lock(conversation)
    earlier, made = once(
        sent_messages(author, submission, conversation=conversation),
        lambda: _add_message(
            conversation, author=author, body=body, when=when, submission=submission
        ),
    )
    if earlier is not None:
        return earlier
    message, recipients = made
    _notify_message(message, recipients)
    return message


def mark_conversation_read(*, user, conversation: Conversation, message_id: int) -> bool:
    """Move the person's read mark up to ``message_id``, never back (one conditional UPDATE),
    and mark the notifications about the conversation read on every open tab."""
    moved = ConversationMember.objects.filter(
        conversation=conversation, user=user, last_read_message_id__lt=message_id
    ).update(last_read_message_id=message_id)
    unread = list(
        Notification.objects.for_user(user)
        .unread()
        .filter(kind=Notification.Kind.MESSAGE, url=conversation.get_absolute_url())
        .values_list("pk", flat=True)
    )
    if unread:
        realtime.mark_read(user, ids=unread)
    return bool(moved)


@transaction.atomic
def set_muted(*, user, conversation: Conversation, muted: bool) -> None:
    """Mute (no notifications) or unmute a conversation for one person."""
    changed = ConversationMember.objects.filter(conversation=conversation, user=user).update(
        muted=muted
    )
    if not changed:
        raise PermissionDenied("You are not in this conversation.")


def unread_count(user) -> int:
    """Messages waiting for ``user`` across every conversation they can reach. One query."""
    return unread_messages(user).count()
