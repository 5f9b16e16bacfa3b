"""Figures about action plans for the outcome report.

A team **reports changes made** when at least one of its action steps is done. The outcome
report counts those teams next to what participants said in the surveys.
"""

from __future__ import annotations

from datetime import date, datetime, time

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from cohorts.models import Cohort, Team

from .models import ActionStep


def _moment(day: date | datetime, *, end: bool, cohort: Cohort) -> datetime:
    if isinstance(day, datetime):
        return day
    moment = datetime.combine(day, time.max if end else time.min)
    return timezone.make_aware(moment, cohort.tz)


def teams_with_changes(
    cohort: Cohort, start: date | datetime | None = None, end: date | datetime | None = None
) -> tuple[int, int]:
    """(teams with an action step done between ``start`` and ``end``, teams in the cohort).

    Dates are whole days in the cohort's time zone, both ends included; either may be left
    open. One query.
    """
    counts = Team.objects.filter(cohort=cohort).aggregate(
        teams=Count("pk"), changed=Count("pk", filter=Q(_changes(cohort, start, end)))
    )
    return counts["changed"], counts["teams"]


def team_change_rows(
    cohort: Cohort, start: date | datetime | None = None, end: date | datetime | None = None
) -> tuple[QuerySet[Team], QuerySet[Team]]:
    """The rows ``teams_with_changes`` counts (teams with an action step done, the cohort's
    teams), not yet run: for a report that counts them with its other figures in one query."""
    teams = Team.objects.filter(cohort=cohort)
    return teams.filter(_changes(cohort, start, end)), teams


def _changes(cohort: Cohort, start: date | datetime | None, end: date | datetime | None) -> Exists:
    """The condition, on a Team row, of having an action step done in the period."""
    done = ActionStep.objects.filter(plan__team=OuterRef("pk"), status=ActionStep.Status.DONE)
    if start is not None:
        done = done.filter(done_at__gte=_moment(start, end=False, cohort=cohort))
    if end is not None:
        done = done.filter(done_at__lte=_moment(end, end=True, cohort=cohort))
    return Exists(done)
