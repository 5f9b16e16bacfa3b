from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from cohorts import services
from cohorts.models import Invitation, Membership
from conftest import PASSWORD, login, make_user

NEW_PASSWORD = "a-long-and-unusual-passphrase-42"


def invite(team, staff, email="frank@riverton.example", role="sworn", rank="Detective"):
    return services.invite_member(team=team, email=email, role=role, rank=rank, invited_by=staff)


def invitation_url(invitation) -> str:
    return reverse("cohorts:invitation", args=[invitation.token])


# invite_member


def test_it_emails_one_invitation_link_after_commit(
    team, staff, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invitation = invite(team, staff)

    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["frank@riverton.example"]
    assert "Riverton Police Department" in message.subject
    assert invitation_url(invitation) in message.body
    assert "Alice Organiser invited you" in message.body


def test_it_sends_nothing_until_the_transaction_commits(
    team, staff, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        invite(team, staff)

    assert len(callbacks) == 1
    assert mailoutbox == []


def test_it_stores_the_address_in_lower_case(team, staff):
    invitation = invite(team, staff, email="  Frank@Riverton.Example ")

    assert invitation.email == "frank@riverton.example"
    assert invitation.is_usable


def test_it_refuses_a_second_open_invitation(
    team, staff, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invite(team, staff)
        with pytest.raises(services.InvitationError, match="already has an open invitation"):
            invite(team, staff, email="FRANK@riverton.example")

    assert Invitation.objects.count() == 1
    assert len(mailoutbox) == 1


def test_it_replaces_an_expired_invitation(team, staff):
    old = invite(team, staff)
    Invitation.objects.filter(pk=old.pk).update(expires_at=timezone.now() - timedelta(days=1))

    new = invite(team, staff)

    old.refresh_from_db()
    assert old.revoked_at is not None
    assert new.is_usable


@pytest.mark.parametrize("persona", ["officer", "peer"])
def test_it_refuses_someone_already_on_a_team_in_the_cohort(team, staff, persona, request):
    person = request.getfixturevalue(persona)

    with pytest.raises(services.InvitationError, match="already on a team"):
        invite(team, staff, email=person.email.upper())

    assert not Invitation.objects.exists()


def test_it_invites_a_member_of_another_cohort(team, staff, outsider):
    invitation = invite(team, staff, email=outsider.email)

    assert invitation.is_usable


# The invite view


def test_staff_invite_through_the_form(
    client, team, staff, mailoutbox, django_capture_on_commit_callbacks
):
    login(client, staff)
    url = reverse("cohorts:invite", args=[team.cohort.slug, team.pk])

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"email": "frank@riverton.example", "role": "dispatcher"})

    assert response.status_code == 302
    assert response.url == team.get_absolute_url()
    invitation = Invitation.objects.get()
    assert (invitation.email, invitation.role, invitation.invited_by) == (
        "frank@riverton.example",
        "dispatcher",
        staff,
    )
    assert len(mailoutbox) == 1


def test_the_invite_form_shows_why_it_refused(client, team, staff, officer):
    login(client, staff)
    url = reverse("cohorts:invite", args=[team.cohort.slug, team.pk])

    response = client.post(url, {"email": officer.email, "role": "sworn"})

    assert response.status_code == 200
    assert "carol@riverton.example is already on a team in OSW Test Cohort." in (
        response.content.decode()
    )
    assert not Invitation.objects.exists()


def test_the_invite_form_proposes_command_staff_when_asked(client, team, staff):
    login(client, staff)
    url = reverse("cohorts:invite", args=[team.cohort.slug, team.pk])

    response = client.get(url + "?role=command_staff")

    assert response.context["form"].initial["role"] == "command_staff"


# Accepting


def test_a_new_person_accepts_sets_a_password_and_lands_on_the_team(client, team, staff):
    invitation = invite(team, staff, role="dispatcher", rank="Lead Dispatcher")
    page = client.get(invitation_url(invitation))
    assert "Create your account for <strong>frank@riverton.example</strong>" in (
        page.content.decode()
    )

    response = client.post(
        invitation_url(invitation),
        {
            "first_name": "Frank",
            "last_name": "Dispatcher",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
        follow=True,
    )

    assert response.redirect_chain[-1][0] == team.get_absolute_url()
    assert "Welcome to Riverton Police Department." in response.content.decode()
    user = User.objects.get(email="frank@riverton.example")
    assert response.context["user"] == user
    assert user.check_password(NEW_PASSWORD)
    assert (user.first_name, user.last_name) == ("Frank", "Dispatcher")
    assert EmailAddress.objects.get(user=user).verified
    membership = Membership.objects.get(user=user)
    assert (membership.team, membership.role, membership.rank) == (
        team,
        "dispatcher",
        "Lead Dispatcher",
    )
    invitation.refresh_from_db()
    assert invitation.accepted_by == user
    assert not invitation.is_usable


def test_it_asks_again_when_the_passwords_differ(client, team, staff):
    invitation = invite(team, staff)

    response = client.post(
        invitation_url(invitation),
        {
            "first_name": "Frank",
            "last_name": "D",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD + "x",
        },
    )

    assert response.status_code == 200
    assert "The two passwords do not match." in response.content.decode()
    assert not User.objects.filter(email="frank@riverton.example").exists()
    invitation.refresh_from_db()
    assert invitation.is_usable


def test_a_signed_in_invitee_joins_with_one_click(client, team, staff):
    frank = make_user("frank@riverton.example", first="Frank")
    invitation = invite(team, staff, role="civilian")
    login(client, frank)

    response = client.post(invitation_url(invitation))

    assert response.status_code == 302
    assert response.url == team.get_absolute_url()
    assert Membership.objects.get(user=frank).role == "civilian"


def test_it_refuses_accepting_as_someone_else(client, team, staff, outsider):
    invitation = invite(team, staff)
    login(client, outsider)

    response = client.post(invitation_url(invitation), follow=True)

    assert response.redirect_chain[-1][0] == reverse("home")
    assert (
        "This invitation is for frank@riverton.example; you are signed in as "
        "erin@lakeside.example." in response.content.decode()
    )
    assert not Membership.objects.filter(user=outsider, team=team).exists()
    invitation.refresh_from_db()
    assert invitation.is_usable


def test_an_invitee_with_an_account_is_sent_to_sign_in(client, team, staff):
    make_user("frank@riverton.example")
    invitation = invite(team, staff)

    page = client.get(invitation_url(invitation))
    response = client.post(invitation_url(invitation))

    assert "An account for frank@riverton.example already exists." in page.content.decode()
    assert response.status_code == 302
    assert response.url == f"{reverse('account_login')}?next={invitation_url(invitation)}"
    assert not Membership.objects.filter(user__email="frank@riverton.example").exists()


def test_the_invited_password_signs_in_afterwards(client, team, staff):
    invitation = invite(team, staff)
    client.post(
        invitation_url(invitation),
        {"first_name": "F", "last_name": "D", "password1": PASSWORD, "password2": PASSWORD},
    )
    client.logout()

    assert client.login(email="frank@riverton.example", password=PASSWORD)


@pytest.mark.parametrize(
    ("spoil", "explanation"),
    [
        ({"expires_at": timezone.now() - timedelta(minutes=1)}, "It expired on"),
        ({"revoked_at": timezone.now()}, "Program staff withdrew it."),
        ({"accepted_at": timezone.now()}, "It was already accepted."),
    ],
    ids=["expired", "revoked", "used"],
)
def test_an_unusable_invitation_explains_itself_and_adds_nobody(
    client, team, staff, spoil, explanation
):
    invitation = invite(team, staff)
    Invitation.objects.filter(pk=invitation.pk).update(**spoil)
    form = {"first_name": "F", "last_name": "D", "password1": PASSWORD, "password2": PASSWORD}

    page = client.get(invitation_url(invitation))
    attempt = client.post(invitation_url(invitation), form)

    assert page.status_code == 410
    assert "This invitation can no longer be used" in page.content.decode()
    assert explanation in page.content.decode()
    assert attempt.status_code == 410
    assert not User.objects.filter(email="frank@riverton.example").exists()


def test_an_unknown_invitation_token_is_not_found(client, db):
    assert client.get(reverse("cohorts:invitation", args=["no-such-token"])).status_code == 404


def test_accepting_twice_through_the_service_is_refused(team, staff):
    invitation = invite(team, staff)
    services.accept_invitation(
        invitation=invitation, first_name="F", last_name="D", password=PASSWORD
    )

    with pytest.raises(services.InvitationError, match="already been used"):
        services.accept_invitation(
            invitation=invitation, user=User.objects.get(email=invitation.email)
        )

    assert Membership.objects.filter(user__email=invitation.email).count() == 1


# Revoking


def test_staff_withdraw_an_open_invitation(client, team, staff):
    invitation = invite(team, staff)
    login(client, staff)

    response = client.post(
        reverse("cohorts:invitation_revoke", args=[team.cohort.slug, invitation.pk])
    )

    assert response.status_code == 302
    assert response.url == team.get_absolute_url()
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    assert client.get(invitation_url(invitation)).status_code == 410


@pytest.mark.parametrize("persona", ["command", "outsider"])
def test_members_cannot_withdraw_an_invitation(client, team, staff, persona, request):
    invitation = invite(team, staff)
    login(client, request.getfixturevalue(persona))

    response = client.post(
        reverse("cohorts:invitation_revoke", args=[team.cohort.slug, invitation.pk])
    )

    # Command staff are refused; someone outside the cohort does not learn it exists.
    assert response.status_code == (403 if persona == "command" else 404)
    invitation.refresh_from_db()
    assert invitation.is_usable


def test_withdrawing_needs_a_post(client, team, staff):
    invitation = invite(team, staff)
    login(client, staff)

    response = client.get(
        reverse("cohorts:invitation_revoke", args=[team.cohort.slug, invitation.pk])
    )

    assert response.status_code == 405
    invitation.refresh_from_db()
    assert invitation.is_usable


def test_withdrawing_through_another_cohorts_address_is_not_found(
    client, team, staff, other_cohort
):
    invitation = invite(team, staff)
    login(client, staff)

    response = client.post(
        reverse("cohorts:invitation_revoke", args=[other_cohort.slug, invitation.pk])
    )

    assert response.status_code == 404
    invitation.refresh_from_db()
    assert invitation.is_usable
