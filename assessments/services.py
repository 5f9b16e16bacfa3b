"""Writes across the assessment tables: versions, drafts and submissions, action steps and
the overdue reminders."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.models import User
from cohorts.models import Cohort, Membership, Team

from .models import (
    ActionPlan,
    ActionStep,
    Assessment,
    Domain,
    InstrumentVersion,
    Item,
    ProgressNote,
    Rating,
    ScaleLevel,
    StepReminder,
)

logger = logging.getLogger(__name__)

SUGGESTED_STEP_DAYS = 90  # a step suggested from a gap is due this many days later


class AssessmentError(ValidationError):
    """A write that cannot happen; the message is meant for the person who tried."""


class NoInstrument(AssessmentError):
    pass


class AlreadySubmitted(AssessmentError):
    pass


class NotCommandStaff(AssessmentError):
    pass


class IncompleteAssessment(AssessmentError):
    def __init__(self, missing: list[Item]):
        self.missing = missing
        super().__init__(
            f"Rate every item before submitting: {len(missing)} "
            f"{'items are' if len(missing) != 1 else 'item is'} not rated yet."
        )


# --- Versions ---------------------------------------------------------------------------------


@transaction.atomic
def new_draft_from(version: InstrumentVersion) -> InstrumentVersion:
    """A draft copy of ``version`` to edit, numbered after the instrument's latest version.

    An instrument has one draft at a time: if it already has one, that draft is returned.
    """
    versions = InstrumentVersion.objects.select_for_update().filter(
        instrument_id=version.instrument_id
    )
    existing = list(versions.order_by("-number"))
    for candidate in existing:
        if candidate.status == InstrumentVersion.Status.DRAFT:
            return candidate
    draft = InstrumentVersion.objects.create(
        instrument_id=version.instrument_id,
        number=existing[0].number + 1,
        notes=f"Started from version {version.number}.",
    )
    ScaleLevel.objects.bulk_create(
        ScaleLevel(version=draft, value=lv.value, label=lv.label, description=lv.description)
        for lv in version.levels.all()
    )
    for domain in version.domains.prefetch_related("items"):
        copy = Domain.objects.create(
            version=draft,
            code=domain.code,
            title=domain.title,
            description=domain.description,
            position=domain.position,
            suggested_step=domain.suggested_step,
            roadmap_step=domain.roadmap_step,
        )
        Item.objects.bulk_create(
            Item(domain=copy, code=item.code, text=item.text, position=item.position)
            for item in domain.items.all()
        )
    return draft


def publication_problems(version: InstrumentVersion) -> list[str]:
    """Why a draft cannot be published yet (an empty list when it can)."""
    problems = []
    domains = list(version.domains.prefetch_related("items"))
    if not domains:
        problems.append("It has no domains.")
    empty = [d.title for d in domains if not d.items.all()]
    if empty:
        problems.append(f"These domains have no items: {', '.join(empty)}.")
    if version.levels.count() < 2:
        problems.append("Its answer scale needs at least two levels.")
    return problems


@transaction.atomic
def publish_version(version: InstrumentVersion, *, at: datetime | None = None) -> None:
    """Freeze a draft and make it the version new assessments use; the version in use until
    now is retired. Assessments already made keep the version they were made with."""
    locked = InstrumentVersion.objects.select_for_update().get(pk=version.pk)
    if locked.status != InstrumentVersion.Status.DRAFT:
        raise AssessmentError("Only a draft can be published; this version already was.")
    problems = publication_problems(locked)
    if problems:
        raise AssessmentError("This draft cannot be published yet. " + " ".join(problems))
    at = at or timezone.now()
    list(InstrumentVersion.objects.select_for_update().published())
    InstrumentVersion.objects.published().update(status=InstrumentVersion.Status.RETIRED)
    locked.status = InstrumentVersion.Status.PUBLISHED
    locked.published_at = at
    locked.save(update_fields=["status", "published_at"])
    version.status, version.published_at = locked.status, locked.published_at


# --- Assessments ------------------------------------------------------------------------------


def start_assessment(
    *,
    team: Team,
    round: str,
    user: User | None,
    version: InstrumentVersion | None = None,
) -> Assessment:
    """The team's assessment for ``round``, created if there is none on ``version`` (a
    published or retired one: the form the person filled in) or else the version in use."""
    existing = Assessment.objects.filter(team=team, round=round).select_related("version").first()
    if existing:
        return existing
    if version is not None and version.status == InstrumentVersion.Status.DRAFT:
        version = None
    version = version or InstrumentVersion.objects.current()
    if version is None:
        raise NoInstrument("No assessment instrument is published yet. Ask program staff.")
    try:
        with transaction.atomic():
            return Assessment.objects.create(
                team=team, round=round, version=version, started_by=user
            )
    except IntegrityError:
        # A teammate started it at the same moment.
        return Assessment.objects.select_related("version").get(team=team, round=round)


# What a caller may pass for one item: a level, or None to leave it as it is; a note, or None
# to leave it as it is. Only what the person changed is passed, so two teammates filling in
# different items of the same draft do not undo each other's work.
RatingChange = tuple[int | None, str | None]


def _lock(assessment: Assessment) -> Assessment:
    return Assessment.objects.select_for_update().select_related("version").get(pk=assessment.pk)


@transaction.atomic
def save_draft(
    *, assessment: Assessment, changes: dict[int, RatingChange], user: User | None
) -> Assessment:
    """Store the changed ratings of a draft. Refused once the assessment is submitted."""
    locked = _lock(assessment)
    if locked.is_submitted:
        raise AlreadySubmitted("This assessment has been submitted; it can no longer change.")
    items = set(Item.objects.filter(domain__version=locked.version_id).values_list("pk", flat=True))
    values = set(locked.version.levels.values_list("value", flat=True))
    unknown = [pk for pk in changes if pk not in items]
    if unknown:
        raise AssessmentError("Some answers are not part of this assessment.")
    bad = [level for level, _ in changes.values() if level is not None and level not in values]
    if bad:
        raise AssessmentError("Some answers are not on this assessment's scale.")
    now = timezone.now()
    current = {r.item_id: r for r in locked.ratings.all()}
    for item_id, (level, note) in changes.items():
        rating = current.get(item_id)
        if rating is None:
            if level is None and not note:
                continue
            Rating.objects.create(
                assessment=locked,
                item_id=item_id,
                level=level,
                note=note or "",
                updated_by=user,
                updated=now,
            )
            continue
        if level is not None:
            rating.level = level
        if note is not None:
            rating.note = note
        if rating.level is None and not rating.note:
            rating.delete()
            continue
        rating.updated_by, rating.updated = user, now
        rating.save(update_fields=["level", "note", "updated_by", "updated"])
    locked.updated = now
    locked.save(update_fields=["updated"])
    return locked


def can_submit(user: User, team: Team) -> bool:
    return Membership.objects.filter(
        team=team, user=user, role=Membership.Role.COMMAND_STAFF
    ).exists()


@dataclass(frozen=True)
class Submission:
    assessment: Assessment
    created: bool  # False when it had already been submitted (a second click, another tab)


@transaction.atomic
def submit_assessment(
    *, assessment: Assessment, user: User, at: datetime | None = None
) -> Submission:
    """Command staff submit the team's draft once every item is rated. The row is locked, so
    two submissions at once store one; the second is told it was already submitted."""
    locked = _lock(assessment)
    if locked.is_submitted:
        return Submission(locked, created=False)
    if not can_submit(user, locked.team):
        raise NotCommandStaff("Only command staff can submit the team's assessment.")
    rated = set(locked.ratings.filter(level__isnull=False).values_list("item_id", flat=True))
    missing = [
        item
        for item in Item.objects.filter(domain__version=locked.version_id).select_related("domain")
        if item.pk not in rated
    ]
    if missing:
        raise IncompleteAssessment(missing)
    locked.status = Assessment.Status.SUBMITTED
    locked.submitted_by = user
    locked.submitted_at = at or timezone.now()
    locked.updated = locked.submitted_at
    locked.save(update_fields=["status", "submitted_by", "submitted_at", "updated"])
    return Submission(locked, created=True)


# --- Action plans -----------------------------------------------------------------------------


def plan_for(team: Team) -> ActionPlan:
    plan, _ = ActionPlan.objects.get_or_create(team=team)
    return plan


def _touch(plan: ActionPlan, at: datetime) -> None:
    ActionPlan.objects.filter(pk=plan.pk).update(updated=at)


@transaction.atomic
def save_step(*, step: ActionStep, user: User | None, status: str | None = None) -> ActionStep:
    """Validate and save a new or edited step; a status change keeps ``done_at`` in step."""
    now = timezone.now()
    if status is not None:
        previous = (
            ActionStep.objects.filter(pk=step.pk).values_list("status", flat=True).first()
            if step.pk
            else None
        )
        step.status = previous or ActionStep.Status.NOT_STARTED
        if previous is None:
            step.done_at = None
        step.apply_status(status, at=now)
    if step.pk is None:
        step.created_by = user
        step.created = now
    step.updated = now
    step.full_clean()
    step.save()
    _touch(step.plan, now)
    return step


@transaction.atomic
def suggest_step(*, team: Team, domain: Domain, user: User) -> ActionStep:
    """One click on a gap: a short-term step for the domain, owned by whoever clicked (when
    they are on the team), due in three months. They edit the details next."""
    plan = plan_for(team)
    on_team = Membership.objects.filter(team=team, user=user).exists()
    step = ActionStep(
        plan=plan,
        title=domain.step_title,
        term=ActionStep.Term.SHORT,
        roadmap_step=domain.roadmap_step,
        domain=domain,
        owner=user if on_team else None,
        due_date=timezone.localdate() + timedelta(days=SUGGESTED_STEP_DAYS),
    )
    return save_step(step=step, user=user, status=ActionStep.Status.NOT_STARTED)


@transaction.atomic
def add_progress_note(*, step: ActionStep, author: User, text: str) -> ProgressNote:
    text = text.strip()
    if not text:
        raise AssessmentError("Write something before adding the note.")
    now = timezone.now()
    note = ProgressNote.objects.create(step=step, author=author, text=text, created=now)
    _touch(step.plan, now)
    return note


# --- Overdue reminders ------------------------------------------------------------------------


def overdue_for_reminders(today: date):
    """Open steps past their due date, with an owner still on the team, in active cohorts,
    not yet reminded about for this due date."""
    on_team = Membership.objects.filter(team=OuterRef("plan__team"), user=OuterRef("owner"))
    reminded = StepReminder.objects.filter(step=OuterRef("pk"), due_date=OuterRef("due_date"))
    return (
        ActionStep.objects.overdue(today)
        .filter(
            owner__isnull=False,
            owner__is_active=True,
            plan__team__status=Team.Status.ACTIVE,
            plan__team__cohort__status=Cohort.Status.ACTIVE,
        )
        .filter(Exists(on_team), ~Exists(reminded))
        .select_related("owner", "plan__team__cohort")
        .order_by("pk")
    )


def _remind(step: ActionStep) -> bool:
    """Claim (step, due date), then email the owner. Whoever inserts the claim sends; a
    failed send gives the claim back for the next run."""
    try:
        with transaction.atomic():
            claim = StepReminder.objects.create(step=step, due_date=step.due_date, user=step.owner)
    except IntegrityError:
        return False
    team = step.plan.team
    context = {
        "step": step,
        "team": team,
        "user": step.owner,
        "url": settings.SITE_URL + step.get_absolute_url(),
    }
    try:
        body = render_to_string("assessments/email/overdue_step.txt", context)
        send_mail(
            subject=f"Overdue action step: {step.title}",
            message=body,
            from_email=None,
            recipient_list=[step.owner.email],
        )
    except Exception:
        logger.exception("Could not send the overdue reminder for action step %s", step.pk)
        claim.delete()
        return False
    return True


def overdue_reminders_due(today: date | None = None) -> bool:
    """Whether any owner is due an overdue reminder now (one cheap query)."""
    return overdue_for_reminders(today or timezone.localdate()).exists()


def send_overdue_step_reminders(today: date | None = None) -> int:
    """Email each overdue step's owner once per due date. Safe to run at any time, as often
    as wanted, from several workers at once. Returns how many were sent."""
    today = today or timezone.localdate()
    return sum(1 for step in overdue_for_reminders(today) if _remind(step))
