"""The report to the funder: outcome indicators, response rates, attendance and narrative,
for a whole cohort or one reporting period (a calendar quarter)."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import User
from cohorts.models import Cohort
from cohorts.sessions import SessionAttendance, attendance_by_session

from .exports import add_sheet
from .models import ReportingNarrative, Response, Wave, WaveInvitation
from .periods import Quarter, cohort_quarters
from .reports import Share, indicator_counts, indicators_from

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
    counted = rows.order_by().values("wave").annotate(n=Count("*")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def narratives(cohort: Cohort, period: Quarter | None = None) -> list[PeriodNarrative]:
    """The period's narrative, or every narrative of the cohort in order. One query."""
    rows = ReportingNarrative.objects.filter(cohort=cohort).select_related("updated_by")
    if period is not None:
        rows = rows.filter(year=period.year, quarter=period.quarter)
    return _in_order(list(rows), period)


def _in_order(rows: list[ReportingNarrative], period: Quarter | None) -> list[PeriodNarrative]:
    """The narratives of ``period`` (all of them when None), in order."""
    if period is not None:
        rows = [n for n in rows if (n.year, n.quarter) == (period.year, period.quarter)]
    return [
        PeriodNarrative(Quarter(n.year, n.quarter), n)
        for n in sorted(rows, key=lambda n: (n.year, n.quarter))
    ]


_COHORT_FIELDS = [f.attname for f in Cohort._meta.concrete_fields]
_NARRATIVE_FIELDS = [f.attname for f in ReportingNarrative._meta.concrete_fields]
_USER_FIELDS = [f.attname for f in User._meta.concrete_fields]


def cohort_with_narratives(
    cohorts: QuerySet[Cohort], slug: str
) -> tuple[Cohort, list[ReportingNarrative]]:
    """The cohort ``slug`` among ``cohorts``, with every narrative written for it and who last
    saved each: one query (the cohort's row, left-joined to its narratives and their
    authors), where the cohort and then the narratives would take two. Raises
    Cohort.DoesNotExist."""
    narrative = "reporting_narratives__"
    author = f"{narrative}updated_by__"
    rows = (
        cohorts.filter(slug=slug)
        .order_by(f"{narrative}year", f"{narrative}quarter")
        .values_list(
            *_COHORT_FIELDS,
            *(narrative + name for name in _NARRATIVE_FIELDS),
            *(author + name for name in _USER_FIELDS),
        )
    )
    ends = len(_COHORT_FIELDS), len(_COHORT_FIELDS) + len(_NARRATIVE_FIELDS)
    cohort, written = None, []
    for row in rows:
        if cohort is None:
            cohort = Cohort.from_db(rows.db, _COHORT_FIELDS, row[: ends[0]])
        if row[ends[0]] is None:  # no narrative yet
            continue
        found = ReportingNarrative.from_db(rows.db, _NARRATIVE_FIELDS, row[ends[0] : ends[1]])
        found.cohort = cohort
        found.updated_by = (
            None if row[ends[1]] is None else User.from_db(rows.db, _USER_FIELDS, row[ends[1] :])
        )
        written.append(found)
    if cohort is None:
        raise Cohort.DoesNotExist(f"No cohort {slug!r}.")
    return cohort, written


def _counted(rows: QuerySet) -> Subquery:
    """How many ``rows`` there are, as a scalar subquery another query selects."""
    return Subquery(
        rows.order_by().values("pk"),
        template="(SELECT COUNT(*) FROM (%(subquery)s) AS counted)",
        output_field=IntegerField(),
    )


def platform_peer_contacts(
    cohort: Cohort, period: Quarter | None = None
) -> tuple[QuerySet, QuerySet] | None:
    """Members who messaged or replied to someone from another agency, as the platform
    counts them, of the cohort's members; None while the forum provides no such measure.

    The forum offers the rows to count as ``forum.measures.peer_contact_rows(cohort,
    start=, end=)`` returning (members who made contact, members), two querysets.
    """
    try:
        from forum.measures import peer_contact_rows
    except ImportError:
        return None
    start, end = period.bounds(cohort.tz) if period else (None, None)
    return peer_contact_rows(cohort, start=start, end=end)


def platform_team_changes(
    cohort: Cohort, period: Quarter | None = None
) -> tuple[QuerySet, QuerySet] | None:
    """Teams with an action step done (in the quarter, when one is given), of the cohort's
    teams, from the action plans; None when the assessments app is not installed."""
    try:
        from assessments.measures import team_change_rows
    except ImportError:
        return None
    start, end = (period.start, period.end) if period else (None, None)
    return team_change_rows(cohort, start=start, end=end)


@dataclass
class OutcomeFigures:
    indicators: list[dict[str, Any]]
    peer_contacts: Share | None
    teams_with_changes: Share | None


def outcome_figures(cohort: Cohort, period: Quarter | None = None) -> OutcomeFigures:
    """The five indicators and the platform's two measures beside them, in one query: each a
    scalar subquery selected on the cohort's own row."""
    measures = {
        "peer_contacts": platform_peer_contacts(cohort, period),
        "teams_with_changes": platform_team_changes(cohort, period),
    }
    selected = {"indicators": indicator_counts(cohort, period)}
    for name, rows in measures.items():
        if rows is not None:
            selected[f"{name}_count"], selected[f"{name}_of"] = map(_counted, rows)
    row = Cohort.objects.filter(pk=cohort.pk).values(**selected).get()
    shares = {
        name: None if rows is None else Share.of(row[f"{name}_count"], row[f"{name}_of"])
        for name, rows in measures.items()
    }
    return OutcomeFigures(indicators=indicators_from(row["indicators"]), **shares)


def funder_report(
    cohort: Cohort,
    period: Quarter | None = None,
    *,
    written: list[ReportingNarrative] | None = None,
) -> FunderReport:
    """Everything the funder's report shows for ``cohort``, over the whole cohort or one
    quarter. Four queries whatever the number of waves, responses or sessions: the indicators
    with the platform's measures, the response rates, the attendance and the narratives; three
    when the cohort's narratives are ``written`` (see ``cohort_with_narratives``)."""
    start, end = period.bounds(cohort.tz) if period else (None, None)
    figures = outcome_figures(cohort, period)
    return FunderReport(
        cohort=cohort,
        period=period,
        quarters=cohort_quarters(cohort),
        indicators=figures.indicators,
        response_rates=wave_response_rates(cohort, period),
        attendance=AttendanceSummary(attendance_by_session(cohort, start=start, end=end)),
        narratives=narratives(cohort, period) if written is None else _in_order(written, period),
        peer_contacts=figures.peer_contacts,
        teams_with_changes=figures.teams_with_changes,
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
