"""The report to the funder: outcome indicators, response rates, attendance and narrative,
for a whole cohort or one reporting period (a calendar quarter)."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from cohorts.models import Cohort
from cohorts.sessions import SessionAttendance, attendance_by_session

from .exports import add_sheet
from .models import ReportingNarrative, Response, Wave, WaveInvitation
from .periods import Quarter, cohort_quarters
from .reports import Share, outcome_indicators

INDICATOR_FIELDS = ["code", "label", "numerator", "denominator", "percent", "ci_low", "ci_high"]


class UnknownPeriod(ValueError):
    """A period that is not one of the cohort's quarters; the message lists those."""

    def __init__(self, text: str, cohort: Cohort):
        self.text = text
        self.quarters = cohort_quarters(cohort)
        listed = ", ".join(q.code for q in self.quarters) or "none"
        super().__init__(
            f"“{text}” is not a reporting period of {cohort.name}. Its quarters: {listed}."
        )


def period_for(cohort: Cohort, text: str | None) -> Quarter | None:
    """The quarter ``text`` names ("2021Q2", "2021-Q2"), None for the whole cohort (no text),
    or UnknownPeriod when it is not a quarter of the cohort."""
    if not text or not text.strip():
        return None
    try:
        quarter = Quarter.parse(text)
    except ValueError:
        raise UnknownPeriod(text, cohort) from None
    if quarter not in cohort_quarters(cohort):
        raise UnknownPeriod(text, cohort)
    return quarter


@dataclass
class WaveRate:
    """How many of those invited to a wave submitted (within the period, when there is one)."""

    wave: Wave
    invited: int
    submitted: int

    @property
    def share(self) -> Share:
        # An anonymous response is not tied to its invitation: never report more than 100%.
        return Share.of(min(self.submitted, self.invited), self.invited)


@dataclass
class AttendanceSummary:
    sessions: list[SessionAttendance]

    @property
    def present(self) -> int:
        return sum(s.present for s in self.sessions)

    @property
    def recorded(self) -> int:
        return sum(s.recorded for s in self.sessions)

    @property
    def share(self) -> Share:
        return Share.of(self.present, self.recorded)


@dataclass
class PeriodNarrative:
    """One quarter's narrative, or an empty place for it."""

    period: Quarter
    narrative: ReportingNarrative | None = None

    @property
    def is_written(self) -> bool:
        n = self.narrative
        return n is not None and any(
            (n.accomplishments.strip(), n.barriers.strip(), n.next_period_plans.strip())
        )


@dataclass
class FunderReport:
    cohort: Cohort
    period: Quarter | None
    quarters: list[Quarter]
    indicators: list[dict[str, Any]]
    response_rates: list[WaveRate]
    attendance: AttendanceSummary
    narratives: list[PeriodNarrative]
    peer_contacts: Share | None = None
    teams_with_changes: Share | None = None
    generated: datetime = field(default_factory=timezone.now)

    @property
    def period_code(self) -> str:
        return self.period.code if self.period else "all"

    @property
    def period_label(self) -> str:
        if self.period:
            return self.period.label
        return f"Whole cohort ({self.cohort.start_date:%b %-d, %Y} – {self.cohort.end_date:%b %-d, %Y})"

    @property
    def narrative(self) -> PeriodNarrative | None:
        """The period's own narrative (None on the whole-cohort report)."""
        if self.period is None:
            return None
        return self.narratives[0] if self.narratives else PeriodNarrative(self.period)

    @property
    def written_narratives(self) -> list[PeriodNarrative]:
        return [n for n in self.narratives if n.is_written]

    def narrative_slots(self) -> list[PeriodNarrative]:
        """Every quarter in scope, in order, with its narrative when there is one."""
        if self.period is not None:
            return [self.narrative]
        written = {n.period: n for n in self.narratives}
        quarters = sorted(set(self.quarters) | set(written))
        return [written.get(q, PeriodNarrative(q)) for q in quarters]

    def as_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data: ``cohort`` and ``indicators`` keep the shape the
        outcome_report command has always printed; the other keys are additions."""
        return {
            "cohort": self.cohort.slug,
            "period": self.period.code if self.period else None,
            "period_label": self.period_label,
            "indicators": [{key: i[key] for key in INDICATOR_FIELDS} for i in self.indicators],
            "response_rates": [
                {
                    "wave": r.wave.title,
                    "survey": r.wave.survey.code,
                    "invited": r.invited,
                    "submitted": r.submitted,
                    **_figures(r.share),
                }
                for r in self.response_rates
            ],
            "attendance": {
                "present": self.attendance.present,
                "recorded": self.attendance.recorded,
                **_figures(self.attendance.share),
                "sessions": [
                    {
                        "number": s.session.number,
                        "title": s.session.title,
                        "starts_at": s.session.starts_at.isoformat(),
                        "present": s.present,
                        "recorded": s.recorded,
                        **_figures(Share.of(s.present, s.recorded)),
                    }
                    for s in self.attendance.sessions
                ],
            },
            "peer_contacts": (
                None
                if self.peer_contacts is None
                else {
                    "members": self.peer_contacts.count,
                    "of": self.peer_contacts.n,
                    **_figures(self.peer_contacts),
                }
            ),
            "teams_with_changes": (
                None
                if self.teams_with_changes is None
                else {
                    "teams": self.teams_with_changes.count,
                    "of": self.teams_with_changes.n,
                    **_figures(self.teams_with_changes),
                }
            ),
            "narratives": [
                {
                    "period": n.period.code,
                    "accomplishments": n.narrative.accomplishments,
                    "barriers": n.narrative.barriers,
                    "next_period_plans": n.narrative.next_period_plans,
                }
                for n in self.written_narratives
            ],
        }


def _figures(share: Share) -> dict[str, float | None]:
    def rounded(value: float | None) -> float | None:
        return None if value is None else round(value, 2)

    return {
        "percent": rounded(share.percent),
        "ci_low": rounded(share.ci_low),
        "ci_high": rounded(share.ci_high),
    }


def wave_response_rates(cohort: Cohort, period: Quarter | None = None) -> list[WaveRate]:
    """Each wave of the cohort that has opened (and, with a period, was open during it), with
    those invited and those who submitted (within the period). One query."""
    waves = Wave.objects.filter(cohort=cohort, opens_at__lte=timezone.now())
    submitted = Response.objects.filter(wave=OuterRef("pk"), status=Response.Status.SUBMITTED)
    if period is not None:
        start, end = period.bounds(cohort.tz)
        waves = waves.filter(opens_at__lt=end, closes_at__gt=start)
        submitted = submitted.filter(submitted_on__range=(period.start, period.end))
    invited = WaveInvitation.objects.filter(wave=OuterRef("pk"))
    waves = (
        waves.select_related("survey")
        .annotate(
            invited_count=_count(invited),
            submitted_count=_count(submitted),
        )
        .order_by("opens_at", "pk")
    )
    return [WaveRate(wave=w, invited=w.invited_count, submitted=w.submitted_count) for w in waves]


def _count(rows) -> Coalesce:
    """COUNT(*) of a correlated subquery, 0 when it finds nothing."""
    counted = rows.order_by().values("wave").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def narratives(cohort: Cohort, period: Quarter | None = None) -> list[PeriodNarrative]:
    """The period's narrative, or every narrative of the cohort in order. One query."""
    rows = ReportingNarrative.objects.filter(cohort=cohort).select_related("updated_by")
    if period is not None:
        rows = rows.filter(year=period.year, quarter=period.quarter)
    return [
        PeriodNarrative(Quarter(n.year, n.quarter), n) for n in rows.order_by("year", "quarter")
    ]


def platform_peer_contacts(cohort: Cohort, period: Quarter | None = None) -> Share | None:
    """Members who messaged or replied to someone from another agency, as the platform
    counts them, of the cohort's members; None while the forum provides no such measure.

    The forum offers it as ``forum.measures.peer_contacts(cohort, start=, end=)`` returning
    (members who made contact, members).
    """
    try:
        from forum.measures import peer_contacts
    except ImportError:
        return None
    start, end = period.bounds(cohort.tz) if period else (None, None)
    made, members = peer_contacts(cohort, start=start, end=end)
    return Share.of(made, members)


def platform_team_changes(cohort: Cohort, period: Quarter | None = None) -> Share | None:
    """Teams with an action step done (in the quarter, when one is given), of the cohort's
    teams, from the action plans; None when the assessments app is not installed."""
    try:
        from assessments.measures import teams_with_changes
    except ImportError:
        return None
    start, end = (period.start, period.end) if period else (None, None)
    changed, teams = teams_with_changes(cohort, start=start, end=end)
    return Share.of(changed, teams)


def funder_report(cohort: Cohort, period: Quarter | None = None) -> FunderReport:
    """Everything the funder's report shows for ``cohort``, over the whole cohort or one
    quarter. Five queries whatever the number of waves, responses or sessions."""
    start, end = period.bounds(cohort.tz) if period else (None, None)
    return FunderReport(
        cohort=cohort,
        period=period,
        quarters=cohort_quarters(cohort),
        indicators=outcome_indicators(cohort, period),
        response_rates=wave_response_rates(cohort, period),
        attendance=AttendanceSummary(attendance_by_session(cohort, start=start, end=end)),
        narratives=narratives(cohort, period),
        peer_contacts=platform_peer_contacts(cohort, period),
        teams_with_changes=platform_team_changes(cohort, period),
    )


# --- Exports ---------------------------------------------------------------------------------

CSV_COLUMNS = ["period", *INDICATOR_FIELDS, "wave"]


def indicator_rows(report: FunderReport) -> list[list]:
    """Header, then one row per indicator."""
    rows: list[list] = [CSV_COLUMNS]
    for i in report.indicators:
        rows.append([report.period_code, *(i[key] for key in INDICATOR_FIELDS), i["wave"]])
    return rows


def workbook(report: FunderReport) -> bytes:
    """The report as one XLSX file: Indicators, Response rates, Attendance, Narrative."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)

    indicators = [[*CSV_COLUMNS, "result"]]
    for i in report.indicators:
        indicators.append(
            [report.period_code, *(i[key] for key in INDICATOR_FIELDS), i["wave"], i["text"]]
        )
    add_sheet(book, "Indicators", indicators)

    rates = [["period", "wave", "survey", "opens", "closes", "invited", "submitted", "percent", "ci_low", "ci_high"]]  # fmt: skip
    for r in report.response_rates:
        tz = report.cohort.tz
        rates.append(
            [
                report.period_code,
                r.wave.title,
                r.wave.survey.code,
                r.wave.opens_at.astimezone(tz).date(),
                r.wave.closes_at.astimezone(tz).date(),
                r.invited,
                r.submitted,
                *_figures(r.share).values(),
            ]
        )
    add_sheet(book, "Response rates", rates)

    attendance = [["period", "session", "title", "date", "present", "recorded", "percent", "ci_low", "ci_high"]]  # fmt: skip
    for s in report.attendance.sessions:
        attendance.append(
            [
                report.period_code,
                s.session.number,
                s.session.title,
                s.session.starts_at.astimezone(report.cohort.tz).date(),
                s.present,
                s.recorded,
                *_figures(Share.of(s.present, s.recorded)).values(),
            ]
        )
    total = report.attendance
    attendance.append(
        [report.period_code, "all", "All sessions", None, total.present, total.recorded]
        + list(_figures(total.share).values())
    )
    add_sheet(book, "Attendance", attendance)

    narrative = [["period", "label", "accomplishments", "barriers", "next_period_plans"]]
    for n in report.written_narratives:
        narrative.append(
            [
                n.period.code,
                n.period.label,
                n.narrative.accomplishments,
                n.narrative.barriers,
                n.narrative.next_period_plans,
            ]
        )
    add_sheet(book, "Narrative", narrative)

    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
