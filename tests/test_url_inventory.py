"""Every URL pattern is inventoried with what an anonymous visitor gets.

A new route fails this suite until someone decides, here, whether anonymous people may see it.
Admin and allauth routes are inventoried by family (their defaults below) so that upgrades
which add routes are still probed anonymously; the project's own routes are listed one by one.
"""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.shortcuts import resolve_url
from django.urls import URLResolver, get_resolver, resolve, reverse

PUBLIC = "public"  # 200, or a redirect somewhere other than a login page
LOGIN = "login"  # redirect to settings.LOGIN_URL
ADMIN_LOGIN = "admin-login"  # redirect to the admin's own login page
NOT_FOUND = "404"  # the URL carries a secret (token, key) and a made-up one finds nothing
BAD_REQUEST = "400"  # the URL carries a signed token and a made-up one is refused as invalid

INVENTORY = {
    # The project's own routes.
    "": PUBLIC,  # landing page for visitors, dashboard for members
    "healthz": PUBLIC,  # load balancer probe
    "me/profile/": LOGIN,
    "me/notifications/": LOGIN,
    "me/notifications/feed.json": LOGIN,
    "me/notifications/read/": LOGIN,
    "me/notifications/<int:notification_id>/": LOGIN,
    "cohorts/": LOGIN,
    "cohorts/new/": LOGIN,
    "cohorts/<slug:slug>/": LOGIN,
    "cohorts/<slug:slug>/edit/": LOGIN,
    "cohorts/<slug:slug>/status/": LOGIN,
    "cohorts/<slug:slug>/people/": LOGIN,
    "cohorts/<slug:slug>/roster/import/": LOGIN,
    "cohorts/<slug:slug>/roster.csv": LOGIN,
    "cohorts/<slug:slug>/teams/new/": LOGIN,
    "cohorts/<slug:slug>/teams/<int:team_id>/": LOGIN,
    "cohorts/<slug:slug>/teams/<int:team_id>/edit/": LOGIN,
    "cohorts/<slug:slug>/teams/<int:team_id>/invite/": LOGIN,
    "cohorts/<slug:slug>/teams/<int:team_id>/members/<int:membership_id>/": LOGIN,
    "cohorts/<slug:slug>/teams/<int:team_id>/members/<int:membership_id>/remove/": LOGIN,
    "cohorts/<slug:slug>/invitations/<int:invitation_id>/revoke/": LOGIN,
    "calendar/": LOGIN,
    "calendar/feeds/renew/": LOGIN,
    "calendar/feeds/<str:token>.ics": NOT_FOUND,  # calendar apps fetch it with the token alone
    "cohorts/<slug:slug>/calendar/": LOGIN,
    "cohorts/<slug:slug>/topics/": LOGIN,
    "cohorts/<slug:slug>/attendance/": LOGIN,
    "cohorts/<slug:slug>/sessions/new/": LOGIN,
    "cohorts/<slug:slug>/sessions/series/": LOGIN,
    "cohorts/<slug:slug>/sessions/<int:number>/": LOGIN,
    "cohorts/<slug:slug>/sessions/<int:number>.ics": LOGIN,
    "cohorts/<slug:slug>/sessions/<int:number>/edit/": LOGIN,
    "cohorts/<slug:slug>/sessions/<int:number>/cancel/": LOGIN,
    "cohorts/<slug:slug>/sessions/<int:number>/rsvp/": LOGIN,
    "cohorts/<slug:slug>/sessions/<int:number>/attendance/": LOGIN,
    "cohorts/<slug:slug>/sessions/<int:number>/attendance/import/": LOGIN,
    "cohorts/<slug:slug>/sessions/<int:number>/materials/new/": LOGIN,
    "cohorts/<slug:slug>/sessions/<int:number>/materials/<int:material_id>/": LOGIN,
    "cohorts/<slug:slug>/sessions/<int:number>/materials/<int:material_id>/delete/": LOGIN,
    "agencies/": LOGIN,
    "agencies/new/": LOGIN,
    "agencies/<int:agency_id>/edit/": LOGIN,
    "invitations/<str:token>/": NOT_FOUND,  # the token is the credential: new people have none
    "cohorts/<slug:slug>/surveys/": LOGIN,
    "cohorts/<slug:slug>/surveys/<int:wave_id>/": LOGIN,
    "cohorts/<slug:slug>/surveys/<int:wave_id>/draft/": LOGIN,
    "cohorts/<slug:slug>/surveys/<int:wave_id>/thanks/": LOGIN,
    "cohorts/<slug:slug>/surveys/<int:wave_id>/report/": LOGIN,
    "cohorts/<slug:slug>/surveys/<int:wave_id>/export/": LOGIN,
    "cohorts/<slug:slug>/surveys/trends/": LOGIN,
    "cohorts/<slug:slug>/surveys/new/": LOGIN,
    "cohorts/<slug:slug>/surveys/<int:wave_id>/edit/": LOGIN,
    "cohorts/<slug:slug>/surveys/<int:wave_id>/close/": LOGIN,
    "cohorts/<slug:slug>/surveys/<int:wave_id>/delete/": LOGIN,
    "cohorts/<slug:slug>/surveys/<int:wave_id>/remind/": LOGIN,
    # Invited by email with no account: the token is the credential; a made-up one finds nothing.
    "surveys/invited/<str:token>/": NOT_FOUND,
    "surveys/invited/<str:token>/draft/": NOT_FOUND,
    "surveys/invited/<str:token>/thanks/": NOT_FOUND,
    "cohorts/<slug:slug>/outcomes/": LOGIN,
    "cohorts/<slug:slug>/outcomes/print/": LOGIN,
    "cohorts/<slug:slug>/outcomes/export/": LOGIN,
    "cohorts/<slug:slug>/outcomes/<str:period>/narrative/": LOGIN,
    # Self-assessments, action plans and community partners (private to the team and staff).
    "assessments/roadmap/": LOGIN,
    "assessments/instrument/": LOGIN,
    "cohorts/<slug:slug>/assessments/": LOGIN,
    "cohorts/<slug:slug>/assessments.csv": LOGIN,
    "cohorts/<slug:slug>/teams/<int:team_id>/assessment/": LOGIN,
    "cohorts/<slug:slug>/teams/<int:team_id>/assessment/results/": LOGIN,
    "cohorts/<slug:slug>/teams/<int:team_id>/assessment/<str:round>/": LOGIN,
    "cohorts/<slug:slug>/teams/<int:team_id>/assessment/<str:round>/draft/": LOGIN,
    "cohorts/<slug:slug>/teams/<int:team_id>/plan/": LOGIN,
    "cohorts/<slug:slug>/teams/<int:team_id>/plan/steps/new/": LOGIN,
    "cohorts/<slug:slug>/teams/<int:team_id>/plan/steps/suggest/": LOGIN,
    "cohorts/<slug:slug>/teams/<int:team_id>/plan/steps/<int:step_id>/": LOGIN,
    "cohorts/<slug:slug>/teams/<int:team_id>/plan/steps/<int:step_id>/notes/": LOGIN,
    "cohorts/<slug:slug>/teams/<int:team_id>/plan/steps/<int:step_id>/delete/": LOGIN,
    "cohorts/<slug:slug>/teams/<int:team_id>/partners/": LOGIN,
    "cohorts/<slug:slug>/teams/<int:team_id>/partners/<int:partner_id>/": LOGIN,
    "cohorts/<slug:slug>/teams/<int:team_id>/partners/<int:partner_id>/delete/": LOGIN,
    # The cohort's forum.
    "cohorts/<slug:slug>/forum/": LOGIN,
    "cohorts/<slug:slug>/forum/new/": LOGIN,
    "cohorts/<slug:slug>/forum/search/": LOGIN,
    "cohorts/<slug:slug>/forum/flags/": LOGIN,
    "cohorts/<slug:slug>/forum/flags/<int:flag_id>/resolve/": LOGIN,
    "cohorts/<slug:slug>/forum/members.json": LOGIN,
    "cohorts/<slug:slug>/forum/members/<int:user_id>/": LOGIN,
    "cohorts/<slug:slug>/forum/c/<slug:category_slug>/": LOGIN,
    "cohorts/<slug:slug>/forum/c/<slug:category_slug>/watch/": LOGIN,
    "cohorts/<slug:slug>/forum/t/<int:thread_id>/": LOGIN,
    "cohorts/<slug:slug>/forum/t/<int:thread_id>/new/": LOGIN,
    "cohorts/<slug:slug>/forum/t/<int:thread_id>/watch/": LOGIN,
    "cohorts/<slug:slug>/forum/t/<int:thread_id>/moderate/": LOGIN,
    "cohorts/<slug:slug>/forum/p/<int:post_id>/": LOGIN,
    "cohorts/<slug:slug>/forum/p/<int:post_id>/edit/": LOGIN,
    "cohorts/<slug:slug>/forum/p/<int:post_id>/delete/": LOGIN,
    "cohorts/<slug:slug>/forum/p/<int:post_id>/flag/": LOGIN,
    "cohorts/<slug:slug>/forum/p/<int:post_id>/hide/": LOGIN,
    "cohorts/<slug:slug>/forum/attachments/<int:attachment_id>/": LOGIN,
    "cohorts/<slug:slug>/forum/announce/": LOGIN,
    "cohorts/<slug:slug>/forum/peer-contact/": LOGIN,
    # Direct messages, the peer directory and email preferences.
    "cohorts/<slug:slug>/directory/": LOGIN,
    "cohorts/<slug:slug>/messages/new/": LOGIN,
    "me/messages/": LOGIN,
    "me/messages/<int:conversation_id>/": LOGIN,
    "me/messages/<int:conversation_id>/mute/": LOGIN,
    "me/email-preferences/": LOGIN,
    "email/unsubscribe/<str:token>/": BAD_REQUEST,  # the signed token works without sign-in
    # The Officer Resilience Training Program: the program page, the request form, the list of
    # trainings and the library are public. Public detail pages answer 404 for the made-up id
    # here; training/tests/test_public_pages.py opens real ones anonymously.
    "training/": PUBLIC,
    "training/edit/": LOGIN,
    "training/request/": PUBLIC,
    "training/request/thanks/": PUBLIC,
    "training/requests/": LOGIN,
    "training/requests/<int:request_id>/": LOGIN,
    "training/requests/<int:request_id>/review/": LOGIN,
    "training/requests/<int:request_id>/schedule/": LOGIN,
    "training/requests/<int:request_id>/decline/": LOGIN,
    "training/events/": PUBLIC,
    "training/events/new/": LOGIN,
    "training/events/<int:event_id>/": NOT_FOUND,
    "training/events/<int:event_id>/edit/": LOGIN,
    "training/events/<int:event_id>/cancel/": LOGIN,
    "training/events/<int:event_id>/register/": LOGIN,
    "training/events/<int:event_id>/registrations/<int:registration_id>/cancel/": LOGIN,
    "training/events/<int:event_id>/roster/": LOGIN,
    "training/events/<int:event_id>/roster.csv": LOGIN,
    "training/events/<int:event_id>/sign-in-sheet/": LOGIN,
    "training/events/<int:event_id>/evaluation/": LOGIN,
    "training/events/<int:event_id>/evaluation/remind/": LOGIN,
    "training/events/<int:event_id>/evaluation/report/": LOGIN,
    "training/events/<int:event_id>/evaluation/export/": LOGIN,
    "training/coordinators/": LOGIN,
    "training/coordinators/<int:coordinator_id>/remove/": LOGIN,
    "training/library/": PUBLIC,
    "training/library/new/": LOGIN,
    "training/library/suggest/": LOGIN,
    "training/library/suggestions/": LOGIN,
    "training/library/suggestions/<int:suggestion_id>/review/": LOGIN,
    "training/library/<int:item_id>/": NOT_FOUND,
    "training/library/<int:item_id>/edit/": LOGIN,
    "training/library/<int:item_id>/file/": LOGIN,  # member-only: visitors go to sign in
    # allauth pages a signed-out person needs (every other allauth route defaults to LOGIN).
    "accounts/login/": PUBLIC,
    "accounts/logout/": PUBLIC,
    "accounts/inactive/": PUBLIC,
    "accounts/signup/": PUBLIC,  # the adapter closes open signup; invitations create accounts
    "accounts/confirm-email/": PUBLIC,
    r"accounts/confirm-email/(?P<key>[-:\w]+)/$": PUBLIC,  # a bad key shows "invalid link"
    "accounts/password/reset/": PUBLIC,
    "accounts/password/reset/done/": PUBLIC,
    r"accounts/password/reset/key/(?P<uidb36>[0-9A-Za-z]+)-(?P<key>.+)/$": PUBLIC,  # "bad token"
    "accounts/password/reset/key/done/": PUBLIC,
    # The admin's sign-in hands over to allauth's form (to settings.LOGIN_URL) and its
    # sign-out is public; every other admin route defaults to ADMIN_LOGIN, then allauth's form.
    "admin/login/": LOGIN,
    "admin/logout/": PUBLIC,
}

FAMILY_DEFAULTS = {"admin": ADMIN_LOGIN, "allauth": LOGIN}

# Values for URL parameters; anything not named here becomes 1.
DUMMY_VALUES = {
    "token": "x",
    "key": "x",
    "uidb36": "1",
    "app_label": "auth",
    "url": "nope/",
}


def _join(prefix: str, route: str) -> str:
    # Mirrors how Django builds ResolverMatch.route, so keys compare with resolve(url).route.
    return prefix + (route[1:] if route.startswith("^") else route)


def _walk(resolver, prefix: str = "", namespaces: tuple[str, ...] = ()):
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = (*namespaces, pattern.namespace) if pattern.namespace else namespaces
            yield from _walk(pattern, _join(prefix, str(pattern.pattern)), inner)
        else:
            yield _join(prefix, str(pattern.pattern)), namespaces, pattern.callback.__module__


def _family(namespaces: tuple[str, ...], module: str) -> str | None:
    if "admin" in namespaces:
        return "admin"
    if module.startswith("allauth."):
        return "allauth"
    return None


ROUTES = {route: _family(namespaces, module) for route, namespaces, module in _walk(get_resolver())}


def _expected(route: str) -> str | None:
    return INVENTORY.get(route) or FAMILY_DEFAULTS.get(ROUTES.get(route))


def _build_url(route: str, values: dict[str, str]) -> str:
    def value(match: re.Match) -> str:
        return str(values.get(match.group("name"), 1))

    path = re.sub(r"\(\?P<(?P<name>\w+)>[^)]*\)", value, route)
    path = re.sub(r"<(?:\w+:)?(?P<name>\w+)>", value, path)
    return "/" + path.removeprefix("^").removesuffix("$")


def test_every_route_is_in_the_inventory():
    missing = sorted(route for route, family in ROUTES.items() if family is None)
    missing = [route for route in missing if route not in INVENTORY]
    assert not missing, (
        "These URL patterns have no entry in INVENTORY in tests/test_url_inventory.py. Add each "
        "with what an anonymous visitor should get (LOGIN unless it must be public): "
        f"{missing}"
    )


def test_no_inventory_entry_is_stale():
    stale = sorted(set(INVENTORY) - set(ROUTES))
    assert not stale, f"INVENTORY lists patterns that no longer exist; remove them: {stale}"


def test_the_inventory_covers_admin_and_allauth_routes():
    # Guards the family detection: if it stopped recognising them, they would go unprobed.
    families = set(ROUTES.values())
    assert {"admin", "allauth"} <= families
    assert ROUTES["accounts/email/"] == "allauth"
    assert ROUTES["admin/"] == "admin"


@pytest.fixture
def fast_passwords(settings):
    # Over a hundred parametrised cases each create a persona; real hashing would dominate.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def dummy_values(fast_passwords, command, team, cohort):
    membership = team.memberships.get(user=command)
    return {
        **DUMMY_VALUES,
        "slug": cohort.slug,
        "team_id": team.pk,
        "membership_id": membership.pk,
        "agency_id": team.agency_id,
    }


def _redirect_path(response) -> str:
    return urlsplit(response["Location"]).path


def _assert_redirects_to(response, login_path: str, url: str, method: str) -> None:
    assert response.status_code == 302, (
        f"anonymous {method} {url} answered {response.status_code}, not a redirect to sign in"
    )
    assert _redirect_path(response) == login_path, (
        f"anonymous {method} {url} redirected to {response['Location']}, not {login_path}"
    )
    next_values = parse_qs(urlsplit(response["Location"]).query).get("next")
    if next_values:
        assert next_values == [url]


@pytest.mark.django_db
@pytest.mark.parametrize("route", sorted(ROUTES))
def test_anonymous_visitor_gets_the_inventoried_outcome(client, dummy_values, route):
    expected = _expected(route)
    assert expected, f"{route!r} is not in INVENTORY in tests/test_url_inventory.py: add it"
    url = _build_url(route, dummy_values)
    assert resolve(url).route == route, f"dummy URL {url} does not reach {route!r}"

    response = client.get(url)

    if expected == PUBLIC:
        assert response.status_code in {200, 302}, f"GET {url} answered {response.status_code}"
        if response.status_code == 302:
            assert _redirect_path(response) not in {
                resolve_url(settings.LOGIN_URL),
                reverse("admin:login"),
            }, f"{route!r} is inventoried as public but sends visitors to sign in"
    elif expected == NOT_FOUND:
        assert response.status_code == 404, f"GET {url} answered {response.status_code}"
    elif expected == BAD_REQUEST:
        assert response.status_code == 400, f"GET {url} answered {response.status_code}"
        assert client.post(url).status_code == 400, f"POST {url} did not answer 400"
    else:
        login_path = (
            reverse("admin:login") if expected == ADMIN_LOGIN else resolve_url(settings.LOGIN_URL)
        )
        _assert_redirects_to(response, login_path, url, "GET")
        # Writes are refused the same way: no view may act on an anonymous POST.
        _assert_redirects_to(client.post(url), login_path, url, "POST")
