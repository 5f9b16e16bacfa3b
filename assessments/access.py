"""Permission-checked fetches for a team's assessments, action plan and partners.

They are private to the team and to program staff: anyone else, including members of other
teams in the same cohort, gets 404 and no hint that the team has any.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.http import Http404

from cohorts.access import access_cohort
from cohorts.models import Cohort, Membership, Team


@dataclass(frozen=True)
class TeamSpace:
    cohort: Cohort
    team: Team
    membership: Membership | None  # None for program staff who are not on the team

    @property
    def is_command_staff(self) -> bool:
        return self.membership is not None and self.membership.is_command_staff


def access_team_space(user, slug: str, team_id: int) -> TeamSpace:
    """The team, for its own members and program staff; one query."""
    if not user.is_authenticated:
        raise Http404
    membership = (
        Membership.objects.select_related("team__cohort", "team__agency")
        .filter(user=user, team_id=team_id, team__cohort__slug=slug)
        .first()
    )
    if membership is not None:
        return TeamSpace(membership.team.cohort, membership.team, membership)
    if not user.is_staff:
        raise Http404("No such team.")
    team = (
        Team.objects.select_related("cohort", "agency")
        .filter(pk=team_id, cohort__slug=slug)
        .first()
    )
    if team is None:
        raise Http404("No such team.")
    return TeamSpace(team.cohort, team, None)


def access_staff_report(user, slug: str) -> Cohort:
    """Staff reports: people outside the cohort find nothing (404); its members are refused
    (403), as for the survey reports."""
    cohort = access_cohort(user, slug)
    if not user.is_staff:
        raise PermissionDenied("Only program staff can see the cohort's assessment overview.")
    return cohort
