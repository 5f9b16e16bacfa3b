import secrets
from datetime import datetime, timedelta, tzinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone


class Survey(models.Model):
    """A questionnaire whose questions and options carry stable codes for reporting."""

    title = models.CharField(max_length=200)
    code = models.SlugField(max_length=60, unique=True)
    description = models.TextField(blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


class Question(models.Model):
    class Kind(models.TextChoices):
        SINGLE = "single", "Single choice"
        MULTIPLE = "multiple", "Multiple choice"
        YES_NO = "yes_no", "Yes / no"
        LIKERT = "likert", "Likert 1–5"
        NUMBER = "number", "Number"
        TEXT = "text", "Free text"

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    code = models.SlugField(max_length=60)
    text = models.CharField(max_length=500)
    help_text = models.CharField(max_length=300, blank=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    required = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["survey", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "code"], name="question_code_unique"),
            models.CheckConstraint(
                condition=Q(kind__in=["single", "multiple", "yes_no", "likert", "number", "text"]),
                name="question_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code}: {self.text}"

    @property
    def is_choice(self) -> bool:
        return self.kind in CHOICE_KINDS

    def add_default_options(self) -> None:
        """Yes/no and Likert questions answer with fixed options; create them when missing."""
        defaults = DEFAULT_OPTIONS.get(self.kind)
        if not defaults or self.options.exists():
            return
        Option.objects.bulk_create(
            Option(question=self, code=code, label=label, position=position)
            for position, (code, label) in enumerate(defaults, start=1)
        )


class Option(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="options")
    code = models.SlugField(max_length=60)
    label = models.CharField(max_length=200)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["question", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["question", "code"], name="option_code_unique"),
        ]

    def __str__(self) -> str:
        return self.label


DEFAULT_OPTIONS = {
    Question.Kind.YES_NO: [("yes", "Yes"), ("no", "No")],
    Question.Kind.LIKERT: [
        ("1", "Strongly disagree"),
        ("2", "Disagree"),
        ("3", "Neither agree nor disagree"),
        ("4", "Agree"),
        ("5", "Strongly agree"),
    ],
}
CHOICE_KINDS = {
    Question.Kind.SINGLE,
    Question.Kind.MULTIPLE,
    Question.Kind.YES_NO,
    Question.Kind.LIKERT,
}


def _invitation_token() -> str:
    return secrets.token_urlsafe(32)


class WaveQuerySet(models.QuerySet):
    def open(self, at: datetime | None = None) -> "WaveQuerySet":
        at = at or timezone.now()
        return self.filter(opens_at__lte=at, closes_at__gt=at)

    def for_cohort(self, cohort) -> "WaveQuerySet":
        return self.filter(cohort=cohort)


class Wave(models.Model):
    """One sending of a survey, open between two instants: to a cohort's members (or those
    present at one of its sessions), or, with no cohort, to people invited by email."""

    class Anonymity(models.TextChoices):
        IDENTIFIED = "identified", "Identified (staff see who answered what)"
        CONFIDENTIAL = "confidential", "Confidential (kept, but reported only in groups)"
        ANONYMOUS = "anonymous", "Anonymous (answers are never linked to people)"

    survey = models.ForeignKey(Survey, on_delete=models.PROTECT, related_name="waves")
    # Empty for a wave sent by email to people who may have no account (a training's
    # evaluation): its invitations carry the address and are answered by their token.
    cohort = models.ForeignKey(
        "cohorts.Cohort",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="survey_waves",
    )
    # A wave about one session is sent to the people marked present at it, not the whole cohort.
    session = models.ForeignKey(
        "cohorts.Session",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="feedback_waves",
    )
    title = models.CharField(max_length=200)
    opens_at = models.DateTimeField()
    closes_at = models.DateTimeField()
    anonymity = models.CharField(
        max_length=12, choices=Anonymity.choices, default=Anonymity.CONFIDENTIAL
    )
    min_group_size = models.PositiveSmallIntegerField(
        "minimum group size",
        default=5,
        help_text="Groups with fewer respondents than this are not shown in reports.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)

    objects = WaveQuerySet.as_manager()

    # What a respondent agreed to when they answered must not change under them.
    LOCKED_FIELDS = (
        "survey_id",
        "cohort_id",
        "session_id",
        "anonymity",
        "opens_at",
        "min_group_size",
    )

    class Meta:
        ordering = ["-opens_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_at__gt=models.F("opens_at")), name="wave_closes_after_opening"
            ),
            models.CheckConstraint(
                condition=Q(anonymity__in=["identified", "confidential", "anonymous"]),
                name="wave_anonymity_valid",
            ),
            models.CheckConstraint(condition=Q(min_group_size__gte=1), name="wave_min_group_size"),
            models.CheckConstraint(
                condition=Q(cohort__isnull=False) | Q(session__isnull=True),
                name="wave_session_needs_cohort",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str | None:
        """The signed-in answer page; a wave sent by email has none (each invitation has its
        own link, see ``WaveInvitation.answer_url``)."""
        if self.cohort_id is None:
            return None
        return reverse("surveys:answer", args=[self.cohort.slug, self.pk])

    @property
    def is_by_email(self) -> bool:
        return self.cohort_id is None

    @property
    def tz(self) -> tzinfo:
        """The time zone its dates are shown and recorded in: the cohort's, or the site's."""
        return self.cohort.tz if self.cohort_id else timezone.get_default_timezone()

    @property
    def is_anonymous(self) -> bool:
        return self.anonymity == self.Anonymity.ANONYMOUS

    def is_open(self, at: datetime | None = None) -> bool:
        at = at or timezone.now()
        return self.opens_at <= at < self.closes_at

    def has_opened(self, at: datetime | None = None) -> bool:
        return self.opens_at <= (at or timezone.now())

    def is_locked(self) -> bool:
        """A wave that has opened keeps its survey, cohort, anonymity and opening time."""
        if self.pk is None:
            return False
        stored = Wave.objects.filter(pk=self.pk).values("opens_at").first()
        return stored is not None and stored["opens_at"] <= timezone.now()

    def clean(self) -> None:
        if self.opens_at and self.closes_at and self.closes_at <= self.opens_at:
            raise ValidationError({"closes_at": "The wave must close after it opens."})
        if self.session_id and not self.cohort_id:
            raise ValidationError({"session": "Only a cohort's wave can be about one session."})
        if self.session_id and self.cohort_id and self.session.cohort_id != self.cohort_id:
            raise ValidationError({"session": "The session belongs to another cohort."})
        if self.is_locked():
            stored = Wave.objects.get(pk=self.pk)
            changed = [f for f in self.LOCKED_FIELDS if getattr(stored, f) != getattr(self, f)]
            if changed:
                names = {
                    "survey_id": "survey",
                    "cohort_id": "cohort",
                    "session_id": "audience",
                    "anonymity": "anonymity",
                    "opens_at": "opening time",
                    "min_group_size": "minimum group size",
                }
                listed = [names[f] for f in changed]
                what = (
                    listed[0] if len(listed) == 1 else f"{', '.join(listed[:-1])} and {listed[-1]}"
                )
                raise ValidationError(
                    f"This wave has opened, so its {what} can no longer change: its survey, "
                    "cohort, audience, anonymity, opening time and minimum group size stay as "
                    "they were when people started answering. Only the title and closing time "
                    "can still be edited."
                )

    def close(self, at: datetime | None = None) -> None:
        """Close the wave now (it refuses submissions from this instant)."""
        at = at or timezone.now()
        if self.closes_at <= at:
            return
        self.closes_at = max(at, self.opens_at + timedelta(seconds=1))
        self.save(update_fields=["closes_at"])


class WaveInvitation(models.Model):
    """One participant's invitation to a wave; it can be used to submit once.

    A cohort wave invites members (``user``). A wave with no cohort invites people by
    ``email`` (and ``name``), who answer through the token link with no account; ``user`` is
    set as well when someone with an account has that address.
    """

    wave = models.ForeignKey(Wave, on_delete=models.CASCADE, related_name="invitations")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="wave_invitations",
    )
    email = models.EmailField(blank=True)
    name = models.CharField(max_length=200, blank=True)
    token = models.CharField(max_length=64, unique=True, default=_invitation_token, editable=False)
    sent_at = models.DateTimeField(null=True, blank=True)
    # The last reminder sent to someone who had not answered (by staff or on the schedule), and
    # how many the schedule has sent them (it sends at most two).
    reminded_at = models.DateTimeField(null=True, blank=True)
    reminder_count = models.PositiveSmallIntegerField(default=0)
    # For anonymous waves only the day is kept, so that the order of invitations used cannot be
    # matched with the order in which anonymous responses were stored.
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["wave", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["wave", "user"], name="wave_invitation_one_per_user"),
            models.UniqueConstraint(
                fields=["wave", "email"],
                condition=~Q(email=""),
                name="wave_invitation_one_per_email",
            ),
            models.CheckConstraint(
                condition=Q(user__isnull=False) | ~Q(email=""),
                name="wave_invitation_has_recipient",
            ),
        ]
        indexes = [
            # Who has not answered yet (the response rate, reminders): counted from the index.
            models.Index(
                fields=["wave"], condition=Q(used_at__isnull=True), name="invitation_wave_unused"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user or self.name or self.email} → {self.wave}"

    @property
    def is_used(self) -> bool:
        return self.used_at is not None

    @property
    def recipient(self) -> str:
        """Where its emails go: the address it was sent to, else the member's."""
        return self.email or self.user.email

    @property
    def greeting_name(self) -> str:
        if self.user_id and self.user.first_name:
            return self.user.first_name
        return self.name

    def answer_url(self) -> str:
        """The page to answer on (a path): a cohort wave's signed-in page, or this
        invitation's own token page."""
        if self.wave.cohort_id is not None:
            return self.wave.get_absolute_url()
        return reverse("surveys:invited", args=[self.token])


class ResponseQuerySet(models.QuerySet):
    def submitted(self) -> "ResponseQuerySet":
        return self.filter(status=Response.Status.SUBMITTED)


class Response(models.Model):
    """A participant's answers to a wave.

    In anonymous waves a submitted response has no invitation and no user, and only the date
    it was submitted: nothing links it back to a person. Role and agency kind are kept for
    breakdowns, which reports suppress under the wave's minimum group size.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"

    wave = models.ForeignKey(Wave, on_delete=models.CASCADE, related_name="responses")
    invitation = models.ForeignKey(
        WaveInvitation,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="responses",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="survey_responses",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    submitted_on = models.DateField(null=True, blank=True)
    role = models.CharField(max_length=20, blank=True)
    agency_kind = models.CharField(max_length=20, blank=True)

    objects = ResponseQuerySet.as_manager()

    class Meta:
        ordering = ["wave", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["invitation"], name="response_one_per_invitation"),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "submitted"]), name="response_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(submitted_on__isnull=False),
                name="response_submitted_has_date",
            ),
            # A draft must be resumable by its invitation; a person only answers through one.
            models.CheckConstraint(
                condition=Q(status="submitted") | Q(invitation__isnull=False),
                name="response_draft_has_invitation",
            ),
            models.CheckConstraint(
                condition=Q(user__isnull=True) | Q(invitation__isnull=False),
                name="response_user_via_invitation",
            ),
        ]
        indexes = [
            # A wave's submitted responses (the response rate, every report): counted from the
            # index, without reading the rows.
            models.Index(fields=["wave", "status"], name="response_wave_status"),
        ]

    def __str__(self) -> str:
        return f"Response {self.pk} to {self.wave}"

    @property
    def is_submitted(self) -> bool:
        return self.status == self.Status.SUBMITTED


class Answer(models.Model):
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    option = models.ForeignKey(
        Option, on_delete=models.PROTECT, null=True, blank=True, related_name="answers"
    )
    number = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    text = models.TextField(blank=True)

    class Meta:
        ordering = ["response", "question__position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["response", "question", "option"], name="answer_option_once"
            ),
            models.UniqueConstraint(
                fields=["response", "question"],
                condition=Q(option__isnull=True),
                name="answer_value_once",
            ),
            models.CheckConstraint(
                condition=Q(option__isnull=False) | Q(number__isnull=False) | ~Q(text=""),
                name="answer_has_value",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.question.code}: {self.option or self.number or self.text}"


class ReportingNarrative(models.Model):
    """What staff write to the funder for one cohort and one reporting period (a quarter)."""

    cohort = models.ForeignKey(
        "cohorts.Cohort", on_delete=models.CASCADE, related_name="reporting_narratives"
    )
    year = models.PositiveSmallIntegerField()
    quarter = models.PositiveSmallIntegerField()
    accomplishments = models.TextField(blank=True)
    barriers = models.TextField(blank=True)
    next_period_plans = models.TextField("plans for the next period", blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["cohort", "-year", "-quarter"]
        constraints = [
            models.UniqueConstraint(
                fields=["cohort", "year", "quarter"], name="narrative_one_per_period"
            ),
            models.CheckConstraint(
                condition=Q(quarter__gte=1, quarter__lte=4), name="narrative_quarter_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.cohort} {self.year} Q{self.quarter}"
