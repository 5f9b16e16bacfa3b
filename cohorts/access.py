"""Permission-checked fetches: outsiders get 404, never a hint that the object exists."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from .models import Cohort, Team


def access_cohort(user, slug: str) -> Cohort:
    return get_object_or_404(Cohort.objects.visible_to(user), slug=slug)


def access_team(user, cohort: Cohort, team_id: int, *, with_roster: bool = False) -> Team:
    teams = cohort.teams.with_roster() if with_roster else cohort.teams.select_related("agency")
    return get_object_or_404(teams, pk=team_id)


def staff_required(view):
    """Program staff only: anonymous people are sent to sign in, members are refused.

    On a cohort's own pages (those with a ``slug``), people outside the cohort get 404, as for
    its other pages: a refusal must not tell them the cohort exists.
    """

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_staff:
            if "slug" in kwargs:
                access_cohort(request.user, kwargs["slug"])
            raise PermissionDenied("Only program staff can do that.")
        return view(request, *args, **kwargs)

    return wrapped
