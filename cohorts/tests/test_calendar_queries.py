"""The calendar pages run a fixed number of queries whatever the number of sessions."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from cohorts.tests.test_calendar_support import NEW_YORK, make_session, make_sme
from conftest import login

SIZES = [2, 12]


def next_month_start() -> datetime:
    """14:00 New York time on the 1st of next month: every session of the month is upcoming."""
    today = timezone.localdate()
    first = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    return datetime.combine(first, time(14, 0), tzinfo=ZoneInfo(NEW_YORK))


@pytest.fixture(params=SIZES, ids=[f"{n}-sessions" for n in SIZES])
def populated(request, cohort, other_cohort, command, officer, peer):
    """N sessions on consecutive days of next month, each with two presenters, every member's
    RSVP and N materials; plus a session of another cohort that must not show up."""
    from cohorts.models import Rsvp, SessionMaterial

    n = request.param
    experts = [make_sme(f"expert{i}@experts.example") for i in range(2)]
    start = next_month_start()
    sessions = []
    for i in range(n):
        session = make_session(
            cohort, i + 1, start + timedelta(days=i), meeting_url="https://zoom.example/j/1"
        )
        session.presenters.set(experts)
        for user, response in [(command, "going"), (officer, "maybe"), (peer, "not_going")]:
            Rsvp.objects.create(session=session, user=user, response=response)
        sessions.append(session)
    for i in range(n):
        SessionMaterial.objects.create(
            session=sessions[0], title=f"Link {i}", url=f"https://library.example/{i}"
        )
    make_session(other_cohort, 1, start)
    return sessions


def month_param() -> str:
    return f"{next_month_start():%Y-%m}"


@pytest.mark.parametrize("persona", ["officer", "staff"])
def test_the_cohort_calendar_month_view(
    client, cohort, populated, persona, request, django_assert_num_queries
):
    login(client, request.getfixturevalue(persona))

    # session, user, cohort with the feed token, sessions (the month is given; the grid
    # shows no presenters)
    with django_assert_num_queries(4):
        response = client.get(
            reverse("cohorts:calendar", args=[cohort.slug]), {"month": month_param()}
        )

    assert response.context["count"] == len(populated)


@pytest.mark.parametrize("show", ["upcoming", "all"])
def test_the_cohort_calendar_list_view(
    client, cohort, officer, populated, show, django_assert_num_queries
):
    login(client, officer)

    # session, user, cohort with the feed token, count, sessions, presenters
    with django_assert_num_queries(6):
        response = client.get(
            reverse("cohorts:calendar", args=[cohort.slug]), {"view": "list", "show": show}
        )

    assert len(response.context["page"].object_list) == len(populated)


@pytest.mark.parametrize("view", ["month", "list"])
def test_my_calendar(client, officer, populated, view, django_assert_num_queries):
    login(client, officer)

    # session, user, [count], sessions, [presenters]
    with django_assert_num_queries(3 if view == "month" else 5):
        response = client.get(
            reverse("cohorts:my_calendar"), {"view": view, "month": month_param()}
        )

    listed = response.context["count"] if view == "month" else len(response.context["page"])
    assert listed == len(populated)


@pytest.mark.parametrize("persona", ["officer", "staff"])
def test_the_session_page(client, populated, persona, request, django_assert_num_queries):
    session = populated[0]
    login(client, request.getfixturevalue(persona))

    # session, user, the session, presenters, [membership for the private parts], own RSVP,
    # membership, RSVP counts, materials
    with django_assert_num_queries(9 if persona == "officer" else 8):
        response = client.get(session.get_absolute_url())

    assert len(response.context["materials"]) == len(populated)
    assert response.context["rsvp_counts"] == {"going": 1, "maybe": 1, "not_going": 1}
