"""Who may open each page of cohorts.views: anonymous visitors, members, outsiders and staff.

The session calendar's pages (cohorts.session_views) are inventoried with that feature.
"""

import pytest
from django.urls import resolve, reverse

from cohorts.models import Invitation
from conftest import login, make_user

# Pages members reach through access_cohort: outsiders get 404.
MEMBER_PAGES = ["cohort", "people", "team"]
# Pages behind staff_required: members get 403, GET renders for staff.
STAFF_PAGES = [
    "cohort_create",
    "cohort_edit",
    "team_create",
    "team_edit",
    "invite",
    "membership_edit",
    "membership_remove",
    "roster_import",
    "roster_export",
    "agency_list",
    "agency_create",
    "agency_edit",
]
STAFF_POST_ONLY = ["cohort_status", "invitation_revoke"]


@pytest.fixture
def urls(cohort, team, command, officer, staff):
    membership = team.memberships.get(user=officer)
    invitation = Invitation.objects.create(team=team, email="zoe@example.com", role="sworn")
    slug, team_args = cohort.slug, [cohort.slug, team.pk]
    args = {
        "cohort": [slug],
        "people": [slug],
        "team": team_args,
        "cohort_create": [],
        "cohort_edit": [slug],
        "cohort_status": [slug],
        "team_create": [slug],
        "team_edit": team_args,
        "invite": team_args,
        "membership_edit": [*team_args, membership.pk],
        "membership_remove": [*team_args, membership.pk],
        "roster_import": [slug],
        "roster_export": [slug],
        "agency_list": [],
        "agency_create": [],
        "agency_edit": [team.agency.pk],
        "invitation_revoke": [slug, invitation.pk],
    }
    return {name: reverse(f"cohorts:{name}", args=value) for name, value in args.items()}


def test_the_inventory_covers_every_cohorts_url():
    from cohorts.urls import urlpatterns

    named = {p.name for p in urlpatterns if p.callback.__module__ == "cohorts.views"}
    covered = {"cohort_list", "invitation", *MEMBER_PAGES, *STAFF_PAGES, *STAFF_POST_ONLY}
    assert named == covered


@pytest.mark.parametrize("name", ["cohort_list", *MEMBER_PAGES, *STAFF_PAGES, *STAFF_POST_ONLY])
def test_an_anonymous_visitor_is_sent_to_sign_in(client, urls, name):
    url = urls.get(name) or reverse(f"cohorts:{name}")

    response = client.post(url) if name in STAFF_POST_ONLY else client.get(url)

    assert response.status_code == 302
    assert response.url == f"{reverse('account_login')}?next={url}"


@pytest.mark.parametrize("name", MEMBER_PAGES)
@pytest.mark.parametrize("persona", ["command", "officer", "peer", "staff"])
def test_the_cohorts_members_and_staff_open_its_pages(client, urls, name, persona, request):
    login(client, request.getfixturevalue(persona))

    assert client.get(urls[name]).status_code == 200


@pytest.mark.parametrize("name", MEMBER_PAGES)
def test_an_outsider_is_told_the_cohorts_pages_do_not_exist(client, urls, outsider, name):
    login(client, outsider)

    assert client.get(urls[name]).status_code == 404


@pytest.mark.parametrize("name", STAFF_PAGES)
def test_staff_open_every_staff_page(client, urls, staff, name):
    login(client, staff)

    assert client.get(urls[name]).status_code == 200


@pytest.mark.parametrize("name", STAFF_PAGES + STAFF_POST_ONLY)
@pytest.mark.parametrize("persona", ["command", "officer", "peer", "outsider"])
def test_members_are_refused_staff_pages(client, urls, name, persona, request):
    login(client, request.getfixturevalue(persona))
    # Outside the cohort, its staff pages are not found, like its other pages.
    refused = 404 if persona == "outsider" and "slug" in resolve(urls[name]).kwargs else 403

    assert client.get(urls[name]).status_code == refused
    assert client.post(urls[name], {"status": "active", "role": "sworn"}).status_code == refused


def test_refused_staff_pages_reveal_nothing_about_other_cohorts(client, outsider, cohort, team):
    # A member is refused the same way whether or not the cohort and team exist.
    login(client, outsider)

    real = client.get(reverse("cohorts:team_edit", args=[cohort.slug, team.pk]))
    made_up = client.get(reverse("cohorts:team_edit", args=["no-such-cohort", 999]))

    assert real.status_code == made_up.status_code == 404


@pytest.mark.parametrize("name", ["cohort", "people", "cohort_edit", "roster_export"])
def test_an_unknown_cohort_is_not_found_even_for_staff(client, staff, name):
    login(client, staff)

    assert client.get(reverse(f"cohorts:{name}", args=["no-such-cohort"])).status_code == 404


def test_a_person_on_no_team_cannot_open_a_cohort(client, urls):
    login(client, make_user("new@example.com"))

    assert client.get(urls["cohort"]).status_code == 404
    assert client.get(reverse("cohorts:cohort_list")).status_code == 200


def test_the_invitation_page_is_open_to_anonymous_visitors(client, urls):
    invitation = Invitation.objects.get()

    response = client.get(reverse("cohorts:invitation", args=[invitation.token]))

    assert response.status_code == 200
