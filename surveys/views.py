from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, Subquery
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
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


@login_required
def answer(request: HttpRequest, slug: str, wave_id: int) -> HttpResponse:
    cohort = access_cohort(request.user, slug)
    invitation = _invitation(request.user, cohort, wave_id)
    wave = invitation.wave
    if invitation.is_used:
        return redirect("surveys:thanks", cohort.slug, wave.pk)
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
                return redirect("surveys:thanks", cohort.slug, wave.pk)
            services.save_draft(invitation=invitation, answers=form.answers())
            messages.success(request, "Your answers are saved. You can finish later.")
            return redirect("surveys:answer", cohort.slug, wave.pk)
        except services.AlreadySubmitted:
            return redirect("surveys:thanks", cohort.slug, wave.pk)
        except services.IncompleteResponse as error:
            for question in error.missing:
                form.add_error(question.code, "Please answer this question.")
        except services.SurveyError as error:
            form.add_error(None, error.message)
    return render(
        request,
        "surveys/answer.html",
        {"cohort": cohort, "wave": wave, "form": form, "has_draft": draft is not None},
    )


@login_required
@require_POST
def autosave(request: HttpRequest, slug: str, wave_id: int) -> JsonResponse:
    """Save the answer form as a draft without leaving the page (the form's script calls it
    as the person types, and once more as the tab closes). Answers JSON, never a redirect."""
    cohort = access_cohort(request.user, slug)
    invitation = _invitation(request.user, cohort, wave_id)
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
    saved_at = timezone.localtime(timezone=cohort.tz)
    return JsonResponse({"status": "saved", "saved_at": saved_at.strftime("%H:%M")})


@login_required
def thanks(request: HttpRequest, slug: str, wave_id: int) -> HttpResponse:
    cohort = access_cohort(request.user, slug)
    invitation = _invitation(request.user, cohort, wave_id)
    if not invitation.is_used:
        return redirect("surveys:answer", cohort.slug, invitation.wave_id)
    return render(request, "surveys/thanks.html", {"cohort": cohort, "wave": invitation.wave})


@login_required
def wave_report(request: HttpRequest, slug: str, wave_id: int) -> HttpResponse:
    """Staff only. Session, user, the wave with its response counts, then the report's three
    queries: six whatever the number of questions and responses."""
    _refuse_members(request.user, slug)
    waves = with_response_counts(Wave.objects.select_related("survey", "cohort"))
    wave = get_object_or_404(waves, cohort__slug=slug, pk=wave_id)
    report = build_wave_report(wave)
    return render(
        request,
        "surveys/wave_report.html",
        {"cohort": wave.cohort, "wave": wave, "rate": report.rate, "summaries": report.questions},
    )


class _Echo:
    """A file-like object whose write returns the line, for streaming csv.writer output."""

    def write(self, value: str) -> str:
        return value


@staff_required
def wave_export(request: HttpRequest, slug: str, wave_id: int) -> HttpResponse:
    """Submitted answers in long format (CSV, streamed), the codebook (CSV), or both (XLSX)."""
    import csv

    cohort = get_object_or_404(Cohort, slug=slug)
    wave = get_object_or_404(Wave.objects.select_related("survey"), cohort=cohort, pk=wave_id)
    kind = request.GET.get("format", "csv")
    stem = f"{cohort.slug}-wave-{wave.pk}"
    if kind == "xlsx":
        response = HttpResponse(
            exports.workbook(wave),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="{stem}.xlsx"'
        return response
    rows = exports.codebook_rows(wave) if kind == "codebook" else exports.answer_rows(wave)
    writer = csv.writer(_Echo())
    response = StreamingHttpResponse(
        (writer.writerow(exports.csv_safe(row)) for row in rows),
        content_type="text/csv; charset=utf-8",
    )
    suffix = "-codebook" if kind == "codebook" else "-answers"
    response["Content-Disposition"] = f'attachment; filename="{stem}{suffix}.csv"'
    return response


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
