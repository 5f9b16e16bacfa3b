"""Writes across the survey tables: waves and their invitations, drafts and submissions."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.models import User
from cohorts.models import Attendance, Cohort, Membership, Session

from .models import Answer, Question, Response, Survey, Wave, WaveInvitation

logger = logging.getLogger(__name__)

# What a caller may pass for one question: an option code (single choice, yes/no, Likert), a
# list of option codes (multiple choice), a number, or text. Keys are question codes.
AnswerValue = str | int | float | Decimal | list[str] | None
Answers = dict[str, AnswerValue]


class SurveyError(ValidationError):
    """A survey write that cannot happen; the message is meant for the person who tried."""


class WaveClosed(SurveyError):
    pass


class AlreadySubmitted(SurveyError):
    pass


class IncompleteResponse(SurveyError):
    def __init__(self, missing: list[Question]):
        self.missing = missing
        names = "; ".join(q.text for q in missing)
        super().__init__(f"Please answer every required question: {names}")


@dataclass(frozen=True)
class Submission:
    """What submitting gave: the stored response, and whether this call stored it.

    ``response`` is None only when an anonymous wave was already answered with this
    invitation: by design nothing leads from the invitation to that response.
    """

    response: Response | None
    created: bool


@transaction.atomic
def create_wave(
    *,
    survey: Survey,
    cohort: Cohort,
    title: str,
    opens_at: datetime,
    closes_at: datetime,
    anonymity: str = Wave.Anonymity.CONFIDENTIAL,
    min_group_size: int = 5,
    created_by: User | None,
    session: Session | None = None,
    notify: bool = True,
) -> Wave:
    """Create a wave and invite its audience; email them after commit.

    The audience is every member of the cohort, or, for a wave about one ``session``, the
    members marked present at it. A session wave with nobody marked present is refused.
    """
    wave = Wave(
        survey=survey,
        cohort=cohort,
        session=session,
        title=title,
        opens_at=opens_at,
        closes_at=closes_at,
        anonymity=anonymity,
        min_group_size=min_group_size,
        created_by=created_by,
    )
    wave.full_clean()
    _refuse_empty_audience(wave)
    wave.save()
    invite_audience(wave=wave, notify=notify)
    return wave


def audience_user_ids(wave: Wave) -> set[int]:
    """Who a wave is for: the cohort's members, or those of them marked present at its session."""
    members = Membership.objects.filter(team__cohort_id=wave.cohort_id)
    if wave.session_id is None:
        return set(members.values_list("user_id", flat=True))
    # Someone who has left the cohort since could not open the survey: they are not asked.
    present = Attendance.objects.filter(session_id=wave.session_id, present=True).filter(
        Exists(members.filter(user_id=OuterRef("user_id")))
    )
    return set(present.values_list("user_id", flat=True))


def _refuse_empty_audience(wave: Wave) -> set[int]:
    user_ids = audience_user_ids(wave)
    if wave.session_id is not None and not user_ids:
        raise SurveyError(
            f"Nobody is marked present at session {wave.session.number}, so nobody would be "
            "asked. Mark the session's attendance first, or send the wave to the whole cohort."
        )
    return user_ids


@transaction.atomic
def invite_audience(*, wave: Wave, notify: bool = True) -> list[WaveInvitation]:
    """Invite the wave's audience who have no invitation to it yet (safe to run again)."""
    user_ids = audience_user_ids(wave)
    invited = set(wave.invitations.values_list("user_id", flat=True))
    new = [WaveInvitation(wave=wave, user_id=uid) for uid in sorted(user_ids - invited)]
    created = WaveInvitation.objects.bulk_create(new)
    if notify and created:
        ids = [invitation.pk for invitation in created]
        transaction.on_commit(lambda: send_wave_invitations(ids), robust=True)
    return created


def invite_cohort(*, wave: Wave, notify: bool = True) -> list[WaveInvitation]:
    """Invite cohort members with no invitation yet; for a session wave, its attendees."""
    return invite_audience(wave=wave, notify=notify)


def invite_session_attendees(*, wave: Wave, notify: bool = True) -> list[WaveInvitation]:
    """Invite the people marked present at the wave's session (safe to run again)."""
    if wave.session_id is None:
        raise SurveyError("This wave is for the whole cohort, not one session.")
    return invite_audience(wave=wave, notify=notify)


def _answer_link(invitation: WaveInvitation) -> str:
    """The absolute link an email carries: the cohort's answer page (members sign in), or
    for a wave sent by email the invitation's own token page (no account needed)."""
    return settings.SITE_URL + invitation.answer_url()


def send_wave_invitations(invitation_ids: list[int]) -> None:
    invitations = WaveInvitation.objects.filter(pk__in=invitation_ids, sent_at__isnull=True)
    for invitation in invitations.select_related("wave__cohort", "wave__survey", "user"):
        wave = invitation.wave
        context = {"wave": wave, "invitation": invitation, "url": _answer_link(invitation)}
        # Dates in the email are the cohort's, whoever sends it from wherever.
        with timezone.override(wave.tz):
            body = render_to_string("surveys/email/invitation.txt", context)
        sender = f" from {wave.cohort}" if wave.cohort_id else ""
        send_mail(
            subject=f"{wave.title}: a short survey{sender}",
            message=body,
            from_email=None,
            recipient_list=[invitation.recipient],
        )
        WaveInvitation.objects.filter(pk=invitation.pk).update(sent_at=timezone.now())


# Waves sent by email ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Invitee:
    """Someone invited by email to a wave with no cohort; they may have no account."""

    email: str
    name: str = ""


@transaction.atomic
def create_email_wave(
    *,
    survey: Survey,
    title: str,
    opens_at: datetime,
    closes_at: datetime,
    invitees: list[Invitee],
    anonymity: str = Wave.Anonymity.CONFIDENTIAL,
    min_group_size: int = 5,
    created_by: User | None,
    notify: bool = True,
) -> Wave:
    """Create a wave with no cohort and invite ``invitees`` by email (after commit).

    A wave that would ask nobody is refused.
    """
    if not invitees:
        raise SurveyError("Nobody would be asked: invite at least one person.")
    wave = Wave(
        survey=survey,
        title=title,
        opens_at=opens_at,
        closes_at=closes_at,
        anonymity=anonymity,
        min_group_size=min_group_size,
        created_by=created_by,
    )
    wave.full_clean()
    wave.save()
    invite_by_email(wave=wave, invitees=invitees, notify=notify)
    return wave


@transaction.atomic
def invite_by_email(
    *, wave: Wave, invitees: list[Invitee], notify: bool = True
) -> list[WaveInvitation]:
    """Invite the ``invitees`` not invited to the wave yet (by address, whatever its case);
    each invitation is linked to the account with that address, if there is one. Safe to run
    again: nobody is invited, or emailed, twice."""
    if wave.cohort_id is not None:
        raise SurveyError("A cohort's wave invites the cohort's members, not addresses.")
    Wave.objects.select_for_update().get(pk=wave.pk)
    invited = list(wave.invitations.values_list("email", "user_id"))
    taken = {email.lower() for email, _ in invited}
    taken_users = {user_id for _, user_id in invited if user_id is not None}
    new: dict[str, Invitee] = {}
    for invitee in invitees:
        email = invitee.email.strip().lower()
        if email and email not in taken and email not in new:
            new[email] = invitee
    if not new:
        return []
    accounts = {
        u.email.lower(): u.pk
        for u in User.objects.filter(
            Q.create([("email__iexact", e) for e in new], connector=Q.OR)
        ).only("pk", "email")
    }
    rows = []
    for email, invitee in new.items():
        user_id = accounts.get(email)
        rows.append(
            WaveInvitation(
                wave=wave,
                email=email,
                name=invitee.name.strip()[:200],
                user_id=None if user_id in taken_users else user_id,
            )
        )
    created = WaveInvitation.objects.bulk_create(rows)
    if notify and created:
        ids = [invitation.pk for invitation in created]
        transaction.on_commit(lambda: send_wave_invitations(ids), robust=True)
    return created


# Staff changes to a wave ----------------------------------------------------------------------


@dataclass(frozen=True)
class AudienceChange:
    """What saving a wave did to its invitations."""

    invited: int
    removed: int


@transaction.atomic
def update_wave(*, wave: Wave, notify: bool = True) -> AudienceChange:
    """Save an edited wave (its form has already checked what may change).

    Before the wave opens its audience may change: newcomers to the audience are invited and
    the unused invitations of people no longer in it are withdrawn. Once it has opened,
    ``Wave.clean`` refuses any change to what respondents agreed to, and nobody is removed.
    """
    stored = Wave.objects.select_for_update().get(pk=wave.pk)
    wave.full_clean()
    if stored.has_opened():
        wave.save(update_fields=["title", "closes_at"])
        return AudienceChange(invited=0, removed=0)
    user_ids = _refuse_empty_audience(wave)
    wave.save()
    removed, _ = (
        wave.invitations.filter(used_at__isnull=True)
        .exclude(user_id__in=user_ids)
        .exclude(Exists(Response.objects.filter(invitation=OuterRef("pk"))))
        .delete()
    )
    created = invite_audience(wave=wave, notify=notify)
    return AudienceChange(invited=len(created), removed=removed)


@transaction.atomic
def delete_wave(*, wave: Wave, at: datetime | None = None) -> None:
    """Delete a wave that has not opened and has no responses, with its invitations."""
    at = at or timezone.now()
    locked = Wave.objects.select_for_update().get(pk=wave.pk)
    if locked.has_opened(at):
        raise SurveyError(
            f"“{locked.title}” has opened, so it can no longer be deleted. Close it instead."
        )
    if locked.responses.exists():
        raise SurveyError(f"“{locked.title}” has responses, so it can no longer be deleted.")
    locked.delete()


def close_wave(*, wave: Wave, at: datetime | None = None) -> None:
    """Close an open wave now; a wave that has not opened is deleted instead, not closed."""
    at = at or timezone.now()
    if not wave.is_open(at):
        raise SurveyError(
            f"“{wave.title}” is not open: "
            + ("it has already closed." if wave.has_opened(at) else "it has not opened yet.")
        )
    wave.close(at)


# Reminders ------------------------------------------------------------------------------------

# The schedule: one reminder when 72 hours remain before the wave closes and one when 24 hours
# remain, and never more than two (``reminder_count`` counts them, so moving the closing time
# cannot start the schedule over). Nobody gets two reminders within 12 hours: ``reminded_at``
# is the last reminder of either kind, so one sent by staff delays the schedule's next one.
REMINDER_STAGES = (timedelta(hours=72), timedelta(hours=24))
REMINDER_SPACING = timedelta(hours=12)
MAX_AUTOMATIC_REMINDERS = 2


def not_answered(wave: Wave) -> QuerySet[WaveInvitation]:
    """Invitations not used yet. Anonymous waves included: whether an invitation was used is
    all a reminder ever looks at, never an answer."""
    # Invitations by email may have no account; those with one follow it being deactivated.
    return wave.invitations.filter(used_at__isnull=True).filter(
        Q(user__isnull=True) | Q(user__is_active=True)
    )


def _rested(at: datetime) -> Q:
    """No reminder in the last 12 hours."""
    return Q(reminded_at__isnull=True) | Q(reminded_at__lte=at - REMINDER_SPACING)


@dataclass(frozen=True)
class ReminderCounts:
    """Who a manual reminder would reach now."""

    not_answered: int
    recently_reminded: int

    @property
    def to_remind(self) -> int:
        return self.not_answered - self.recently_reminded


def reminder_counts(wave: Wave, at: datetime | None = None) -> ReminderCounts:
    at = at or timezone.now()
    counts = not_answered(wave).aggregate(
        total=Count("pk"), recent=Count("pk", filter=~_rested(at))
    )
    return ReminderCounts(not_answered=counts["total"], recently_reminded=counts["recent"])


def _claim_and_send(
    invitation: WaveInvitation, *, wave: Wave, at: datetime, claim: Q, scheduled: bool
) -> bool:
    """Mark ``invitation`` reminded at ``at`` if it still meets ``claim``, then email it.

    The claim is one conditional UPDATE: of two runs (or two processes) that both picked the
    invitation, only the first one's UPDATE still matches, so only it sends. A failed send
    gives the claim back for a later run. Only the schedule's reminders are counted.
    """
    counted = 1 if scheduled else 0
    claimed = (
        WaveInvitation.objects.filter(pk=invitation.pk, used_at__isnull=True)
        .filter(claim)
        .update(reminded_at=at, reminder_count=F("reminder_count") + counted)
    )
    if not claimed:
        return False
    try:
        context = {"wave": wave, "invitation": invitation, "url": _answer_link(invitation)}
        with timezone.override(wave.tz):
            body = render_to_string("surveys/email/reminder.txt", context)
            closes = timezone.localtime(wave.closes_at)
        send_mail(
            subject=f"Reminder: {wave.title} closes {closes:%B} {closes.day}",
            message=body,
            from_email=None,
            recipient_list=[invitation.recipient],
        )
    except Exception:
        logger.exception(
            "Could not send the reminder for wave %s to invitation %s", wave.pk, invitation.pk
        )
        WaveInvitation.objects.filter(pk=invitation.pk, reminded_at=at).update(
            reminded_at=invitation.reminded_at, reminder_count=F("reminder_count") - counted
        )
        return False
    return True


def send_wave_reminders(wave: Wave, at: datetime | None = None) -> int:
    """Remind everyone invited to an open wave who has not answered, except those reminded in
    the last 12 hours. Returns how many were sent; running it twice sends nothing more."""
    at = at or timezone.now()
    if not wave.is_open(at):
        raise WaveClosed(f"“{wave.title}” is not open, so nobody can be reminded to answer it.")
    wave = Wave.objects.select_related("cohort", "session").get(pk=wave.pk)
    sent = 0
    for invitation in not_answered(wave).filter(_rested(at)).select_related("user"):
        if _claim_and_send(invitation, wave=wave, at=at, claim=_rested(at), scheduled=False):
            sent += 1
    return sent


def _stage_start(wave: Wave, at: datetime) -> datetime | None:
    """When the reminder stage the wave is in began, or None before the first stage."""
    started = [wave.closes_at - lead for lead in REMINDER_STAGES if wave.closes_at - lead <= at]
    return max(started) if started else None


def _due_automatically(stage_start: datetime, at: datetime) -> Q:
    # Contacted since the stage began (invited or reminded) is the stage's reminder done; an
    # invitation email counts, so a wave sent out 48 hours before closing skips the 72-hour one.
    # The invitation also gets the 12 hours' rest a reminder gets.
    return (
        Q(reminder_count__lt=MAX_AUTOMATIC_REMINDERS)
        & (Q(reminded_at__isnull=True) | Q(reminded_at__lt=stage_start))
        & (Q(sent_at__isnull=True) | Q(sent_at__lt=stage_start))
        & _rested(at)
        & (Q(sent_at__isnull=True) | Q(sent_at__lte=at - REMINDER_SPACING))
    )


def send_due_survey_reminders(at: datetime | None = None) -> int:
    """Send the scheduled reminders that are due for every open wave. Safe to run at any time,
    as often as wanted, from several workers at once. Returns how many were sent."""
    at = at or timezone.now()
    longest = max(REMINDER_STAGES)
    waves = Wave.objects.open(at).filter(closes_at__lte=at + longest)
    waves = waves.select_related("cohort", "session")
    sent = 0
    for wave in waves:
        stage_start = _stage_start(wave, at)
        if stage_start is None:
            continue
        due = _due_automatically(stage_start, at)
        for invitation in not_answered(wave).filter(due).select_related("user"):
            if _claim_and_send(invitation, wave=wave, at=at, claim=due, scheduled=True):
                sent += 1
    return sent


# Reads for other pages ------------------------------------------------------------------------


def open_invitations(user: User, at: datetime | None = None) -> QuerySet[WaveInvitation]:
    """``user``'s invitations to waves open now that they have not used, soonest to close
    first, each with ``has_draft``. One query."""
    at = at or timezone.now()
    member = Membership.objects.filter(user=user, team__cohort=OuterRef("wave__cohort"))
    draft = Response.objects.filter(invitation=OuterRef("pk"), status=Response.Status.DRAFT)
    return (
        WaveInvitation.objects.filter(
            user=user, used_at__isnull=True, wave__opens_at__lte=at, wave__closes_at__gt=at
        )
        # Someone who has left the cohort could not open the survey any more.
        .filter(Exists(member))
        .annotate(has_draft=Exists(draft))
        .select_related("wave__cohort", "wave__session")
        .order_by("wave__closes_at", "wave_id")
    )


def session_feedback_waves(session: Session) -> QuerySet[Wave]:
    """The waves about ``session``, with how many were invited and how many submitted."""
    from .reports import with_response_counts

    return with_response_counts(Wave.objects.filter(session=session)).order_by("-opens_at", "-pk")


def _lock(invitation: WaveInvitation) -> WaveInvitation:
    # Every write for one invitation goes through this row lock, so two tabs (or two
    # processes) submitting at once are serialised and the second sees the first's result.
    return (
        WaveInvitation.objects.select_for_update(of=("self",))
        .select_related("wave__survey", "wave__cohort", "user")
        .get(pk=invitation.pk)
    )


def _day(moment: datetime, wave: Wave) -> str:
    day = timezone.localdate(moment, timezone=wave.tz)
    return f"{day:%B} {day.day}, {day.year}"


def _refuse_if_closed(wave: Wave, at: datetime) -> None:
    if at < wave.opens_at:
        raise WaveClosed(f"“{wave.title}” opens on {_day(wave.opens_at, wave)}.")
    if at >= wave.closes_at:
        raise WaveClosed(
            f"“{wave.title}” closed on {_day(wave.closes_at, wave)}; it no longer accepts answers."
        )


def _snapshot(wave: Wave, user: User | None) -> dict[str, str]:
    if user is None or wave.cohort_id is None:
        # Invited by email: no membership says the role or the agency kind.
        return {"role": "", "agency_kind": ""}
    membership = (
        Membership.objects.filter(team__cohort=wave.cohort, user=user)
        .select_related("team__agency")
        .order_by("pk")
        .first()
    )
    if membership is None:
        return {"role": "", "agency_kind": ""}
    return {"role": membership.role, "agency_kind": membership.team.agency.kind}


def _draft_for(invitation: WaveInvitation) -> Response:
    wave = invitation.wave
    response = Response.objects.filter(invitation=invitation).first()
    if response is None:
        response = Response.objects.create(
            wave=wave,
            invitation=invitation,
            # A draft in an anonymous wave keeps its invitation (to be resumed) but never a user.
            user=None if wave.is_anonymous else invitation.user,
            **_snapshot(wave, invitation.user),
        )
    return response


def _answer_rows(question: Question, value: AnswerValue) -> list[Answer]:
    """Validate one value for ``question``; return unsaved answers (none when left blank)."""
    if value in (None, "", []):
        return []
    if question.is_choice:
        codes = value if isinstance(value, list) else [value]
        if question.kind != Question.Kind.MULTIPLE and len(codes) > 1:
            raise SurveyError(f"Choose one answer for “{question.text}”.")
        options = {option.code: option for option in question.options.all()}
        unknown = [str(c) for c in codes if str(c) not in options]
        if unknown:
            raise SurveyError(f"“{', '.join(unknown)}” is not an answer to “{question.text}”.")
        return [Answer(question=question, option=options[str(c)]) for c in dict.fromkeys(codes)]
    if question.kind == Question.Kind.NUMBER:
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            raise SurveyError(f"“{question.text}” needs a number.") from None
        if not number.is_finite() or abs(number) >= Decimal("1e10"):
            raise SurveyError(f"“{question.text}” needs a number.")
        return [Answer(question=question, number=number.quantize(Decimal("0.01")))]
    text = str(value).strip()
    return [Answer(question=question, text=text)] if text else []


def _write_answers(response: Response, questions: dict[str, Question], answers: Answers) -> None:
    unknown = sorted(set(answers) - set(questions))
    if unknown:
        raise SurveyError(f"This survey has no question {', '.join(unknown)}.")
    rows = []
    for code, value in answers.items():
        for answer in _answer_rows(questions[code], value):
            answer.response = response
            rows.append(answer)
    # Saving a question replaces what was saved for it before; other questions stay.
    response.answers.filter(question__code__in=list(answers)).delete()
    Answer.objects.bulk_create(rows)


def _questions(wave: Wave) -> dict[str, Question]:
    return {q.code: q for q in wave.survey.questions.prefetch_related("options")}


@transaction.atomic
def save_draft(
    *, invitation: WaveInvitation, answers: Answers, at: datetime | None = None
) -> Response:
    """Store answers without submitting; what was saved before for other questions stays."""
    at = at or timezone.now()
    invitation = _lock(invitation)
    if invitation.is_used:
        raise AlreadySubmitted("You have already submitted this survey: thank you.")
    _refuse_if_closed(invitation.wave, at)
    response = _draft_for(invitation)
    _write_answers(response, _questions(invitation.wave), answers)
    return response


@transaction.atomic
def submit_response(
    *, invitation: WaveInvitation, answers: Answers | None = None, at: datetime | None = None
) -> Submission:
    """Submit the invitation's response, with ``answers`` saved over the draft first.

    A second submission (another tab, a double click, a retry) stores nothing and returns what
    the first stored.
    """
    at = at or timezone.now()
    invitation = _lock(invitation)
    wave = invitation.wave
    if invitation.is_used:
        existing = None if wave.is_anonymous else Response.objects.get(invitation=invitation)
        return Submission(response=existing, created=False)
    _refuse_if_closed(wave, at)

    questions = _questions(wave)
    draft = _draft_for(invitation)
    if answers:
        _write_answers(draft, questions, answers)
    answered = set(draft.answers.values_list("question_id", flat=True))
    missing = [q for q in questions.values() if q.required and q.pk not in answered]
    if missing:
        raise IncompleteResponse(sorted(missing, key=lambda q: (q.position, q.pk)))

    submitted_on = timezone.localdate(at, timezone=wave.tz)
    if wave.is_anonymous:
        response = _store_anonymously(draft, submitted_on)
        # Only the day: the order of used invitations must not match the responses' order.
        used_at = datetime.combine(submitted_on, datetime.min.time(), tzinfo=wave.tz)
    else:
        draft.status = Response.Status.SUBMITTED
        draft.submitted_on = submitted_on
        draft.save(update_fields=["status", "submitted_on"])
        response, used_at = draft, at
    invitation.used_at = used_at
    invitation.save(update_fields=["used_at"])
    return Submission(response=response, created=True)


def _store_anonymously(draft: Response, submitted_on) -> Response:
    """Copy the draft into a new row with no invitation or user, then delete the draft.

    A new row rather than an update, so the response's id says nothing about when its
    draft was started.
    """
    response = Response.objects.create(
        wave=draft.wave,
        status=Response.Status.SUBMITTED,
        submitted_on=submitted_on,
        role=draft.role,
        agency_kind=draft.agency_kind,
    )
    Answer.objects.bulk_create(
        Answer(
            response=response,
            question_id=a.question_id,
            option_id=a.option_id,
            number=a.number,
            text=a.text,
        )
        for a in draft.answers.all()
    )
    draft.delete()
    return response
