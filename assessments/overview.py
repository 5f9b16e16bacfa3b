"""The staff overview of a cohort: each team's assessment rounds and action plan progress.

A fixed number of queries whatever the number of teams: the teams with their step counts,
the assessments, the domain scores (two) and the steps by roadmap step.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from cohorts.models import Cohort, Membership, Team
from surveys.exports import csv_safe

from . import roadmap
from .models import ROUND_ORDER, ActionStep, Assessment
from .scoring import cohort_scores, overall

NOT_PLANNED = ~Q(status=ActionStep.Status.DROPPED)
DONE = Q(status=ActionStep.Status.DONE)


@dataclass(frozen=True)
class StepProgress:
    step: roadmap.RoadmapStep
    done: int
    planned: int


def roadmap_progress(steps: QuerySet[ActionStep]) -> list[StepProgress]:
    """Steps done of planned (dropped ones left out) for each roadmap step. One query."""
    counts = {
        row["roadmap_step"]: row
        for row in steps.order_by()
        .values("roadmap_step")
        .annotate(done=Count("pk", filter=DONE), planned=Count("pk", filter=NOT_PLANNED))
    }
    return [
        StepProgress(
            step=s,
            done=counts.get(s.code, {}).get("done", 0),
            planned=counts.get(s.code, {}).get("planned", 0),
        )
        for s in roadmap.STEPS
    ]


@dataclass
class RoundCell:
    status: str  # "not_started", "draft" or "submitted"
    score: float | None = None  # overall score of a submitted assessment
    submitted_at: datetime | None = None

    @property
    def label(self) -> str:
        return {"not_started": "Not started", "draft": "In progress", "submitted": "Submitted"}[
            self.status
        ]


@dataclass
class TeamRow:
    team: Team
    rounds: list[RoundCell]
    planned: int
    done: int
    overdue: int
    by_step: dict[str, tuple[int, int]]  # roadmap step → (done, planned)

    @property
    def changes_made(self) -> bool:
        return self.done > 0

    def step_cells(self) -> list[tuple[int, int]]:
        return [self.by_step.get(s.code, (0, 0)) for s in roadmap.STEPS]


@dataclass
class CohortOverview:
    rows: list[TeamRow]
    submitted: dict[str, int] = field(default_factory=dict)  # round → teams that submitted
    totals: list[StepProgress] = field(default_factory=list)

    @property
    def teams_with_changes(self) -> int:
        return sum(1 for row in self.rows if row.changes_made)


def cohort_overview(cohort: Cohort, today: date | None = None) -> CohortOverview:
    today = today or timezone.localdate()
    command = Q(memberships__role=Membership.Role.COMMAND_STAFF)
    teams = list(
        cohort.teams.select_related("agency", "cohort")
        .annotate(
            command_staff_count=Count("memberships", filter=command, distinct=True),
            planned=Count(
                "action_plan__steps",
                filter=~Q(action_plan__steps__status=ActionStep.Status.DROPPED),
                distinct=True,
            ),
            done=Count(
                "action_plan__steps",
                filter=Q(action_plan__steps__status=ActionStep.Status.DONE),
                distinct=True,
            ),
            overdue=Count(
                "action_plan__steps",
                filter=Q(
                    action_plan__steps__status__in=ActionStep.OPEN_STATUSES,
                    action_plan__steps__due_date__lt=today,
                ),
                distinct=True,
            ),
        )
        .order_by("name")
    )
    states = defaultdict(dict)
    for team_id, round_, status, submitted_at in Assessment.objects.filter(
        team__cohort=cohort
    ).values_list("team_id", "round", "status", "submitted_at"):
        states[team_id][round_] = (status, submitted_at)
    scores = cohort_scores(cohort)
    by_step: dict[int, dict[str, tuple[int, int]]] = defaultdict(dict)
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for row in (
        ActionStep.objects.filter(plan__team__cohort=cohort)
        .values("plan__team_id", "roadmap_step")
        .annotate(done=Count("pk", filter=DONE), planned=Count("pk", filter=NOT_PLANNED))
        .order_by()
    ):
        by_step[row["plan__team_id"]][row["roadmap_step"]] = (row["done"], row["planned"])
        totals[row["roadmap_step"]][0] += row["done"]
        totals[row["roadmap_step"]][1] += row["planned"]
    rows = []
    for team in teams:
        cells = []
        for round_ in ROUND_ORDER:
            status, submitted_at = states[team.pk].get(round_, ("not_started", None))
            cells.append(
                RoundCell(
                    status=status,
                    score=overall(scores.get((team.pk, round_))),
                    submitted_at=submitted_at,
                )
            )
        rows.append(
            TeamRow(
                team=team,
                rounds=cells,
                planned=team.planned,
                done=team.done,
                overdue=team.overdue,
                by_step=by_step.get(team.pk, {}),
            )
        )
    submitted = {
        r: sum(1 for t in states.values() if t.get(r, ("",))[0] == "submitted") for r in ROUND_ORDER
    }
    return CohortOverview(
        rows=rows,
        submitted=submitted,
        totals=[StepProgress(s, *totals.get(s.code, (0, 0))) for s in roadmap.STEPS],
    )


def _percent(value: float | None) -> str:
    return "" if value is None else f"{value:.0f}"


def csv_rows(data: CohortOverview):
    """One row per team: rounds, plan progress and whether it reports changes made."""
    header = ["team", "agency_kind", "state"]
    for round_ in ROUND_ORDER:
        header += [f"{round_}_status", f"{round_}_score_pct", f"{round_}_submitted_on"]
    header += ["steps_planned", "steps_done", "steps_overdue", "changes_made"]
    header += [f"roadmap_{s.number}_{s.code}_done_of_planned" for s in roadmap.STEPS]
    yield header
    for row in data.rows:
        team = row.team
        line = [team.name, team.agency.get_kind_display(), team.agency.state]
        for cell in row.rounds:
            line += [
                cell.status,
                _percent(cell.score),
                cell.submitted_at.date().isoformat() if cell.submitted_at else "",
            ]
        line += [row.planned, row.done, row.overdue, "yes" if row.changes_made else "no"]
        line += [f"{done}/{planned}" for done, planned in row.step_cells()]
        yield csv_safe(line)
