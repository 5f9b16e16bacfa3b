from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, Subquery
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    JsonResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from cohorts.access import access_cohort, staff_required
from cohorts.models import Cohort

from . import exports, services
from .forms import ResponseForm, initial_from
from .models import Response, Wave, WaveInvitation
from .reports import wave_report as build_wave_report
from .reports import with_response_counts
from .trends import cohort_trends


def _invitation(user, cohort: Cohort, wave_id: int) -> WaveInvitation:
    """The person's own invitation to a wave of the cohort; anyone else gets 404."""
    return get_object_or_404(
        WaveInvitation.objects.select_related("wave__survey", "wave__cohort"),
        wave__cohort=cohort,
        wave_id=wave_id,
        user=user,
    )


@login_required
def wave_list(request: HttpRequest, slug: str) -> HttpResponse:
    cohort = access_cohort(request.user, slug)
    waves = Wave.objects.filter(cohort=cohort).select_related("survey", "session")
    if request.user.is_staff:
        waves = with_response_counts(waves)
    else:
        mine = WaveInvitation.objects.filter(wave=OuterRef("pk"), user=request.user)
        drafts = Response.objects.filter(invitation__in=mine.values("pk"), status="draft")
        waves = waves.filter(invitations__user=request.user).annotate(
            used_at=Subquery(mine.values("used_at")[:1]),
            draft_id=Subquery(drafts.values("pk")[:1]),
        )
    return render(request, "surveys/wave_list.html", {"cohort": cohort, "waves": waves})


@dataclass(frozen=True)
class _Pages:
    """Where the answer form sends people: the cohort's signed-in pages, or the token's."""

    answer: str
    thanks: str
    autosave: str
    # The device copy of unsaved answers is kept under this key (see survey-autosave.js).
    draft_key: str


def _cohort_pages(cohort: Cohort, wave: Wave, user) -> _Pages:
    args = [cohort.slug, wave.pk]
    return _Pages(
        answer=reverse("surveys:answer", args=args),
        thanks=reverse("surveys:thanks", args=args),
        autosave=reverse("surveys:autosave", args=args),
        draft_key=f"collaborative:survey-draft:{wave.pk}:{user.pk}",
    )


def _token_pages(invitation: WaveInvitation) -> _Pages:
    args = [invitation.token]
    return _Pages(
        answer=reverse("surveys:invited", args=args),
        thanks=reverse("surveys:invited_thanks", args=args),
        autosave=reverse("surveys:invited_autosave", args=args),
        draft_key=f"collaborative:survey-draft:{invitation.wave_id}:i{invitation.pk}",
    )


def _answer_page(
    request: HttpRequest, invitation: WaveInvitation, pages: _Pages, cohort: Cohort | None
) -> HttpResponse:
    """The answer form and its two buttons, for a member or for someone invited by email."""
    wave = invitation.wave
    if invitation.is_used:
        return redirect(pages.thanks)
    questions = list(wave.survey.questions.prefetch_related("options"))
    draft = Response.objects.filter(invitation=invitation).first()
    submitting = request.POST.get("action") == "submit"
    form = ResponseForm(
        request.POST or None,
        questions=questions,
        submitting=submitting,
        initial=initial_from(draft),
    )
    if request.method == "POST" and form.is_valid():
        try:
            if submitting:
                services.submit_response(invitation=invitation, answers=form.answers())
                return redirect(pages.thanks)
            services.save_draft(invitation=invitation, answers=form.answers())
            messages.success(request, "Your answers are saved. You can finish later.")
            return redirect(pages.answer)
        except services.AlreadySubmitted:
            return redirect(pages.thanks)
        except services.IncompleteResponse as error:
            for question in error.missing:
                form.add_error(question.code, "Please answer this question.")
        except services.SurveyError as error:
            form.add_error(None, error.message)
    return render(
        request,
        "surveys/answer.html",
        {
            "cohort": cohort,
            "wave": wave,
            "form": form,
            "has_draft": draft is not None,
            "pages": pages,
        },
    )


def _autosave(request: HttpRequest, invitation: WaveInvitation) -> JsonResponse:
    wave = invitation.wave
    if invitation.is_used:
        return JsonResponse(
            {"status": "submitted", "message": "You have already submitted this survey."},
            status=409,
        )
    questions = list(wave.survey.questions.prefetch_related("options"))
    form = ResponseForm(request.POST, questions=questions, submitting=False)
    if not form.is_valid():
        errors = {code: [str(e) for e in errs] for code, errs in form.errors.items()}
        return JsonResponse(
            {"status": "invalid", "message": "Some answers could not be saved.", "errors": errors},
            status=400,
        )
    try:
        services.save_draft(invitation=invitation, answers=form.answers())
    except services.AlreadySubmitted as error:
        return JsonResponse({"status": "submitted", "message": error.message}, status=409)
    except services.WaveClosed as error:
        return JsonResponse({"status": "closed", "message": error.message}, status=410)
    except services.SurveyError as error:
        return JsonResponse({"status": "invalid", "message": error.message}, status=400)
    saved_at = timezone.localtime(timezone=wave.tz)
    return JsonResponse({"status": "saved", "saved_at": saved_at.strftime("%H:%M")})


@login_required
def answer(request: HttpRequest, slug: str, wave_id: int) -> HttpResponse:
    cohort = access_cohort(request.user, slug)
    invitation = _invitation(request.user, cohort, wave_id)
    pages = _cohort_pages(cohort, invitation.wave, request.user)
    return _answer_page(request, invitation, pages, cohort)


@login_required
@require_POST
def autosave(request: HttpRequest, slug: str, wave_id: int) -> JsonResponse:
    """Save the answer form as a draft without leaving the page (the form's script calls it
    as the person types, and once more as the tab closes). Answers JSON, never a redirect."""
    cohort = access_cohort(request.user, slug)
    return _autosave(request, _invitation(request.user, cohort, wave_id))


@login_required
def thanks(request: HttpRequest, slug: str, wave_id: int) -> HttpResponse:
    cohort = access_cohort(request.user, slug)
    invitation = _invitation(request.user, cohort, wave_id)
    if not invitation.is_used:
        return redirect("surveys:answer", cohort.slug, invitation.wave_id)
    return render(request, "surveys/thanks.html", {"cohort": cohort, "wave": invitation.wave})


# Answering by an invitation's token, with no account ------------------------------------------


def _by_token(token: str) -> WaveInvitation:
    """The invitation the emailed link names; a made-up token finds nothing (404). The token is
    the credential: whoever holds the link answers as the person it was sent to."""
    return get_object_or_404(
        WaveInvitation.objects.select_related("wave__survey", "wave__cohort"), token=token
    )


def invited_answer(request: HttpRequest, token: str) -> HttpResponse:
    invitation = _by_token(token)
    if invitation.wave.cohort_id is not None:
        # A cohort's wave is answered signed in, on the cohort's page.
        return redirect(invitation.wave.get_absolute_url())
    return _answer_page(request, invitation, _token_pages(invitation), None)


def invited_autosave(request: HttpRequest, token: str) -> HttpResponse:
    """The token page's autosave: the same JSON as ``autosave``. The token is looked up before
    the method is checked, so a made-up one is a 404 whatever the method."""
    invitation = _by_token(token)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if invitation.wave.cohort_id is not None:
        return JsonResponse(
            {"status": "invalid", "message": "Sign in to answer this survey."}, status=400
        )
    return _autosave(request, invitation)


def invited_thanks(request: HttpRequest, token: str) -> HttpResponse:
    invitation = _by_token(token)
    if invitation.wave.cohort_id is not None:
        return redirect(invitation.wave.get_absolute_url())
    if not invitation.is_used:
        return redirect("surveys:invited", invitation.token)
    return render(request, "surveys/thanks.html", {"cohort": None, "wave": invitation.wave})


@login_required
def wave_report(request: HttpRequest, slug: str, wave_id: int) -> HttpResponse:
    """Staff only. Session, user, the wave with its response counts, then the report's three
    queries: six whatever the number of questions and responses. A closed wave's figures come
    from the cache once computed: four queries then (its questions are still read)."""
    _refuse_members(request.user, slug)
    waves = with_response_counts(Wave.objects.select_related("survey", "cohort"))
    wave = get_object_or_404(waves, cohort__slug=slug, pk=wave_id)
    report = build_wave_report(wave)
    return render(
        request,
        "surveys/wave_report.html",
        {"cohort": wave.cohort, "wave": wave, "rate": report.rate, "summaries": report.questions},
    )


@staff_required
def wave_export(request: HttpRequest, slug: str, wave_id: int) -> HttpResponse:
    """Submitted answers in long format (CSV, streamed), the codebook (CSV), or both (XLSX)."""
    cohort = get_object_or_404(Cohort, slug=slug)
    wave = get_object_or_404(Wave.objects.select_related("survey"), cohort=cohort, pk=wave_id)
    return exports.download(wave, request.GET.get("format", "csv"), f"{cohort.slug}-wave-{wave.pk}")


def _refuse_members(user, slug: str) -> None:
    """Staff reports: members of the cohort are refused (403); people outside it find nothing
    (404), as everywhere else in the cohort."""
    if not user.is_staff:
        access_cohort(user, slug)
        raise PermissionDenied("Only program staff can see survey reports.")


@login_required
def wave_trends(request: HttpRequest, slug: str) -> HttpResponse:
    """The cohort's waves side by side, joined by question and option codes; ``?question=``
    shows one question. Session, user, cohort and one query for the figures."""
    _refuse_members(request.user, slug)
    cohort = get_object_or_404(Cohort, slug=slug)
    trends = cohort_trends(cohort)
    code = request.GET.get("question", "")
    focus = trends.question(code) if code else None
    shown = [focus] if focus else trends.repeated
    return render(
        request,
        "surveys/trends.html",
        {
            "cohort": cohort,
            "trends": trends,
            "questions": shown,
            "code": code,
            "unknown_code": bool(code) and focus is None,
        },
    )
