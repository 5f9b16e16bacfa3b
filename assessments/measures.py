"""Figures about action plans for the outcome report.

A team **reports changes made** when at least one of its action steps is done. The outcome
report counts those teams next to what participants said in the surveys.
"""

from __future__ import annotations

from datetime import date, datetime, time

from django.db.models import Count, Exists, OuterRef, Q
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
    done = ActionStep.objects.filter(plan__team=OuterRef("pk"), status=ActionStep.Status.DONE)
    if start is not None:
        done = done.filter(done_at__gte=_moment(start, end=False, cohort=cohort))
    if end is not None:
        done = done.filter(done_at__lte=_moment(end, end=True, cohort=cohort))
    counts = Team.objects.filter(cohort=cohort).aggregate(
        teams=Count("pk"), changed=Count("pk", filter=Q(Exists(done)))
    )
    return counts["changed"], counts["teams"]
