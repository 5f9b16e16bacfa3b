"""Writes across the survey tables: waves and their invitations, drafts and submissions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from cohorts.models import Cohort, Membership

from .models import Answer, Question, Response, Survey, Wave, WaveInvitation

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
    notify: bool = True,
) -> Wave:
    """Create a wave and invite every member of the cohort; email them after commit."""
    wave = Wave(
        survey=survey,
        cohort=cohort,
        title=title,
        opens_at=opens_at,
        closes_at=closes_at,
        anonymity=anonymity,
        min_group_size=min_group_size,
        created_by=created_by,
    )
    wave.full_clean()
    wave.save()
    invite_cohort(wave=wave, notify=notify)
    return wave


@transaction.atomic
def invite_cohort(*, wave: Wave, notify: bool = True) -> list[WaveInvitation]:
    """Invite cohort members who have no invitation to the wave yet (safe to run again)."""
    user_ids = set(
        Membership.objects.filter(team__cohort=wave.cohort).values_list("user_id", flat=True)
    )
    invited = set(wave.invitations.values_list("user_id", flat=True))
    new = [WaveInvitation(wave=wave, user_id=uid) for uid in sorted(user_ids - invited)]
    created = WaveInvitation.objects.bulk_create(new)
    if notify and created:
        ids = [invitation.pk for invitation in created]
        transaction.on_commit(lambda: send_wave_invitations(ids), robust=True)
    return created


def send_wave_invitations(invitation_ids: list[int]) -> None:
    invitations = WaveInvitation.objects.filter(pk__in=invitation_ids, sent_at__isnull=True)
    for invitation in invitations.select_related("wave__cohort", "user"):
        wave = invitation.wave
        url = settings.SITE_URL + reverse("surveys:answer", args=[wave.cohort.slug, wave.pk])
        send_mail(
            subject=f"{wave.title}: a short survey from {wave.cohort}",
            message=render_to_string(
                "surveys/email/invitation.txt", {"wave": wave, "invitation": invitation, "url": url}
            ),
            from_email=None,
            recipient_list=[invitation.user.email],
        )
        WaveInvitation.objects.filter(pk=invitation.pk).update(sent_at=timezone.now())


def _lock(invitation: WaveInvitation) -> WaveInvitation:
    # Every write for one invitation goes through this row lock, so two tabs (or two
    # processes) submitting at once are serialised and the second sees the first's result.
    return (
        WaveInvitation.objects.select_for_update()
        .select_related("wave__survey", "wave__cohort")
        .get(pk=invitation.pk)
    )


def _day(moment: datetime, wave: Wave) -> str:
    day = timezone.localdate(moment, timezone=wave.cohort.tz)
    return f"{day:%B} {day.day}, {day.year}"


def _refuse_if_closed(wave: Wave, at: datetime) -> None:
    if at < wave.opens_at:
        raise WaveClosed(f"“{wave.title}” opens on {_day(wave.opens_at, wave)}.")
    if at >= wave.closes_at:
        raise WaveClosed(
            f"“{wave.title}” closed on {_day(wave.closes_at, wave)}; it no longer accepts answers."
        )


def _snapshot(wave: Wave, user: User) -> dict[str, str]:
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

    submitted_on = timezone.localdate(at, timezone=wave.cohort.tz)
    if wave.is_anonymous:
        response = _store_anonymously(draft, submitted_on)
        # Only the day: the order of used invitations must not match the responses' order.
        used_at = datetime.combine(submitted_on, datetime.min.time(), tzinfo=wave.cohort.tz)
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
