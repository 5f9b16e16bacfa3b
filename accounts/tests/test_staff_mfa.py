"""Program staff must have an authenticator app (TOTP) before they use staff pages or the
admin; members choose for themselves. The admin signs people in through allauth's form."""

import random
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY
from django.contrib.messages import get_messages
from django.urls import reverse

from accounts.mfa import SESSION_KEY, enrol_totp, totp_code, totp_secret
from accounts.middleware import STAFF_TOTP_MESSAGE
from conftest import PASSWORD, login, make_user

pytestmark = pytest.mark.django_db

SETUP = "/accounts/2fa/totp/activate/"
STAFF_PAGE = "/cohorts/new/"


@pytest.fixture
def bare_staff(db):
    """Staff who have not set up an authenticator app yet."""
    return make_user("new@staff.example", first="Nia", last="Newcomer", is_staff=True, totp=False)


@pytest.fixture
def fresh_client(client):
    # Rate limits count per address and per email: a made-up address of its own keeps this
    # test's attempts apart from every other test's, even on a shared cache.
    client.defaults["REMOTE_ADDR"] = f"10.{random.randrange(256)}.{random.randrange(256)}.7"
    return client


def sign_in_with_form(client, email: str, password: str = PASSWORD, next_url: str = ""):
    url = reverse("account_login") + (f"?next={next_url}" if next_url else "")
    return client.post(url, {"login": email, "password": password})


# --- the middleware --------------------------------------------------------------------------


def test_staff_without_totp_are_sent_to_set_it_up_from_a_staff_page(client, bare_staff):
    response = login(client, bare_staff).get(STAFF_PAGE)

    assert response.status_code == 302
    assert response["Location"] == SETUP
    assert [str(m) for m in get_messages(response.wsgi_request)] == [STAFF_TOTP_MESSAGE]


def test_staff_without_totp_cannot_reach_the_admin(client, bare_staff):
    login(client, bare_staff)

    assert client.get("/admin/")["Location"] == SETUP
    assert client.get("/admin/accounts/user/")["Location"] == SETUP
    assert client.get("/")["Location"] == SETUP  # nor anything else outside the allow-list


def test_superusers_are_staff_too(client):
    root = make_user("root@staff.example", is_staff=True, is_superuser=True, totp=False)

    assert login(client, root).get("/admin/")["Location"] == SETUP


def test_staff_with_totp_reach_staff_pages_and_the_admin(client, staff):
    login(client, staff)

    assert client.get(STAFF_PAGE).status_code == 200
    assert client.get("/admin/").status_code == 200


def test_staff_who_set_up_totp_after_signing_in_get_through_at_once(client, bare_staff):
    login(client, bare_staff)
    assert client.get(STAFF_PAGE).status_code == 302

    enrol_totp(bare_staff)

    assert client.get(STAFF_PAGE).status_code == 200
    assert client.session[SESSION_KEY] == bare_staff.pk


def test_members_without_totp_are_unaffected(client, officer):
    login(client, officer)

    assert client.get("/").status_code == 200
    assert client.get(reverse("accounts:profile")).status_code == 200
    assert client.get(reverse("notifications:feed")).status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        "/accounts/2fa/",
        "/accounts/2fa/recovery-codes/",
        "/accounts/logout/",
        "/accounts/email/",
        "/accounts/password/change/",
        "/healthz",
        "/static/js/forum.js",
    ],
)
def test_the_allow_list_stays_reachable(client, bare_staff, url):
    response = login(client, bare_staff).get(url)

    # Recovery codes answer 404 until there is an authenticator; what matters is no detour.
    assert response.status_code in {200, 302, 404}, response.status_code
    if response.status_code == 302:
        assert response["Location"] != SETUP


def test_the_setup_page_itself_is_reachable(client, bare_staff):
    response = login(client, bare_staff).get(SETUP)

    # allauth asks for the password again first when the sign-in is not recent.
    assert response.status_code in {200, 302}
    if response.status_code == 302:
        assert response["Location"].startswith(reverse("account_reauthenticate"))


def test_scripts_get_a_403_in_json_instead_of_a_redirect(client, bare_staff):
    login(client, bare_staff)

    response = client.get(reverse("notifications:feed"), headers={"Accept": "application/json"})

    assert response.status_code == 403
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "error": "mfa_required",
        "message": STAFF_TOTP_MESSAGE,
        "setup_url": SETUP,
    }
    fetched = client.post("/me/notifications/read/", headers={"X-Requested-With": "fetch"})
    assert fetched.status_code == 403
    assert fetched.json()["setup_url"] == SETUP


def test_htmx_is_told_to_load_the_setup_page(client, bare_staff):
    response = login(client, bare_staff).get(STAFF_PAGE, headers={"HX-Request": "true"})

    assert response.status_code == 403
    assert response["HX-Redirect"] == SETUP


def test_setting_up_totp_through_allauth_opens_the_staff_pages(fresh_client, bare_staff):
    client = fresh_client
    assert sign_in_with_form(client, bare_staff.email).status_code == 302
    assert client.get(STAFF_PAGE)["Location"] == SETUP

    # allauth asks for the password again before any two-factor change.
    assert client.get(SETUP)["Location"].startswith(reverse("account_reauthenticate"))
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    assert client.get(SETUP).status_code == 200
    secret = client.session[SECRET_SESSION_KEY]
    done = client.post(SETUP, {"code": totp_code(secret)})

    assert done.status_code == 302
    assert totp_secret(bare_staff) == secret
    assert client.get(STAFF_PAGE).status_code == 200


def test_removing_totp_sends_staff_back_to_set_it_up(fresh_client, bare_staff):
    client = fresh_client
    sign_in_with_form(client, bare_staff.email)
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    client.get(SETUP)
    client.post(SETUP, {"code": totp_code(client.session[SECRET_SESSION_KEY])})
    assert client.get(STAFF_PAGE).status_code == 200

    assert client.post("/accounts/2fa/totp/deactivate/").status_code == 302

    assert not Authenticator.objects.filter(user=bare_staff, type="totp").exists()
    assert client.get(STAFF_PAGE)["Location"] == SETUP


# --- the admin's sign-in ---------------------------------------------------------------------


def test_the_admin_login_hands_over_to_allauths_form(client):
    response = client.get("/admin/login/?next=/admin/accounts/user/")

    assert urlsplit(response["Location"]).path == reverse("account_login")
    assert parse_qs(urlsplit(response["Location"]).query)["next"] == ["/admin/accounts/user/"]
    landing = client.get("/admin/", follow=True)
    assert landing.request["PATH_INFO"] == reverse("account_login")


def test_the_admin_login_ignores_a_next_address_on_another_site(client):
    response = client.get("/admin/login/?next=https://evil.example/")

    [next_url] = parse_qs(urlsplit(response["Location"]).query)["next"]
    assert next_url.startswith("/admin/login/")


def test_posting_a_password_to_the_admin_login_signs_no_one_in(client, staff):
    response = client.post("/admin/login/", {"username": staff.email, "password": PASSWORD})

    assert urlsplit(response["Location"]).path == reverse("account_login")
    assert "_auth_user_id" not in client.session


def test_members_signed_in_are_refused_by_the_admin_login(client, officer):
    assert login(client, officer).get("/admin/login/").status_code == 403


def test_repeated_bad_admin_sign_ins_are_rate_limited(fresh_client, staff):
    client = fresh_client
    login_url = client.get("/admin/login/")["Location"]
    email = f"{uuid.uuid4().hex[:12]}@staff.example"
    make_user(email, is_staff=True)

    answers = [
        client.post(login_url, {"login": email, "password": "wrong-password"}) for _ in range(6)
    ]

    assert b"Too many failed login attempts" not in answers[0].content
    assert answers[-1].status_code == 429 or b"Too many failed login attempts" in (
        answers[-1].content
    )
    # Even the right password is refused while the limit lasts.
    blocked = client.post(login_url, {"login": email, "password": PASSWORD})
    assert "_auth_user_id" not in client.session
    assert blocked.status_code in {200, 429}


def test_staff_with_totp_reach_the_admin_only_after_the_code(fresh_client, staff):
    client = fresh_client
    response = sign_in_with_form(client, staff.email, next_url="/admin/")

    assert response["Location"] == reverse("mfa_authenticate")
    assert client.get("/admin/")["Location"].startswith("/admin/login/")

    done = client.post(reverse("mfa_authenticate"), {"code": totp_code(totp_secret(staff))})

    assert done["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_staff_without_totp_signing_in_for_the_admin_must_set_it_up(fresh_client, bare_staff):
    client = fresh_client
    response = sign_in_with_form(client, bare_staff.email, next_url="/admin/")

    assert response["Location"] == "/admin/"
    assert client.get("/admin/")["Location"] == SETUP


# --- the profile page ------------------------------------------------------------------------


def test_the_profile_links_to_two_factor_authentication(client, officer):
    response = login(client, officer).get(reverse("accounts:profile"))

    assert f'href="{reverse("mfa_index")}"' in response.content.decode()
