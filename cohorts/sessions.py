"""Writes for the session calendar: series, edits, votes, RSVPs, attendance and reminders."""

import csv
import io
import logging
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from dateutil.relativedelta import relativedelta
from dateutil.rrule import MONTHLY, rrule, weekday
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Q
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.models import User

from .models import (
    Attendance,
    AttendanceChange,
    CalendarFeed,
    Cohort,
    Membership,
    ReminderDelivery,
    Rsvp,
    Session,
    Topic,
    TopicVote,
)

logger = logging.getLogger(__name__)

# Fields whose change matters to a calendar client: editing them bumps the event's SEQUENCE.
CALENDAR_FIELDS = {"title", "starts_at", "ends_at", "meeting_url", "agenda", "topic", "status"}
FOLLOW_UP_WINDOW = timedelta(days=7)
MAX_ATTENDANCE_ROWS = 2000


@dataclass(frozen=True)
class SeriesRule:
    """ "The second Tuesday of each month, 14:00–15:30", from a first month for N months."""

    weekday: int  # Monday is 0
    ordinal: int  # 1–4, or -1 for the last one in the month
    start_time: time
    end_time: time
    first_month: date
    months: int
    skip_months: frozenset[tuple[int, int]] = frozenset()

    def dates(self) -> list[date]:
        """The meeting days, one per month that is not skipped."""
        first = self.first_month.replace(day=1)
        months = rrule(MONTHLY, dtstart=first, count=self.months)
        days = []
        for month_start in months:
            if (month_start.year, month_start.month) in self.skip_months:
                continue
            # From the 1st for "the nth", back from the month's end for "the last".
            anchor = {"day": 31} if self.ordinal < 0 else {}
            day = month_start.date() + relativedelta(
                **anchor, weekday=weekday(self.weekday, self.ordinal)
            )
            days.append(day)
        return days


def occurrence(day: date, at: time, cohort: Cohort) -> datetime:
    """``day`` at wall-clock ``at`` in the cohort's zone; each date gets its own UTC offset."""
    return datetime.combine(day, at, tzinfo=cohort.tz)


@transaction.atomic
def create_series(
    *, cohort: Cohort, rule: SeriesRule, title: str = "", topics_from_ranking: bool = True
) -> list[Session]:
    """Create one session a month by ``rule``, numbered after the cohort's existing ones.

    Either every session of the series is valid and created, or none is.
    """
    if rule.end_time <= rule.start_time:
        raise ValidationError("The session must end after it starts.")
    days = rule.dates()
    if not days:
        raise ValidationError("The rule gives no dates: every month was skipped.")
    outside = [d for d in days if not cohort.start_date <= d <= cohort.end_date]
    if outside:
        listed = ", ".join(f"{d:%B %-d, %Y}" for d in outside[:3])
        raise ValidationError(
            f"{len(outside)} {'dates fall' if len(outside) != 1 else 'date falls'} outside the cohort's "
            f"dates ({cohort.start_date:%B %-d, %Y} to {cohort.end_date:%B %-d, %Y}): {listed}."
        )
    taken = {
        starts.astimezone(cohort.tz).date()
        for starts in cohort.sessions.values_list("starts_at", flat=True)
    }
    topics = (
        [row["topic"] for row in TopicVote.objects.ranking(cohort)] if topics_from_ranking else []
    )
    last = cohort.sessions.order_by("-number").values_list("number", flat=True).first() or 0
    created = []
    for index, day in enumerate(days):
        starts_at = occurrence(day, rule.start_time, cohort)
        if day in taken:
            raise ValidationError(f"{cohort} already has a session on {day:%B %-d, %Y}.")
        topic = topics[index % len(topics)] if topics else None
        repeat = bool(topics) and index >= len(topics)
        session = Session(
            cohort=cohort,
            number=last + index + 1,
            topic=topic,
            title=title
            or (
                f"{topic.name}{' (continued)' if repeat else ''}"
                if topic
                else f"Monthly session {last + index + 1}"
            ),
            starts_at=starts_at,
            ends_at=occurrence(day, rule.end_time, cohort),
        )
        session.full_clean()
        created.append(session)
    return Session.objects.bulk_create(created)


@transaction.atomic
def update_session(*, session: Session, changed: set[str], presenters=None) -> Session:
    """Save an edited session (already validated by its form) and bump SEQUENCE if a
    calendar client would see the change."""
    session.save()
    if presenters is not None:
        session.presenters.set(presenters)
    # Presenters are named in the event's description, so changing them updates calendars too.
    if changed & (CALENDAR_FIELDS | {"presenters"}):
        session.touch_calendar()
    return session


@transaction.atomic
def rank_topics(*, cohort: Cohort, user: User, topic_ids: list[int]) -> list[TopicVote]:
    """Replace ``user``'s ranking for ``cohort``: ``topic_ids`` most-wanted first."""
    if len(set(topic_ids)) != len(topic_ids):
        raise ValidationError("Each topic can be ranked once.")
    topics = Topic.objects.in_bulk(topic_ids)
    unknown = [t for t in topic_ids if t not in topics]
    if unknown:
        raise ValidationError("Unknown topic: reload the page and try again.")
    TopicVote.objects.filter(cohort=cohort, user=user).delete()
    return TopicVote.objects.bulk_create(
        TopicVote(cohort=cohort, user=user, topic=topics[topic_id], rank=rank)
        for rank, topic_id in enumerate(topic_ids, start=1)
    )


def set_rsvp(*, session: Session, user: User, response: str) -> Rsvp:
    if response not in Rsvp.Response.values:
        raise ValidationError("Choose going, maybe or not going.")
    if session.is_cancelled:
        raise ValidationError("This session was cancelled.")
    rsvp, _ = Rsvp.objects.update_or_create(
        session=session, user=user, defaults={"response": response}
    )
    return rsvp


def session_roster(session: Session) -> list[Membership]:
    """Everyone expected at the session: the cohort's members, by team."""
    return list(
        Membership.objects.filter(team__cohort_id=session.cohort_id)
        .select_related("user", "team__agency")
        .order_by("team__name", "user__last_name", "user__first_name")
    )


@transaction.atomic
def mark_attendance(
    *,
    session: Session,
    present_user_ids: set[int],
    marked_by: User,
    source: str = AttendanceChange.Source.ROSTER,
    roster_user_ids: set[int] | None = None,
) -> int:
    """Record who attended; only real changes are written, each with who made it. Returns
    the number of people whose attendance changed."""
    if roster_user_ids is None:
        roster_user_ids = set(
            Membership.objects.filter(team__cohort_id=session.cohort_id).values_list(
                "user_id", flat=True
            )
        )
    stray = present_user_ids - roster_user_ids
    if stray:
        raise ValidationError("Attendance can only be marked for the cohort's members.")
    now = timezone.now()
    current = {a.user_id: a for a in Attendance.objects.select_for_update().filter(session=session)}
    changes, new_rows, updated = [], [], []
    for user_id in roster_user_ids:
        present = user_id in present_user_ids
        row = current.get(user_id)
        if row is None:
            if not present and source == AttendanceChange.Source.IMPORT:
                continue
            new_rows.append(
                Attendance(
                    session=session,
                    user_id=user_id,
                    present=present,
                    marked_by=marked_by,
                    marked_at=now,
                )
            )
            previous = None
        elif row.present == present:
            continue
        else:
            previous = row.present
            row.present, row.marked_by, row.marked_at = present, marked_by, now
            updated.append(row)
        changes.append(
            AttendanceChange(
                session=session,
                user_id=user_id,
                previous=previous,
                present=present,
                changed_by=marked_by,
                changed_at=now,
                source=source,
            )
        )
    Attendance.objects.bulk_create(new_rows)
    Attendance.objects.bulk_update(updated, ["present", "marked_by", "marked_at"])
    AttendanceChange.objects.bulk_create(changes)
    return len(changes)


class AttendanceImportError(ValidationError):
    def __init__(self, message: str):
        super().__init__(message)
        self.text = message


@dataclass
class AttendanceImport:
    matched: list[User] = field(default_factory=list)
    unmatched: list[tuple[int, str]] = field(default_factory=list)
    changed: int = 0


EMAIL_HEADERS = ("email", "user email", "e-mail", "attendee email", "participant email")


def import_attendance(*, session: Session, data: bytes | str, marked_by: User) -> AttendanceImport:
    """Mark present everyone in a meeting tool's participant export, matched by email.

    Zoom, Teams and Webex exports all carry an email column; rows whose email is not a member
    of the cohort are listed back, not guessed. A file in the wrong shape changes nothing.
    """
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise AttendanceImportError(
                "The file is not UTF-8 text. Save it as CSV UTF-8."
            ) from exc
    lines = data.splitlines()
    # Some tools put a meeting summary above the participant table: find the header row.
    # Zoom's summary has a "User Email" column too (the host's), so a header row that also
    # names the participant wins over one that does not.
    rows = [[c.strip().lower() for c in next(csv.reader([line]), [])] for line in lines[:20]]
    candidates = [i for i, cells in enumerate(rows) if any(h in cells for h in EMAIL_HEADERS)]
    start = next(
        (i for i in candidates if any("name" in c for c in rows[i])),
        candidates[0] if candidates else None,
    )
    if start is None:
        raise AttendanceImportError(
            "No email column found. The participant export needs a column named “Email” "
            "(or “User Email”, “Attendee Email”)."
        )
    reader = csv.reader(io.StringIO("\n".join(lines[start:])))
    header = [h.strip().lower() for h in next(reader)]
    column = next(header.index(h) for h in EMAIL_HEADERS if h in header)
    roster = {m.user.email.lower(): m.user for m in session_roster(session)}
    result = AttendanceImport()
    seen: set[str] = set()
    for offset, row in enumerate(reader, start=start + 2):
        if len(result.matched) + len(result.unmatched) > MAX_ATTENDANCE_ROWS:
            raise AttendanceImportError(f"The file has more than {MAX_ATTENDANCE_ROWS} rows.")
        if not any(cell.strip() for cell in row):
            continue
        email = row[column].strip().lower() if column < len(row) else ""
        if not email:
            result.unmatched.append((offset, "(no email)"))
            continue
        if email in seen:
            continue  # people who rejoin appear once per connection
        seen.add(email)
        user = roster.get(email)
        if user is None:
            result.unmatched.append((offset, email))
        else:
            result.matched.append(user)
    if not result.matched:
        raise AttendanceImportError(
            "No participant in the file matches a member of the cohort; nothing was changed."
        )
    current_present = set(
        Attendance.objects.filter(session=session, present=True).values_list("user_id", flat=True)
    )
    result.changed = mark_attendance(
        session=session,
        present_user_ids=current_present | {u.pk for u in result.matched},
        marked_by=marked_by,
        source=AttendanceChange.Source.IMPORT,
        roster_user_ids={u.pk for u in roster.values()},
    )
    return result


@transaction.atomic
def renew_feed(*, user: User, cohort: Cohort | None = None) -> CalendarFeed:
    """Revoke ``user``'s current feed (personal, or for ``cohort``) and issue a new one."""
    CalendarFeed.objects.active().filter(user=user, cohort=cohort).update(revoked_at=timezone.now())
    return CalendarFeed.objects.create(user=user, cohort=cohort)


def feed_for(*, user: User, cohort: Cohort | None = None) -> CalendarFeed:
    feed = CalendarFeed.objects.active().filter(user=user, cohort=cohort).first()
    return feed or renew_feed(user=user, cohort=cohort)


def revoke_feeds(*, user: User, cohort: Cohort | None = None) -> int:
    return (
        CalendarFeed.objects.active()
        .filter(user=user, cohort=cohort)
        .update(revoked_at=timezone.now())
    )


# Reminders ----------------------------------------------------------------------------------


def reminder_recipients(session: Session) -> list[User]:
    """The cohort's members who have not declined, and their teams' command staff (who get
    what their team gets even if they declined themselves)."""
    memberships = list(
        Membership.objects.filter(team__cohort_id=session.cohort_id)
        .select_related("user")
        .filter(user__is_active=True)
    )
    declined = set(
        Rsvp.objects.filter(session=session, response=Rsvp.Response.NOT_GOING).values_list(
            "user_id", flat=True
        )
    )
    attending_teams = {m.team_id for m in memberships if m.user_id not in declined}
    recipients = {}
    for m in memberships:
        if m.user_id not in declined or (
            m.role == Membership.Role.COMMAND_STAFF and m.team_id in attending_teams
        ):
            recipients[m.user_id] = m.user
    return list(recipients.values())


def follow_up_recipients(session: Session) -> list[User]:
    return [
        m.user
        for m in Membership.objects.filter(team__cohort_id=session.cohort_id, user__is_active=True)
        .select_related("user")
        .order_by("pk")
    ]


def due_reminders(now: datetime | None = None):
    """Sessions whose reminder time has come and that have not started yet."""
    now = now or timezone.now()
    # The lead time is per cohort: bound the window in SQL by the longest one, then check
    # each session's own, so a run never loads the whole future calendar.
    longest = Cohort.objects.aggregate(hours=Max("reminder_hours_before"))["hours"] or 0
    sessions = (
        Session.objects.scheduled()
        .filter(starts_at__gt=now, starts_at__lte=now + timedelta(hours=longest))
        .select_related("cohort", "topic")
    )
    return [
        s for s in sessions if s.starts_at - timedelta(hours=s.cohort.reminder_hours_before) <= now
    ]


def due_follow_ups(now: datetime | None = None):
    now = now or timezone.now()
    return (
        Session.objects.scheduled()
        .filter(ends_at__lte=now, ends_at__gt=now - FOLLOW_UP_WINDOW)
        .filter(Q(materials__isnull=False) | ~Q(recording_url=""))
        .distinct()
        .select_related("cohort", "topic")
        .prefetch_related("materials")
    )


def _deliver(*, session: Session, user: User, kind: str, subject: str, template: str) -> bool:
    """Claim (session, user, kind), then send. The claim is the unique row: whoever inserts
    it sends; everyone else skips. A failed send gives the claim back for the next run."""
    try:
        with transaction.atomic():
            delivery = ReminderDelivery.objects.create(session=session, user=user, kind=kind)
    except IntegrityError:
        return False
    context = {"session": session, "user": user, "site_url": settings.SITE_URL}
    try:
        with timezone.override(user.time_zone or session.cohort.time_zone):
            body = render_to_string(template, context)
        send_mail(subject=subject, message=body, from_email=None, recipient_list=[user.email])
    except Exception:
        logger.exception(
            "Could not send the %s for session %s to user %s", kind, session.pk, user.pk
        )
        delivery.delete()
        return False
    return True


# What each kind of delivery is: which sessions are due, who gets it, what it says.
DELIVERIES = [
    (
        ReminderDelivery.Kind.REMINDER,
        due_reminders,
        reminder_recipients,
        "Reminder: {session.title}, {session.cohort.name}",
        "cohorts/email/session_reminder.txt",
    ),
    (
        ReminderDelivery.Kind.FOLLOW_UP,
        due_follow_ups,
        follow_up_recipients,
        "Recording and materials: {session.title}",
        "cohorts/email/session_follow_up.txt",
    ),
]


def send_due_reminders(now: datetime | None = None) -> dict[str, int]:
    """Send every reminder and follow-up that is due and not yet sent. Safe to run at any
    time, as often as wanted, from several workers at once."""
    sent = {ReminderDelivery.Kind.REMINDER: 0, ReminderDelivery.Kind.FOLLOW_UP: 0}
    for kind, due, recipients, subject, template in DELIVERIES:
        for session in due(now):
            # Skip those already sent to without a failed insert each; the claim in
            # _deliver still settles a race between two workers.
            done = set(session.deliveries.filter(kind=kind).values_list("user_id", flat=True))
            for user in recipients(session):
                if user.pk not in done and _deliver(
                    session=session,
                    user=user,
                    kind=kind,
                    subject=subject.format(session=session),
                    template=template,
                ):
                    sent[kind] += 1
    return {
        "reminders": sent[ReminderDelivery.Kind.REMINDER],
        "follow_ups": sent[ReminderDelivery.Kind.FOLLOW_UP],
    }


# Attendance rates ---------------------------------------------------------------------------


@dataclass
class AttendanceRates:
    held: int
    people: list[dict]
    teams: list[dict]
    cohort_rate: float | None


def attendance_rates(cohort: Cohort) -> AttendanceRates:
    """Share of held sessions each person, team and the cohort attended. Three queries."""
    held_ids = list(cohort.sessions.held().values_list("pk", flat=True))
    held = len(held_ids)
    memberships = list(
        Membership.objects.filter(team__cohort=cohort)
        .select_related("user", "team__agency", "team__cohort")
        .order_by("team__name", "user__last_name", "user__first_name")
    )
    present = dict(
        Attendance.objects.filter(session_id__in=held_ids, present=True)
        .values("user_id")
        .annotate(n=Count("pk"))
        .values_list("user_id", "n")
    )
    people, teams = [], {}
    for m in memberships:
        attended = present.get(m.user_id, 0)
        rate = attended / held if held else None
        people.append({"membership": m, "attended": attended, "rate": rate})
        team = teams.setdefault(
            m.team_id, {"team": m.team, "attended": 0, "possible": 0, "members": 0}
        )
        team["attended"] += attended
        team["possible"] += held
        team["members"] += 1
    goal = cohort.attendance_goal / 100
    team_rows = []
    for team in teams.values():
        team["rate"] = team["attended"] / team["possible"] if team["possible"] else None
        team["below_goal"] = team["rate"] is not None and team["rate"] < goal
        team_rows.append(team)
    total_possible = sum(t["possible"] for t in team_rows)
    cohort_rate = sum(t["attended"] for t in team_rows) / total_possible if total_possible else None
    return AttendanceRates(held=held, people=people, teams=team_rows, cohort_rate=cohort_rate)


@dataclass
class SessionAttendance:
    session: Session
    present: int
    recorded: int

    @property
    def rate(self) -> float | None:
        return self.present / self.recorded if self.recorded else None


def attendance_by_session(
    cohort: Cohort, *, start: datetime | None = None, end: datetime | None = None
) -> list[SessionAttendance]:
    """Each held session of the cohort (starting from ``start`` up to, not including,
    ``end``) with how many people were marked present of how many were recorded. One query."""
    sessions = cohort.sessions.held()
    if start is not None:
        sessions = sessions.filter(starts_at__gte=start)
    if end is not None:
        sessions = sessions.filter(starts_at__lt=end)
    sessions = sessions.annotate(
        present_count=Count("attendance", filter=Q(attendance__present=True)),
        recorded_count=Count("attendance"),
    ).order_by("starts_at", "number")
    return [
        SessionAttendance(session=s, present=s.present_count, recorded=s.recorded_count)
        for s in sessions
    ]
