import secrets
import zoneinfo
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Count, Exists, OuterRef, Prefetch, Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

COHORT_TIME_ZONES = [
    ("America/New_York", "Eastern"),
    ("America/Chicago", "Central"),
    ("America/Denver", "Mountain"),
    ("America/Phoenix", "Arizona"),
    ("America/Los_Angeles", "Pacific"),
    ("America/Anchorage", "Alaska"),
    ("Pacific/Honolulu", "Hawaii"),
]

US_STATES = [
    ("AL", "Alabama"), ("AK", "Alaska"), ("AZ", "Arizona"), ("AR", "Arkansas"),
    ("CA", "California"), ("CO", "Colorado"), ("CT", "Connecticut"), ("DE", "Delaware"),
    ("DC", "District of Columbia"), ("FL", "Florida"), ("GA", "Georgia"), ("HI", "Hawaii"),
    ("ID", "Idaho"), ("IL", "Illinois"), ("IN", "Indiana"), ("IA", "Iowa"), ("KS", "Kansas"),
    ("KY", "Kentucky"), ("LA", "Louisiana"), ("ME", "Maine"), ("MD", "Maryland"),
    ("MA", "Massachusetts"), ("MI", "Michigan"), ("MN", "Minnesota"), ("MS", "Mississippi"),
    ("MO", "Missouri"), ("MT", "Montana"), ("NE", "Nebraska"), ("NV", "Nevada"),
    ("NH", "New Hampshire"), ("NJ", "New Jersey"), ("NM", "New Mexico"), ("NY", "New York"),
    ("NC", "North Carolina"), ("ND", "North Dakota"), ("OH", "Ohio"), ("OK", "Oklahoma"),
    ("OR", "Oregon"), ("PA", "Pennsylvania"), ("RI", "Rhode Island"), ("SC", "South Carolina"),
    ("SD", "South Dakota"), ("TN", "Tennessee"), ("TX", "Texas"), ("UT", "Utah"),
    ("VT", "Vermont"), ("VA", "Virginia"), ("WA", "Washington"), ("WV", "West Virginia"),
    ("WI", "Wisconsin"), ("WY", "Wyoming"),
]  # fmt: skip


class CommandStaffRequired(ValidationError):
    """Raised when a change would leave a team without command staff."""


class Agency(models.Model):
    class Kind(models.TextChoices):
        MUNICIPAL = "municipal", "Municipal police department"
        SHERIFF = "sheriff", "Sheriff's office"
        STATE = "state", "State police / highway patrol"
        TRIBAL = "tribal", "Tribal police"
        CAMPUS = "campus", "University / campus police"
        OTHER = "other", "Other"

    class SizeBand(models.TextChoices):
        UNDER_25 = "1-24", "Fewer than 25 sworn"
        S25_99 = "25-99", "25–99 sworn"
        S100_249 = "100-249", "100–249 sworn"
        S250_999 = "250-999", "250–999 sworn"
        S1000 = "1000+", "1,000 or more sworn"

    class Setting(models.TextChoices):
        URBAN = "urban", "Urban"
        SUBURBAN = "suburban", "Suburban"
        RURAL = "rural", "Rural"
        TRIBAL = "tribal", "Tribal"

    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.MUNICIPAL)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=2, choices=US_STATES)
    sworn_size = models.CharField(
        "sworn size", max_length=10, choices=SizeBand.choices, default=SizeBand.S25_99
    )
    setting = models.CharField(max_length=10, choices=Setting.choices, default=Setting.SUBURBAN)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "agencies"
        constraints = [
            models.UniqueConstraint(Lower("name"), "state", name="agency_name_state_unique"),
            models.CheckConstraint(
                condition=Q(
                    kind__in=["municipal", "sheriff", "state", "tribal", "campus", "other"]
                ),
                name="agency_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.state})"


class CohortQuerySet(models.QuerySet):
    def visible_to(self, user) -> "CohortQuerySet":
        if not user.is_authenticated:
            return self.none()
        if user.is_staff:
            return self
        # A subquery, not a join: a join would also narrow with_team_counts() to the user's team.
        mine = Membership.objects.filter(user=user, team__cohort=OuterRef("pk"))
        return self.filter(Exists(mine))

    def with_team_counts(self) -> "CohortQuerySet":
        incomplete = Team.objects.filter(cohort=OuterRef("pk")).lacking_command_staff()
        return self.annotate(
            team_count=Count("teams", distinct=True),
            member_count=Count("teams__memberships", distinct=True),
            has_incomplete_team=Exists(incomplete),
        )


class Cohort(models.Model):
    class Program(models.TextChoices):
        OSW = "osw", "Officer Safety and Wellness Learning Collaborative"
        RESILIENCE = "resilience", "Officer Resilience Training Program"

    class Status(models.TextChoices):
        PLANNING = "planning", "Planning"
        ACTIVE = "active", "Active"
        COMPLETED = "completed", "Completed"

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60, unique=True)
    program = models.CharField(max_length=20, choices=Program.choices, default=Program.OSW)
    description = models.TextField(blank=True)
    start_date = models.DateField()
    end_date = models.DateField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PLANNING)
    max_teams = models.PositiveSmallIntegerField(
        "maximum number of teams", default=30, help_text="How many agency teams can join."
    )
    time_zone = models.CharField(
        max_length=64,
        choices=COHORT_TIME_ZONES,
        default="America/New_York",
        help_text="Monthly sessions are scheduled in this time zone.",
    )
    reminder_hours_before = models.PositiveSmallIntegerField(
        "reminder lead time (hours)",
        default=24,
        help_text="Members get a reminder email this many hours before each session.",
    )
    attendance_goal = models.PositiveSmallIntegerField(
        "attendance goal (%)",
        default=75,
        help_text="Teams whose attendance falls below this share are highlighted.",
    )
    created = models.DateTimeField(auto_now_add=True)

    objects = CohortQuerySet.as_manager()

    class Meta:
        ordering = ["-start_date", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=models.F("start_date")), name="cohort_dates_ordered"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["planning", "active", "completed"]),
                name="cohort_status_valid",
            ),
            models.CheckConstraint(condition=Q(max_teams__gte=1), name="cohort_max_teams_positive"),
            models.CheckConstraint(
                condition=Q(attendance_goal__lte=100), name="cohort_attendance_goal_percent"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("cohorts:cohort", args=[self.slug])

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    def clean(self) -> None:
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": "The end date must be on or after the start date."})
        if not self.slug and self.name:
            self.slug = slugify(self.name)[:60]

    def incomplete_teams(self) -> "TeamQuerySet":
        return self.teams.lacking_command_staff()

    @transaction.atomic
    def set_status(self, status: str) -> None:
        """Move the cohort through planning → active → completed.

        A cohort cannot become active while any of its teams lacks command staff.
        """
        if status not in self.Status.values:
            raise ValidationError(f"Unknown status “{status}”.")
        locked = Cohort.objects.select_for_update().get(pk=self.pk)
        if status == self.Status.ACTIVE:
            missing = list(locked.incomplete_teams().values_list("name", flat=True))
            if missing:
                names = ", ".join(missing[:5]) + (" and others" if len(missing) > 5 else "")
                raise CommandStaffRequired(
                    f"The cohort cannot become active while {len(missing)} "
                    f"{'teams lack' if len(missing) != 1 else 'team lacks'} command staff: {names}."
                )
        locked.status = status
        locked.save(update_fields=["status"])
        self.status = status

    def has_room_for_team(self) -> bool:
        return self.teams.count() < self.max_teams


class TeamQuerySet(models.QuerySet):
    def lacking_command_staff(self) -> "TeamQuerySet":
        command = Membership.objects.filter(team=OuterRef("pk"), role=Membership.Role.COMMAND_STAFF)
        return self.exclude(Exists(command))

    def with_roster_counts(self) -> "TeamQuerySet":
        return self.annotate(
            member_count=Count("memberships", distinct=True),
            command_staff_count=Count(
                "memberships",
                filter=Q(memberships__role=Membership.Role.COMMAND_STAFF),
                distinct=True,
            ),
        )

    def with_roster(self) -> "TeamQuerySet":
        return self.select_related("agency", "cohort").prefetch_related(
            Prefetch(
                "memberships",
                queryset=Membership.objects.select_related("user").order_by(
                    "-is_lead", "role", "user__last_name", "user__first_name"
                ),
            )
        )


class Team(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        WITHDRAWN = "withdrawn", "Withdrawn"

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="teams")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="teams")
    name = models.CharField(max_length=200)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.ACTIVE)
    created = models.DateTimeField(auto_now_add=True)

    objects = TeamQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["cohort", "agency"], name="team_one_per_agency"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("cohorts:team", args=[self.cohort.slug, self.pk])

    def has_command_staff(self) -> bool:
        # Uses the annotation or prefetched roster when present, so list pages stay flat.
        if hasattr(self, "command_staff_count"):
            return self.command_staff_count > 0
        cache = getattr(self, "_prefetched_objects_cache", {})
        if "memberships" in cache:
            return any(m.role == Membership.Role.COMMAND_STAFF for m in cache["memberships"])
        return self.memberships.filter(role=Membership.Role.COMMAND_STAFF).exists()

    @property
    def is_complete(self) -> bool:
        return self.has_command_staff()

    def _guard_command_staff(self, *, leaving: "Membership") -> None:
        """Refuse a change that would take away the team's last command-staff member.

        The team's memberships are locked first so that two concurrent removals cannot each
        see the other as the remaining command staff.
        """
        if leaving.role != Membership.Role.COMMAND_STAFF:
            return
        roster = list(Membership.objects.select_for_update().filter(team=self))
        others = [
            m for m in roster if m.role == Membership.Role.COMMAND_STAFF and m.pk != leaving.pk
        ]
        if not others:
            raise CommandStaffRequired(
                f"{leaving.user.display_name} is the last command-staff member of {self.name}. "
                "Every team includes command staff: add or promote another command-staff "
                "member first."
            )

    @transaction.atomic
    def remove_member(self, membership: "Membership") -> None:
        if membership.team_id != self.pk:
            raise ValidationError("That person is not on this team.")
        self._guard_command_staff(leaving=membership)
        models.Model.delete(membership)

    @transaction.atomic
    def change_role(self, membership: "Membership", *, role: str, rank: str | None = None) -> None:
        if role not in Membership.Role.values:
            raise ValidationError(f"Unknown role “{role}”.")
        if role != Membership.Role.COMMAND_STAFF:
            self._guard_command_staff(leaving=membership)
        membership.role = role
        if rank is not None:
            membership.rank = rank
        if role != Membership.Role.COMMAND_STAFF and membership.is_lead:
            membership.is_lead = False
        membership.save(update_fields=["role", "rank", "is_lead"])

    @transaction.atomic
    def set_lead(self, membership: "Membership") -> None:
        if membership.role != Membership.Role.COMMAND_STAFF:
            raise ValidationError("The team lead must be a command-staff member.")
        self.memberships.filter(is_lead=True).exclude(pk=membership.pk).update(is_lead=False)
        membership.is_lead = True
        membership.save(update_fields=["is_lead"])


class MembershipQuerySet(models.QuerySet):
    def for_cohort(self, cohort: Cohort) -> "MembershipQuerySet":
        return self.filter(team__cohort=cohort)


class Membership(models.Model):
    class Role(models.TextChoices):
        COMMAND_STAFF = "command_staff", "Command staff"
        SWORN = "sworn", "Sworn officer"
        DISPATCHER = "dispatcher", "Dispatcher"
        CIVILIAN = "civilian", "Civilian staff"

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=20, choices=Role.choices)
    rank = models.CharField("rank or title", max_length=100, blank=True)
    is_lead = models.BooleanField("team lead", default=False)
    joined = models.DateTimeField(auto_now_add=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["team", "-is_lead", "role", "user__last_name"]
        constraints = [
            models.UniqueConstraint(fields=["team", "user"], name="membership_one_per_team"),
            models.UniqueConstraint(
                fields=["team"], condition=Q(is_lead=True), name="membership_one_lead_per_team"
            ),
            models.CheckConstraint(
                condition=Q(role__in=["command_staff", "sworn", "dispatcher", "civilian"]),
                name="membership_role_valid",
            ),
            models.CheckConstraint(
                condition=Q(is_lead=False) | Q(role="command_staff"),
                name="membership_lead_is_command_staff",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} on {self.team} ({self.get_role_display()})"

    @property
    def is_command_staff(self) -> bool:
        return self.role == self.Role.COMMAND_STAFF

    def delete(self, *args, **kwargs):
        # Deleting one membership directly goes through the same rule as the UI.
        self.team.remove_member(self)
        return (1, {self._meta.label: 1})


def _invitation_token() -> str:
    return secrets.token_urlsafe(32)


def _invitation_expiry():
    return timezone.now() + timedelta(days=settings.INVITATION_VALID_DAYS)


class InvitationQuerySet(models.QuerySet):
    def pending(self) -> "InvitationQuerySet":
        return self.filter(
            accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
        )


class Invitation(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=20, choices=Membership.Role.choices)
    rank = models.CharField("rank or title", max_length=100, blank=True)
    token = models.CharField(max_length=64, unique=True, default=_invitation_token, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(default=_invitation_expiry)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created"]
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                "team",
                condition=Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="invitation_one_open_per_team_email",
            ),
        ]

    def __str__(self) -> str:
        return f"Invitation for {self.email} to {self.team}"

    @property
    def is_usable(self) -> bool:
        return (
            self.accepted_at is None
            and self.revoked_at is None
            and self.expires_at > timezone.now()
        )

    def revoke(self) -> None:
        self.revoked_at = timezone.now()
        self.save(update_fields=["revoked_at"])


class Topic(models.Model):
    """A subject the collaborative can cover in a monthly session."""

    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


# The calendar's models live in their own module; importing them here registers them.
from .schedule import (  # noqa: E402
    Attendance,
    AttendanceChange,
    CalendarFeed,
    ReminderDelivery,
    Rsvp,
    Session,
    SessionMaterial,
    TopicVote,
)

__all__ = [
    "Agency",
    "Attendance",
    "AttendanceChange",
    "CalendarFeed",
    "Cohort",
    "CommandStaffRequired",
    "Invitation",
    "Membership",
    "ReminderDelivery",
    "Rsvp",
    "Session",
    "SessionMaterial",
    "Team",
    "Topic",
    "TopicVote",
]
