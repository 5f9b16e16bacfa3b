"""Writes that touch several cohort tables or send email."""

import csv
import io
from dataclasses import dataclass, field

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.models import User

from .models import Agency, Cohort, Invitation, Membership, Team

ROSTER_COLUMNS = [
    "agency",
    "state",
    "agency_kind",
    "email",
    "first_name",
    "last_name",
    "role",
    "rank",
    "team_lead",
]
REQUIRED_ROSTER_COLUMNS = {"agency", "state", "email", "role"}
MAX_ROSTER_ROWS = 5000
_TRUE = {"yes", "y", "true", "1", "x"}
_FALSE = {"", "no", "n", "false", "0"}


class InvitationError(Exception):
    pass


@transaction.atomic
def invite_member(
    *, team: Team, email: str, role: str, rank: str = "", invited_by: User
) -> Invitation:
    """Record an invitation to ``team`` and email its link after the transaction commits."""
    email = email.strip().lower()
    if Membership.objects.filter(team__cohort=team.cohort, user__email__iexact=email).exists():
        raise InvitationError(f"{email} is already on a team in {team.cohort}.")
    if Invitation.objects.pending().filter(team=team, email__iexact=email).exists():
        raise InvitationError(f"{email} already has an open invitation to {team.name}.")
    # An expired invitation still holds the open slot: retire it before issuing a new one.
    Invitation.objects.filter(
        team=team, email__iexact=email, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())
    invitation = Invitation.objects.create(
        team=team, email=email, role=role, rank=rank, invited_by=invited_by
    )
    transaction.on_commit(lambda: send_invitation_email(invitation), robust=True)
    return invitation


def invitation_url(invitation: Invitation) -> str:
    return settings.SITE_URL + reverse("cohorts:invitation", args=[invitation.token])


def send_invitation_email(invitation: Invitation) -> None:
    context = {"invitation": invitation, "url": invitation_url(invitation)}
    send_mail(
        subject=f"You're invited to join {invitation.team.name} in {invitation.team.cohort}",
        message=render_to_string("cohorts/email/invitation.txt", context),
        from_email=None,
        recipient_list=[invitation.email],
    )


@transaction.atomic
def accept_invitation(
    *,
    invitation: Invitation,
    user: User | None = None,
    first_name: str = "",
    last_name: str = "",
    password: str = "",
) -> Membership:
    """Turn an invitation into a membership, creating the invitee's account if needed.

    Following the emailed link proves the address, so it is recorded as verified.
    """
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if not invitation.is_usable:
        raise InvitationError("This invitation has already been used, was withdrawn or expired.")
    if user is None:
        if User.objects.filter(email__iexact=invitation.email).exists():
            raise InvitationError("An account with this email exists: sign in to accept.")
        user = User.objects.create_user(
            email=invitation.email, password=password, first_name=first_name, last_name=last_name
        )
    elif user.email.lower() != invitation.email.lower():
        raise InvitationError(
            f"This invitation is for {invitation.email}; you are signed in as {user.email}."
        )
    EmailAddress.objects.update_or_create(
        user=user,
        email__iexact=user.email,
        defaults={"email": user.email, "verified": True, "primary": True},
    )
    if Membership.objects.filter(team__cohort=invitation.team.cohort, user=user).exists():
        raise InvitationError(f"You are already on a team in {invitation.team.cohort}.")
    membership = Membership.objects.create(
        team=invitation.team, user=user, role=invitation.role, rank=invitation.rank
    )
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    return membership


@dataclass
class RosterRow:
    line: int
    agency_name: str
    state: str
    agency_kind: str
    email: str
    first_name: str
    last_name: str
    role: str
    rank: str
    team_lead: bool


@dataclass
class RosterResult:
    created_people: int = 0
    added_members: int = 0
    updated_members: int = 0
    created_teams: int = 0
    created_agencies: int = 0
    new_users: list[User] = field(default_factory=list)


class RosterImportError(Exception):
    def __init__(self, errors: list[tuple[int, str]]):
        self.errors = errors
        super().__init__(f"{len(errors)} problem(s) in the roster file")


def _role_value(raw: str) -> str | None:
    text = raw.strip().lower().replace("-", " ").replace("_", " ")
    for value, label in Membership.Role.choices:
        if text in {value.replace("_", " "), label.lower()}:
            return value
    aliases = {"command": "command_staff", "officer": "sworn", "civilian": "civilian"}
    return aliases.get(text)


def _kind_value(raw: str) -> str | None:
    text = raw.strip().lower()
    if not text:
        return ""
    for value, label in Agency.Kind.choices:
        if text in {value, label.lower()}:
            return value
    return None


def parse_roster(data: bytes | str) -> list[RosterRow]:
    """Read and check every row of a roster file; raise with every bad row and its reason."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise RosterImportError(
                [(0, "The file is not UTF-8 text. Save it as CSV UTF-8.")]
            ) from exc
    reader = csv.DictReader(io.StringIO(data))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = REQUIRED_ROSTER_COLUMNS - set(header)
    if missing:
        raise RosterImportError(
            [
                (
                    1,
                    "Missing column(s): "
                    + ", ".join(sorted(missing))
                    + ". Expected: "
                    + ", ".join(ROSTER_COLUMNS)
                    + ".",
                )
            ]
        )
    reader.fieldnames = header
    valid_states = {code for code, _ in Agency._meta.get_field("state").choices}
    rows: list[RosterRow] = []
    errors: list[tuple[int, str]] = []
    seen_emails: dict[str, int] = {}
    for index, raw in enumerate(reader, start=2):
        if index - 1 > MAX_ROSTER_ROWS:
            errors.append((index, f"The file has more than {MAX_ROSTER_ROWS} rows."))
            break
        if None in raw:
            errors.append((index, "The row has more values than the header has columns."))
            continue
        value = {k: (v or "").strip() for k, v in raw.items()}
        if not any(value.values()):
            continue
        problems = []
        email = value.get("email", "").lower()
        try:
            validate_email(email)
        except ValidationError:
            problems.append(f"“{email or '(blank)'}” is not a valid email address")
        else:
            if email in seen_emails:
                problems.append(f"{email} already appears on line {seen_emails[email]}")
            seen_emails.setdefault(email, index)
        role = _role_value(value.get("role", ""))
        if role is None:
            problems.append(
                f"unknown role “{value.get('role', '')}” (use one of: "
                + ", ".join(Membership.Role.values)
                + ")"
            )
        state = value.get("state", "").upper()
        if state not in valid_states:
            problems.append(f"unknown state “{value.get('state', '')}” (use a two-letter code)")
        if not value.get("agency"):
            problems.append("the agency is blank")
        kind = _kind_value(value.get("agency_kind", ""))
        if kind is None:
            problems.append(
                f"unknown agency kind “{value.get('agency_kind')}” (use one of: "
                + ", ".join(Agency.Kind.values)
                + ")"
            )
        lead_text = value.get("team_lead", "").lower()
        if lead_text not in _TRUE | _FALSE:
            problems.append(f"team_lead must be yes or no, not “{value.get('team_lead')}”")
        lead = lead_text in _TRUE
        if lead and role and role != Membership.Role.COMMAND_STAFF:
            problems.append("a team lead must have the command_staff role")
        if problems:
            errors.append((index, "; ".join(problems) + "."))
            continue
        rows.append(
            RosterRow(
                line=index,
                agency_name=value["agency"],
                state=state,
                agency_kind=kind or "",
                email=email,
                first_name=value.get("first_name", ""),
                last_name=value.get("last_name", ""),
                role=role,
                rank=value.get("rank", ""),
                team_lead=lead,
            )
        )
    if not rows and not errors:
        errors.append((0, "The file has a header but no rows."))
    if errors:
        raise RosterImportError(errors)
    return rows


def import_roster(*, cohort: Cohort, data: bytes | str) -> RosterResult:
    """Import a roster file into ``cohort``: every row or none.

    Each row puts a person on their agency's team, creating the agency (when its kind is given),
    the team and the account as needed. Existing members have their role and rank updated.
    """
    rows = parse_roster(data)
    errors: list[tuple[int, str]] = []
    result = RosterResult()
    try:
        with transaction.atomic():
            _apply_roster(cohort=cohort, rows=rows, errors=errors, result=result)
            if errors:
                raise RosterImportError(errors)
    except IntegrityError as exc:
        raise RosterImportError([(0, f"The roster conflicts with existing data: {exc}")]) from exc
    return result


def _apply_roster(
    *, cohort: Cohort, rows: list[RosterRow], errors: list, result: RosterResult
) -> None:
    teams = {
        (t.agency.name.lower(), t.agency.state): t for t in cohort.teams.select_related("agency")
    }
    team_count = len(teams)
    for row in rows:
        key = (row.agency_name.lower(), row.state)
        team = teams.get(key)
        if team is None:
            agency = Agency.objects.filter(name__iexact=row.agency_name, state=row.state).first()
            if agency is None:
                if not row.agency_kind:
                    errors.append(
                        (
                            row.line,
                            f"{row.agency_name} ({row.state}) is not a known agency; "
                            "fill agency_kind to create it.",
                        )
                    )
                    continue
                agency = Agency.objects.create(
                    name=row.agency_name, state=row.state, kind=row.agency_kind
                )
                result.created_agencies += 1
            if team_count >= cohort.max_teams:
                errors.append(
                    (
                        row.line,
                        f"{cohort} is full ({cohort.max_teams} "
                        f"team{'s' if cohort.max_teams != 1 else ''}); "
                        f"{row.agency_name} cannot join.",
                    )
                )
                continue
            team = Team.objects.create(cohort=cohort, agency=agency, name=agency.name)
            teams[key] = team
            team_count += 1
            result.created_teams += 1
        user = User.objects.filter(email__iexact=row.email).first()
        if user is None:
            if not (row.first_name and row.last_name):
                errors.append(
                    (row.line, f"{row.email} is new: first_name and last_name are needed.")
                )
                continue
            user = User.objects.create_user(
                email=row.email, password=None, first_name=row.first_name, last_name=row.last_name
            )
            EmailAddress.objects.create(user=user, email=user.email, verified=False, primary=True)
            result.created_people += 1
            result.new_users.append(user)
        existing = (
            Membership.objects.filter(team__cohort=cohort, user=user).select_related("team").first()
        )
        if existing and existing.team_id != team.pk:
            errors.append(
                (row.line, f"{row.email} is already on {existing.team.name} in this cohort.")
            )
            continue
        if existing:
            try:
                team.change_role(existing, role=row.role, rank=row.rank or existing.rank)
            except ValidationError as exc:
                errors.append((row.line, " ".join(exc.messages)))
                continue
            membership = existing
            result.updated_members += 1
        else:
            membership = Membership.objects.create(
                team=team, user=user, role=row.role, rank=row.rank
            )
            result.added_members += 1
        if row.team_lead:
            team.set_lead(membership)


def roster_rows(cohort: Cohort):
    """The cohort's roster in the import format, one person a row."""
    memberships = (
        Membership.objects.filter(team__cohort=cohort)
        .select_related("team__agency", "user")
        .order_by("team__name", "-is_lead", "role", "user__last_name", "user__first_name")
    )
    yield ROSTER_COLUMNS
    for m in memberships:
        agency = m.team.agency
        yield [
            agency.name,
            agency.state,
            agency.kind,
            m.user.email,
            m.user.first_name,
            m.user.last_name,
            m.role,
            m.rank,
            "yes" if m.is_lead else "no",
        ]


def send_account_setup_emails(*, users: list[User], request) -> None:
    """Email people created by a roster import a link to choose their password."""
    from allauth.account.forms import ResetPasswordForm

    for user in users:
        form = ResetPasswordForm(data={"email": user.email})
        if form.is_valid():
            form.save(request)
