"""The Officer Resilience Training Program: the course, training requests, regional trainings
with their seats, and the member-only resource library."""

from __future__ import annotations

import uuid
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Count, Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone

from cohorts.models import Agency, Membership

MAX_EXPECTED_ATTENDEES = 500


class Region(models.TextChoices):
    NORTHEAST = "northeast", "Northeast"
    MID_ATLANTIC = "mid_atlantic", "Mid-Atlantic"
    SOUTHEAST = "southeast", "Southeast"
    MIDWEST = "midwest", "Midwest"
    SOUTH_CENTRAL = "south_central", "South Central"
    MOUNTAIN = "mountain", "Mountain West"
    PACIFIC = "pacific", "Pacific (with Alaska and Hawaii)"


# The course --------------------------------------------------------------------------------


class ProgramContent(models.Model):
    """The program page's text: one row, edited by staff."""

    title = models.CharField(max_length=200)
    lead = models.TextField(help_text="One or two sentences under the title.")
    about = models.TextField("about the program", help_text="Markdown.")
    course = models.TextField("the course", help_text="Markdown.")
    attendees = models.TextField("who attends", help_text="Markdown.")
    outcomes = models.TextField("what attendees take away", help_text="Markdown.")
    request_intro = models.TextField(
        "request form introduction", help_text="Shown above the training request form."
    )
    updated = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = "program page"
        verbose_name_plural = "program page"
        constraints = [models.CheckConstraint(condition=Q(id=1), name="program_content_single")]

    def __str__(self) -> str:
        return self.title

    @classmethod
    def load(cls) -> ProgramContent:
        from .content import PROGRAM

        content, _ = cls.objects.get_or_create(pk=1, defaults=PROGRAM)
        return content


class SkillTheme(models.Model):
    """Mind, Energy, Connection: the three themes the course's skills fall into."""

    name = models.CharField(max_length=60, unique=True)
    slug = models.SlugField(max_length=60, unique=True)
    summary = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class FocusArea(models.Model):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


# Regional trainings ------------------------------------------------------------------------


class TrainingEventQuerySet(models.QuerySet):
    def upcoming(self, today: date | None = None) -> TrainingEventQuerySet:
        return self.filter(date__gte=today or timezone.localdate()).order_by("date", "start_time")

    def past(self, today: date | None = None) -> TrainingEventQuerySet:
        return self.filter(date__lt=today or timezone.localdate()).order_by("-date", "start_time")

    def scheduled(self) -> TrainingEventQuerySet:
        return self.filter(status=TrainingEvent.Status.SCHEDULED)

    def with_counts(self) -> TrainingEventQuerySet:
        confirmed = Q(registrations__status=Registration.Status.CONFIRMED)
        return self.annotate(
            confirmed_count=Count("registrations", filter=confirmed),
            waitlisted_count=Count(
                "registrations", filter=Q(registrations__status=Registration.Status.WAITLISTED)
            ),
            attended_count=Count(
                "registrations", filter=confirmed & Q(registrations__attended=True)
            ),
        )


class TrainingEvent(models.Model):
    """A one-day regional training with a seat limit overall and per agency."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        CANCELLED = "cancelled", "Cancelled"

    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    date = models.DateField()
    start_time = models.TimeField()
    end_time = models.TimeField()
    venue = models.CharField(max_length=200)
    address = models.CharField(max_length=300)
    region = models.CharField(max_length=20, choices=Region.choices)
    capacity = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(1000)],
        help_text="Seats in the room.",
    )
    per_agency_limit = models.PositiveSmallIntegerField(
        "seats per agency",
        validators=[MinValueValidator(1), MaxValueValidator(1000)],
        help_text="The most attendees one agency can have confirmed; more join the waitlist.",
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.SCHEDULED)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancellation_note = models.TextField(blank=True)
    # The post-training evaluation: a survey wave with no cohort, to which the attendees marked
    # present are invited by email. PROTECT: the wave holds the attendees' answers, so it is
    # never deleted from under its training, nor silently detached (a second wave would invite
    # everyone again).
    evaluation_wave = models.OneToOneField(
        "surveys.Wave",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="training_event",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)

    objects = TrainingEventQuerySet.as_manager()

    class Meta:
        ordering = ["date", "start_time"]
        constraints = [
            models.CheckConstraint(condition=Q(capacity__gte=1), name="event_capacity_positive"),
            models.CheckConstraint(
                condition=Q(per_agency_limit__gte=1, per_agency_limit__lte=models.F("capacity")),
                name="event_agency_limit_within_capacity",
            ),
            models.CheckConstraint(
                condition=Q(end_time__gt=models.F("start_time")), name="event_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["scheduled", "cancelled"]), name="event_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.date:%b} {self.date.day}, {self.date.year})"

    def get_absolute_url(self) -> str:
        return reverse("training:event", args=[self.pk])

    def clean(self) -> None:
        errors = {}
        if self.start_time and self.end_time and self.end_time <= self.start_time:
            errors["end_time"] = "The training must end after it starts."
        if self.capacity and self.per_agency_limit and self.per_agency_limit > self.capacity:
            errors["per_agency_limit"] = (
                f"An agency cannot have more seats than the room holds ({self.capacity})."
            )
        if errors:
            raise ValidationError(errors)

    @property
    def is_cancelled(self) -> bool:
        return self.status == self.Status.CANCELLED

    @property
    def is_past(self) -> bool:
        return self.date < timezone.localdate()

    @property
    def is_open_for_registration(self) -> bool:
        return not self.is_cancelled and not self.is_past

    @property
    def seats_left(self) -> int:
        """Needs ``with_counts()``."""
        return max(self.capacity - self.confirmed_count, 0)

    @property
    def is_full(self) -> bool:
        return self.seats_left == 0


class Coordinator(models.Model):
    """Someone staff allowed to register attendees for an agency: for one training, or for all
    of them when ``event`` is empty. A team's command staff coordinate for their agency without
    a designation."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="training_coordinations"
    )
    agency = models.ForeignKey(
        Agency, on_delete=models.CASCADE, related_name="training_coordinators"
    )
    event = models.ForeignKey(
        TrainingEvent,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="coordinators",
        help_text="Leave empty to let them register people for every training.",
    )
    designated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["agency__name", "user__last_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "agency"],
                condition=Q(event__isnull=True),
                name="coordinator_one_standing_designation",
            ),
            models.UniqueConstraint(
                fields=["user", "agency", "event"],
                condition=Q(event__isnull=False),
                name="coordinator_one_designation_per_event",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} for {self.agency}"


def coordinated_agencies(user, event: TrainingEvent | None = None):
    """The agencies ``user`` may register attendees for (every agency for staff)."""
    if not user.is_authenticated:
        return Agency.objects.none()
    if user.is_staff:
        return Agency.objects.all()
    command = Membership.objects.filter(
        user=user, role=Membership.Role.COMMAND_STAFF, team__agency=OuterRef("pk")
    )
    designations = Q(event__isnull=True)
    if event is not None:
        designations |= Q(event=event)
    designated = Coordinator.objects.filter(designations, user=user, agency=OuterRef("pk"))
    return Agency.objects.filter(Exists(command) | Exists(designated))


class RegistrationQuerySet(models.QuerySet):
    def active(self) -> RegistrationQuerySet:
        return self.exclude(status=Registration.Status.CANCELLED)

    def confirmed(self) -> RegistrationQuerySet:
        return self.filter(status=Registration.Status.CONFIRMED)

    def waitlisted(self) -> RegistrationQuerySet:
        return self.filter(status=Registration.Status.WAITLISTED).order_by("position")


class Registration(models.Model):
    """One attendee on one training: a confirmed seat, a place on the waitlist, or cancelled."""

    class Status(models.TextChoices):
        CONFIRMED = "confirmed", "Confirmed"
        WAITLISTED = "waitlisted", "Waitlisted"
        CANCELLED = "cancelled", "Cancelled"

    class WaitlistReason(models.TextChoices):
        AGENCY_LIMIT = "agency_limit", "Agency's seats taken"
        CAPACITY = "capacity", "Training full"

    event = models.ForeignKey(TrainingEvent, on_delete=models.CASCADE, related_name="registrations")
    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="training_registrations"
    )
    name = models.CharField(max_length=200)
    rank_role = models.CharField("rank or role", max_length=100)
    email = models.EmailField()
    status = models.CharField(max_length=12, choices=Status.choices)
    waitlist_reason = models.CharField(max_length=20, choices=WaitlistReason.choices, blank=True)
    # Order of arrival on this training: the waitlist is served in this order.
    position = models.PositiveIntegerField()
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)
    promoted_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    attended = models.BooleanField(null=True, blank=True)
    attendance_marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    attendance_marked_at = models.DateTimeField(null=True, blank=True)

    objects = RegistrationQuerySet.as_manager()

    class Meta:
        ordering = ["event", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "email"],
                condition=~Q(status="cancelled"),
                name="registration_one_per_email",
            ),
            models.UniqueConstraint(fields=["event", "position"], name="registration_position"),
            models.CheckConstraint(
                condition=Q(status__in=["confirmed", "waitlisted", "cancelled"]),
                name="registration_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} at {self.event}"

    @property
    def is_confirmed(self) -> bool:
        return self.status == self.Status.CONFIRMED

    @property
    def is_waitlisted(self) -> bool:
        return self.status == self.Status.WAITLISTED


# Training requests -------------------------------------------------------------------------


class TrainingRequestQuerySet(models.QuerySet):
    def open(self) -> TrainingRequestQuerySet:
        return self.filter(
            status__in=[TrainingRequest.Status.RECEIVED, TrainingRequest.Status.UNDER_REVIEW]
        )


class TrainingRequest(models.Model):
    """An agency asking for the course, worked by staff from received to scheduled or declined."""

    class Status(models.TextChoices):
        RECEIVED = "received", "Received"
        UNDER_REVIEW = "under_review", "Under review"
        SCHEDULED = "scheduled", "Scheduled"
        DECLINED = "declined", "Declined"

    # Where each status may go next.
    TRANSITIONS = {
        Status.RECEIVED: {Status.UNDER_REVIEW, Status.SCHEDULED, Status.DECLINED},
        Status.UNDER_REVIEW: {Status.SCHEDULED, Status.DECLINED},
        Status.SCHEDULED: set(),
        Status.DECLINED: set(),
    }

    agency_name = models.CharField("agency", max_length=200)
    agency = models.ForeignKey(
        Agency, on_delete=models.SET_NULL, null=True, blank=True, related_name="training_requests"
    )
    contact_name = models.CharField(max_length=200)
    email = models.EmailField()
    phone = models.CharField(max_length=40)
    region = models.CharField(max_length=20, choices=Region.choices)
    expected_attendees = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(MAX_EXPECTED_ATTENDEES)]
    )
    preferred_date = models.DateField("first choice")
    alternate_date = models.DateField("second choice", null=True, blank=True)
    second_alternate_date = models.DateField("third choice", null=True, blank=True)
    notes = models.TextField(blank=True)
    status = models.CharField(max_length=14, choices=Status.choices, default=Status.RECEIVED)
    decline_reason = models.TextField(blank=True)
    event = models.ForeignKey(
        TrainingEvent, on_delete=models.SET_NULL, null=True, blank=True, related_name="requests"
    )
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    objects = TrainingRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-created"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expected_attendees__gte=1, expected_attendees__lte=500),
                name="request_attendees_in_range",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["received", "under_review", "scheduled", "declined"]),
                name="request_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status="declined") | ~Q(decline_reason=""),
                name="request_declined_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(status="scheduled") | Q(event__isnull=False),
                name="request_scheduled_has_event",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agency_name} ({self.get_status_display()})"

    def get_absolute_url(self) -> str:
        return reverse("training:request", args=[self.pk])

    @property
    def preferred_dates(self) -> list[date]:
        dates = [self.preferred_date, self.alternate_date, self.second_alternate_date]
        return [d for d in dates if d]

    @property
    def is_open(self) -> bool:
        return bool(self.TRANSITIONS[self.status])

    def can_move_to(self, status: str) -> bool:
        return status in self.TRANSITIONS[self.status]


class RequestChange(models.Model):
    """The request's history: every status it went through, who moved it and why."""

    request = models.ForeignKey(TrainingRequest, on_delete=models.CASCADE, related_name="changes")
    from_status = models.CharField(
        max_length=14, choices=TrainingRequest.Status.choices, blank=True
    )
    to_status = models.CharField(max_length=14, choices=TrainingRequest.Status.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.request_id}: {self.from_status or '—'} → {self.to_status}"


# The resource library ----------------------------------------------------------------------


class Audience(models.TextChoices):
    OFFICER = "officer", "Officers"
    DISPATCHER = "dispatcher", "Dispatchers"
    COMMAND_STAFF = "command_staff", "Command staff"
    FAMILY = "family", "Families"


def library_upload_to(instance: ResourceItem, filename: str) -> str:
    return f"library/{uuid.uuid4().hex}/{filename}"


class ResourceItemQuerySet(models.QuerySet):
    def published(self) -> ResourceItemQuerySet:
        return self.filter(published=True)

    def visible_to(self, user) -> ResourceItemQuerySet:
        return self if user.is_authenticated and user.is_staff else self.published()

    def for_role(self, role: str) -> ResourceItemQuerySet:
        # Roles are kept as ",officer,family," so that one role never matches inside another.
        return self.filter(roles__contains=f",{role},")

    def search(self, text: str) -> ResourceItemQuerySet:
        query = Q()
        for word in text.split()[:8]:
            query &= Q(title__icontains=word) | Q(summary__icontains=word)
        return self.filter(query)

    def for_listing(self) -> ResourceItemQuerySet:
        return self.prefetch_related("themes", "topics")


class ResourceItem(models.Model):
    """A library item: the summary is public; the body, file and link are for members."""

    class Kind(models.TextChoices):
        DOCUMENT = "document", "Document"
        WEBINAR = "webinar", "Webinar recording"
        VIDEO = "video", "Video"
        GUIDE = "guide", "Role-specific strategy guide"

    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    summary = models.TextField(help_text="Public: everyone sees this.")
    body = models.TextField(blank=True, help_text="Members only. Markdown.")
    file = models.FileField(upload_to=library_upload_to, blank=True, max_length=300)
    url = models.URLField(
        "link", blank=True, help_text="Members only: the recording, video or web page."
    )
    themes = models.ManyToManyField(SkillTheme, blank=True, related_name="resources")
    topics = models.ManyToManyField("cohorts.Topic", blank=True, related_name="resources")
    roles = models.CharField(max_length=100, blank=True, default="")
    published = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    objects = ResourceItemQuerySet.as_manager()

    class Meta:
        ordering = ["-created", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["document", "webinar", "video", "guide"]),
                name="resource_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("training:resource", args=[self.pk])

    @property
    def role_list(self) -> list[str]:
        return [r for r in self.roles.split(",") if r]

    @role_list.setter
    def role_list(self, values) -> None:
        chosen = [v for v in Audience.values if v in set(values)]
        self.roles = f",{','.join(chosen)}," if chosen else ""

    @property
    def role_labels(self) -> list[str]:
        labels = dict(Audience.choices)
        return [labels[r] for r in self.role_list if r in labels]

    @property
    def filename(self) -> str:
        return self.file.name.rsplit("/", 1)[-1] if self.file else ""


class ResourceSuggestion(models.Model):
    """A member's suggestion for the library, often from a forum post; staff approve it into an
    unpublished item they then finish."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for review"
        APPROVED = "approved", "Added to the library"
        DECLINED = "declined", "Not added"

    title = models.CharField(max_length=200)
    url = models.URLField("link to the resource", blank=True)
    forum_post_url = models.URLField("forum post", blank=True, max_length=500)
    note = models.TextField("why it helps")
    suggested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="resource_suggestions"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created = models.DateTimeField(auto_now_add=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    item = models.ForeignKey(
        ResourceItem, on_delete=models.SET_NULL, null=True, blank=True, related_name="suggestions"
    )

    class Meta:
        ordering = ["-created"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["pending", "approved", "declined"]),
                name="suggestion_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.title


def is_library_member(user) -> bool:
    """Member-only library content is for staff, experts and people on a team."""
    if not user.is_authenticated:
        return False
    if user.is_staff or getattr(user, "is_sme", False):
        return True
    return user.memberships.exists()
