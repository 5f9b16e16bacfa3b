"""Program staff's pages: the request queue, trainings, rosters, attendance and evaluation."""

from __future__ import annotations

import csv

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from cohorts.access import staff_required
from surveys import exports
from surveys.models import Wave
from surveys.reports import wave_report, with_response_counts
from surveys.services import send_wave_reminders

from . import services
from .access import access_event
from .forms import (
    CancelEventForm,
    CoordinatorForm,
    DeclineForm,
    EvaluationForm,
    EventForm,
    ProgramContentForm,
    ReviewForm,
    ScheduleExistingForm,
)
from .models import (
    Coordinator,
    ProgramContent,
    Registration,
    TrainingEvent,
    TrainingRequest,
)

QUEUE_PAGE_SIZE = 25


@staff_required
def program_edit(request: HttpRequest) -> HttpResponse:
    content = ProgramContent.load()
    form = ProgramContentForm(request.POST or None, instance=content)
    if request.method == "POST" and form.is_valid():
        content = form.save(commit=False)
        content.updated_by = request.user
        content.save()
        messages.success(request, "The program page is updated.")
        return redirect("training:program")
    return render(request, "training/program_form.html", {"form": form})


# The request queue -------------------------------------------------------------------------


@staff_required
def request_queue(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    if status not in TrainingRequest.Status.values:
        status = ""
    counts = TrainingRequest.objects.aggregate(
        all=Count("pk"),
        **{value: Count("pk", filter=Q(status=value)) for value in TrainingRequest.Status.values},
    )
    listed = TrainingRequest.objects.select_related("event").order_by("-created")
    if status:
        listed = listed.filter(status=status)
    page = Paginator(listed, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    tabs = [("", "All", counts["all"])] + [
        (value, label, counts[value]) for value, label in TrainingRequest.Status.choices
    ]
    return render(
        request,
        "training/request_queue.html",
        {
            "page": page,
            "status": status,
            "status_label": TrainingRequest.Status(status).label if status else "",
            "tabs": tabs,
        },
    )


def _staff_request(request_id: int) -> TrainingRequest:
    return get_object_or_404(TrainingRequest.objects.select_related("event"), pk=request_id)


@staff_required
def request_detail(request: HttpRequest, request_id: int) -> HttpResponse:
    training_request = _staff_request(request_id)
    return render(
        request,
        "training/request_detail.html",
        {
            "training_request": training_request,
            "changes": training_request.changes.select_related("by"),
            "review_form": ReviewForm(),
            "statuses": TrainingRequest.Status,
        },
    )


@staff_required
@require_POST
def request_review(request: HttpRequest, request_id: int) -> HttpResponse:
    training_request = _staff_request(request_id)
    form = ReviewForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        services.start_review(request=training_request, by=request.user, note=note)
    except services.TrainingError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            f"The request from {training_request.agency_name} is under review; "
            f"{training_request.email} has been emailed.",
        )
    return redirect(training_request.get_absolute_url())


def _event_initial(training_request: TrainingRequest) -> dict:
    return {
        "title": f"Officer Resilience Training — {training_request.get_region_display()}",
        "date": training_request.preferred_date,
        "region": training_request.region,
        "start_time": "08:30",
        "end_time": "16:30",
        "capacity": 30,
        "per_agency_limit": 5,
    }


def _refuse_move(request: HttpRequest, training_request, status) -> HttpResponse | None:
    """Back to the request, saying why, when it cannot move to ``status`` from where it is."""
    if training_request.can_move_to(status):
        return None
    messages.error(
        request,
        f"This request is {training_request.get_status_display().lower()}; "
        f"it cannot be {status.label.lower()}.",
    )
    return redirect(training_request.get_absolute_url())


@staff_required
def request_schedule(request: HttpRequest, request_id: int) -> HttpResponse:
    training_request = _staff_request(request_id)
    if refused := _refuse_move(request, training_request, TrainingRequest.Status.SCHEDULED):
        return refused
    mode = request.POST.get("mode") if request.method == "POST" else None
    existing_form = ScheduleExistingForm(request.POST if mode == "existing" else None)
    event_form = EventForm(
        request.POST if mode == "new" else None,
        initial=_event_initial(training_request),
        prefix="new",
    )
    event = None
    if mode == "existing" and existing_form.is_valid():
        event = existing_form.cleaned_data["event"]
        note = existing_form.cleaned_data["note"]
    elif mode == "new" and event_form.is_valid():
        event = event_form.save(commit=False)
        note = ""
    if event is not None:
        try:
            services.schedule_request(
                request=training_request, event=event, by=request.user, note=note
            )
        except services.TrainingError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request,
                f"Scheduled: {training_request.agency_name} is booked into {event}; "
                f"{training_request.email} has been emailed the details.",
            )
            return redirect(training_request.get_absolute_url())
    return render(
        request,
        "training/request_schedule.html",
        {
            "training_request": training_request,
            "existing_form": existing_form,
            "event_form": event_form,
            "mode": mode,
        },
    )


@staff_required
def request_decline(request: HttpRequest, request_id: int) -> HttpResponse:
    training_request = _staff_request(request_id)
    if refused := _refuse_move(request, training_request, TrainingRequest.Status.DECLINED):
        return refused
    form = DeclineForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.decline_request(
                request=training_request, reason=form.cleaned_data["reason"], by=request.user
            )
        except services.TrainingError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request,
                f"The request from {training_request.agency_name} is declined; "
                f"{training_request.email} has been emailed the reason.",
            )
        return redirect(training_request.get_absolute_url())
    return render(
        request,
        "training/request_decline.html",
        {"training_request": training_request, "form": form},
    )


# Trainings ---------------------------------------------------------------------------------


def _event_form_response(request: HttpRequest, event: TrainingEvent | None) -> HttpResponse:
    form = EventForm(request.POST or None, instance=event)
    if request.method == "POST" and form.is_valid():
        saved = form.save(commit=False)
        try:
            promoted = services.save_event(event=saved, by=request.user)
        except ValidationError as error:
            for field, problems in error.message_dict.items():
                for problem in problems:
                    form.add_error(field if field in form.fields else None, problem)
        else:
            messages.success(request, f"{saved.title} is saved.")
            for person in promoted:
                messages.info(
                    request,
                    f"{person.name} ({person.agency.name}) moved up from the waitlist and has "
                    "been emailed.",
                )
            return redirect(saved.get_absolute_url())
    return render(request, "training/event_form.html", {"form": form, "event": event})


@staff_required
def event_create(request: HttpRequest) -> HttpResponse:
    return _event_form_response(request, None)


@staff_required
def event_edit(request: HttpRequest, event_id: int) -> HttpResponse:
    event = get_object_or_404(TrainingEvent, pk=event_id)
    if event.is_cancelled:
        messages.error(request, "This training is cancelled and can no longer be edited.")
        return redirect(event.get_absolute_url())
    return _event_form_response(request, event)


@staff_required
def event_cancel(request: HttpRequest, event_id: int) -> HttpResponse:
    event = access_event(event_id)
    form = CancelEventForm(request.POST or None)
    if event.is_cancelled or event.is_past:
        messages.error(
            request,
            "This training is already cancelled."
            if event.is_cancelled
            else "This training has already taken place.",
        )
        return redirect(event.get_absolute_url())
    if request.method == "POST" and form.is_valid():
        try:
            told = services.cancel_event(
                event=event, by=request.user, note=form.cleaned_data["note"]
            )
        except services.TrainingError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request,
                f"{event.title} is cancelled; {told} registered "
                f"{'person has' if told == 1 else 'people have'} been emailed.",
            )
        return redirect(event.get_absolute_url())
    return render(request, "training/event_cancel.html", {"event": event, "form": form})


def _roster(event: TrainingEvent):
    return event.registrations.select_related("agency").order_by(
        "agency__name", "status", "position"
    )


@staff_required
def roster(request: HttpRequest, event_id: int) -> HttpResponse:
    event = access_event(event_id)
    can_mark = not event.is_cancelled and event.date <= timezone.localdate()
    if request.method == "POST":
        if not can_mark:
            messages.error(request, "Attendance can be marked from the day of the training.")
            return redirect("training:roster", event.pk)
        present = {int(v) for v in request.POST.getlist("present") if v.isdigit()}
        try:
            changed = services.mark_attendance(event=event, present_ids=present, by=request.user)
        except services.TrainingError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request, f"Attendance saved ({changed} change{'s' if changed != 1 else ''})."
            )
        return redirect("training:roster", event.pk)
    registrations = list(_roster(event))
    by_agency = (
        event.registrations.values("agency__name")
        .annotate(
            confirmed=Count("pk", filter=Q(status=Registration.Status.CONFIRMED)),
            waitlisted=Count("pk", filter=Q(status=Registration.Status.WAITLISTED)),
        )
        .filter(Q(confirmed__gt=0) | Q(waitlisted__gt=0))
        .order_by("agency__name")
    )
    return render(
        request,
        "training/roster.html",
        {
            "event": event,
            "confirmed": [r for r in registrations if r.is_confirmed],
            "waitlisted": sorted(
                (r for r in registrations if r.is_waitlisted), key=lambda r: r.position
            ),
            "cancelled": [r for r in registrations if r.status == Registration.Status.CANCELLED],
            "by_agency": by_agency,
            "can_mark": can_mark,
        },
    )


def _csv_cell(value) -> str:
    # A cell starting with = + - @ would run as a formula in a spreadsheet.
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in {"=", "+", "-", "@", "\t", "\r"} else text


@staff_required
def roster_csv(request: HttpRequest, event_id: int) -> HttpResponse:
    event = access_event(event_id)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="training-{event.pk}-{event.date:%Y-%m-%d}-roster.csv"'
    )
    writer = csv.writer(response)
    writer.writerow(
        ["status", "waitlist_position", "agency", "name", "rank_role", "email", "registered",
         "attended"]
    )  # fmt: skip
    waitlist = 0
    for registration in sorted(_roster(event), key=lambda r: (r.status != "confirmed", r.position)):
        if registration.status == Registration.Status.CANCELLED:
            continue
        place = ""
        if registration.is_waitlisted:
            waitlist += 1
            place = waitlist
        attended = {True: "yes", False: "no", None: ""}[registration.attended]
        writer.writerow(
            [
                _csv_cell(v)
                for v in [
                    registration.status,
                    place,
                    registration.agency.name,
                    registration.name,
                    registration.rank_role,
                    registration.email,
                    timezone.localtime(registration.created).strftime("%Y-%m-%d %H:%M"),
                    attended,
                ]
            ]
        )
    return response


@staff_required
def sign_in_sheet(request: HttpRequest, event_id: int) -> HttpResponse:
    event = access_event(event_id)
    attendees = (
        event.registrations.confirmed().select_related("agency").order_by("agency__name", "name")
    )
    return render(request, "training/sign_in_sheet.html", {"event": event, "attendees": attendees})


@staff_required
def evaluation(request: HttpRequest, event_id: int) -> HttpResponse:
    event = access_event(event_id)
    wave = event.evaluation_wave
    form = EvaluationForm(request.POST or None, wave=wave)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            sent = services.send_evaluation(
                event=event,
                survey=data["survey"],
                closes_at=form.closes_at,
                anonymity=data["anonymity"],
                by=request.user,
            )
        except services.TrainingError as error:
            messages.error(request, str(error))
        else:
            n = sent.invited
            people = f"{n} attendee{'s' if n != 1 else ''}"
            were = "was" if n == 1 else "were"
            if sent.created:
                messages.success(
                    request, f"The evaluation is open: {people} {were} invited by email."
                )
            elif n:
                messages.success(
                    request,
                    f"{people} marked present since the last sending {were} invited by email.",
                )
            else:
                messages.info(
                    request,
                    "Everyone marked present is already invited: nobody new was emailed.",
                )
            return redirect("training:evaluation", event.pk)
    present = list(
        event.registrations.confirmed().filter(attended=True).values_list("email", flat=True)
    )
    invited = services.evaluation_invitations(event)
    counts = {
        "present": len(present),
        "waiting": sum(1 for email in present if email.lower() not in invited),
    }
    if wave is not None:
        wave = with_response_counts(Wave.objects.filter(pk=wave.pk)).get()
    return render(
        request,
        "training/evaluation.html",
        {"event": event, "form": form, "counts": counts, "wave": wave},
    )


@staff_required
@require_POST
def evaluation_remind(request: HttpRequest, event_id: int) -> HttpResponse:
    """Remind the attendees who have not answered (not those reminded in the last 12 hours)."""
    event = get_object_or_404(TrainingEvent, pk=event_id)
    wave = _evaluation_wave(event)
    try:
        sent = send_wave_reminders(wave)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        if sent:
            people = f"{sent} attendee{'s' if sent != 1 else ''}"
            messages.success(request, f"A reminder was emailed to {people}.")
        else:
            messages.info(request, "Nobody needed a reminder: no reminder was sent.")
    return redirect("training:evaluation", event.pk)


@staff_required
def evaluation_report(request: HttpRequest, event_id: int) -> HttpResponse:
    """The evaluation's figures: the surveys report, with groups under the minimum size
    suppressed. Event, session and user, then the wave with its counts and the report's
    three queries, whatever the number of attendees and questions."""
    event = get_object_or_404(TrainingEvent, pk=event_id)
    wave = _evaluation_wave(event)
    report = wave_report(wave)
    return render(
        request,
        "training/evaluation_report.html",
        {"event": event, "wave": wave, "rate": report.rate, "summaries": report.questions},
    )


@staff_required
def evaluation_export(request: HttpRequest, event_id: int) -> HttpResponse:
    """The evaluation's answers (CSV), its codebook (``?format=codebook``) or both (XLSX)."""
    event = get_object_or_404(TrainingEvent, pk=event_id)
    wave = _evaluation_wave(event)
    stem = f"training-{event.pk}-{event.date:%Y-%m-%d}-evaluation"
    return exports.download(wave, request.GET.get("format", "csv"), stem)


def _evaluation_wave(event: TrainingEvent) -> Wave:
    """The training's evaluation with its response counts; 404 while none was sent."""
    waves = with_response_counts(Wave.objects.select_related("survey"))
    return get_object_or_404(waves, pk=event.evaluation_wave_id or 0)


# Coordinators ------------------------------------------------------------------------------


@staff_required
def coordinators(request: HttpRequest) -> HttpResponse:
    form = CoordinatorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.designate_coordinator(
                user=data["email"], agency=data["agency"], event=data["event"], by=request.user
            )
        except services.TrainingError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                f"{data['email'].display_name} can now register attendees for "
                f"{data['agency'].name}.",
            )
            return redirect("training:coordinators")
    designations = Coordinator.objects.select_related("user", "agency", "event").order_by(
        "agency__name", "user__last_name"
    )
    page = Paginator(designations, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "training/coordinators.html", {"form": form, "page": page})


@staff_required
@require_POST
def coordinator_remove(request: HttpRequest, coordinator_id: int) -> HttpResponse:
    designation = get_object_or_404(
        Coordinator.objects.select_related("user", "agency"), pk=coordinator_id
    )
    designation.delete()
    messages.success(
        request,
        f"{designation.user.display_name} no longer coordinates {designation.agency.name}.",
    )
    return redirect("training:coordinators")
