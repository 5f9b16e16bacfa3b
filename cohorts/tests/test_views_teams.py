import pytest
from django.urls import reverse

from cohorts.models import Membership, Team
from cohorts.services import invite_member
from cohorts.tests.helpers import page_text
from conftest import login, make_agency, make_cohort, make_member, make_team, make_user


def team_url(team) -> str:
    return reverse("cohorts:team", args=[team.cohort.slug, team.pk])


def membership_url(name: str, membership) -> str:
    team = membership.team
    return reverse(f"cohorts:{name}", args=[team.cohort.slug, team.pk, membership.pk])


def membership_of(user) -> Membership:
    return Membership.objects.get(user=user)


# team page


def test_a_member_sees_their_teams_roster_with_emails_but_no_controls(
    client, staff, command, officer, team
):
    invite_member(team=team, email="zoe@riverton.example", role="sworn", invited_by=staff)
    login(client, officer)

    response = client.get(team_url(team))

    page = page_text(response)
    assert response.status_code == 200
    assert [m.user for m in response.context["roster"]] == [command, officer]
    assert "mailto:bob@riverton.example" in page
    assert '<span class="tag">You</span>' in page
    for staff_only in ["Edit team", "Invite member", "Change role", "Remove", "zoe@riverton"]:
        assert staff_only not in page, staff_only


def test_a_member_of_another_team_sees_the_roster_without_emails(
    client, command, officer, peer, team
):
    login(client, peer)

    page = page_text(client.get(team_url(team)))

    assert "Bob Chief" in page
    assert "Carol Officer" in page
    assert "bob@riverton.example" not in page
    assert "Change role" not in page


def test_staff_see_the_teams_controls_and_open_invitations(client, staff, command, team):
    invite_member(team=team, email="zoe@riverton.example", role="sworn", invited_by=staff)
    login(client, staff)

    page = page_text(client.get(team_url(team)))

    assert membership_url("membership_edit", membership_of(command)) in page
    assert membership_url("membership_remove", membership_of(command)) in page
    assert reverse("cohorts:invite", args=[team.cohort.slug, team.pk]) in page
    assert "zoe@riverton.example — Sworn officer" in page


def test_a_team_without_command_staff_says_it_needs_them(client, officer, peer, other_team):
    Membership.objects.filter(team=other_team).update(role="sworn", is_lead=False)
    login(client, peer)

    page = page_text(client.get(team_url(other_team)))

    assert "This team needs command staff." in page
    assert "Invite command staff" not in page


def test_a_team_of_another_cohort_is_not_found_under_this_cohort(
    client, staff, cohort, outsider_team
):
    login(client, staff)

    response = client.get(reverse("cohorts:team", args=[cohort.slug, outsider_team.pk]))

    assert response.status_code == 404


# team_create / team_edit


def test_staff_add_an_agency_team_named_after_the_agency(client, staff, cohort):
    agency = make_agency("Hillcrest Police Department")
    login(client, staff)

    response = client.post(
        reverse("cohorts:team_create", args=[cohort.slug]),
        {"agency": agency.pk, "name": "", "status": "active"},
    )

    created = Team.objects.get(agency=agency)
    assert response.status_code == 302
    assert response.url == created.get_absolute_url()
    assert (created.cohort, created.name) == (cohort, "Hillcrest Police Department")


def test_an_agency_already_in_the_cohort_is_not_offered_again(client, staff, cohort, team):
    login(client, staff)
    url = reverse("cohorts:team_create", args=[cohort.slug])

    offered = client.get(url).context["form"].fields["agency"].queryset
    response = client.post(url, {"agency": team.agency.pk, "status": "active"})

    assert team.agency not in offered
    assert "Select a valid choice." in page_text(response)
    assert cohort.teams.count() == 1


def test_a_full_cohort_takes_no_more_teams(client, staff):
    small = make_cohort("small", max_teams=1)
    make_team(small, make_agency("First PD"))
    second = make_agency("Second PD")
    login(client, staff)

    response = client.post(
        reverse("cohorts:team_create", args=[small.slug]),
        {"agency": second.pk, "status": "active"},
    )

    assert "SMALL already has its maximum of 1 team." in page_text(response)
    assert not second.teams.exists()


def test_staff_rename_a_team(client, staff, team):
    login(client, staff)

    response = client.post(
        reverse("cohorts:team_edit", args=[team.cohort.slug, team.pk]),
        {"agency": team.agency.pk, "name": "Riverton PD", "status": "withdrawn"},
    )

    assert response.status_code == 302
    team.refresh_from_db()
    assert (team.name, team.status) == ("Riverton PD", "withdrawn")


# membership_edit


def test_staff_promote_an_officer_to_team_lead(client, staff, command, officer, team):
    login(client, staff)

    response = client.post(
        membership_url("membership_edit", membership_of(officer)),
        {"role": "command_staff", "rank": "Lieutenant", "is_lead": "on"},
    )

    assert response.status_code == 302
    promoted = membership_of(officer)
    assert (promoted.role, promoted.rank, promoted.is_lead) == ("command_staff", "Lieutenant", True)
    assert not membership_of(command).is_lead


def test_demoting_the_last_command_staff_is_refused_on_the_form(client, staff, command, team):
    login(client, staff)

    response = client.post(
        membership_url("membership_edit", membership_of(command)), {"role": "sworn", "rank": ""}
    )

    assert response.status_code == 200
    assert "Bob Chief is the last command-staff member of Riverton Police Department." in (
        page_text(response)
    )
    kept = membership_of(command)
    assert (kept.role, kept.rank, kept.is_lead) == ("command_staff", "Chief", True)


def test_an_officer_cannot_be_made_team_lead(client, staff, command, officer, team):
    login(client, staff)

    response = client.post(
        membership_url("membership_edit", membership_of(officer)),
        {"role": "sworn", "is_lead": "on"},
    )

    assert "The team lead must be a command-staff member." in page_text(response)
    assert membership_of(command).is_lead


def test_staff_can_stand_down_a_lead_without_demoting_them(client, staff, command, team):
    login(client, staff)

    client.post(
        membership_url("membership_edit", membership_of(command)),
        {"role": "command_staff", "rank": "Chief"},
    )

    assert (membership_of(command).role, membership_of(command).is_lead) == (
        "command_staff",
        False,
    )


# membership_remove


def test_removing_asks_for_confirmation_first(client, staff, command, officer, team):
    login(client, staff)

    response = client.get(membership_url("membership_remove", membership_of(officer)))

    assert response.status_code == 200
    assert "Remove Carol Officer from Riverton Police Department?" in page_text(response)
    assert Membership.objects.filter(user=officer).exists()


def test_the_confirmation_warns_about_command_staff(client, staff, command, team):
    login(client, staff)

    response = client.get(membership_url("membership_remove", membership_of(command)))

    assert "A team's last command-staff member cannot be removed." in page_text(response)


def test_staff_remove_an_officer(client, staff, command, officer, team):
    login(client, staff)

    response = client.post(membership_url("membership_remove", membership_of(officer)), follow=True)

    assert response.redirect_chain[-1][0] == team.get_absolute_url()
    assert "Carol Officer was removed from Riverton Police Department." in page_text(response)
    assert not Membership.objects.filter(user=officer).exists()


def test_removing_the_last_command_staff_is_refused_with_a_clear_message(
    client, staff, command, officer, team
):
    login(client, staff)

    response = client.post(membership_url("membership_remove", membership_of(command)), follow=True)

    assert response.redirect_chain[-1][0] == team.get_absolute_url()
    assert (
        "Bob Chief is the last command-staff member of Riverton Police Department. "
        "Every team includes command staff: add or promote another command-staff member first."
        in page_text(response)
    )
    assert Membership.objects.filter(user=command, team=team).exists()


@pytest.mark.parametrize("name", ["membership_edit", "membership_remove"])
def test_a_membership_is_not_found_under_another_team(client, staff, peer, team, name):
    membership = membership_of(peer)
    login(client, staff)

    url = reverse(f"cohorts:{name}", args=[team.cohort.slug, team.pk, membership.pk])

    assert client.post(url, {"role": "sworn"}).status_code == 404
    assert membership_of(peer).role == "command_staff"


def test_removing_keeps_the_persons_account(client, staff, command, officer, team):
    login(client, staff)

    client.post(membership_url("membership_remove", membership_of(officer)))

    officer.refresh_from_db()
    assert officer.is_active


def test_a_team_of_one_officer_can_be_emptied(client, staff, cohort):
    lone = make_team(cohort, make_agency("Lone PD"))
    make_member(lone, make_user("solo@lone.example"))
    login(client, staff)

    client.post(membership_url("membership_remove", lone.memberships.get()))

    assert not lone.memberships.exists()
