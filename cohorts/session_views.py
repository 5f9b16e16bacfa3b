"""Views of the session calendar: topics, the calendar, sessions, attendance and feeds."""

import calendar as month_calendar
import csv
from datetime import date, datetime, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, OuterRef, Q, Subquery
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from collaborative.uploads import download
from surveys.services import open_invitations, session_feedback_waves

from . import feeds, sessions
from .access import access_cohort, staff_required
from .models import (
    AttendanceChange,
    CalendarFeed,
    Cohort,
    Membership,
    Rsvp,
    Session,
    SessionMaterial,
    Topic,
    TopicVote,
)
from .session_forms import (
    AttendanceImportForm,
    MaterialForm,
    RsvpForm,
    SeriesForm,
    SessionForm,
    TopicRankingForm,
    parse_month,
)

LIST_PAGE_SIZE = 25


def access_session(user, slug: str, number: int) -> Session:
    """A session its cohort's members, staff and its presenters can see; 404 for others."""
    queryset = Session.objects.visible_to(user).select_related("cohort", "topic")
    return get_object_or_404(
        queryset.prefetch_related("presenters"), cohort__slug=slug, number=number
    )


def _month_from(request: HttpRequest, sessions_qs) -> date:
    """The month asked for, else the month of the next upcoming session (or this month)."""
    raw = request.GET.get("month", "")
    if raw:
        try:
            year, month = parse_month(raw)
            return date(year, month, 1)
        except ValidationError:
            default = _default_month(sessions_qs)
            messages.warning(request, f"“{raw}” is not a month; showing {default:%B %Y}.")
            return default.replace(day=1)
    return _default_month(sessions_qs).replace(day=1)


def _month_grid(sessions_qs, month: date) -> dict:
    """Weeks of days for ``month`` with the sessions that start on each (in the viewer's zone).

    Each day's class and number (as text: the template would localise an int) are worked out
    here rather than per cell in the template: a month has up to 42 cells."""
    zone = timezone.get_current_timezone()
    first = datetime.combine(month, datetime.min.time(), tzinfo=zone)
    next_month = (month + timedelta(days=32)).replace(day=1)
    last = datetime.combine(next_month, datetime.min.time(), tzinfo=zone)
    by_day: dict[date, list[Session]] = {}
    for session in sessions_qs.in_range(first, last):
        by_day.setdefault(session.starts_at.astimezone(zone).date(), []).append(session)
    today = timezone.localdate()
    weeks = []
    for week in month_calendar.Calendar(firstweekday=6).monthdatescalendar(month.year, month.month):
        row = []
        for d in week:
            css = ("" if d.month == month.month else "other-month") + (
                " today" if d == today else ""
            )
            row.append({"day": d, "number": str(d.day), "css": css, "sessions": by_day.get(d, [])})
        weeks.append(row)
    previous = (month - timedelta(days=1)).replace(day=1)
    return {
        "weeks": weeks,
        "month": month,
        "previous_month": f"{previous:%Y-%m}",
        "next_month": f"{next_month:%Y-%m}",
        "today": today,
        "count": sum(len(v) for v in by_day.values()),
        "weekday_names": ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"],
    }


def _calendar_context(request, sessions_qs) -> dict:
    """The month grid or the paged list. The grid shows times, titles and links only, so it
    reads sessions without their topics and presenters; the list shows both."""
    view = "list" if request.GET.get("view") == "list" else "month"
    context = {"view": view}
    if view == "month":
        context.update(_month_grid(sessions_qs, _month_from(request, sessions_qs)))
    else:
        show = request.GET.get("show", "upcoming")
        listed = sessions_qs.for_listing()
        listed = listed.upcoming() if show == "upcoming" else listed.order_by("-starts_at")
        page = Paginator(listed, LIST_PAGE_SIZE).get_page(request.GET.get("page"))
        context.update({"page": page, "show": show})
    return context


def _default_month(sessions_qs) -> date:
    upcoming = sessions_qs.upcoming().values_list("starts_at", flat=True).first()
    return timezone.localtime(upcoming).date() if upcoming else timezone.localdate()


def _calendar_cohort(user, slug: str) -> Cohort:
    """``access_cohort`` with the person's active feed token for the cohort (``feed_token``,
    None without one) read in the same query. Only the cohort's members and program staff get
    past the access check, and both may hold a cohort feed."""
    feed = CalendarFeed.objects.active().filter(user=user, cohort=OuterRef("pk"))
    cohorts = Cohort.objects.visible_to(user).annotate(
        feed_token=Subquery(feed.values("token")[:1])
    )
    return get_object_or_404(cohorts, slug=slug)


@login_required
def cohort_calendar(request: HttpRequest, slug: str) -> HttpResponse:
    cohort = _calendar_cohort(request.user, slug)
    # Sessions read through the cohort already have it as their cohort: no join, no query.
    context = _calendar_context(request, cohort.sessions.all())
    feed_path = reverse("cohorts:feed", args=[cohort.feed_token]) if cohort.feed_token else None
    context.update(
        {"cohort": cohort, "feed_url": request.build_absolute_uri(feed_path) if feed_path else None}
    )
    return render(request, "cohorts/calendar.html", context)


@login_required
def my_calendar(request: HttpRequest) -> HttpResponse:
    sessions_qs = Session.objects.for_user(request.user)
    if request.user.is_staff and request.GET.get("all") == "1":
        sessions_qs = Session.objects.all()
    context = _calendar_context(request, sessions_qs.select_related("cohort"))
    context["cohort"] = None
    return render(request, "cohorts/calendar.html", context)


@login_required
def session(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    session = access_session(request.user, slug, number)
    can_see_private = session.can_see_private(request.user)
    rsvp = Rsvp.objects.filter(session=session, user=request.user).first()
    is_member = Membership.objects.filter(team__cohort=session.cohort, user=request.user).exists()
    rsvp_counts = session.rsvps.aggregate(
        **{r: Count("pk", filter=Q(response=r)) for r in Rsvp.Response.values}
    )
    return render(
        request,
        "cohorts/session.html",
        {
            "cohort": session.cohort,
            "session": session,
            "can_see_private": can_see_private,
            "materials": session.materials.all() if can_see_private else [],
            "can_manage": _can_manage_materials(request.user, session),
            "rsvp": rsvp,
            "rsvp_form": RsvpForm(initial={"response": rsvp.response if rsvp else None}),
            "is_member": is_member,
            "rsvp_counts": rsvp_counts,
            "feedback": _session_feedback(request.user, session),
        },
    )


def _session_feedback(user, session: Session) -> dict:
    """Feedback after the session: staff see its feedback waves and how many were present
    (two queries); a member sees their open, unanswered invitation to one (one query)."""
    if session.is_cancelled or not session.is_past:
        return {}
    if user.is_staff:
        return {
            "waves": list(session_feedback_waves(session)),
            "present": session.attendance.filter(present=True).count(),
        }
    invitation = open_invitations(user).filter(wave__session=session).first()
    return {"invitation": invitation} if invitation else {}


def _can_manage_materials(user, session: Session) -> bool:
    return user.is_staff or session.is_presenter(user)


def _staff_session(slug: str, number: int, *related: str) -> Session:
    """A session for the staff pages, which staff_required already guards."""
    queryset = Session.objects.select_related("cohort", *related)
    return get_object_or_404(queryset, cohort__slug=slug, number=number)


@login_required
@require_POST
def rsvp(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    session = access_session(request.user, slug, number)
    if not Membership.objects.filter(team__cohort=session.cohort, user=request.user).exists():
        raise PermissionDenied("Only the cohort's members answer for a session.")
    form = RsvpForm(request.POST)
    error = None
    answer = None
    if form.is_valid():
        try:
            answer = sessions.set_rsvp(
                session=session, user=request.user, response=form.cleaned_data["response"]
            )
        except ValidationError as exc:
            error = " ".join(exc.messages)
    else:
        error = "Choose going, maybe or not going."
    if request.headers.get("HX-Request"):
        answer = answer or Rsvp.objects.filter(session=session, user=request.user).first()
        return render(
            request,
            "cohorts/session.html#rsvp",
            {
                "cohort": session.cohort,
                "session": session,
                "rsvp": answer,
                "rsvp_form": RsvpForm(initial={"response": answer.response if answer else None}),
                "rsvp_error": error,
                "rsvp_saved": error is None,
                "is_member": True,
            },
        )
    if error:
        messages.error(request, error)
    else:
        messages.success(request, f"Your answer is saved: {answer.get_response_display().lower()}.")
    return redirect(session.get_absolute_url())


@login_required
def session_ics(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    session = access_session(request.user, slug, number)
    body = feeds.calendar_for(
        [session],
        name=f"{session.cohort.name}: {session.title}",
        can_see_private=lambda s: s.can_see_private(request.user),
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="{session.cohort.slug}-session-{session.number}.ics"'
    )
    return response


def feed(request: HttpRequest, token: str) -> HttpResponse:
    """A subscribed calendar: the token is the credential, and access is re-checked."""
    subscription = CalendarFeed.objects.select_related("user", "cohort").filter(token=token).first()
    if subscription is None:
        raise Http404("No such calendar feed.")
    if subscription.revoked_at is not None:
        return HttpResponse(
            "This calendar feed was revoked. Copy the new address from your profile page.",
            status=410,
            content_type="text/plain; charset=utf-8",
        )
    user = subscription.user
    if not user.is_active:
        raise Http404("No such calendar feed.")
    if subscription.cohort is not None:
        cohort = subscription.cohort
        if not Cohort.objects.visible_to(user).filter(pk=cohort.pk).exists():
            raise Http404("No such calendar feed.")
        sessions_qs, name = Session.objects.filter(cohort=cohort), cohort.name
    else:
        sessions_qs, name = Session.objects.visible_to(user), "My sessions"
    sessions_qs = sessions_qs.select_related("cohort", "topic").prefetch_related("presenters")
    member_cohorts = set(
        Membership.objects.filter(user=user).values_list("team__cohort_id", flat=True)
    )

    def can_see_private(s: Session) -> bool:
        # Session.can_see_private's rule, with the memberships read once for the whole feed.
        return user.is_staff or s.cohort_id in member_cohorts or s.is_presenter(user)

    body = feeds.calendar_for(sessions_qs, name=name, can_see_private=can_see_private)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, max-age=900"
    return response


@login_required
@require_POST
def feed_renew(request: HttpRequest) -> HttpResponse:
    cohort = None
    if request.POST.get("cohort"):
        cohort = access_cohort(request.user, request.POST["cohort"])
    if request.POST.get("action") == "revoke":
        if sessions.revoke_feeds(user=request.user, cohort=cohort):
            messages.success(
                request, "The calendar feed is switched off. Its address no longer works."
            )
    else:
        sessions.renew_feed(user=request.user, cohort=cohort)
        messages.success(
            request,
            "A new calendar feed address is ready. Any old address no longer works: "
            "update your calendar's subscription.",
        )
    if cohort is not None:
        return redirect("cohorts:calendar", cohort.slug)
    return redirect(reverse("accounts:profile") + "#calendar-feed")


# Staff: planning ------------------------------------------------------------------------------


@login_required
def topics(request: HttpRequest, slug: str) -> HttpResponse:
    cohort = access_cohort(request.user, slug)
    is_member = Membership.objects.filter(team__cohort=cohort, user=request.user).exists()
    all_topics = Topic.objects.all()
    current = dict(
        TopicVote.objects.filter(cohort=cohort, user=request.user).values_list("topic_id", "rank")
    )
    form = TopicRankingForm(request.POST or None, topics=all_topics, current=current)
    if request.method == "POST":
        if not is_member:
            raise PermissionDenied("Only the cohort's members rank its topics.")
        if form.is_valid():
            sessions.rank_topics(
                cohort=cohort, user=request.user, topic_ids=form.ordered_topic_ids()
            )
            messages.success(request, "Your ranking is saved. Staff plan the sessions from it.")
            return redirect("cohorts:topics", cohort.slug)
    ranking = voters = None
    if request.user.is_staff:
        ranking = TopicVote.objects.ranking(cohort)
        voters = TopicVote.objects.filter(cohort=cohort).values("user").distinct().count()
    return render(
        request,
        "cohorts/topics.html",
        {
            "cohort": cohort,
            "form": form,
            "is_member": is_member,
            "ranking": ranking,
            "voters": voters,
            "members": Membership.objects.filter(team__cohort=cohort)
            .values("user")
            .distinct()
            .count(),
        },
    )


@staff_required
def series_create(request: HttpRequest, slug: str) -> HttpResponse:
    cohort = get_object_or_404(Cohort, slug=slug)
    form = SeriesForm(request.POST or None, initial={"first_month": f"{cohort.start_date:%Y-%m}"})
    if request.method == "POST" and form.is_valid():
        try:
            created = sessions.create_series(
                cohort=cohort,
                rule=form.rule(),
                title=form.cleaned_data["title"],
                topics_from_ranking=form.cleaned_data["topics_from_ranking"],
            )
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            messages.success(request, f"{len(created)} sessions were added to the calendar.")
            return redirect(reverse("cohorts:calendar", args=[cohort.slug]) + "?view=list")
    return render(request, "cohorts/series_form.html", {"cohort": cohort, "form": form})


def _session_form_response(request, cohort: Cohort, instance: Session | None):
    # Times are typed and shown in the cohort's zone, whatever the organiser's own zone is.
    with timezone.override(cohort.tz):
        form = SessionForm(request.POST or None, instance=instance, cohort=cohort)
        if request.method == "POST" and form.is_valid():
            saved = sessions.update_session(
                session=form.save(commit=False),
                changed=set(form.changed_data),
                presenters=form.cleaned_data["presenters"],
            )
            messages.success(request, f"{saved} is saved.")
            return redirect(saved.get_absolute_url())
        response = render(
            request,
            "cohorts/session_form.html",
            {"cohort": cohort, "form": form, "session": instance},
        )
    return response


@staff_required
def session_create(request: HttpRequest, slug: str) -> HttpResponse:
    cohort = get_object_or_404(Cohort, slug=slug)
    return _session_form_response(request, cohort, None)


@staff_required
def session_edit(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    session = _staff_session(slug, number)
    return _session_form_response(request, session.cohort, session)


@staff_required
def session_cancel(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    session = _staff_session(slug, number)
    if request.method == "POST":
        if session.is_cancelled:
            session.reinstate()
            messages.success(request, f"{session} is back on the calendar.")
        else:
            session.cancel()
            messages.success(
                request, f"{session} is cancelled. Subscribed calendars will show it so."
            )
        return redirect(session.get_absolute_url())
    return render(
        request, "cohorts/session_cancel.html", {"cohort": session.cohort, "session": session}
    )


# Materials ------------------------------------------------------------------------------------


@login_required
def material_add(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    session = access_session(request.user, slug, number)
    if not _can_manage_materials(request.user, session):
        raise PermissionDenied("Only staff and the session's presenters add materials.")
    form = MaterialForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        material = form.save(commit=False)
        material.session = session
        material.added_by = request.user
        material.save()
        messages.success(request, f"“{material.title}” is shared with the cohort.")
        return redirect(session.get_absolute_url())
    return render(
        request,
        "cohorts/material_form.html",
        {"cohort": session.cohort, "session": session, "form": form},
    )


@login_required
def material(request: HttpRequest, slug: str, number: int, material_id: int) -> HttpResponse:
    session = access_session(request.user, slug, number)
    if not session.can_see_private(request.user):
        raise Http404("No such material.")
    item = get_object_or_404(SessionMaterial, session=session, pk=material_id)
    if item.is_link:
        return HttpResponseRedirect(item.url)
    return download(item.file, item.filename)


@login_required
def material_delete(request: HttpRequest, slug: str, number: int, material_id: int) -> HttpResponse:
    session = access_session(request.user, slug, number)
    if not _can_manage_materials(request.user, session):
        raise PermissionDenied("Only staff and the session's presenters remove materials.")
    item = get_object_or_404(SessionMaterial, session=session, pk=material_id)
    if request.method == "POST":
        if item.file:
            item.file.delete(save=False)
        item.delete()
        messages.success(request, f"“{item.title}” was removed.")
        return redirect(session.get_absolute_url())
    return render(
        request,
        "cohorts/material_delete.html",
        {"cohort": session.cohort, "session": session, "material": item},
    )


# Attendance -----------------------------------------------------------------------------------


@staff_required
def attendance(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    session = _staff_session(slug, number, "topic")
    roster = sessions.session_roster(session)
    if request.method == "POST":
        try:
            present = {int(v) for v in request.POST.getlist("present")}
        except ValueError:
            present = None
        if present is None:
            messages.error(request, "The attendance form was not understood; nothing was changed.")
        else:
            try:
                changed = sessions.mark_attendance(
                    session=session, present_user_ids=present, marked_by=request.user
                )
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(
                    request, f"Attendance saved: {changed} change{'s' if changed != 1 else ''}."
                )
                return redirect("cohorts:attendance", slug, number)
    marks = {a.user_id: a for a in session.attendance.select_related("marked_by")}
    rsvps = dict(session.rsvps.values_list("user_id", "response"))
    rows = [
        {"membership": m, "mark": marks.get(m.user_id), "rsvp": rsvps.get(m.user_id)}
        for m in roster
    ]
    history = (
        AttendanceChange.objects.filter(session=session)
        .select_related("user", "changed_by")
        .order_by("-changed_at", "-pk")[:50]
    )
    return render(
        request,
        "cohorts/attendance.html",
        {
            "cohort": session.cohort,
            "session": session,
            "rows": rows,
            "present_count": sum(1 for r in rows if r["mark"] and r["mark"].present),
            "history": history,
            "import_form": AttendanceImportForm(),
        },
    )


@staff_required
def attendance_import(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    session = _staff_session(slug, number)
    form = AttendanceImportForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        try:
            result = sessions.import_attendance(
                session=session, data=form.cleaned_data["file"].read(), marked_by=request.user
            )
        except ValidationError as exc:
            form.add_error("file", " ".join(exc.messages))
        else:
            messages.success(
                request,
                f"{len(result.matched)} participant{'s' if len(result.matched) != 1 else ''} "
                f"matched; {result.changed} attendance change{'s' if result.changed != 1 else ''}.",
            )
    return render(
        request,
        "cohorts/attendance_import.html",
        {"cohort": session.cohort, "session": session, "form": form, "result": result},
    )


@staff_required
def attendance_rates(request: HttpRequest, slug: str) -> HttpResponse:
    cohort = get_object_or_404(Cohort, slug=slug)
    rates = sessions.attendance_rates(cohort)
    if request.GET.get("format") == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{cohort.slug}-attendance.csv"'
        writer = csv.writer(response)
        writer.writerow(
            ["agency", "email", "name", "role", "sessions_held", "attended", "rate_percent"]
        )
        for row in rates.people:
            m = row["membership"]
            writer.writerow(
                [
                    m.team.agency.name,
                    m.user.email,
                    m.user.display_name,
                    m.role,
                    rates.held,
                    row["attended"],
                    "" if row["rate"] is None else f"{row['rate'] * 100:.1f}",
                ]
            )
        return response
    return render(request, "cohorts/attendance_rates.html", {"cohort": cohort, "rates": rates})


def next_session_for(user, *, cohort_ids) -> Session | None:
    """The next upcoming session of ``user``'s cohorts (``cohort_ids``, which the caller has
    already read) or of one they present, with its cohort: ``Session.objects.for_user`` without
    the membership subquery, and without DISTINCT, since a session listed once per presenter
    makes no difference to the first row."""
    return (
        Session.objects.filter(Q(cohort_id__in=cohort_ids) | Q(presenters=user))
        .upcoming()
        .select_related("cohort")
        .first()
    )
