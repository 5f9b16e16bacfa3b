"""The member home page, the cohort calendar's month and the base layout, as they are drawn
from few, cheap reads: what each shows, and how many queries each runs."""

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from cohorts.tests.helpers import page_text
from cohorts.tests.test_calendar_support import NEW_YORK, make_session, make_sme
from conftest import login, make_member, make_user

SIZES = [2, 12]


def roster_lines(response) -> list[str]:
    html = response.content.decode()
    roster = html.split('<ul class="roster-mini">', 1)[1].split("</ul>", 1)[0]
    return re.findall(r"<li>(.*?)</li>", roster)


def make_wave(cohort, title: str, *, opens_in: timedelta, closes_in: timedelta):
    from surveys.catalogue import ensure_templates
    from surveys.services import create_wave

    now = timezone.now()
    return create_wave(
        survey=ensure_templates()["midpoint-pulse"],
        cohort=cohort,
        title=title,
        opens_at=now + opens_in,
        closes_at=now + closes_in,
        created_by=None,
        notify=False,
    )


# The member home page ---------------------------------------------------------------------


def test_the_roster_lists_the_lead_first_then_by_role_with_rank_or_role(
    client, team, command, officer
):
    make_member(team, make_user("dispatch@riverton.example"), role="dispatcher")
    make_member(
        team, make_user("ann@riverton.example", first="Ann", last="<b>Aide</b>"), "civilian"
    )
    login(client, officer)

    response = client.get(reverse("home"))

    assert roster_lines(response) == [
        'Bob Chief <span class="muted">— Chief, team lead</span>',
        'Ann &lt;b&gt;Aide&lt;/b&gt; <span class="muted">— Civilian staff</span>',
        'dispatch@riverton.example <span class="muted">— Dispatcher</span>',
        'Carol Officer <span class="muted">— Sergeant</span>',
    ]


def test_a_team_without_command_staff_is_flagged_and_one_with_it_is_not(
    client, team, officer, command, other_team
):
    make_member(other_team, officer)
    login(client, officer)

    response = client.get(reverse("home"))

    flagged = {t.name: not t.has_command_staff() for t in response.context["teams"]}
    assert flagged == {"Riverton Police Department": False, "Marion County Sheriff's Office": True}
    assert page_text(response).count("Needs command staff") == 1


def test_teams_are_listed_newest_cohort_first(client, officer, team, outsider_team):
    outsider_team.cohort.start_date = team.cohort.start_date + timedelta(days=30)
    outsider_team.cohort.save()
    make_member(outsider_team, officer)
    login(client, officer)

    response = client.get(reverse("home"))

    assert list(response.context["teams"]) == [outsider_team, team]


def test_the_next_session_names_its_presenters(client, cohort, officer):
    session = make_session(cohort, 1, title="Peer support basics")
    session.presenters.set(
        [
            make_sme("zed@experts.example"),
            make_user("ann@experts.example", first="Ann", last="Able", is_sme=True),
        ]
    )
    make_session(cohort, 2, timezone.now() + timedelta(days=40), title="Later one")
    login(client, officer)

    page = page_text(client.get(reverse("home")))

    assert "Session 1: Peer support basics" in page
    assert "<p>With Ann Able, Sam Expert</p>" in page
    assert "Later one" not in page


def test_the_next_session_may_be_one_the_member_presents_in_another_cohort(
    client, cohort, other_cohort, officer
):
    make_session(cohort, 1, timezone.now() + timedelta(days=9), title="Own cohort's")
    elsewhere = make_session(
        other_cohort, 1, timezone.now() + timedelta(days=2), title="Presented elsewhere"
    )
    elsewhere.presenters.set([officer, make_sme()])
    login(client, officer)

    response = client.get(reverse("home"))

    assert response.context["next_session"] == elsewhere
    assert "Your next session · Other Cohort" in page_text(response)
    assert elsewhere.get_absolute_url() in page_text(response)


def test_cancelled_and_past_sessions_are_not_the_next_one(client, cohort, officer):
    make_session(cohort, 1, timezone.now() - timedelta(days=3), title="Held already")
    make_session(cohort, 2, timezone.now() + timedelta(days=1), status="cancelled")
    make_session(cohort, 3, timezone.now() + timedelta(days=5), title="The real next one")
    login(client, officer)

    response = client.get(reverse("home"))

    assert response.context["next_session"].title == "The real next one"


def test_someone_on_no_team_runs_no_session_or_survey_query(
    client, cohort, django_assert_num_queries
):
    make_session(cohort, 1)
    login(client, make_user("nobody@example.com"))

    # session, user, teams
    with django_assert_num_queries(3):
        response = client.get(reverse("home"))

    assert "You are not on a team yet" in page_text(response)


@pytest.mark.parametrize("size", SIZES)
def test_the_member_home_page_with_a_next_session_runs_a_fixed_number_of_queries(
    client, cohort, team, officer, size, django_assert_num_queries
):
    for i in range(size):
        make_member(team, make_user(f"member{i}@riverton.example", first="M", last=f"{i}"))
    session = make_session(cohort, 1)
    session.presenters.set([make_sme(f"sme{i}@experts.example") for i in range(size)])
    for i in range(size):
        make_wave(cohort, f"Pulse {i}", opens_in=timedelta(days=-1), closes_in=timedelta(days=3))
    login(client, officer)

    # session, user, teams, roster, next session, its presenters, open surveys
    with django_assert_num_queries(7):
        response = client.get(reverse("home"))

    assert len(roster_lines(response)) == 2 + size
    assert len(response.context["next_session"].presenter_names) == size
    assert len(response.context["open_surveys"]) == size


def test_unused_invitations_of_closed_waves_are_not_looked_up(
    client, cohort, officer, django_assert_num_queries
):
    make_wave(cohort, "Closed pulse", opens_in=timedelta(days=-9), closes_in=timedelta(days=-1))
    make_wave(cohort, "Next pulse", opens_in=timedelta(days=1), closes_in=timedelta(days=8))
    login(client, officer)

    # session, user, teams (no survey of theirs is open), their rosters, the next session
    with django_assert_num_queries(5):
        response = client.get(reverse("home"))

    assert list(response.context["open_surveys"]) == []
    assert "Surveys waiting for you" not in page_text(response)


def test_an_open_wave_of_another_cohort_does_not_show_and_ones_own_does(
    client, cohort, other_cohort, officer, outsider
):
    make_wave(other_cohort, "Their pulse", opens_in=timedelta(days=-1), closes_in=timedelta(days=3))
    login(client, officer)

    assert "Surveys waiting for you" not in page_text(client.get(reverse("home")))

    make_wave(cohort, "Our pulse", opens_in=timedelta(days=-1), closes_in=timedelta(days=3))
    response = client.get(reverse("home"))

    assert [i.wave.title for i in response.context["open_surveys"]] == ["Our pulse"]
    assert "Surveys waiting for you" in page_text(response)


# The cohort calendar's month ----------------------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
def test_the_month_of_the_next_session_runs_a_fixed_number_of_queries(
    client, cohort, officer, size, django_assert_num_queries
):
    zone = ZoneInfo(NEW_YORK)
    first = (timezone.localdate() + timedelta(days=70)).replace(day=1)
    for i in range(size):
        start = datetime.combine(first + timedelta(days=i), time(14), tzinfo=zone)
        make_session(cohort, i + 1, start).presenters.set([make_sme(f"sme{i}@experts.example")])
    login(client, officer)

    # session, user, cohort with the feed token, next upcoming start, the month's sessions
    with django_assert_num_queries(5):
        response = client.get(reverse("cohorts:calendar", args=[cohort.slug]))

    assert response.context["month"] == first
    assert response.context["count"] == size
    assert page_text(response).count('class="grid-session') == size


def test_the_month_grid_marks_today_and_the_days_of_other_months(client, cohort, officer):
    login(client, officer)
    today = datetime.now(ZoneInfo(NEW_YORK)).date()

    response = client.get(
        reverse("cohorts:calendar", args=[cohort.slug]), {"month": f"{today:%Y-%m}"}
    )

    cells = re.findall(
        r'<td class="([^"]*)">\s*<span class="day-number">(\d+)</span>', response.content.decode()
    )
    weeks = response.context["weeks"]
    days = [cell["day"] for week in weeks for cell in week]
    assert len(cells) == len(days)
    for (css, number), day in zip(cells, days, strict=True):
        assert number == str(day.day)
        expected = ("" if day.month == today.month else "other-month") + (
            " today" if day == today else ""
        )
        assert css == expected
    assert sum(" today" in css for css, _ in cells) == 1


def test_a_cancelled_session_is_marked_in_the_grid(client, cohort, officer):
    start = timezone.now() + timedelta(days=3)
    make_session(cohort, 1, start, title="Called off", status="cancelled")
    login(client, officer)

    response = client.get(
        reverse("cohorts:calendar", args=[cohort.slug]),
        {"month": f"{timezone.localtime(start, ZoneInfo(NEW_YORK)):%Y-%m}"},
    )

    assert 'class="grid-session is-cancelled"' in page_text(response)
    assert "Called off (cancelled)" in page_text(response)


@pytest.mark.parametrize("persona", ["officer", "staff"])
def test_the_calendar_shows_the_viewers_own_cohort_feed_only(
    client, cohort, command, persona, request
):
    from cohorts.sessions import feed_for

    viewer = request.getfixturevalue(persona)
    feed_for(user=command, cohort=cohort)
    url = reverse("cohorts:calendar", args=[cohort.slug])
    login(client, viewer)

    assert client.get(url).context["feed_url"] is None

    feed = feed_for(user=viewer, cohort=cohort)
    response = client.get(url)

    assert response.context["feed_url"] == f"http://testserver{feed.get_absolute_url()}"
    assert f'value="http://testserver{feed.get_absolute_url()}"' in page_text(response)

    feed.revoke()
    assert client.get(url).context["feed_url"] is None


def test_an_outsider_gets_404_for_the_calendar(client, cohort, outsider):
    login(client, outsider)

    response = client.get(reverse("cohorts:calendar", args=[cohort.slug]))

    assert response.status_code == 404


# The base layout ----------------------------------------------------------------------------


def test_the_layout_links_every_page_of_the_navigation(client, officer):
    login(client, officer)

    page = page_text(client.get(reverse("cohorts:my_calendar")))

    for name in [
        "home",
        "cohorts:cohort_list",
        "cohorts:my_calendar",
        "training:program",
        "training:library",
        "conversations:inbox",
        "accounts:profile",
        "notifications:list",
    ]:
        assert f'href="{reverse(name)}"' in page
    assert f'action="{reverse("account_logout")}"' in page
    assert f'data-notifications-feed="{reverse("notifications:feed")}"' in page
    assert reverse("cohorts:agency_list") not in page


def test_the_layout_links_staff_pages_for_staff_and_sign_in_for_visitors(client, staff):
    anonymous = page_text(client.get(reverse("home")))
    login(client, staff)
    signed_in = page_text(client.get(reverse("cohorts:my_calendar")))

    assert f'href="{reverse("account_login")}"' in anonymous
    assert reverse("notifications:feed") not in anonymous
    assert f'href="{reverse("cohorts:agency_list")}"' in signed_in
    assert f'href="{reverse("admin:index")}"' in signed_in


def test_the_layout_assets_follow_the_static_settings(client, officer):
    login(client, officer)
    url = reverse("cohorts:my_calendar")

    with override_settings(STATIC_URL="/assets/"):
        moved = page_text(client.get(url))
    back = page_text(client.get(url))

    assert 'href="/assets/css/app.css"' in moved
    assert 'src="/assets/js/notifications.js"' in moved
    assert 'href="/static/css/app.css"' in back
    assert 'src="/static/vendor/htmx-2.0.11.min.js"' in back
