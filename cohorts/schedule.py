"""The monthly session calendar: topic votes, sessions, materials, RSVPs, attendance, feeds."""

import secrets
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator
from django.db import models, transaction
from django.db.models import Count, Exists, F, OuterRef, Q, Sum
from django.urls import reverse
from django.utils import timezone

MATERIAL_EXTENSIONS = [
    "pdf",
    "docx",
    "doc",
    "pptx",
    "ppt",
    "xlsx",
    "xls",
    "csv",
    "txt",
    "png",
    "jpg",
]


class TopicVoteQuerySet(models.QuerySet):
    def ranking(self, cohort) -> list[dict]:
        """The cohort's topics, most wanted first.

        A first choice is worth as many points as there are topics, a second one less, and so on
        (a Borda count), so a topic many people put second can beat one a few put first.
        """
        from .models import Topic

        topics = Topic.objects.all()
        size = topics.count()
        votes = (
            self.filter(cohort=cohort)
            .values("topic")
            .annotate(
                points=Sum(size + 1 - F("rank")),
                voters=Count("user", distinct=True),
                first_choices=Count("pk", filter=Q(rank=1)),
            )
        )
        by_topic = {row["topic"]: row for row in votes}
        rows = [
            {
                "topic": topic,
                "points": by_topic.get(topic.pk, {}).get("points") or 0,
                "voters": by_topic.get(topic.pk, {}).get("voters", 0),
                "first_choices": by_topic.get(topic.pk, {}).get("first_choices", 0),
            }
            for topic in topics
        ]
        rows.sort(key=lambda r: (-r["points"], -r["first_choices"], r["topic"].position))
        return rows


class TopicVote(models.Model):
    """One person's rank for one topic in one cohort (1 is what they need most)."""

    cohort = models.ForeignKey(
        "cohorts.Cohort", on_delete=models.CASCADE, related_name="topic_votes"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    topic = models.ForeignKey("cohorts.Topic", on_delete=models.CASCADE, related_name="votes")
    rank = models.PositiveSmallIntegerField()
    updated = models.DateTimeField(auto_now=True)

    objects = TopicVoteQuerySet.as_manager()

    class Meta:
        ordering = ["cohort", "user", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["cohort", "user", "topic"], name="topic_vote_once"),
            models.UniqueConstraint(fields=["cohort", "user", "rank"], name="topic_vote_rank_once"),
            models.CheckConstraint(condition=Q(rank__gte=1), name="topic_vote_rank_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.topic} ranked {self.rank}"


class SessionQuerySet(models.QuerySet):
    def visible_to(self, user) -> "SessionQuerySet":
        if not user.is_authenticated:
            return self.none()
        return self if user.is_staff else self.for_user(user)

    def for_user(self, user) -> "SessionQuerySet":
        """Sessions of the cohorts ``user`` is on, plus those they present."""
        from .models import Membership

        member = Membership.objects.filter(user=user, team__cohort=OuterRef("cohort"))
        return self.filter(Q(Exists(member)) | Q(presenters=user)).distinct()

    def scheduled(self) -> "SessionQuerySet":
        return self.filter(status=Session.Status.SCHEDULED)

    def upcoming(self) -> "SessionQuerySet":
        return self.scheduled().filter(ends_at__gte=timezone.now()).order_by("starts_at")

    def held(self) -> "SessionQuerySet":
        return self.scheduled().filter(starts_at__lte=timezone.now())

    def in_range(self, start, end) -> "SessionQuerySet":
        return self.filter(starts_at__gte=start, starts_at__lt=end)

    def for_listing(self) -> "SessionQuerySet":
        return self.select_related("cohort", "topic").prefetch_related("presenters")


class Session(models.Model):
    """One monthly meeting of a cohort, led by one or more subject-matter experts."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        CANCELLED = "cancelled", "Cancelled"

    cohort = models.ForeignKey("cohorts.Cohort", on_delete=models.CASCADE, related_name="sessions")
    number = models.PositiveSmallIntegerField(help_text="Sessions are numbered within the cohort.")
    topic = models.ForeignKey(
        "cohorts.Topic", on_delete=models.PROTECT, null=True, blank=True, related_name="sessions"
    )
    title = models.CharField(max_length=200)
    starts_at = models.DateTimeField("starts")
    ends_at = models.DateTimeField("ends")
    presenters = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="presented_sessions",
        help_text="Subject-matter experts who present and facilitate.",
    )
    agenda = models.TextField(blank=True)
    meeting_url = models.URLField("virtual meeting link", blank=True, max_length=500)
    recording_url = models.URLField("recording link", blank=True, max_length=500)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    sequence = models.PositiveIntegerField(default=0, editable=False)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    objects = SessionQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.UniqueConstraint(fields=["cohort", "number"], name="session_number_unique"),
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="session_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["scheduled", "cancelled"]), name="session_status_valid"
            ),
        ]
        indexes = [models.Index(fields=["cohort", "starts_at"])]

    def __str__(self) -> str:
        return f"Session {self.number}: {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("cohorts:session", args=[self.cohort.slug, self.number])

    @property
    def is_cancelled(self) -> bool:
        return self.status == self.Status.CANCELLED

    @property
    def is_past(self) -> bool:
        return self.ends_at < timezone.now()

    @property
    def duration(self) -> timedelta:
        return self.ends_at - self.starts_at

    def clean(self) -> None:
        errors = {}
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            errors["ends_at"] = "The session must end after it starts."
        cohort = getattr(self, "cohort", None) if self.cohort_id else None
        if cohort and self.starts_at:
            day = self.starts_at.astimezone(cohort.tz).date()
            if not cohort.start_date <= day <= cohort.end_date:
                errors["starts_at"] = (
                    f"{day:%B %-d, %Y} is outside the cohort's dates "
                    f"({cohort.start_date:%B %-d, %Y} to {cohort.end_date:%B %-d, %Y})."
                )
        if cohort and self.number:
            clash = Session.objects.filter(cohort=cohort, number=self.number).exclude(pk=self.pk)
            if clash.exists():
                errors["number"] = f"{cohort} already has a session number {self.number}."
        if errors:
            raise ValidationError(errors)

    def can_see_private(self, user) -> bool:
        """The meeting link and materials: the cohort's members, staff and the presenters."""
        if not user.is_authenticated:
            return False
        if user.is_staff:
            return True
        if self.is_presenter(user):
            return True
        return self.cohort.teams.filter(memberships__user=user).exists()

    def is_presenter(self, user) -> bool:
        # Reads the prefetched presenters that every session page loads anyway.
        return any(p.pk == user.pk for p in self.presenters.all())

    def touch_calendar(self) -> None:
        """Bump SEQUENCE so calendar clients replace their copy of the event."""
        Session.objects.filter(pk=self.pk).update(sequence=F("sequence") + 1)
        self.refresh_from_db(fields=["sequence"])

    @transaction.atomic
    def cancel(self) -> None:
        self.status = self.Status.CANCELLED
        self.save(update_fields=["status", "updated"])
        self.touch_calendar()

    @transaction.atomic
    def reinstate(self) -> None:
        self.status = self.Status.SCHEDULED
        self.save(update_fields=["status", "updated"])
        self.touch_calendar()


def material_upload_to(instance: "SessionMaterial", filename: str) -> str:
    return f"materials/{instance.session.cohort.slug}/{uuid.uuid4().hex}/{filename}"


class SessionMaterial(models.Model):
    """Slides, handouts or a link shared with a session: a file or a URL, never both."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="materials")
    title = models.CharField(max_length=200)
    file = models.FileField(
        upload_to=material_upload_to,
        blank=True,
        validators=[FileExtensionValidator(MATERIAL_EXTENSIONS)],
    )
    url = models.URLField("link", blank=True, max_length=500)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["session", "created"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(file="") & ~Q(url="")) | (~Q(file="") & Q(url="")),
                name="material_file_or_link",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_link(self) -> bool:
        return bool(self.url)

    @property
    def filename(self) -> str:
        return self.file.name.rsplit("/", 1)[-1] if self.file else ""


class Rsvp(models.Model):
    class Response(models.TextChoices):
        GOING = "going", "Going"
        MAYBE = "maybe", "Maybe"
        NOT_GOING = "not_going", "Not going"

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="rsvps")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="rsvps"
    )
    response = models.CharField(max_length=10, choices=Response.choices)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "RSVP"
        constraints = [
            models.UniqueConstraint(fields=["session", "user"], name="rsvp_once"),
            models.CheckConstraint(
                condition=Q(response__in=["going", "maybe", "not_going"]),
                name="rsvp_response_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_response_display()}"


class AttendanceQuerySet(models.QuerySet):
    def present(self) -> "AttendanceQuerySet":
        return self.filter(present=True)


class Attendance(models.Model):
    """Whether one person attended one session; every change is kept in AttendanceChange."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="attendance")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="attendance"
    )
    present = models.BooleanField(default=False)
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    marked_at = models.DateTimeField(default=timezone.now)

    objects = AttendanceQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "user"], name="attendance_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user}: {'present' if self.present else 'absent'}"


class AttendanceChange(models.Model):
    """Who changed whose attendance, from what to what, when and how."""

    class Source(models.TextChoices):
        ROSTER = "roster", "Marked on the roster"
        IMPORT = "import", "Imported from the meeting tool"

    session = models.ForeignKey(
        Session, on_delete=models.CASCADE, related_name="attendance_changes"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    previous = models.BooleanField(null=True)
    present = models.BooleanField()
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.ROSTER)

    class Meta:
        ordering = ["-changed_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.user}: {self.previous} → {self.present}"


class ReminderDelivery(models.Model):
    """A reminder or follow-up sent to one person for one session: the job's memory.

    The unique constraint is what makes sending idempotent: a second run, or two workers at
    once, cannot claim the same (session, person, kind) twice.
    """

    class Kind(models.TextChoices):
        REMINDER = "reminder", "Reminder before the session"
        FOLLOW_UP = "follow_up", "Follow-up with the recording and materials"

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="deliveries")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "reminder deliveries"
        constraints = [
            models.UniqueConstraint(fields=["session", "user", "kind"], name="reminder_once"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.user}"


def _feed_token() -> str:
    return secrets.token_urlsafe(24)


class CalendarFeedQuerySet(models.QuerySet):
    def active(self) -> "CalendarFeedQuerySet":
        return self.filter(revoked_at__isnull=True)


class CalendarFeed(models.Model):
    """A private iCalendar subscription: a person's sessions, or one cohort's.

    The secret token in the URL is the only credential a calendar client can send, so it can
    be revoked and replaced from the profile page; access is still re-checked on every fetch.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feeds"
    )
    cohort = models.ForeignKey(
        "cohorts.Cohort", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    token = models.CharField(max_length=64, unique=True, default=_feed_token, editable=False)
    created = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = CalendarFeedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(revoked_at__isnull=True, cohort__isnull=True),
                name="calendar_feed_one_personal",
            ),
            models.UniqueConstraint(
                fields=["user", "cohort"],
                condition=Q(revoked_at__isnull=True, cohort__isnull=False),
                name="calendar_feed_one_per_cohort",
            ),
        ]

    def __str__(self) -> str:
        return f"Calendar feed of {self.user}" + (f" for {self.cohort}" if self.cohort_id else "")

    def get_absolute_url(self) -> str:
        return reverse("cohorts:feed", args=[self.token])

    def revoke(self) -> None:
        self.revoked_at = timezone.now()
        self.save(update_fields=["revoked_at"])
