"""Staff pages for survey waves: create, edit, close, delete and remind."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from cohorts.access import access_cohort
from cohorts.models import Cohort

from . import services
from .models import Wave
from .wave_forms import WaveForm


def _staff_cohort(request: HttpRequest, slug: str) -> Cohort:
    """The cohort for a staff page: outsiders get 404 as everywhere, members are refused."""
    cohort = access_cohort(request.user, slug)
    if not request.user.is_staff:
        raise PermissionDenied("Only program staff manage survey waves.")
    return cohort


def _wave(cohort: Cohort, wave_id: int) -> Wave:
    queryset = Wave.objects.select_related("survey", "session", "cohort")
    return get_object_or_404(queryset, cohort=cohort, pk=wave_id)


def _confirm(request: HttpRequest, cohort: Cohort, wave: Wave, action: str, **extra):
    # Times on the confirmation pages are the cohort's, as on the wave form.
    with timezone.override(cohort.tz):
        context = {"cohort": cohort, "wave": wave, "action": action, **extra}
        return render(request, "surveys/wave_confirm.html", context)


def _people(n: int) -> str:
    return f"{n} {'person' if n == 1 else 'people'}"


@login_required
def wave_new(request: HttpRequest, slug: str) -> HttpResponse:
    cohort = _staff_cohort(request, slug)
    with timezone.override(cohort.tz):
        initial = WaveForm.new_initial()
        # ?session=N prefills the feedback wave for that session (the session page links here).
        number = request.GET.get("session", "") if request.method == "GET" else ""
        if number:
            session = cohort.sessions.filter(number=number).first() if number.isdigit() else None
            if session is None:
                messages.warning(request, f"This cohort has no session {number}.")
            else:
                initial = WaveForm.feedback_initial(session)
        form = WaveForm(request.POST or None, cohort=cohort, initial=initial)
        prefilled = form.sessions.get(initial.get("audience", ""))
        if "audience" in initial and prefilled is None:
            messages.warning(
                request,
                f"Session {number} has not taken place yet: its feedback can be asked once "
                "its attendance is marked.",
            )
        elif prefilled is not None and not prefilled.present:
            messages.warning(
                request,
                f"Nobody is marked present at session {number} yet: mark its attendance first.",
            )
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                wave = services.create_wave(
                    survey=data["survey"],
                    cohort=cohort,
                    session=data["audience"],
                    title=data["title"],
                    opens_at=data["opens_at"],
                    closes_at=data["closes_at"],
                    anonymity=data["anonymity"],
                    min_group_size=data["min_group_size"],
                    created_by=request.user,
                )
            except ValidationError as error:
                # An empty audience belongs to the audience field; anything else to the form.
                field = "audience" if isinstance(error, services.SurveyError) else None
                for message in error.messages:
                    form.add_error(field, message)
            else:
                invited = wave.invitations.count()
                messages.success(
                    request,
                    f"“{wave.title}” is created and {_people(invited)} "
                    f"{'was' if invited == 1 else 'were'} invited by email.",
                )
                return redirect("surveys:wave_list", cohort.slug)
        return render(
            request, "surveys/wave_form.html", {"cohort": cohort, "form": form, "wave": None}
        )


@login_required
def wave_edit(request: HttpRequest, slug: str, wave_id: int) -> HttpResponse:
    cohort = _staff_cohort(request, slug)
    wave = _wave(cohort, wave_id)
    with timezone.override(cohort.tz):
        form = WaveForm(request.POST or None, cohort=cohort, wave=wave)
        if request.method == "POST" and form.is_valid():
            try:
                change = services.update_wave(wave=form.apply_to(wave))
            except ValidationError as error:
                wave.refresh_from_db()
                field = "audience" if isinstance(error, services.SurveyError) else None
                for message in error.messages:
                    form.add_error(field, message)
            else:
                said = [f"“{wave.title}” is saved."]
                if change.invited:
                    said.append(f"{_people(change.invited)} newly invited.")
                if change.removed:
                    said.append(
                        f"{change.removed} invitation{'s' if change.removed != 1 else ''} withdrawn."
                    )
                messages.success(request, " ".join(said))
                return redirect("surveys:wave_list", cohort.slug)
        return render(
            request, "surveys/wave_form.html", {"cohort": cohort, "form": form, "wave": wave}
        )


@login_required
def wave_close(request: HttpRequest, slug: str, wave_id: int) -> HttpResponse:
    cohort = _staff_cohort(request, slug)
    wave = _wave(cohort, wave_id)
    if request.method == "POST":
        try:
            services.close_wave(wave=wave)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"“{wave.title}” is closed: it no longer accepts answers.")
        return redirect("surveys:wave_list", cohort.slug)
    return _confirm(request, cohort, wave, "close", counts=services.reminder_counts(wave))


@login_required
def wave_delete(request: HttpRequest, slug: str, wave_id: int) -> HttpResponse:
    cohort = _staff_cohort(request, slug)
    wave = _wave(cohort, wave_id)
    if request.method == "POST":
        try:
            services.delete_wave(wave=wave)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"“{wave.title}” is deleted, with its invitations.")
        return redirect("surveys:wave_list", cohort.slug)
    return _confirm(
        request,
        cohort,
        wave,
        "delete",
        invited=wave.invitations.count(),
        has_responses=wave.responses.exists(),
    )


@login_required
def wave_remind(request: HttpRequest, slug: str, wave_id: int) -> HttpResponse:
    cohort = _staff_cohort(request, slug)
    wave = _wave(cohort, wave_id)
    if request.method == "POST":
        try:
            sent = services.send_wave_reminders(wave)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            if sent:
                messages.success(request, f"A reminder was emailed to {_people(sent)}.")
            else:
                messages.info(request, "Nobody needed a reminder: no reminder was sent.")
        return redirect("surveys:wave_list", cohort.slug)
    return _confirm(request, cohort, wave, "remind", counts=services.reminder_counts(wave))
