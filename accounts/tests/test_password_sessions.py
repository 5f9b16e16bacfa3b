"""A new password ends the account's other sessions: whoever learnt the old one is signed out.

Django ties each session to a hash of the password, so every way of setting one (allauth's
change and reset forms, the admin) ends the sessions made with the old password; the person
who changes their own password stays signed in.
"""

import random
import re

import pytest
from django.test import Client
from django.urls import reverse

from conftest import PASSWORD, login, make_user

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-quite-different-passphrase-42"
PROFILE = "/me/profile/"


def new_client() -> Client:
    # A made-up address of its own keeps the rate limits apart from other tests' attempts.
    return Client(REMOTE_ADDR=f"10.{random.randrange(256)}.{random.randrange(256)}.9")


def signed_in(client: Client) -> bool:
    return client.get(PROFILE).status_code == 200


@pytest.fixture
def member(db):
    return make_user("pat@riverton.example", first="Pat", last="Member")


def test_changing_the_password_signs_out_the_other_sessions_only(member):
    laptop, phone = login(new_client(), member), login(new_client(), member)
    assert signed_in(laptop) and signed_in(phone)

    response = laptop.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert response.status_code == 302, response.content.decode()[:500]
    member.refresh_from_db()
    assert member.check_password(NEW_PASSWORD)
    assert signed_in(laptop)
    assert not signed_in(phone)
    assert phone.get(PROFILE)["Location"].startswith(reverse("account_login"))


def test_a_password_reset_ends_every_session(member, mailoutbox):
    laptop, phone = login(new_client(), member), login(new_client(), member)
    visitor = new_client()

    visitor.post(reverse("account_reset_password"), {"email": member.email})
    [email] = mailoutbox
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+)", email.body).group(1)
    form_url = visitor.get(link)["Location"]  # allauth moves the key out of the address
    done = visitor.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})

    assert done.status_code == 302
    member.refresh_from_db()
    assert member.check_password(NEW_PASSWORD)
    assert not signed_in(laptop)
    assert not signed_in(phone)


def test_an_admin_setting_a_password_ends_that_persons_sessions(member):
    root = make_user("root@staff.example", is_staff=True, is_superuser=True)
    admin = login(new_client(), root)
    phone = login(new_client(), member)
    assert signed_in(phone)

    response = admin.post(
        reverse("admin:auth_user_password_change", args=[member.pk]),
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )

    assert response.status_code == 302, response.content.decode()[:800]
    member.refresh_from_db()
    assert member.check_password(NEW_PASSWORD)
    assert not signed_in(phone)
    assert admin.get("/admin/").status_code == 200  # the admin's own session is untouched
