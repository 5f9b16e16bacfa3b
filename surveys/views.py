from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, OuterRef, Q, Subquery
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from cohorts.access import access_cohort, staff_required
from cohorts.models import Cohort

from . import exports, services
from .forms import ResponseForm, initial_from
from .models import Response, Wave, WaveInvitation
from .reports import outcome_indicators, question_summary, response_rate


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
    waves = Wave.objects.filter(cohort=cohort).select_related("survey")
    if request.user.is_staff:
        waves = waves.annotate(
            invited=Count("invitations", distinct=True),
            submitted=Count("responses", filter=Q(responses__status="submitted"), distinct=True),
        )
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
def thanks(request: HttpRequest, slug: str, wave_id: int) -> HttpResponse:
    cohort = access_cohort(request.user, slug)
    invitation = _invitation(request.user, cohort, wave_id)
    if not invitation.is_used:
        return redirect("surveys:answer", cohort.slug, invitation.wave_id)
    return render(request, "surveys/thanks.html", {"cohort": cohort, "wave": invitation.wave})


@staff_required
def wave_report(request: HttpRequest, slug: str, wave_id: int) -> HttpResponse:
    cohort = get_object_or_404(Cohort, slug=slug)
    wave = get_object_or_404(Wave.objects.select_related("survey"), cohort=cohort, pk=wave_id)
    return render(
        request,
        "surveys/wave_report.html",
        {
            "cohort": cohort,
            "wave": wave,
            "rate": response_rate(wave),
            "summaries": question_summary(wave),
        },
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
        (writer.writerow(row) for row in rows), content_type="text/csv; charset=utf-8"
    )
    suffix = "-codebook" if kind == "codebook" else "-answers"
    response["Content-Disposition"] = f'attachment; filename="{stem}{suffix}.csv"'
    return response


@staff_required
def outcomes(request: HttpRequest, slug: str) -> HttpResponse:
    cohort = get_object_or_404(Cohort, slug=slug)
    return render(
        request,
        "surveys/outcomes.html",
        {"cohort": cohort, "indicators": outcome_indicators(cohort)},
    )
