import uuid

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from collaborative.addresses import id_address


class NotificationQuerySet(models.QuerySet):
    def for_user(self, user) -> "NotificationQuerySet":
        return self.filter(recipient=user)

    def unread(self) -> "NotificationQuerySet":
        return self.filter(read_at__isnull=True)

    def after(self, last_id: int) -> "NotificationQuerySet":
        return self.filter(pk__gt=last_id).order_by("pk")

    def feed_items(self) -> list[dict]:
        """What the feed and a socket's resume answer tell the person's own page, read as
        plain rows (no model instances) with one URL pattern for all: a page of 200 costs
        a few milliseconds."""
        url = id_address("notifications:open")
        return [
            {
                "id": pk,
                "kind": kind,
                "summary": summary,
                "cohort": cohort or "",
                "url": url(pk),
                "created": created.isoformat(),
                "read": read_at is not None,
            }
            for pk, kind, summary, cohort, created, read_at in self.values_list(
                "pk", "kind", "summary", "cohort__name", "created", "read_at"
            )
        ]


class Notification(models.Model):
    """The source of truth for everything a person is told about.

    Sockets only carry a signal (ids and counts); a client that missed signals resumes from
    the last id it saw, so a dropped socket or channel layer loses nothing.
    """

    class Kind(models.TextChoices):
        REPLY = "reply", "Reply in a watched thread"
        MENTION = "mention", "Mention"
        THREAD = "thread", "New thread in a watched category"
        MESSAGE = "message", "Direct message"
        ANNOUNCEMENT = "announcement", "Staff announcement"
        MEMBERSHIP = "membership", "Team membership"

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    cohort = models.ForeignKey(
        "cohorts.Cohort", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    summary = models.CharField(max_length=200)
    url = models.CharField(max_length=300, blank=True)
    created = models.DateTimeField(auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)
    # Set when an email (immediate or in a digest) has told the person: never twice.
    emailed_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-pk"]
        indexes = [models.Index(fields=["recipient", "id"], name="notification_resume_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.recipient}"

    def as_signal(self) -> dict:
        """What travels over the channel layer: ids and kinds, never message text."""
        return {"id": self.pk, "kind": self.kind, "cohort": self.cohort_id}


class NotificationPreference(models.Model):
    """How a person wants to hear by email about one kind of notification.

    Without a row the default applies (DEFAULT_DELIVERY). Notifications always appear in the
    notification centre; this only decides the email.
    """

    class Delivery(models.TextChoices):
        IMMEDIATELY = "immediately", "Immediately"
        DIGEST = "digest", "Daily digest"
        OFF = "off", "Off"

    # The kinds a person can choose for, in the order the preferences page lists them.
    KINDS = [
        Notification.Kind.MESSAGE,
        Notification.Kind.MENTION,
        Notification.Kind.REPLY,
        Notification.Kind.THREAD,
        Notification.Kind.ANNOUNCEMENT,
    ]
    DEFAULT_DELIVERY = {
        Notification.Kind.MESSAGE: Delivery.IMMEDIATELY,
        Notification.Kind.MENTION: Delivery.IMMEDIATELY,
        Notification.Kind.REPLY: Delivery.DIGEST,
        Notification.Kind.THREAD: Delivery.DIGEST,
        Notification.Kind.ANNOUNCEMENT: Delivery.DIGEST,
    }

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(max_length=20, choices=Notification.Kind.choices)
    delivery = models.CharField(max_length=12, choices=Delivery.choices)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="forum_preference_one_per_kind"),
            models.CheckConstraint(
                condition=Q(delivery__in=["immediately", "digest", "off"]),
                name="forum_preference_delivery_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.get_kind_display()} by email {self.get_delivery_display()}"

    @classmethod
    def default_for(cls, kind: str) -> str:
        return cls.DEFAULT_DELIVERY.get(kind, cls.Delivery.OFF)


class DigestDelivery(models.Model):
    """The daily digest sent to one person for one day (their local date): the job's memory.

    The unique constraint makes the digest idempotent: a second run, or two workers at once,
    cannot claim the same person's day twice.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    sent_at = models.DateTimeField(default=timezone.now)
    notification_count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name_plural = "digest deliveries"
        constraints = [
            models.UniqueConstraint(fields=["user", "day"], name="forum_digest_once_a_day"),
        ]

    def __str__(self) -> str:
        return f"Digest for {self.user} on {self.day}"


# The forum -------------------------------------------------------------------------------------


class Category(models.Model):
    """A section of a cohort's forum: "General", or one per topic of the catalogue."""

    cohort = models.ForeignKey(
        "cohorts.Cohort", on_delete=models.CASCADE, related_name="forum_categories"
    )
    topic = models.ForeignKey(
        "cohorts.Topic",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="forum_categories",
    )
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=120)
    description = models.TextField(blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["cohort", "position", "name"]
        verbose_name_plural = "categories"
        constraints = [
            models.UniqueConstraint(fields=["cohort", "slug"], name="forum_category_slug_unique"),
            models.UniqueConstraint(
                fields=["cohort", "topic"],
                condition=Q(topic__isnull=False),
                name="forum_category_one_per_topic",
            ),
            models.UniqueConstraint(
                fields=["cohort"],
                condition=Q(topic__isnull=True),
                name="forum_category_one_general",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("forum:category", args=[self.cohort.slug, self.slug])


class ThreadQuerySet(models.QuerySet):
    def visible_to(self, user) -> "ThreadQuerySet":
        """Threads of the cohorts ``user`` can see; hidden threads only for staff."""
        from cohorts.models import Cohort

        if not user.is_authenticated:
            return self.none()
        if user.is_staff:
            return self
        cohorts = Cohort.objects.visible_to(user).filter(pk=OuterRef("cohort"))
        return self.filter(Exists(cohorts), hidden=False)

    def in_cohort(self, cohort, user) -> "ThreadQuerySet":
        """Threads of a cohort the caller has already checked ``user`` may see."""
        threads = self.filter(cohort=cohort)
        return threads if user.is_staff else threads.filter(hidden=False)

    def listed(self) -> "ThreadQuerySet":
        """Pinned threads first, then the most recently active."""
        return self.order_by("-pinned", "-last_post_at", "-pk")

    def with_read_state(self, user) -> "ThreadQuerySet":
        """Annotate ``last_read_post_id`` (0 when never opened) and ``is_unread``."""
        read = ThreadRead.objects.filter(user=user, thread=OuterRef("pk")).values(
            "last_read_post_id"
        )[:1]
        return self.annotate(
            last_read_post_id=Coalesce(
                models.Subquery(read), 0, output_field=models.BigIntegerField()
            )
        ).annotate(
            is_unread=models.Case(
                models.When(last_post_id__gt=models.F("last_read_post_id"), then=True),
                default=False,
                output_field=models.BooleanField(),
            )
        )


class Thread(models.Model):
    """A conversation: its opening post and the replies to it, in one category."""

    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="threads")
    # Denormalised from the category so that access checks and search filter on one table.
    cohort = models.ForeignKey(
        "cohorts.Cohort", on_delete=models.CASCADE, related_name="forum_threads"
    )
    title = models.CharField(max_length=200)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="forum_threads",
    )
    created = models.DateTimeField(default=timezone.now)
    last_post_at = models.DateTimeField(default=timezone.now)
    last_post = models.ForeignKey(
        "forum.Post", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    post_count = models.PositiveIntegerField(default=0)
    pinned = models.BooleanField(default=False)
    locked = models.BooleanField(default=False)
    hidden = models.BooleanField(default=False)

    objects = ThreadQuerySet.as_manager()

    class Meta:
        ordering = ["-pinned", "-last_post_at"]
        indexes = [
            models.Index(fields=["category", "pinned", "last_post_at"], name="forum_thread_list"),
            models.Index(fields=["cohort", "last_post_at"], name="forum_thread_cohort"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("forum:thread", args=[self.cohort.slug, self.pk])

    @property
    def reply_count(self) -> int:
        return max(self.post_count - 1, 0)

    def refusal_for_reply(self) -> str:
        """Why nobody can reply now, or an empty string."""
        if self.hidden:
            return "This thread has been hidden by program staff, so it takes no replies."
        if self.locked:
            return "This thread is locked: program staff closed it to new replies."
        return ""


POSTS_PER_PAGE = 20


class PostQuerySet(models.QuerySet):
    def visible_to(self, user) -> "PostQuerySet":
        return self.filter(thread__in=Thread.objects.visible_to(user))


class Post(models.Model):
    """One message in a thread. The Markdown source is kept; the sanitised HTML is a cache
    rendered again whenever the source changes."""

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="posts")
    number = models.PositiveIntegerField(help_text="Position in the thread, from 1.")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="forum_posts"
    )
    body = models.TextField()
    body_html = models.TextField()
    quoted = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="quoted_by"
    )
    mentions = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="forum_mentions"
    )
    created = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    hidden_at = models.DateTimeField(null=True, blank=True)
    # The key of the form it was sent from: the same form sent again (the connection dropped
    # before the answer came back, and the person pressed send again) adds nothing.
    submission = models.UUIDField(null=True, blank=True, editable=False)

    objects = PostQuerySet.as_manager()

    class Meta:
        ordering = ["thread", "number"]
        constraints = [
            models.UniqueConstraint(fields=["thread", "number"], name="forum_post_number_unique"),
            models.CheckConstraint(condition=Q(number__gte=1), name="forum_post_number_positive"),
            models.UniqueConstraint(
                fields=["author", "submission"],
                condition=Q(submission__isnull=False),
                name="forum_post_one_per_submission",
            ),
        ]

    def __str__(self) -> str:
        return f"Post {self.number} in {self.thread}"

    def get_absolute_url(self) -> str:
        return reverse("forum:post", args=[self.thread.cohort.slug, self.pk])

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None

    @property
    def is_opening(self) -> bool:
        return self.number == 1

    @property
    def page_number(self) -> int:
        return (self.number - 1) // POSTS_PER_PAGE + 1

    @property
    def anchor(self) -> str:
        return f"post-{self.number}"

    def url_in_thread(self) -> str:
        return f"{self.thread.get_absolute_url()}?page={self.page_number}#{self.anchor}"

    def can_see_body(self, user) -> bool:
        if self.is_deleted:
            return False
        return not self.is_hidden or user.is_staff


def attachment_upload_to(instance: "Attachment", filename: str) -> str:
    # The stored name carries no part of the uploaded name: nothing the uploader chose reaches
    # the file system, and nothing here is served directly (downloads go through a view).
    return f"forum/{instance.post.thread.cohort_id}/{uuid.uuid4().hex}"


class Attachment(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_upload_to, max_length=200)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=120)
    size = models.PositiveBigIntegerField()
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["post", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(size__gte=0), name="forum_attachment_size"),
        ]

    def __str__(self) -> str:
        return self.original_name

    def get_absolute_url(self) -> str:
        return reverse("forum:attachment", args=[self.post.thread.cohort.slug, self.pk])

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


class FlagQuerySet(models.QuerySet):
    def open(self) -> "FlagQuerySet":
        return self.filter(resolved_at__isnull=True)


class Flag(models.Model):
    """A member asking program staff to review a post."""

    class Reason(models.TextChoices):
        ABUSIVE = "abusive", "Abusive or disrespectful"
        PRIVATE = "private", "Shares private or sensitive information"
        SPAM = "spam", "Spam or advertising"
        OFF_TOPIC = "off_topic", "Off topic"
        OTHER = "other", "Something else"

    class Outcome(models.TextChoices):
        KEPT = "kept", "Kept: nothing wrong"
        HIDDEN = "hidden", "Post hidden"

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="flags")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=20, choices=Reason.choices)
    detail = models.CharField(max_length=500, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, blank=True)

    objects = FlagQuerySet.as_manager()

    class Meta:
        ordering = ["created"]
        constraints = [
            models.UniqueConstraint(
                fields=["post", "by"],
                condition=Q(resolved_at__isnull=True),
                name="forum_flag_one_open_per_person",
            ),
            models.CheckConstraint(
                condition=(Q(resolved_at__isnull=True) & Q(outcome=""))
                | (Q(resolved_at__isnull=False) & Q(outcome__in=["kept", "hidden"])),
                name="forum_flag_outcome_when_resolved",
            ),
            models.CheckConstraint(
                condition=Q(reason__in=["abusive", "private", "spam", "off_topic", "other"]),
                name="forum_flag_reason_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} on {self.post}"


class ThreadRead(models.Model):
    """How far a person has read a thread: the highest post id they have seen.

    It only ever moves forward (services.mark_read updates it with a conditional UPDATE), so
    an old tab or a visit to an earlier page never brings back unread markers.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="reads")
    last_read_post_id = models.BigIntegerField(default=0)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "thread"], name="forum_read_one_per_thread"),
            models.CheckConstraint(
                condition=Q(last_read_post_id__gte=0), name="forum_read_mark_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} read {self.thread} up to post id {self.last_read_post_id}"


class Watch(models.Model):
    """A person's choice for a thread or a category: watch it (a notification for every reply)
    or mute it. A choice on a thread wins over one on its category."""

    class Level(models.TextChoices):
        WATCHING = "watching", "Watching"
        MUTED = "muted", "Muted"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="forum_watches"
    )
    thread = models.ForeignKey(
        Thread, on_delete=models.CASCADE, null=True, blank=True, related_name="watches"
    )
    category = models.ForeignKey(
        Category, on_delete=models.CASCADE, null=True, blank=True, related_name="watches"
    )
    level = models.CharField(max_length=10, choices=Level.choices)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(Q(thread__isnull=False) & Q(category__isnull=True))
                | (Q(thread__isnull=True) & Q(category__isnull=False)),
                name="forum_watch_one_target",
            ),
            models.UniqueConstraint(
                fields=["user", "thread"],
                condition=Q(thread__isnull=False),
                name="forum_watch_one_per_thread",
            ),
            models.UniqueConstraint(
                fields=["user", "category"],
                condition=Q(category__isnull=False),
                name="forum_watch_one_per_category",
            ),
            models.CheckConstraint(
                condition=Q(level__in=["watching", "muted"]), name="forum_watch_level_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.get_level_display().lower()} {self.thread or self.category}"


# Direct messages live in their own module; importing them here registers the models.
from .conversations import Conversation, ConversationMember, Message  # noqa: E402

__all__ = [
    "Attachment",
    "Category",
    "Conversation",
    "ConversationMember",
    "DigestDelivery",
    "Flag",
    "Message",
    "Notification",
    "NotificationPreference",
    "Post",
    "Thread",
    "ThreadRead",
    "Watch",
]
