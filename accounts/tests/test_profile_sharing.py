"""The profile's sharing choices for the peer directory, and what peers see."""

import html
import re

import pytest
from django.urls import reverse

from conftest import login

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


def profile_data(user, **changes) -> dict:
    data = {
        "first_name": user.first_name,
        "last_name": user.last_name,
        "phone": user.phone,
        "time_zone": user.time_zone,
        "bio": user.bio,
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not False}


def test_nothing_is_shared_until_the_person_chooses(command):
    assert not command.share_email
    assert not command.share_phone


def test_the_profile_shows_what_peers_see(client, command):
    page = login(client, command).get(reverse("accounts:profile"))

    assert page.status_code == 200
    shown = text(page)
    assert "What peers see" in shown
    assert "Chief · Riverton Police Department (OSW Test Cohort)" in shown
    assert "Email Not shown Phone Not shown" in shown
    assert reverse("notification_settings:preferences") in page.content.decode()


def test_choosing_to_share_email_and_phone(client, command):
    login(client, command)

    response = client.post(
        reverse("accounts:profile"),
        profile_data(
            command, phone="555-0142", bio="  Peer team lead.  ", share_email="on", share_phone="on"
        ),
        follow=True,
    )

    command.refresh_from_db()
    assert command.share_email and command.share_phone
    assert command.bio == "Peer team lead."
    shown = text(response)
    assert f"Email {command.email} Phone 555-0142" in shown
    assert "Peer team lead." in shown


def test_a_shared_phone_without_a_number_says_so(client, command):
    login(client, command)

    response = client.post(
        reverse("accounts:profile"), profile_data(command, share_phone="on"), follow=True
    )

    assert "Not shown: no number entered" in text(response)


def test_a_form_with_errors_keeps_the_saved_preview(client, command):
    login(client, command)

    response = client.post(
        reverse("accounts:profile"),
        profile_data(command, time_zone="Mars/Olympus", share_email="on"),
    )

    assert response.status_code == 200
    assert "Email Not shown" in text(response)  # the saved choice, not the unsaved one


def test_someone_on_no_team_is_told_they_are_not_listed(client, staff):
    page = login(client, staff).get(reverse("accounts:profile"))

    assert "you are not listed in a peer directory" in text(page)
