from django.urls import reverse

from cohorts.tests.helpers import page_text
from conftest import login, make_agency, make_cohort, make_member, make_team, make_user


def test_an_anonymous_visitor_gets_the_landing_page(client, db):
    response = client.get(reverse("home"))

    assert response.status_code == 200
    assert [t.name for t in response.templates][0] == "cohorts/landing.html"
    assert "Officer safety and wellness, built together" in page_text(response)
    assert reverse("account_login") in page_text(response)


def test_staff_get_the_program_dashboard(client, staff, cohort, command, other_team, outsider):
    login(client, staff)

    response = client.get(reverse("home"))

    page = page_text(response)
    assert "Program dashboard" in page
    assert {c.slug for c in response.context["cohorts"]} == {"osw-test", "osw-other"}
    assert list(response.context["incomplete"]) == [other_team]
    assert 'Marion County Sheriff\'s Office</a> <span class="tag tag-warn">Needs command staff' in (
        page
    )
    assert (
        reverse("cohorts:invite", args=[cohort.slug, other_team.pk]) + "?role=command_staff" in page
    )


def test_the_dashboard_ignores_incomplete_teams_of_completed_cohorts(client, staff):
    done = make_cohort("done", status="completed")
    make_team(done, make_agency("Old PD"))
    login(client, staff)

    response = client.get(reverse("home"))

    assert list(response.context["incomplete"]) == []
    assert "Every team in a planning or active cohort includes command staff." in (
        page_text(response)
    )


def test_a_member_is_shown_their_team_and_cohort(client, command, officer, team, cohort):
    login(client, officer)

    response = client.get(reverse("home"))

    page = page_text(response)
    assert list(response.context["teams"]) == [team]
    assert "Welcome, Carol" in page
    assert f'<a href="{team.get_absolute_url()}">Riverton Police Department</a>' in page
    assert f'<a href="{cohort.get_absolute_url()}">OSW Test Cohort</a>' in page
    assert "Bob Chief" in page
    assert "Program dashboard" not in page


def test_a_member_of_two_cohorts_sees_both_teams(client, command, team, outsider_team):
    make_member(outsider_team, command, role="command_staff")
    login(client, command)

    response = client.get(reverse("home"))

    assert set(response.context["teams"]) == {team, outsider_team}


def test_someone_on_no_team_is_told_so(client, cohort, team):
    login(client, make_user("new@example.com", first="Nia"))

    page = page_text(client.get(reverse("home")))

    assert "You are not on a team yet" in page
    assert "Riverton" not in page
