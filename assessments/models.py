"""The agency self-assessment and the action planning roadmap.

An instrument is versioned data: domains → items, answered on the version's scale. A version
is edited while it is a draft; publishing freezes it for good, and editing it afterwards means
starting a new draft from it (``services.new_draft_from``). Exactly one version is published at
a time: it is the one new assessments use. Assessments keep the version they were made with.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from cohorts.models import Membership, Team

from . import roadmap


class FrozenVersion(ValidationError):
    """Raised on any attempt to change the content of a published or retired version."""


# --- The instrument ---------------------------------------------------------------------------


class Instrument(models.Model):
    code = models.SlugField(max_length=60, unique=True)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    is_starter = models.BooleanField(
        "starter instrument",
        default=False,
        help_text="Written by the program as a starting point, to be replaced by the official "
        "assessment tool when staff have it.",
    )
    notice = models.CharField(
        max_length=300,
        blank=True,
        help_text="Shown above the assessment and its results, e.g. where the items come from.",
    )
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


class InstrumentVersionQuerySet(models.QuerySet):
    def published(self) -> InstrumentVersionQuerySet:
        return self.filter(status=InstrumentVersion.Status.PUBLISHED)

    def current(self) -> InstrumentVersion | None:
        """The version new assessments use (at most one is published at a time)."""
        return self.published().select_related("instrument").first()


class InstrumentVersion(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        RETIRED = "retired", "Retired"

    instrument = models.ForeignKey(Instrument, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    notes = models.TextField("what changed", blank=True)
    created = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)

    objects = InstrumentVersionQuerySet.as_manager()

    class Meta:
        ordering = ["instrument", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["instrument", "number"], name="instrument_version_number_unique"
            ),
            # New assessments use the one published version; publishing another retires it.
            models.UniqueConstraint(
                fields=["status"],
                condition=Q(status="published"),
                name="instrument_version_one_published",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "published", "retired"]),
                name="instrument_version_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(published_at__isnull=False),
                name="instrument_version_published_at",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instrument.title}, version {self.number} ({self.get_status_display()})"

    @property
    def is_frozen(self) -> bool:
        return self.status != self.Status.DRAFT

    def delete(self, *args, **kwargs):
        _refuse_frozen(version_ids=[self.pk])
        return super().delete(*args, **kwargs)


def _refuse_frozen(*, version_ids: list[int | None]) -> None:
    """Content may change only while every version it touches is a draft. Checked against the
    database, not the objects in hand, which may be stale."""
    ids = [pk for pk in version_ids if pk is not None]
    if not ids:
        return
    frozen = InstrumentVersion.objects.filter(pk__in=ids).exclude(
        status=InstrumentVersion.Status.DRAFT
    )
    if frozen.exists():
        raise FrozenVersion(
            "This version is published and cannot be changed. Start a new draft from it instead; "
            "assessments made with it keep it as it is."
        )


class Domain(models.Model):
    version = models.ForeignKey(InstrumentVersion, on_delete=models.CASCADE, related_name="domains")
    code = models.SlugField(
        max_length=60,
        help_text="Stable across versions: results compare rounds by this code.",
    )
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    suggested_step = models.CharField(
        "suggested action step",
        max_length=200,
        blank=True,
        help_text="The action step offered when this domain is a gap.",
    )
    roadmap_step = models.CharField(
        max_length=30, choices=roadmap.CHOICES, default=roadmap.DEFAULT_STEP
    )

    class Meta:
        ordering = ["version", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["version", "code"], name="domain_code_per_version"),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        previous = Domain.objects.filter(pk=self.pk).values_list("version_id", flat=True)
        _refuse_frozen(version_ids=[self.version_id, *previous])
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        _refuse_frozen(version_ids=[self.version_id])
        return super().delete(*args, **kwargs)

    @property
    def step_title(self) -> str:
        return self.suggested_step or f"Plan improvements in {self.title.lower()}"


class Item(models.Model):
    domain = models.ForeignKey(Domain, on_delete=models.CASCADE, related_name="items")
    code = models.SlugField(max_length=60)
    text = models.TextField()
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["domain", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["domain", "code"], name="item_code_per_domain"),
        ]

    def __str__(self) -> str:
        return self.text

    def save(self, *args, **kwargs):
        _refuse_frozen(version_ids=self._version_ids())
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        _refuse_frozen(version_ids=self._version_ids())
        return super().delete(*args, **kwargs)

    def _version_ids(self) -> list[int | None]:
        domain_ids = [self.domain_id]
        if self.pk:
            domain_ids += list(Item.objects.filter(pk=self.pk).values_list("domain_id", flat=True))
        return list(
            Domain.objects.filter(pk__in=[d for d in domain_ids if d]).values_list(
                "version_id", flat=True
            )
        )


class ScaleLevel(models.Model):
    """One answer on a version's scale, e.g. 0 "Not in place" … 4 "Sustained"."""

    version = models.ForeignKey(InstrumentVersion, on_delete=models.CASCADE, related_name="levels")
    value = models.PositiveSmallIntegerField()
    label = models.CharField(max_length=60)
    description = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["version", "value"]
        constraints = [
            models.UniqueConstraint(fields=["version", "value"], name="scale_level_unique"),
            models.CheckConstraint(condition=Q(value__lte=10), name="scale_level_value_range"),
        ]

    def __str__(self) -> str:
        return f"{self.value} · {self.label}"

    def save(self, *args, **kwargs):
        previous = ScaleLevel.objects.filter(pk=self.pk).values_list("version_id", flat=True)
        _refuse_frozen(version_ids=[self.version_id, *previous])
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        _refuse_frozen(version_ids=[self.version_id])
        return super().delete(*args, **kwargs)


# --- A team's assessments ---------------------------------------------------------------------


class Round(models.TextChoices):
    BASELINE = "baseline", "Baseline"
    MIDPOINT = "midpoint", "Midpoint"
    END = "end", "End"


ROUND_ORDER = [Round.BASELINE, Round.MIDPOINT, Round.END]


class AssessmentQuerySet(models.QuerySet):
    def submitted(self) -> AssessmentQuerySet:
        return self.filter(status=Assessment.Status.SUBMITTED)

    def for_cohort(self, cohort) -> AssessmentQuerySet:
        return self.filter(team__cohort=cohort)


class Assessment(models.Model):
    """A team's self-assessment in one round: a draft any member fills in, until command
    staff submit it."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="assessments")
    round = models.CharField(max_length=10, choices=Round.choices)
    version = models.ForeignKey(
        InstrumentVersion, on_delete=models.PROTECT, related_name="assessments"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created = models.DateTimeField(default=timezone.now)
    updated = models.DateTimeField(default=timezone.now)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)

    objects = AssessmentQuerySet.as_manager()

    class Meta:
        ordering = ["team", "created"]
        constraints = [
            models.UniqueConstraint(fields=["team", "round"], name="assessment_one_per_round"),
            models.CheckConstraint(
                condition=Q(round__in=["baseline", "midpoint", "end"]),
                name="assessment_round_valid",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "submitted"]), name="assessment_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(submitted_at__isnull=False),
                name="assessment_submitted_at",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.team} · {self.get_round_display()} assessment"

    def get_absolute_url(self) -> str:
        team = self.team
        return reverse("assessments:round", args=[team.cohort.slug, team.pk, self.round])

    @property
    def is_submitted(self) -> bool:
        return self.status == self.Status.SUBMITTED


class Rating(models.Model):
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="ratings")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="ratings")
    # Empty while a draft has a note but no level yet; submitting needs every level.
    level = models.PositiveSmallIntegerField(null=True, blank=True)
    note = models.TextField(blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["assessment", "item"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "item"], name="rating_one_per_item"),
        ]

    def __str__(self) -> str:
        return f"{self.item.code}: {self.level}"


# --- The action plan --------------------------------------------------------------------------


class ActionPlan(models.Model):
    team = models.OneToOneField(Team, on_delete=models.CASCADE, related_name="action_plan")
    mission = models.TextField(
        "mission and goals",
        blank=True,
        help_text="A few sentences: what the agency's wellness program is for and what it "
        "aims to achieve.",
    )
    created = models.DateTimeField(default=timezone.now)
    updated = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Action plan of {self.team}"

    def get_absolute_url(self) -> str:
        return reverse("assessments:plan", args=[self.team.cohort.slug, self.team_id])


class ActionStepQuerySet(models.QuerySet):
    def open(self) -> ActionStepQuerySet:
        return self.filter(status__in=ActionStep.OPEN_STATUSES)

    def overdue(self, today: date | None = None) -> ActionStepQuerySet:
        return self.open().filter(due_date__lt=today or timezone.localdate())


class ActionStep(models.Model):
    class Term(models.TextChoices):
        SHORT = "short", "Short-term"
        LONG = "long", "Long-term"

    class Status(models.TextChoices):
        NOT_STARTED = "not_started", "Not started"
        IN_PROGRESS = "in_progress", "In progress"
        DONE = "done", "Done"
        DROPPED = "dropped", "Dropped"

    OPEN_STATUSES = [Status.NOT_STARTED, Status.IN_PROGRESS]

    plan = models.ForeignKey(ActionPlan, on_delete=models.CASCADE, related_name="steps")
    title = models.CharField(max_length=200)
    details = models.TextField(blank=True)
    term = models.CharField(max_length=5, choices=Term.choices, default=Term.SHORT)
    roadmap_step = models.CharField(
        max_length=30, choices=roadmap.CHOICES, default=roadmap.DEFAULT_STEP
    )
    domain = models.ForeignKey(
        Domain, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    due_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.NOT_STARTED)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created = models.DateTimeField(default=timezone.now)
    updated = models.DateTimeField(default=timezone.now)
    done_at = models.DateTimeField(null=True, blank=True)

    objects = ActionStepQuerySet.as_manager()

    class Meta:
        ordering = ["plan", "due_date", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(term__in=["short", "long"]), name="action_step_term_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["not_started", "in_progress", "done", "dropped"]),
                name="action_step_status_valid",
            ),
            # A step is done exactly when it has the moment it was done.
            models.CheckConstraint(
                condition=(Q(status="done") & Q(done_at__isnull=False))
                | (~Q(status="done") & Q(done_at__isnull=True)),
                name="action_step_done_at",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        team = self.plan.team
        return reverse("assessments:step", args=[team.cohort.slug, team.pk, self.pk])

    @property
    def roadmap(self) -> roadmap.RoadmapStep | None:
        return roadmap.step(self.roadmap_step)

    def is_overdue(self, today: date | None = None) -> bool:
        return (
            self.status in self.OPEN_STATUSES
            and self.due_date is not None
            and self.due_date < (today or timezone.localdate())
        )

    def apply_status(self, status: str, *, at=None) -> None:
        """Set the status and keep ``done_at`` in step with it (not saved)."""
        if status not in self.Status.values:
            raise ValidationError({"status": f"Unknown status “{status}”."})
        if status == self.Status.DONE and self.status != self.Status.DONE:
            self.done_at = at or timezone.now()
        elif status != self.Status.DONE:
            self.done_at = None
        self.status = status

    def clean(self) -> None:
        if self.owner_id and self.plan_id:
            on_team = Membership.objects.filter(
                team__action_plan=self.plan_id, user_id=self.owner_id
            ).exists()
            if not on_team:
                raise ValidationError({"owner": "The owner must be a member of the team."})


class ProgressNote(models.Model):
    step = models.ForeignKey(ActionStep, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    text = models.TextField()
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created", "-pk"]

    def __str__(self) -> str:
        return f"Note on {self.step} ({self.created:%Y-%m-%d})"


class StepReminder(models.Model):
    """An overdue reminder sent to a step's owner. Unique per step and due date, so sending
    is idempotent; moving the due date allows one more reminder for the new date."""

    step = models.ForeignKey(ActionStep, on_delete=models.CASCADE, related_name="reminders")
    due_date = models.DateField()
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["step", "due_date"], name="step_reminder_once"),
        ]

    def __str__(self) -> str:
        return f"Overdue reminder for {self.step} (due {self.due_date})"


class CommunityPartner(models.Model):
    class Kind(models.TextChoices):
        CLINICAL = "clinical", "Clinician or counselling"
        PEER_SUPPORT = "peer_support", "Peer support"
        CHAPLAINCY = "chaplaincy", "Chaplaincy"
        FITNESS = "fitness", "Fitness and physical health"
        NUTRITION = "nutrition", "Nutrition and meal preparation"
        WELLNESS = "wellness", "Wellness services (yoga, massage, acupuncture…)"
        FINANCIAL = "financial", "Financial counselling"
        FAMILY = "family", "Family support"
        OTHER = "other", "Other"

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="community_partners")
    name = models.CharField(max_length=200)
    kind = models.CharField("kind of service", max_length=20, choices=Kind.choices)
    contact = models.CharField(
        max_length=300, blank=True, help_text="A person, phone number, email or website."
    )
    notes = models.TextField(blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["team", "name"]

    def __str__(self) -> str:
        return self.name
