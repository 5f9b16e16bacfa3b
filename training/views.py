"""Public and coordinator pages: the program, requests, trainings and registration."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from cohorts.models import Agency

from . import seats, services, spam
from .access import access_event, access_registration
from .forms import RegistrationForm, TrainingRequestForm
from .models import (
    FocusArea,
    ProgramContent,
    Region,
    Registration,
    SkillTheme,
    TrainingEvent,
    coordinated_agencies,
)

EVENTS_PAGE_SIZE = 20
UPCOMING_ON_PROGRAM_PAGE = 6


def program(request: HttpRequest) -> HttpResponse:
    events = TrainingEvent.objects.scheduled().upcoming().with_counts()[:UPCOMING_ON_PROGRAM_PAGE]
    return render(
        request,
        "training/program.html",
        {
            "content": ProgramContent.load(),
            "themes": SkillTheme.objects.all(),
            "focus_areas": FocusArea.objects.all(),
            "events": events,
        },
    )


def request_training(request: HttpRequest) -> HttpResponse:
    content = ProgramContent.load()
    form = TrainingRequestForm()
    if request.method == "POST":
        if spam.is_rate_limited(request):
            response = render(request, "training/request_limited.html", status=429)
            response["Retry-After"] = str(spam.rate()[1])
            return response
        if spam.caught_by_honeypot(request):
            # Answer exactly as for a real request, so the sender learns nothing.
            spam.count_request(request)
            return redirect("training:request_thanks")
        form = TrainingRequestForm(request.POST)
        if form.is_valid():
            services.submit_request(data=form.cleaned_data)
            spam.count_request(request)
            return redirect("training:request_thanks")
    return render(
        request,
        "training/request_form.html",
        {"form": form, "content": content, "honeypot": spam.HONEYPOT_FIELD},
    )


def request_thanks(request: HttpRequest) -> HttpResponse:
    return render(request, "training/request_thanks.html")


def events(request: HttpRequest) -> HttpResponse:
    show = "past" if request.GET.get("show") == "past" else "upcoming"
    listed = TrainingEvent.objects.with_counts()
    listed = listed.past() if show == "past" else listed.upcoming()
    region = request.GET.get("region", "")
    if region in Region.values:
        listed = listed.filter(region=region)
    else:
        region = ""
    page = Paginator(listed, EVENTS_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "training/events.html",
        {"page": page, "show": show, "region": region, "regions": Region.choices},
    )


@dataclass
class AgencySeats:
    """One agency's use of a training's seats."""

    agency: Agency
    confirmed: int
    waitlisted: int
    limit: int
    seats_left_in_room: int

    @property
    def seats_left(self) -> int:
        return max(0, min(self.limit - self.confirmed, self.seats_left_in_room))


def agency_seats(event: TrainingEvent, agencies: list[Agency]) -> list[AgencySeats]:
    counts = {
        row["agency"]: row
        for row in event.registrations.filter(agency__in=[a.pk for a in agencies])
        .values("agency")
        .annotate(
            confirmed=Count("pk", filter=Q(status=Registration.Status.CONFIRMED)),
            waitlisted=Count("pk", filter=Q(status=Registration.Status.WAITLISTED)),
        )
    }
    return [
        AgencySeats(
            agency=agency,
            confirmed=counts.get(agency.pk, {}).get("confirmed", 0),
            waitlisted=counts.get(agency.pk, {}).get("waitlisted", 0),
            limit=event.per_agency_limit,
            seats_left_in_room=event.seats_left,
        )
        for agency in agencies
    ]


def event(request: HttpRequest, event_id: int) -> HttpResponse:
    event = access_event(event_id)
    context = {"event": event}
    user = request.user
    if user.is_authenticated and not user.is_staff:
        agencies = list(coordinated_agencies(user, event).order_by("name"))
        context["my_seats"] = agency_seats(event, agencies)
    if user.is_authenticated and user.is_staff:
        context["requests"] = event.requests.all()
    return render(request, "training/event.html", context)


def _coordinator_view(request: HttpRequest, event: TrainingEvent) -> list[Agency] | HttpResponse:
    agencies = list(coordinated_agencies(request.user, event).order_by("name"))
    if not agencies:
        return render(request, "training/not_coordinator.html", {"event": event}, status=403)
    return agencies


@login_required
def register(request: HttpRequest, event_id: int) -> HttpResponse:
    event = access_event(event_id)
    agencies = _coordinator_view(request, event)
    if isinstance(agencies, HttpResponse):
        return agencies
    if not event.is_open_for_registration:
        messages.error(
            request,
            f"{event.title} was cancelled, so it takes no registrations."
            if event.is_cancelled
            else f"{event.title} has already taken place.",
        )
        return redirect(event.get_absolute_url())
    initial_agency = request.GET.get("agency")
    form = RegistrationForm(
        request.POST or None,
        agencies=agencies,
        initial={"agency": initial_agency} if initial_agency else None,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            registration = seats.register(
                event=event,
                agency=data["agency"],
                attendee=seats.Attendee(
                    name=data["name"], rank_role=data["rank_role"], email=data["email"]
                ),
                by=request.user,
            )
        except seats.RegistrationRefused as refusal:
            form.add_error(refusal.field, refusal.message)
        else:
            level = messages.SUCCESS if registration.is_confirmed else messages.WARNING
            messages.add_message(request, level, seats.outcome_message(registration))
            url = reverse("training:register", args=[event.pk])
            return redirect(f"{url}?agency={registration.agency_id}")
    if request.user.is_staff:
        # Staff may register for any agency: summarise those already registered.
        in_use = {r.agency_id for r in event.registrations.active().only("agency")}
        shown = [a for a in agencies if a.pk in in_use]
    else:
        shown = agencies
    registrations = (
        event.registrations.active()
        .filter(agency__in=[a.pk for a in shown])
        .select_related("agency")
        .order_by("agency__name", "status", "position")
    )
    return render(
        request,
        "training/register.html",
        {
            "event": event,
            "form": form,
            "seats": agency_seats(event, shown),
            "registrations": registrations,
            "single_agency": agencies[0] if len(agencies) == 1 else None,
        },
    )


@login_required
def registration_cancel(request: HttpRequest, event_id: int, registration_id: int) -> HttpResponse:
    event = access_event(event_id)
    registration = access_registration(request.user, event, registration_id)
    back = (
        reverse("training:roster", args=[event.pk])
        if request.user.is_staff
        else reverse("training:register", args=[event.pk])
    )
    if registration.status == Registration.Status.CANCELLED:
        messages.info(request, f"{registration.name}'s registration is already cancelled.")
        return redirect(back)
    if request.method == "POST":
        try:
            promoted = seats.cancel(registration=registration, by=request.user)
        except seats.RegistrationRefused as refusal:
            messages.error(request, refusal.message)
            return redirect(back)
        messages.success(request, f"{registration.name}'s registration is cancelled.")
        for person in promoted:
            messages.info(
                request,
                f"{person.name} ({person.agency.name}) moved up from the waitlist to the freed "
                "seat and has been emailed.",
            )
        return redirect(back)
    return render(
        request,
        "training/registration_cancel.html",
        {"event": event, "registration": registration, "back": back},
    )
