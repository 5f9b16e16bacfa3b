"""Direct messages: one-to-one and small group conversations inside one cohort.

Re-exported from forum.models, so ``from forum.models import Conversation`` works.
"""

from django.conf import settings
from django.db import models
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

MAX_PARTICIPANTS = 8  # the author included
MESSAGES_PER_PAGE = 30


def direct_key(first_id: int, second_id: int) -> str:
    """The one key of the one-to-one conversation between two people (in either order)."""
    low, high = sorted((first_id, second_id))
    return f"{low}-{high}"


class ConversationMemberQuerySet(models.QuerySet):
    def accessible(self, user) -> "ConversationMemberQuerySet":
        """``user``'s own places in conversations of cohorts they can still see.

        Someone who has left a cohort keeps their rows (so the others still see who wrote)
        but no longer reaches the conversations.
        """
        from cohorts.models import Membership

        if not user.is_authenticated or not user.is_active:
            return self.none()
        mine = self.filter(user=user)
        if user.is_staff:
            return mine
        member = Membership.objects.filter(user=user, team__cohort=OuterRef("conversation__cohort"))
        return mine.filter(Exists(member))

    def with_unread(self) -> "ConversationMemberQuerySet":
        """Annotate ``unread``: messages by others after the member's read mark."""
        unread = (
            Message.objects.filter(
                conversation=OuterRef("conversation"), pk__gt=OuterRef("last_read_message_id")
            )
            .exclude(author=OuterRef("user"))
            .order_by()
            .values("conversation")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return self.annotate(
            unread=Coalesce(Subquery(unread), 0, output_field=models.IntegerField())
        )


class Conversation(models.Model):
    """A private conversation between two to eight people of one cohort.

    A one-to-one conversation carries ``direct_key`` (the two people's ids), unique within the
    cohort, so writing to someone again always continues the same conversation.
    """

    cohort = models.ForeignKey(
        "cohorts.Cohort", on_delete=models.CASCADE, related_name="conversations"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    title = models.CharField(max_length=120, blank=True)
    direct_key = models.CharField(max_length=41, blank=True, editable=False)
    created = models.DateTimeField(default=timezone.now)
    last_message_at = models.DateTimeField(default=timezone.now)
    last_message = models.ForeignKey(
        "forum.Message", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    message_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-last_message_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["cohort", "direct_key"],
                condition=~Q(direct_key=""),
                name="forum_conversation_one_per_pair",
            ),
        ]

    def __str__(self) -> str:
        return self.title or f"Conversation {self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("conversations:conversation", args=[self.pk])

    @property
    def is_direct(self) -> bool:
        return bool(self.direct_key)


class ConversationMember(models.Model):
    """A person's place in a conversation: how far they have read, and whether it is muted.

    ``last_read_message_id`` is a high-water mark: it only moves forward (a conditional
    UPDATE in forum.messaging), so an old tab never brings back unread messages.
    """

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="conversation_memberships"
    )
    last_read_message_id = models.BigIntegerField(default=0)
    muted = models.BooleanField(default=False)
    joined = models.DateTimeField(default=timezone.now)

    objects = ConversationMemberQuerySet.as_manager()

    class Meta:
        ordering = ["conversation", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "user"], name="forum_conversation_member_once"
            ),
            models.CheckConstraint(
                condition=Q(last_read_message_id__gte=0), name="forum_conversation_mark_positive"
            ),
        ]
        indexes = [models.Index(fields=["user", "conversation"], name="forum_conv_member_user")]

    def __str__(self) -> str:
        return f"{self.user} in {self.conversation}"


class Message(models.Model):
    """One message. The Markdown source is kept beside its sanitised HTML."""

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="direct_messages",
    )
    body = models.TextField()
    body_html = models.TextField()
    created = models.DateTimeField(default=timezone.now)
    # The key of the form it was sent from: the same form sent again (the answer was lost and
    # the person pressed send again, or the browser resent it) adds nothing.
    submission = models.UUIDField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["conversation", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["author", "submission"],
                condition=Q(submission__isnull=False),
                name="forum_message_one_per_submission",
            ),
        ]
        indexes = [
            models.Index(fields=["conversation", "id"], name="forum_message_in_conversation"),
            models.Index(fields=["author", "created"], name="forum_message_author_created"),
        ]

    def __str__(self) -> str:
        return f"Message {self.pk} in {self.conversation_id}"

    @property
    def anchor(self) -> str:
        return f"message-{self.pk}"


def unread_messages(user) -> models.QuerySet:
    """Messages by others after ``user``'s read mark, in conversations they can still reach."""
    places = ConversationMember.objects.accessible(user)
    return Message.objects.filter(
        Exists(
            places.filter(
                conversation=OuterRef("conversation"),
                last_read_message_id__lt=OuterRef("pk"),
            )
        )
    ).exclude(author=user)


__all__ = [
    "Conversation",
    "ConversationMember",
    "MAX_PARTICIPANTS",
    "MESSAGES_PER_PAGE",
    "Message",
    "direct_key",
    "unread_messages",
]
