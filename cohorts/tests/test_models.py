import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from cohorts.models import Cohort, CommandStaffRequired, Membership, Team
from conftest import make_agency, make_cohort, make_member, make_team, make_user


def membership_of(user, team) -> Membership:
    return Membership.objects.get(user=user, team=team)


# Team.lacking_command_staff


def test_it_lists_teams_without_command_staff_as_lacking(team, command, other_team):
    sworn_only = make_team(team.cohort, make_agency("Sworn Only PD"))
    make_member(sworn_only, make_user("sam@sworn.example"), role="sworn")

    lacking = set(Team.objects.lacking_command_staff())

    assert lacking == {other_team, sworn_only}


def test_it_treats_a_team_with_command_staff_as_complete(team, command):
    assert team.has_command_staff()
    assert team.is_complete
    assert team not in Team.objects.lacking_command_staff()


# remove_member / change_role and the last command-staff member


def test_it_refuses_removing_the_last_command_staff(team, command, officer):
    membership = membership_of(command, team)

    with pytest.raises(CommandStaffRequired) as refused:
        team.remove_member(membership)

    assert "Bob Chief is the last command-staff member of Riverton Police Department" in str(
        refused.value.messages
    )
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_it_removes_command_staff_when_another_command_staff_remains(team, command):
    deputy = make_member(team, make_user("dan@riverton.example"), role="command_staff")

    team.remove_member(membership_of(command, team))

    assert list(team.memberships.all()) == [deputy]


def test_it_removes_an_officer_freely(team, command, officer):
    team.remove_member(membership_of(officer, team))

    assert not Membership.objects.filter(user=officer).exists()


def test_it_refuses_removing_someone_from_another_team(team, command, other_team, peer):
    with pytest.raises(ValidationError, match="not on this team"):
        team.remove_member(membership_of(peer, other_team))

    assert Membership.objects.filter(user=peer).exists()


def test_it_refuses_demoting_the_last_command_staff(team, command):
    membership = membership_of(command, team)

    with pytest.raises(CommandStaffRequired, match="last command-staff member"):
        team.change_role(membership, role=Membership.Role.SWORN)

    membership.refresh_from_db()
    assert membership.role == Membership.Role.COMMAND_STAFF
    assert membership.is_lead


def test_it_demotes_command_staff_when_another_remains_and_drops_the_lead(team, command):
    make_member(team, make_user("dan@riverton.example"), role="command_staff")
    membership = membership_of(command, team)

    team.change_role(membership, role=Membership.Role.SWORN, rank="Lieutenant")

    membership.refresh_from_db()
    assert membership.role == Membership.Role.SWORN
    assert membership.rank == "Lieutenant"
    assert not membership.is_lead


def test_it_promotes_an_officer_to_command_staff(team, command, officer):
    membership = membership_of(officer, team)

    team.change_role(membership, role=Membership.Role.COMMAND_STAFF)

    membership.refresh_from_db()
    assert membership.role == Membership.Role.COMMAND_STAFF
    assert membership.rank == "Sergeant"


def test_it_refuses_an_unknown_role(team, command, officer):
    with pytest.raises(ValidationError, match="Unknown role"):
        team.change_role(membership_of(officer, team), role="chief")

    assert membership_of(officer, team).role == Membership.Role.SWORN


# set_lead


def test_it_moves_the_team_lead_to_another_command_staff_member(team, command):
    deputy = make_member(team, make_user("dan@riverton.example"), role="command_staff")

    team.set_lead(deputy)

    assert list(team.memberships.filter(is_lead=True)) == [deputy]
    assert not membership_of(command, team).is_lead


def test_it_refuses_an_officer_as_team_lead(team, command, officer):
    with pytest.raises(ValidationError, match="must be a command-staff member"):
        team.set_lead(membership_of(officer, team))

    assert membership_of(command, team).is_lead
    assert not membership_of(officer, team).is_lead


# Database constraints


def test_the_database_refuses_two_leads_on_one_team(team, command):
    with pytest.raises(IntegrityError), transaction.atomic():
        make_member(team, make_user("dan@riverton.example"), role="command_staff", is_lead=True)


def test_the_database_refuses_a_lead_who_is_not_command_staff(team):
    with pytest.raises(IntegrityError), transaction.atomic():
        make_member(team, make_user("sam@riverton.example"), role="sworn", is_lead=True)


def test_the_database_refuses_a_second_team_for_one_agency_in_a_cohort(team):
    with pytest.raises(IntegrityError), transaction.atomic():
        Team.objects.create(cohort=team.cohort, agency=team.agency, name="Again")


def test_the_database_allows_one_agency_in_two_cohorts(team, other_cohort):
    make_team(other_cohort, team.agency)

    assert team.agency.teams.count() == 2


def test_the_database_refuses_an_unknown_role(team):
    with pytest.raises(IntegrityError), transaction.atomic():
        make_member(team, make_user("sam@riverton.example"), role="chief")


def test_the_database_refuses_a_person_twice_on_one_team(team, officer):
    with pytest.raises(IntegrityError), transaction.atomic():
        make_member(team, officer, role="dispatcher")


# Membership.delete


def test_deleting_the_last_command_staff_membership_is_refused(team, command):
    membership = membership_of(command, team)

    with pytest.raises(CommandStaffRequired):
        membership.delete()

    assert Membership.objects.filter(pk=membership.pk).exists()


def test_deleting_an_officer_membership_removes_it(team, command, officer):
    membership_of(officer, team).delete()

    assert list(team.memberships.values_list("user__email", flat=True)) == [command.email]


# Cohort.set_status


def test_it_refuses_activation_while_a_team_lacks_command_staff(cohort, command, other_team):
    with pytest.raises(CommandStaffRequired) as refused:
        cohort.set_status(Cohort.Status.ACTIVE)

    assert refused.value.messages == [
        "The cohort cannot become active while 1 team lacks command staff: "
        "Marion County Sheriff's Office."
    ]
    cohort.refresh_from_db()
    assert cohort.status == Cohort.Status.PLANNING


def test_it_names_every_incomplete_team_when_refusing_activation(cohort, team, other_team):
    with pytest.raises(CommandStaffRequired) as refused:
        cohort.set_status(Cohort.Status.ACTIVE)

    message = refused.value.messages[0]
    assert "2 teams lack command staff" in message
    assert "Riverton Police Department" in message
    assert "Marion County Sheriff's Office" in message


def test_it_activates_a_cohort_whose_teams_all_have_command_staff(cohort, command, peer):
    cohort.set_status(Cohort.Status.ACTIVE)

    cohort.refresh_from_db()
    assert cohort.status == Cohort.Status.ACTIVE


def test_it_completes_a_cohort_even_with_an_incomplete_team(cohort, other_team):
    cohort.set_status(Cohort.Status.COMPLETED)

    cohort.refresh_from_db()
    assert cohort.status == Cohort.Status.COMPLETED


def test_it_refuses_an_unknown_status(cohort):
    with pytest.raises(ValidationError, match="Unknown status"):
        cohort.set_status("paused")

    cohort.refresh_from_db()
    assert cohort.status == Cohort.Status.PLANNING


def test_it_refuses_an_end_date_before_the_start_date(cohort):
    cohort.end_date = cohort.start_date.replace(year=2025)

    with pytest.raises(ValidationError) as refused:
        cohort.clean()

    assert refused.value.message_dict == {
        "end_date": ["The end date must be on or after the start date."]
    }


# with_team_counts


def test_it_counts_teams_and_people_of_each_cohort(cohort, command, officer, peer, outsider):
    counted = {c.slug: c for c in Cohort.objects.with_team_counts()}

    assert (counted["osw-test"].team_count, counted["osw-test"].member_count) == (2, 3)
    assert (counted["osw-other"].team_count, counted["osw-other"].member_count) == (1, 1)
    assert not counted["osw-test"].has_incomplete_team


def test_it_flags_a_cohort_with_an_incomplete_team(cohort, command, other_team):
    counted = Cohort.objects.with_team_counts().get(pk=cohort.pk)

    assert counted.has_incomplete_team
    assert counted.team_count == 2


def test_it_counts_an_empty_cohort_as_zero(db):
    make_cohort("empty")

    counted = Cohort.objects.with_team_counts().get()

    assert (counted.team_count, counted.member_count, counted.has_incomplete_team) == (0, 0, False)


# visible_to


def test_staff_see_every_cohort(staff, cohort, other_cohort):
    assert set(Cohort.objects.visible_to(staff)) == {cohort, other_cohort}


def test_a_member_sees_only_their_own_cohorts(officer, outsider, other_cohort):
    assert list(Cohort.objects.visible_to(officer)) == [officer.memberships.get().team.cohort]
    assert list(Cohort.objects.visible_to(outsider)) == [other_cohort]


def test_a_member_of_two_cohorts_sees_each_once(command, team, outsider_team, other_cohort):
    make_member(outsider_team, command, role="sworn")
    make_member(make_team(other_cohort, make_agency("Extra PD")), make_user("x@extra.example"))

    assert sorted(c.slug for c in Cohort.objects.visible_to(command)) == ["osw-other", "osw-test"]


def test_a_person_without_a_team_sees_no_cohort(cohort, team):
    assert not Cohort.objects.visible_to(make_user("nobody@example.com")).exists()


def test_an_anonymous_visitor_sees_no_cohort(cohort):
    assert not Cohort.objects.visible_to(AnonymousUser()).exists()


def test_a_member_sees_the_whole_cohorts_counts_not_just_their_team(
    cohort, command, officer, peer, other_team
):
    counted = Cohort.objects.visible_to(officer).with_team_counts().get()

    assert (counted.team_count, counted.member_count) == (2, 3)
