from __future__ import annotations

import csv
from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Case, Count, Exists, F, OuterRef, Q, Value, When
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from cohorts.models import Cohort

from . import overview as overview_data
from . import roadmap as roadmap_data
from . import services
from .access import TeamSpace, access_staff_report, access_team_space
from .charts import domain_chart
from .forms import ActionStepForm, MissionForm, PartnerForm, ProgressNoteForm, RatingsForm
from .models import (
    ROUND_ORDER,
    ActionStep,
    Assessment,
    CommunityPartner,
    Domain,
    InstrumentVersion,
    Item,
    Rating,
    Round,
)
from .scoring import BENCHMARK_MIN_TEAMS, GAP_BELOW, STRENGTH_AT, team_results

PAGE_SIZE = 50
MEMBERS_ONLY = "Only the team's members fill in its self-assessment."


def _context(space: TeamSpace, tab: str, **extra) -> dict:
    return {
        "cohort": space.cohort,
        "team": space.team,
        "membership": space.membership,
        "tab": tab,
        **extra,
    }


def round_dates(cohort: Cohort) -> dict[str, date]:
    """When each round is meant to happen: at the start, halfway and at the end."""
    half = cohort.start_date + (cohort.end_date - cohort.start_date) / 2
    return {Round.BASELINE: cohort.start_date, Round.MIDPOINT: half, Round.END: cohort.end_date}


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _page_version(request: HttpRequest) -> InstrumentVersion | None:
    """The version the page was built with: a first save creates the assessment on it, even
    if staff published another one while the person was rating."""
    return (
        InstrumentVersion.objects.exclude(status=InstrumentVersion.Status.DRAFT)
        .filter(pk=_int(request.POST.get("version")))
        .first()
    )


def _round_or_404(round_: str) -> str:
    if round_ not in Round.values:
        raise Http404("No such round.")
    return round_


# --- The team's self-assessment ---------------------------------------------------------------


@login_required
def team_home(request: HttpRequest, slug: str, team_id: int) -> HttpResponse:
    space = access_team_space(request.user, slug, team_id)
    assessments = {
        a.round: a
        for a in Assessment.objects.filter(team=space.team).select_related(
            "submitted_by", "version__instrument"
        )
    }
    rated = dict(
        Rating.objects.filter(assessment__team=space.team, level__isnull=False)
        .values("assessment__round")
        .annotate(n=Count("pk"))
        .values_list("assessment__round", "n")
    )
    items = dict(
        Item.objects.filter(domain__version__assessments__team=space.team)
        .values("domain__version__assessments__round")
        .annotate(n=Count("pk"))
        .values_list("domain__version__assessments__round", "n")
    )
    dates = round_dates(space.cohort)
    rounds = []
    for round_ in ROUND_ORDER:
        assessment = assessments.get(round_)
        rounds.append(
            {
                "round": round_,
                "label": Round(round_).label,
                "planned": dates[round_],
                "assessment": assessment,
                "rated": rated.get(round_, 0),
                "items": items.get(round_, 0),
            }
        )
    current = InstrumentVersion.objects.current()
    return render(
        request,
        "assessments/team_home.html",
        _context(space, "assessment", rounds=rounds, version=current),
    )


def _instrument(version: InstrumentVersion) -> tuple[list[Domain], list]:
    domains = list(version.domains.prefetch_related("items").order_by("position", "pk"))
    return domains, list(version.levels.order_by("value"))


@login_required
def round_form(request: HttpRequest, slug: str, team_id: int, round: str) -> HttpResponse:
    space = access_team_space(request.user, slug, team_id)
    round_ = _round_or_404(round)
    assessment = (
        Assessment.objects.filter(team=space.team, round=round_)
        .select_related("version__instrument", "submitted_by")
        .first()
    )
    if assessment is not None and assessment.is_submitted:
        if request.method == "POST":
            # A second click or another tab: the first submission stands.
            messages.info(request, "This assessment had already been submitted.")
            return redirect("assessments:results", space.cohort.slug, space.team.pk)
        return _read_only(request, space, round_, assessment)
    if space.membership is None:
        # Program staff follow a team's draft but leave the rating to the team.
        if request.method == "POST":
            raise PermissionDenied(MEMBERS_ONLY)
        return _read_only(request, space, round_, assessment)
    version = assessment.version if assessment else InstrumentVersion.objects.current()
    if version is None:
        return render(request, "assessments/no_instrument.html", _context(space, "assessment"))
    domains, levels = _instrument(version)
    ratings = {r.item_id: r for r in assessment.ratings.all()} if assessment else {}
    form = RatingsForm(request.POST or None, domains=domains, levels=levels, ratings=ratings)
    if request.method == "POST" and form.is_valid():
        submitting = request.POST.get("action") == "submit"
        try:
            assessment = services.start_assessment(
                team=space.team, round=round_, user=request.user, version=_page_version(request)
            )
            services.save_draft(assessment=assessment, changes=form.changes(), user=request.user)
            if not submitting:
                messages.success(request, "Your ratings are saved. You can finish later.")
                return redirect("assessments:round", space.cohort.slug, space.team.pk, round_)
            submission = services.submit_assessment(assessment=assessment, user=request.user)
        except services.AlreadySubmitted:
            messages.info(request, "This assessment had already been submitted.")
            return redirect("assessments:results", space.cohort.slug, space.team.pk)
        except services.IncompleteAssessment as error:
            ratings = {r.item_id: r for r in assessment.ratings.all()}
            form = RatingsForm(
                domains=domains,
                levels=levels,
                ratings=ratings,
                missing={item.pk for item in error.missing},
            )
        except services.AssessmentError as error:
            messages.error(request, error.message)
            return redirect("assessments:round", space.cohort.slug, space.team.pk, round_)
        else:
            if submission.created:
                messages.success(
                    request,
                    f"The {Round(round_).label.lower()} assessment is submitted. Here are the "
                    "team's results.",
                )
            else:
                messages.info(request, "This assessment had already been submitted.")
            return redirect("assessments:results", space.cohort.slug, space.team.pk)
    rated = sum(1 for r in ratings.values() if r.level is not None)
    total = sum(len(d.items.all()) for d in domains)
    return render(
        request,
        "assessments/round_form.html",
        _context(
            space,
            "assessment",
            round=round_,
            round_label=Round(round_).label,
            assessment=assessment,
            version=version,
            form=form,
            levels=levels,
            rated=rated,
            total=total,
            can_submit=space.is_command_staff,
        ),
    )


def _read_only(
    request: HttpRequest, space: TeamSpace, round_: str, assessment: Assessment | None
) -> HttpResponse:
    """A round's ratings as a table: once submitted, and for staff following a draft."""
    sections = []
    if assessment is not None:
        domains, levels = _instrument(assessment.version)
        ratings = {r.item_id: r for r in assessment.ratings.all()}
        labels = {level.value: level.label for level in levels}
        sections = [
            {
                "domain": domain,
                "rows": [
                    {
                        "item": item,
                        "rating": ratings.get(item.pk),
                        "label": labels.get(getattr(ratings.get(item.pk), "level", None), ""),
                    }
                    for item in domain.items.all()
                ],
            }
            for domain in domains
        ]
    return render(
        request,
        "assessments/round_view.html",
        _context(
            space,
            "assessment",
            assessment=assessment,
            round_label=Round(round_).label,
            sections=sections,
        ),
    )


@login_required
@require_POST
def autosave(request: HttpRequest, slug: str, team_id: int, round: str) -> JsonResponse:
    """Save the changed ratings as the person works (the page's script posts the form; once
    more as the tab closes). Answers JSON, never a redirect."""
    space = access_team_space(request.user, slug, team_id)
    round_ = _round_or_404(round)
    if space.membership is None:
        return JsonResponse({"status": "forbidden", "message": MEMBERS_ONLY}, status=403)
    try:
        assessment = services.start_assessment(
            team=space.team, round=round_, user=request.user, version=_page_version(request)
        )
    except services.NoInstrument as error:
        return JsonResponse({"status": "invalid", "message": error.message}, status=400)
    if assessment.is_submitted:
        return JsonResponse(
            {"status": "submitted", "message": "This assessment has already been submitted."},
            status=409,
        )
    domains, levels = _instrument(assessment.version)
    ratings = {r.item_id: r for r in assessment.ratings.all()}
    form = RatingsForm(request.POST, domains=domains, levels=levels, ratings=ratings)
    if not form.is_valid():
        errors = {name: [str(e) for e in errs] for name, errs in form.errors.items()}
        return JsonResponse(
            {"status": "invalid", "message": "Some answers could not be saved.", "errors": errors},
            status=400,
        )
    try:
        services.save_draft(assessment=assessment, changes=form.changes(), user=request.user)
    except services.AlreadySubmitted as error:
        return JsonResponse({"status": "submitted", "message": error.message}, status=409)
    except services.AssessmentError as error:
        return JsonResponse({"status": "invalid", "message": error.message}, status=400)
    saved_at = timezone.localtime(timezone=space.cohort.tz)
    return JsonResponse({"status": "saved", "saved_at": saved_at.strftime("%H:%M")})


@login_required
def results(request: HttpRequest, slug: str, team_id: int) -> HttpResponse:
    space = access_team_space(request.user, slug, team_id)
    found = team_results(space.team)
    planned = dict(
        ActionStep.objects.filter(plan__team=space.team, domain__isnull=False)
        .exclude(status=ActionStep.Status.DROPPED)
        .values("domain__code")
        .annotate(n=Count("pk"))
        .values_list("domain__code", "n")
    )
    for row in found.rows:
        row.steps = planned.get(row.code, 0)
    chart = domain_chart(found, team=space.team) if found.rounds else None
    return render(
        request,
        "assessments/results.html",
        _context(
            space,
            "results",
            results=found,
            chart=chart,
            round_labels=dict(Round.choices),
            strength_at=STRENGTH_AT,
            gap_below=GAP_BELOW,
            benchmark_min=BENCHMARK_MIN_TEAMS,
        ),
    )


# --- The action plan --------------------------------------------------------------------------


@login_required
def plan(request: HttpRequest, slug: str, team_id: int) -> HttpResponse:
    space = access_team_space(request.user, slug, team_id)
    action_plan = services.plan_for(space.team)
    mission_form = MissionForm(request.POST or None, instance=action_plan)
    if request.method == "POST" and mission_form.is_valid():
        action_plan = mission_form.save(commit=False)
        action_plan.updated = timezone.now()
        action_plan.save(update_fields=["mission", "updated"])
        messages.success(request, "The mission and goals are saved.")
        return redirect("assessments:plan", space.cohort.slug, space.team.pk)
    today = timezone.localdate()
    # Open steps first, soonest due first; then done, then dropped.
    state = Case(
        When(status=ActionStep.Status.DONE, then=Value(1)),
        When(status=ActionStep.Status.DROPPED, then=Value(2)),
        default=Value(0),
    )
    steps = (
        action_plan.steps.select_related("owner", "domain")
        .annotate(note_count=Count("notes"), state=state)
        .order_by("state", F("due_date").asc(nulls_last=True), "pk")
    )
    status = request.GET.get("status", "")
    if status == "open":
        steps = steps.filter(status__in=ActionStep.OPEN_STATUSES)
    elif status == "overdue":
        steps = steps.overdue(today)
    elif status in ActionStep.Status.values:
        steps = steps.filter(status=status)
    page = Paginator(steps, PAGE_SIZE).get_page(request.GET.get("page"))
    progress = overview_data.roadmap_progress(action_plan.steps.all())
    counts = action_plan.steps.aggregate(
        planned=Count("pk", filter=~Q(status=ActionStep.Status.DROPPED)),
        done=Count("pk", filter=Q(status=ActionStep.Status.DONE)),
        overdue=Count("pk", filter=Q(status__in=ActionStep.OPEN_STATUSES, due_date__lt=today)),
        total=Count("pk"),
    )
    return render(
        request,
        "assessments/plan.html",
        _context(
            space,
            "plan",
            plan=action_plan,
            page=page,
            today=today,
            status=status,
            statuses=ActionStep.Status.choices,
            progress=progress,
            counts=counts,
            mission_form=mission_form,
        ),
    )


def _step_or_404(space: TeamSpace, step_id: int) -> ActionStep:
    return get_object_or_404(
        ActionStep.objects.select_related("plan", "owner", "domain", "created_by"),
        pk=step_id,
        plan__team=space.team,
    )


@login_required
def step_create(request: HttpRequest, slug: str, team_id: int) -> HttpResponse:
    space = access_team_space(request.user, slug, team_id)
    action_plan = services.plan_for(space.team)
    step = ActionStep(plan=action_plan)
    form = ActionStepForm(
        request.POST or None,
        instance=step,
        team=space.team,
        version=InstrumentVersion.objects.current(),
        initial={"owner": request.user.pk if space.membership else None},
    )
    if request.method == "POST" and form.is_valid():
        step = services.save_step(
            step=form.save(commit=False), user=request.user, status=form.cleaned_data["status"]
        )
        messages.success(request, f"“{step.title}” is added to the action plan.")
        return redirect("assessments:plan", space.cohort.slug, space.team.pk)
    return render(
        request, "assessments/step_form.html", _context(space, "plan", form=form, step=None)
    )


@login_required
@require_POST
def step_suggest(request: HttpRequest, slug: str, team_id: int) -> HttpResponse:
    """“Add an action step” beside a gap: one click makes the step, then they edit it."""
    space = access_team_space(request.user, slug, team_id)
    assessed = Assessment.objects.filter(team=space.team, version=OuterRef("version"))
    domain = get_object_or_404(
        Domain.objects.filter(Exists(assessed)), pk=_int(request.POST.get("domain"))
    )
    step = services.suggest_step(team=space.team, domain=domain, user=request.user)
    messages.success(
        request,
        f"“{step.title}” is added to the action plan. Adjust the details below and save.",
    )
    return redirect(step)


@login_required
def step(request: HttpRequest, slug: str, team_id: int, step_id: int) -> HttpResponse:
    space = access_team_space(request.user, slug, team_id)
    action_step = _step_or_404(space, step_id)
    form = ActionStepForm(
        request.POST or None,
        instance=action_step,
        team=space.team,
        version=InstrumentVersion.objects.current(),
    )
    if request.method == "POST" and form.is_valid():
        services.save_step(
            step=form.save(commit=False), user=request.user, status=form.cleaned_data["status"]
        )
        messages.success(request, f"“{action_step.title}” is saved.")
        return redirect("assessments:plan", space.cohort.slug, space.team.pk)
    notes = action_step.notes.select_related("author")
    return render(
        request,
        "assessments/step_form.html",
        _context(
            space,
            "plan",
            form=form,
            step=action_step,
            notes=notes,
            note_form=ProgressNoteForm(),
            overdue=action_step.is_overdue(),
        ),
    )


@login_required
@require_POST
def step_note(request: HttpRequest, slug: str, team_id: int, step_id: int) -> HttpResponse:
    space = access_team_space(request.user, slug, team_id)
    action_step = _step_or_404(space, step_id)
    form = ProgressNoteForm(request.POST)
    if form.is_valid():
        services.add_progress_note(
            step=action_step, author=request.user, text=form.cleaned_data["text"]
        )
        messages.success(request, "Your progress note is added.")
        return redirect(f"{action_step.get_absolute_url()}#notes")
    step_form = ActionStepForm(
        instance=action_step, team=space.team, version=InstrumentVersion.objects.current()
    )
    return render(
        request,
        "assessments/step_form.html",
        _context(
            space,
            "plan",
            form=step_form,
            step=action_step,
            notes=action_step.notes.select_related("author"),
            note_form=form,
            overdue=action_step.is_overdue(),
        ),
        status=400,
    )


@login_required
def step_delete(request: HttpRequest, slug: str, team_id: int, step_id: int) -> HttpResponse:
    space = access_team_space(request.user, slug, team_id)
    action_step = _step_or_404(space, step_id)
    if request.method == "POST":
        title = action_step.title
        action_step.delete()
        messages.success(request, f"“{title}” is deleted from the action plan.")
        return redirect("assessments:plan", space.cohort.slug, space.team.pk)
    return render(
        request, "assessments/step_delete.html", _context(space, "plan", step=action_step)
    )


# --- Community partners -----------------------------------------------------------------------


@login_required
def partners(request: HttpRequest, slug: str, team_id: int) -> HttpResponse:
    space = access_team_space(request.user, slug, team_id)
    form = PartnerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        partner = form.save(commit=False)
        partner.team = space.team
        partner.added_by = request.user
        partner.save()
        messages.success(request, f"{partner.name} is added to the team's partners.")
        return redirect("assessments:partners", space.cohort.slug, space.team.pk)
    listed = CommunityPartner.objects.filter(team=space.team).select_related("added_by")
    page = Paginator(listed, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request, "assessments/partners.html", _context(space, "partners", form=form, page=page)
    )


def _partner_or_404(space: TeamSpace, partner_id: int) -> CommunityPartner:
    return get_object_or_404(CommunityPartner, pk=partner_id, team=space.team)


@login_required
def partner_edit(request: HttpRequest, slug: str, team_id: int, partner_id: int) -> HttpResponse:
    space = access_team_space(request.user, slug, team_id)
    partner = _partner_or_404(space, partner_id)
    form = PartnerForm(request.POST or None, instance=partner)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, f"{partner.name} is saved.")
        return redirect("assessments:partners", space.cohort.slug, space.team.pk)
    return render(
        request,
        "assessments/partner_form.html",
        _context(space, "partners", form=form, partner=partner),
    )


@login_required
def partner_delete(request: HttpRequest, slug: str, team_id: int, partner_id: int) -> HttpResponse:
    space = access_team_space(request.user, slug, team_id)
    partner = _partner_or_404(space, partner_id)
    if request.method == "POST":
        name = partner.name
        partner.delete()
        messages.success(request, f"{name} is removed from the team's partners.")
        return redirect("assessments:partners", space.cohort.slug, space.team.pk)
    return render(
        request,
        "assessments/partner_delete.html",
        _context(space, "partners", partner=partner),
    )


# --- Shared pages -----------------------------------------------------------------------------


@login_required
def roadmap(request: HttpRequest) -> HttpResponse:
    return render(request, "assessments/roadmap.html", {"steps": roadmap_data.STEPS})


@login_required
def instrument(request: HttpRequest) -> HttpResponse:
    version = InstrumentVersion.objects.current()
    domains, levels = _instrument(version) if version else ([], [])
    return render(
        request,
        "assessments/instrument.html",
        {"version": version, "domains": domains, "levels": levels},
    )


# --- Staff overview ---------------------------------------------------------------------------


@login_required
def overview(request: HttpRequest, slug: str) -> HttpResponse:
    cohort = access_staff_report(request.user, slug)
    data = overview_data.cohort_overview(cohort)
    return render(
        request,
        "assessments/overview.html",
        {
            "cohort": cohort,
            "overview": data,
            "rounds": [(r, Round(r).label) for r in ROUND_ORDER],
            "submitted": [(Round(r).label, data.submitted[r]) for r in ROUND_ORDER],
            "roadmap_steps": roadmap_data.STEPS,
        },
    )


@login_required
def overview_csv(request: HttpRequest, slug: str) -> HttpResponse:
    cohort = access_staff_report(request.user, slug)
    data = overview_data.cohort_overview(cohort)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{cohort.slug}-assessments.csv"'
    writer = csv.writer(response)
    for row in overview_data.csv_rows(data):
        writer.writerow(row)
    return response
