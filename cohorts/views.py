import csv
from functools import lru_cache
from types import MappingProxyType

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.forms import AcceptInvitationForm
from surveys.models import Wave
from surveys.services import open_invitations

from . import services
from .access import access_cohort, access_team, staff_required
from .forms import (
    AgencyForm,
    CohortForm,
    InvitationForm,
    MembershipForm,
    RosterImportForm,
    TeamForm,
)
from .models import Agency, Cohort, Invitation, Membership, Team
from .session_views import next_session_for

PAGE_SIZE = 50


def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return render(request, "cohorts/landing.html")
    if request.user.is_staff:
        cohorts = Cohort.objects.with_team_counts().order_by("-start_date")
        incomplete = (
            Team.objects.lacking_command_staff()
            .exclude(cohort__status=Cohort.Status.COMPLETED)
            .select_related("cohort", "agency")
            .with_roster_counts()
            .order_by("cohort__name", "name")
        )
        return render(
            request, "cohorts/home_staff.html", {"cohorts": cohorts, "incomplete": incomplete}
        )
    teams = _teams_with_rosters(request.user)
    # Without a team the page only says so: no session or survey is shown.
    next_session = (
        next_session_for(request.user, cohort_ids={t.cohort_id for t in teams}) if teams else None
    )
    if next_session is not None:
        next_session.presenter_names = [
            _display_name(*names)
            for names in next_session.presenters.values_list("first_name", "last_name", "email")
        ]
    # An open invitation needs an open wave of one of the person's cohorts. Most of the year
    # none is open, and the invitations are the page's most expensive read, so they are read
    # only while one is. The page shows each wave and its cohort, not the session it is about.
    open_surveys = (
        open_invitations(request.user).select_related(None).select_related("wave__cohort")
        if any(team.survey_open for team in teams)
        else []
    )
    return render(
        request,
        "cohorts/home_member.html",
        {"teams": teams, "next_session": next_session, "open_surveys": open_surveys},
    )


ROLE_LABELS = dict(Membership.Role.choices)

# The pages of a cohort that each team card on the home page links to.
COHORT_PAGES = {
    "cohort": "cohorts:cohort",
    "people": "cohorts:people",
    "calendar": "cohorts:calendar",
    "forum": "forum:index",
    "directory": "peers:directory",
    "topics": "cohorts:topics",
    "surveys": "surveys:wave_list",
}


@lru_cache(maxsize=1024)
def _cohort_links(slug: str, urlconf: str, script_prefix: str) -> MappingProxyType:
    """The addresses of a cohort's pages, the same for all its members: reversed once per
    cohort (and URLconf and script prefix, which reverse() reads) rather than on every visit.
    Read-only, as every member's page shares it."""
    return MappingProxyType(
        {key: reverse(name, args=[slug], urlconf=urlconf) for key, name in COHORT_PAGES.items()}
    )


def _display_name(first_name: str, last_name: str, email: str) -> str:
    """``User.display_name`` from the three values, for rows read without their users."""
    return f"{first_name} {last_name}".strip() or email


def _teams_with_rosters(user) -> list[Team]:
    """``user``'s teams, newest cohort first, each with ``survey_open`` (whether a survey
    wave of its cohort is open now), ``links`` to its cohort's pages and ``roster``: a line
    per member, lead first, with the name and "rank (or role)[, team lead]" as the home page
    shows them.

    Two queries. The roster is read as plain values rather than memberships with their users:
    a team has about 30 members, and building two model instances per member was a large part
    of the page's time."""
    open_wave = Wave.objects.open().filter(cohort=OuterRef("cohort"))
    teams = list(
        Team.objects.filter(memberships__user=user)
        .select_related("agency", "cohort")
        .annotate(survey_open=Exists(open_wave))
        .order_by("-cohort__start_date", "pk")
    )
    if not teams:
        return teams
    rows = (
        Membership.objects.filter(team__in=teams)
        .order_by("-is_lead", "role", "user__last_name", "user__first_name")
        .values_list(
            "team_id",
            "role",
            "rank",
            "is_lead",
            "user__first_name",
            "user__last_name",
            "user__email",
        )
    )
    rosters: dict[int, list[dict]] = {team.pk: [] for team in teams}
    command_staff = dict.fromkeys(rosters, 0)
    for team_id, role, rank, is_lead, first_name, last_name, email in rows:
        rosters[team_id].append(
            {
                "name": _display_name(first_name, last_name, email),
                "detail": (rank or ROLE_LABELS.get(role, role))
                + (", team lead" if is_lead else ""),
            }
        )
        command_staff[team_id] += role == Membership.Role.COMMAND_STAFF
    urlconf, script_prefix = get_urlconf() or settings.ROOT_URLCONF, get_script_prefix()
    for team in teams:
        team.links = _cohort_links(team.cohort.slug, urlconf, script_prefix)
        team.roster = rosters[team.pk]
        # Team.has_command_staff reads this count instead of querying.
        team.command_staff_count = command_staff[team.pk]
    return teams


@login_required
def cohort_list(request: HttpRequest) -> HttpResponse:
    cohorts = Cohort.objects.visible_to(request.user).with_team_counts()
    return render(request, "cohorts/cohort_list.html", {"cohorts": cohorts})


@login_required
def cohort(request: HttpRequest, slug: str) -> HttpResponse:
    cohort = access_cohort(request.user, slug)
    teams = cohort.teams.select_related("agency").with_roster_counts().order_by("name")
    show = request.GET.get("show")
    if show == "incomplete":
        teams = teams.filter(command_staff_count=0)
    counts = cohort.teams.aggregate(
        total=Count("pk", distinct=True),
        people=Count("memberships", distinct=True),
    )
    incomplete_count = cohort.incomplete_teams().count()
    pending = (
        Invitation.objects.pending().filter(team__cohort=cohort).select_related("team__cohort")
        if request.user.is_staff
        else Invitation.objects.none()
    )
    return render(
        request,
        "cohorts/cohort.html",
        {
            "cohort": cohort,
            "teams": teams,
            "counts": counts,
            "incomplete_count": incomplete_count,
            "show": show,
            "pending_invitations": pending,
            "my_team_ids": set(
                Membership.objects.filter(user=request.user, team__cohort=cohort).values_list(
                    "team_id", flat=True
                )
            ),
        },
    )


@login_required
def people(request: HttpRequest, slug: str) -> HttpResponse:
    cohort = access_cohort(request.user, slug)
    memberships = (
        Membership.objects.for_cohort(cohort)
        .select_related("user", "team__cohort", "team__agency")
        .order_by("user__last_name", "user__first_name", "pk")
    )
    query = request.GET.get("q", "").strip()
    role = request.GET.get("role", "")
    if query:
        memberships = memberships.filter(
            Q(user__first_name__icontains=query)
            | Q(user__last_name__icontains=query)
            | Q(team__name__icontains=query)
            | Q(rank__icontains=query)
        )
    if role in Membership.Role.values:
        memberships = memberships.filter(role=role)
    page = Paginator(memberships, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "cohorts/people.html",
        {
            "cohort": cohort,
            "page": page,
            "query": query,
            "role": role,
            "roles": Membership.Role.choices,
        },
    )


@login_required
def team(request: HttpRequest, slug: str, team_id: int) -> HttpResponse:
    cohort = access_cohort(request.user, slug)
    team = access_team(request.user, cohort, team_id, with_roster=True)
    roster = list(team.memberships.all())
    invitations = (
        team.invitations.pending().select_related("invited_by")
        if request.user.is_staff
        else Invitation.objects.none()
    )
    return render(
        request,
        "cohorts/team.html",
        {
            "cohort": cohort,
            "team": team,
            "roster": roster,
            "invitations": invitations,
            "is_member": any(m.user_id == request.user.pk for m in roster),
        },
    )


@staff_required
def cohort_create(request: HttpRequest) -> HttpResponse:
    form = CohortForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        cohort = form.save()
        messages.success(request, f"{cohort} was created. Add its agency teams next.")
        return redirect(cohort)
    return render(request, "cohorts/cohort_form.html", {"form": form})


@staff_required
def cohort_edit(request: HttpRequest, slug: str) -> HttpResponse:
    cohort = get_object_or_404(Cohort, slug=slug)
    form = CohortForm(request.POST or None, instance=cohort)
    if request.method == "POST" and form.is_valid():
        cohort = form.save()
        messages.success(request, f"{cohort} was saved.")
        return redirect(cohort)
    return render(request, "cohorts/cohort_form.html", {"form": form, "cohort": cohort})


@staff_required
@require_POST
def cohort_status(request: HttpRequest, slug: str) -> HttpResponse:
    cohort = get_object_or_404(Cohort, slug=slug)
    status = request.POST.get("status", "")
    try:
        cohort.set_status(status)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"{cohort} is now {cohort.get_status_display().lower()}.")
    return redirect(cohort)


@staff_required
def team_create(request: HttpRequest, slug: str) -> HttpResponse:
    cohort = get_object_or_404(Cohort, slug=slug)
    form = TeamForm(request.POST or None, cohort=cohort)
    if request.method == "POST" and form.is_valid():
        team = form.save()
        messages.success(
            request, f"{team} joined {cohort}. Invite its command staff to complete the team."
        )
        return redirect(team)
    return render(request, "cohorts/team_form.html", {"form": form, "cohort": cohort})


@staff_required
def team_edit(request: HttpRequest, slug: str, team_id: int) -> HttpResponse:
    cohort = get_object_or_404(Cohort, slug=slug)
    team = get_object_or_404(cohort.teams, pk=team_id)
    form = TeamForm(request.POST or None, instance=team, cohort=cohort)
    if request.method == "POST" and form.is_valid():
        team = form.save()
        messages.success(request, f"{team} was saved.")
        return redirect(team)
    return render(request, "cohorts/team_form.html", {"form": form, "cohort": cohort, "team": team})


@staff_required
def invite(request: HttpRequest, slug: str, team_id: int) -> HttpResponse:
    cohort = get_object_or_404(Cohort, slug=slug)
    team = get_object_or_404(cohort.teams.select_related("agency"), pk=team_id)
    initial = {"role": request.GET.get("role", Membership.Role.COMMAND_STAFF)}
    form = InvitationForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            invitation = services.invite_member(
                team=team,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                rank=form.cleaned_data["rank"],
                invited_by=request.user,
            )
        except services.InvitationError as error:
            form.add_error("email", str(error))
        else:
            messages.success(request, f"An invitation was emailed to {invitation.email}.")
            return redirect(team)
    return render(
        request,
        "cohorts/invite.html",
        {
            "form": form,
            "cohort": cohort,
            "team": team,
            "valid_days": settings.INVITATION_VALID_DAYS,
        },
    )


@staff_required
@require_POST
def invitation_revoke(request: HttpRequest, slug: str, invitation_id: int) -> HttpResponse:
    invitation = get_object_or_404(
        Invitation.objects.pending().select_related("team__cohort"),
        pk=invitation_id,
        team__cohort__slug=slug,
    )
    invitation.revoke()
    messages.success(request, f"The invitation for {invitation.email} was withdrawn.")
    return redirect(invitation.team)


def _membership_for_staff(slug: str, team_id: int, membership_id: int) -> Membership:
    return get_object_or_404(
        Membership.objects.select_related("user", "team__cohort", "team__agency"),
        pk=membership_id,
        team_id=team_id,
        team__cohort__slug=slug,
    )


@staff_required
def membership_edit(request: HttpRequest, slug: str, team_id: int, membership_id: int):
    membership = _membership_for_staff(slug, team_id, membership_id)
    team = membership.team
    initial = {"role": membership.role, "rank": membership.rank, "is_lead": membership.is_lead}
    form = MembershipForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            team.change_role(
                membership, role=form.cleaned_data["role"], rank=form.cleaned_data["rank"]
            )
            if form.cleaned_data["is_lead"]:
                team.set_lead(membership)
            elif membership.is_lead:
                membership.is_lead = False
                membership.save(update_fields=["is_lead"])
        except ValidationError as error:
            form.add_error(None, " ".join(error.messages))
        else:
            messages.success(request, f"{membership.user.display_name}'s role was saved.")
            return redirect(team)
    return render(
        request,
        "cohorts/membership_form.html",
        {"form": form, "membership": membership, "team": team, "cohort": team.cohort},
    )


@staff_required
def membership_remove(request: HttpRequest, slug: str, team_id: int, membership_id: int):
    membership = _membership_for_staff(slug, team_id, membership_id)
    team = membership.team
    if request.method == "POST":
        try:
            team.remove_member(membership)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"{membership.user.display_name} was removed from {team}.")
        return redirect(team)
    return render(
        request,
        "cohorts/membership_remove.html",
        {"membership": membership, "team": team, "cohort": team.cohort},
    )


@staff_required
def roster_import(request: HttpRequest, slug: str) -> HttpResponse:
    cohort = get_object_or_404(Cohort, slug=slug)
    form = RosterImportForm(request.POST or None, request.FILES or None)
    errors: list[tuple[int, str]] = []
    if request.method == "POST" and form.is_valid():
        try:
            result = services.import_roster(cohort=cohort, data=form.cleaned_data["file"].read())
        except services.RosterImportError as error:
            errors = error.errors
            messages.error(request, "Nothing was imported. Fix the rows below and upload again.")
        else:
            if form.cleaned_data["send_emails"] and result.new_users:
                services.send_account_setup_emails(users=result.new_users, request=request)
            messages.success(
                request,
                f"Roster imported: {result.added_members} added, {result.updated_members} "
                f"updated, {result.created_people} new accounts, {result.created_teams} new teams.",
            )
            return redirect(cohort)
    return render(
        request,
        "cohorts/roster_import.html",
        {"form": form, "cohort": cohort, "errors": errors, "columns": services.ROSTER_COLUMNS},
    )


class _Echo:
    def write(self, value):
        return value


@staff_required
def roster_export(request: HttpRequest, slug: str) -> HttpResponse:
    cohort = get_object_or_404(Cohort, slug=slug)
    writer = csv.writer(_Echo())
    body = "".join(writer.writerow(row) for row in services.roster_rows(cohort))
    stamp = timezone.localdate().isoformat()
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{cohort.slug}-roster-{stamp}.csv"'
    return response


@staff_required
def agency_list(request: HttpRequest) -> HttpResponse:
    agencies = Agency.objects.annotate(team_count=Count("teams")).order_by("name")
    query = request.GET.get("q", "").strip()
    if query:
        agencies = agencies.filter(Q(name__icontains=query) | Q(city__icontains=query))
    page = Paginator(agencies, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "cohorts/agency_list.html", {"page": page, "query": query})


@staff_required
def agency_create(request: HttpRequest) -> HttpResponse:
    form = AgencyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        agency = form.save()
        messages.success(request, f"{agency} was added.")
        return redirect("cohorts:agency_list")
    return render(request, "cohorts/agency_form.html", {"form": form})


@staff_required
def agency_edit(request: HttpRequest, agency_id: int) -> HttpResponse:
    agency = get_object_or_404(Agency, pk=agency_id)
    form = AgencyForm(request.POST or None, instance=agency)
    if request.method == "POST" and form.is_valid():
        agency = form.save()
        messages.success(request, f"{agency} was saved.")
        return redirect("cohorts:agency_list")
    return render(request, "cohorts/agency_form.html", {"form": form, "agency": agency})


def invitation(request: HttpRequest, token: str) -> HttpResponse:
    invitation = get_object_or_404(
        Invitation.objects.select_related("team__cohort", "team__agency"), token=token
    )
    context = {"invitation": invitation, "team": invitation.team}
    if not invitation.is_usable:
        return render(request, "cohorts/invitation_unusable.html", context, status=410)
    user = request.user if request.user.is_authenticated else None
    from accounts.models import User

    existing = user or User.objects.filter(email__iexact=invitation.email).first()
    form = None
    if existing is None:
        form = AcceptInvitationForm(request.POST or None, email=invitation.email)
    if request.method == "POST":
        try:
            if existing is None:
                if not form.is_valid():
                    return render(request, "cohorts/invitation.html", {**context, "form": form})
                membership = services.accept_invitation(
                    invitation=invitation,
                    first_name=form.cleaned_data["first_name"],
                    last_name=form.cleaned_data["last_name"],
                    password=form.cleaned_data["password1"],
                )
                login(request, membership.user, backend="django.contrib.auth.backends.ModelBackend")
            elif user is None:
                messages.info(request, "You already have an account: sign in to accept.")
                return redirect(f"/accounts/login/?next={request.path}")
            else:
                membership = services.accept_invitation(invitation=invitation, user=user)
        except services.InvitationError as error:
            messages.error(request, str(error))
            return redirect("home")
        messages.success(request, f"Welcome to {membership.team}.")
        return redirect(membership.team)
    return render(
        request, "cohorts/invitation.html", {**context, "form": form, "existing": existing}
    )
