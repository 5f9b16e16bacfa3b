from datetime import date

import pytest
from django.urls import reverse

from cohorts.forms import CohortForm
from cohorts.models import Cohort
from cohorts.tests.helpers import page_text
from conftest import login, make_agency, make_member, make_team, make_user


def cohort_form(**changes) -> dict:
    """A valid cohort form: every field's default, then a complete new cohort, then changes."""
    unbound = CohortForm()
    data = {name: unbound[name].value() for name in unbound.fields}
    data.update(
        name="OSW 2027",
        slug="osw-2027",
        start_date="2027-01-01",
        end_date="2027-12-31",
        max_teams="18",
        time_zone="America/Chicago",
    )
    data.update(changes)
    return {k: "" if v is None else v for k, v in data.items()}


def cohort_url(cohort, **query) -> str:
    url = reverse("cohorts:cohort", args=[cohort.slug])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


# cohort_list


def test_staff_see_every_cohort_in_the_list(client, staff, cohort, other_cohort):
    login(client, staff)

    page = page_text(client.get(reverse("cohorts:cohort_list")))

    assert "OSW Test Cohort" in page
    assert "Other Cohort" in page
    assert "New cohort" in page


def test_a_member_sees_only_their_cohorts_with_its_full_counts(
    client, officer, peer, outsider, cohort
):
    login(client, officer)

    response = client.get(reverse("cohorts:cohort_list"))

    assert list(response.context["cohorts"]) == [cohort]
    assert "Other Cohort" not in page_text(response)
    assert "New cohort" not in page_text(response)
    assert "<td>2 of 30</td>" in page_text(response)


def test_the_list_flags_a_cohort_with_a_team_missing_command_staff(client, staff, cohort, team):
    login(client, staff)

    page = page_text(client.get(reverse("cohorts:cohort_list")))

    assert f'href="{cohort_url(cohort)}?show=incomplete">Teams missing' in page


def test_someone_on_no_team_is_told_they_are_not_in_a_cohort(client, cohort):
    login(client, make_user("new@example.com"))

    page = page_text(client.get(reverse("cohorts:cohort_list")))

    assert "You are not in a cohort yet." in page


# cohort page


def test_a_member_sees_their_cohorts_teams_read_only(client, officer, peer, cohort, team):
    login(client, officer)

    response = client.get(cohort_url(cohort))

    page = page_text(response)
    assert response.status_code == 200
    assert "Riverton Police Department" in page
    assert "Marion County Sheriff's Office" in page
    assert "My team" in page
    assert "Every team has command staff" in page
    for staff_only in ["Import roster", "Add team", "Change status", "/edit/", "/status/"]:
        assert staff_only not in page, staff_only


def test_staff_see_the_cohorts_tools_and_open_invitations(client, staff, cohort, team, command):
    from cohorts.services import invite_member

    invite_member(team=team, email="zoe@riverton.example", role="sworn", invited_by=staff)
    login(client, staff)

    page = page_text(client.get(cohort_url(cohort)))

    assert reverse("cohorts:cohort_edit", args=[cohort.slug]) in page
    assert reverse("cohorts:roster_import", args=[cohort.slug]) in page
    assert reverse("cohorts:cohort_status", args=[cohort.slug]) in page
    assert "zoe@riverton.example" in page


def test_members_do_not_see_open_invitations(client, staff, officer, cohort, team):
    from cohorts.services import invite_member

    invite_member(team=team, email="zoe@riverton.example", role="sworn", invited_by=staff)
    login(client, officer)

    assert "zoe@riverton.example" not in page_text(client.get(cohort_url(cohort)))


def test_showing_incomplete_teams_lists_only_teams_without_command_staff(
    client, staff, cohort, team, command, other_team
):
    login(client, staff)

    response = client.get(cohort_url(cohort, show="incomplete"))

    page = page_text(response)
    assert list(response.context["teams"]) == [other_team]
    assert "Marion County Sheriff's Office" in page
    assert "Riverton Police Department" not in page
    assert "Needs command staff" in page
    assert "<strong>1</strong> team without command staff" in page


def test_the_full_team_list_marks_complete_and_incomplete_teams(
    client, staff, cohort, team, command, other_team
):
    login(client, staff)

    response = client.get(cohort_url(cohort))

    assert list(response.context["teams"]) == [other_team, team]
    assert page_text(response).count("Needs command staff") == 1
    assert page_text(response).count(">Complete</span>") == 1


def test_showing_incomplete_teams_says_so_when_every_team_is_complete(
    client, staff, cohort, command, peer
):
    login(client, staff)

    page = page_text(client.get(cohort_url(cohort, show="incomplete")))

    assert "Every team has command staff." in page
    assert "Needs command staff" not in page


# cohort_create / cohort_edit


def test_staff_create_a_cohort(client, staff):
    login(client, staff)

    response = client.post(reverse("cohorts:cohort_create"), cohort_form())

    created = Cohort.objects.get(slug="osw-2027")
    assert response.status_code == 302
    assert response.url == created.get_absolute_url()
    assert (created.max_teams, created.time_zone, created.status) == (
        18,
        "America/Chicago",
        "planning",
    )


def test_a_cohort_ending_before_it_starts_is_refused(client, staff):
    login(client, staff)

    response = client.post(reverse("cohorts:cohort_create"), cohort_form(end_date="2026-06-30"))

    assert response.status_code == 200
    assert "The end date must be on or after the start date." in page_text(response)
    assert not Cohort.objects.exists()


def test_a_taken_slug_is_refused(client, staff, cohort):
    login(client, staff)

    response = client.post(reverse("cohorts:cohort_create"), cohort_form(slug=cohort.slug))

    assert response.status_code == 200
    assert "Cohort with this Slug already exists." in page_text(response)
    assert Cohort.objects.count() == 1


def test_staff_edit_a_cohort(client, staff, cohort):
    login(client, staff)

    response = client.post(
        reverse("cohorts:cohort_edit", args=[cohort.slug]),
        cohort_form(slug=cohort.slug, name="Renamed"),
    )

    assert response.status_code == 302
    cohort.refresh_from_db()
    assert (cohort.name, cohort.start_date) == ("Renamed", date(2027, 1, 1))


def test_editing_in_dates_out_of_order_saves_nothing(client, staff, cohort):
    login(client, staff)

    response = client.post(
        reverse("cohorts:cohort_edit", args=[cohort.slug]),
        cohort_form(slug=cohort.slug, name="Renamed", start_date="2028-01-01"),
    )

    assert response.status_code == 200
    assert "The end date must be on or after the start date." in page_text(response)
    cohort.refresh_from_db()
    assert (cohort.name, cohort.start_date) == ("OSW Test Cohort", date(2026, 1, 1))


def test_the_maximum_cannot_drop_below_the_teams_already_in(
    client, staff, cohort, team, other_team
):
    login(client, staff)

    response = client.post(
        reverse("cohorts:cohort_edit", args=[cohort.slug]),
        cohort_form(slug=cohort.slug, max_teams="1"),
    )

    assert "The cohort already has 2 teams; the maximum cannot be lower." in page_text(response)
    cohort.refresh_from_db()
    assert cohort.max_teams == 30


# cohort_status


def test_activation_is_refused_with_the_reason_while_a_team_lacks_command_staff(
    client, staff, cohort, command, other_team
):
    login(client, staff)

    response = client.post(
        reverse("cohorts:cohort_status", args=[cohort.slug]), {"status": "active"}, follow=True
    )

    assert response.redirect_chain[-1][0] == cohort.get_absolute_url()
    assert (
        "The cohort cannot become active while 1 team lacks command staff: "
        "Marion County Sheriff's Office." in page_text(response)
    )
    cohort.refresh_from_db()
    assert cohort.status == "planning"


def test_staff_activate_a_cohort_whose_teams_are_complete(client, staff, cohort, command, peer):
    login(client, staff)

    response = client.post(
        reverse("cohorts:cohort_status", args=[cohort.slug]), {"status": "active"}, follow=True
    )

    assert "OSW Test Cohort is now active." in page_text(response)
    cohort.refresh_from_db()
    assert cohort.status == "active"


def test_changing_status_needs_a_post(client, staff, cohort):
    login(client, staff)

    assert client.get(reverse("cohorts:cohort_status", args=[cohort.slug])).status_code == 405


# people


@pytest.fixture
def crowd(cohort, team, command, officer, peer):
    dispatch = make_team(cohort, make_agency("Dispatch Center"))
    make_member(dispatch, make_user("dee@dispatch.example", first="Dee", last="Ward"),
                role="dispatcher", rank="Supervisor")  # fmt: skip
    return dispatch


def test_members_see_everyone_in_their_cohort(client, officer, crowd, outsider, cohort):
    login(client, officer)

    response = client.get(reverse("cohorts:people", args=[cohort.slug]))

    names = [m.user.display_name for m in response.context["page"]]
    assert names == ["Bob Chief", "Dave Deputy", "Carol Officer", "Dee Ward"]
    assert "Erin Outsider" not in page_text(response)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("deputy", ["Dave Deputy"]),
        ("RIVERTON", ["Bob Chief", "Carol Officer"]),
        ("supervisor", ["Dee Ward"]),
        ("nobody-like-this", []),
    ],
)
def test_the_people_search_matches_name_team_and_rank(
    client, officer, crowd, cohort, query, expected
):
    login(client, officer)

    response = client.get(reverse("cohorts:people", args=[cohort.slug]), {"q": query})

    assert [m.user.display_name for m in response.context["page"]] == expected
    if not expected:
        assert "Nobody matches that search." in page_text(response)


def test_the_people_page_filters_by_role(client, officer, crowd, cohort):
    login(client, officer)

    response = client.get(reverse("cohorts:people", args=[cohort.slug]), {"role": "command_staff"})

    assert [m.user.display_name for m in response.context["page"]] == ["Bob Chief", "Dave Deputy"]


def test_an_unknown_role_filter_shows_everyone(client, officer, crowd, cohort):
    login(client, officer)

    response = client.get(reverse("cohorts:people", args=[cohort.slug]), {"role": "chaplain"})

    assert len(response.context["page"]) == 4


def test_the_people_page_shows_fifty_a_page(client, staff, cohort, team, command):
    for i in range(54):
        make_member(team, make_user(f"p{i:02}@riverton.example", first="P", last=f"Person {i:02}"))
    login(client, staff)
    url = reverse("cohorts:people", args=[cohort.slug])

    first = client.get(url)
    second = client.get(url, {"page": 2})

    assert len(first.context["page"]) == 50
    assert "Page 1 of 2" in page_text(first)
    assert 'href="?page=2" rel="next"' in page_text(first)
    assert [m.user.last_name for m in second.context["page"]] == [
        "Person 49", "Person 50", "Person 51", "Person 52", "Person 53",
    ]  # fmt: skip


def test_pagination_keeps_the_search(client, staff, cohort, team, command):
    for i in range(51):
        make_member(team, make_user(f"p{i:02}@riverton.example", first="P", last=f"Person {i:02}"))
    login(client, staff)

    page = page_text(
        client.get(reverse("cohorts:people", args=[cohort.slug]), {"q": "person", "role": "sworn"})
    )

    assert 'href="?q=person&role=sworn&page=2"' in page
