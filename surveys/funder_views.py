"""The funder's report for staff: on screen by period, printable, exported, with narrative."""

import csv
import io
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode

from cohorts.access import access_cohort
from cohorts.models import Cohort

from . import funder
from .exports import csv_safe
from .funder_forms import NarrativeForm
from .models import ReportingNarrative

EXPORT = "surveys:outcomes_export"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
REFUSED = "Only program staff can see the funder's report."


def staff_report(view):
    """Program staff only. People outside the cohort get 404, as everywhere; its members
    get 403, as on the other staff reports. The view receives the cohort."""

    @login_required
    @wraps(view)
    def wrapped(request, slug, *args, **kwargs):
        cohort = access_cohort(request.user, slug)
        if not request.user.is_staff:
            raise PermissionDenied(REFUSED)
        return view(request, cohort, *args, **kwargs)

    return wrapped


def outcome_report(view):
    """``staff_report`` for the report's own pages, which show the narratives: staff get the
    cohort with every narrative written for it in one query, and the view receives both."""

    @login_required
    @wraps(view)
    def wrapped(request, slug):
        if not request.user.is_staff:
            access_cohort(request.user, slug)
            raise PermissionDenied(REFUSED)
        try:
            cohort, written = funder.cohort_with_narratives(
                Cohort.objects.visible_to(request.user), slug
            )
        except Cohort.DoesNotExist:
            raise Http404("No such cohort.") from None
        return view(request, cohort, written)

    return wrapped


def outcomes_url(cohort, period=None, *, name: str = "surveys:outcomes", **params) -> str:
    """A report URL for ``period`` (None: the whole cohort), with any other parameters."""
    if period is not None:
        params = {"period": period.code, **params}
    url = reverse(name, args=[cohort.slug])
    return f"{url}?{urlencode(params)}" if params else url


def _period_or_redirect(request: HttpRequest, cohort):
    """The period asked for in ?period=, or a redirect to the whole-cohort report that says
    why the period was not understood."""
    try:
        return funder.period_for(cohort, request.GET.get("period")), None
    except funder.UnknownPeriod as error:
        messages.error(request, str(error))
        return None, redirect(outcomes_url(cohort))


@outcome_report
def outcomes(request: HttpRequest, cohort, written) -> HttpResponse:
    """Session, user, the cohort with its narratives, then the report's three queries."""
    period, bad = _period_or_redirect(request, cohort)
    if bad:
        return bad
    report = funder.funder_report(cohort, period, written=written)
    return render(
        request,
        "surveys/outcomes.html",
        {
            "cohort": cohort,
            "report": report,
            "indicators": report.indicators,
            "print_url": outcomes_url(cohort, period, name="surveys:outcomes_print"),
            "csv_url": outcomes_url(cohort, period, name=EXPORT, format="csv"),
            "xlsx_url": outcomes_url(cohort, period, name=EXPORT, format="xlsx"),
        },
    )


@outcome_report
def outcomes_print(request: HttpRequest, cohort, written) -> HttpResponse:
    period, bad = _period_or_redirect(request, cohort)
    if bad:
        return bad
    report = funder.funder_report(cohort, period, written=written)
    return render(
        request,
        "surveys/funder_print.html",
        {"cohort": cohort, "report": report, "back_url": outcomes_url(cohort, period)},
    )


@outcome_report
def outcomes_export(request: HttpRequest, cohort, written) -> HttpResponse:
    """The report as CSV (the indicators, one row each) or XLSX (indicators, response rates,
    attendance and narrative, one sheet each)."""
    kind = request.GET.get("format", "csv")
    if kind not in {"csv", "xlsx"}:
        return HttpResponseBadRequest(
            "Choose format=csv or format=xlsx.", content_type="text/plain"
        )
    try:
        period = funder.period_for(cohort, request.GET.get("period"))
    except funder.UnknownPeriod as error:
        return HttpResponseBadRequest(str(error), content_type="text/plain; charset=utf-8")
    report = funder.funder_report(cohort, period, written=written)
    stem = f"{cohort.slug}-outcomes-{report.period_code}"
    if kind == "xlsx":
        response = HttpResponse(funder.workbook(report), content_type=XLSX_TYPE)
        response["Content-Disposition"] = f'attachment; filename="{stem}.xlsx"'
        return response
    buffer = io.StringIO()
    csv.writer(buffer).writerows(csv_safe(row) for row in funder.indicator_rows(report))
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{stem}.csv"'
    return response


@staff_report
def narrative(request: HttpRequest, cohort, period: str) -> HttpResponse:
    """Write or edit one quarter's narrative."""
    try:
        quarter = funder.period_for(cohort, period)
    except funder.UnknownPeriod:
        raise Http404("No such reporting period.") from None
    if quarter is None:
        raise Http404("No such reporting period.")
    rows = ReportingNarrative.objects.filter(
        cohort=cohort, year=quarter.year, quarter=quarter.quarter
    )
    if request.method != "POST":
        form = NarrativeForm(instance=rows.first())
        return _narrative_page(request, cohort, quarter, form)
    try:
        with transaction.atomic():
            stored = rows.select_for_update().first()
            form = NarrativeForm(
                request.POST,
                instance=stored
                or ReportingNarrative(cohort=cohort, year=quarter.year, quarter=quarter.quarter),
            )
            if form.is_valid():
                saved = form.save(commit=False)
                saved.updated_by = request.user
                saved.save()
                messages.success(request, f"The narrative for {quarter.label} was saved.")
                return redirect(outcomes_url(cohort, quarter))
    except IntegrityError:
        # Someone else wrote the quarter's first narrative at the same moment.
        # Its version cannot match the empty one this form was opened with: it is refused
        # as stale, keeping the text typed here.
        form = NarrativeForm(request.POST, instance=rows.first())
        form.is_valid()
    return _narrative_page(request, cohort, quarter, form)


def _narrative_page(request, cohort, quarter, form) -> HttpResponse:
    return render(
        request,
        "surveys/narrative_form.html",
        {
            "cohort": cohort,
            "period": quarter,
            "form": form,
            "cancel_url": outcomes_url(cohort, quarter),
        },
    )
