import pytest
from django.urls import reverse

from conftest import login


@pytest.mark.django_db
def test_every_member_page_renders(client, command, officer, peer, staff, team, cohort):
    login(client, command)
    for url in [
        reverse("home"),
        reverse("cohorts:cohort_list"),
        reverse("cohorts:cohort", args=[cohort.slug]),
        reverse("cohorts:people", args=[cohort.slug]),
        reverse("cohorts:team", args=[cohort.slug, team.pk]),
        reverse("accounts:profile"),
    ]:
        assert client.get(url).status_code == 200, url


@pytest.mark.django_db
def test_every_staff_page_renders(client, staff, command, team, cohort):
    login(client, staff)
    membership = team.memberships.get()
    for url in [
        reverse("home"),
        reverse("cohorts:cohort_create"),
        reverse("cohorts:cohort_edit", args=[cohort.slug]),
        reverse("cohorts:team_create", args=[cohort.slug]),
        reverse("cohorts:team_edit", args=[cohort.slug, team.pk]),
        reverse("cohorts:invite", args=[cohort.slug, team.pk]),
        reverse("cohorts:membership_edit", args=[cohort.slug, team.pk, membership.pk]),
        reverse("cohorts:membership_remove", args=[cohort.slug, team.pk, membership.pk]),
        reverse("cohorts:roster_import", args=[cohort.slug]),
        reverse("cohorts:roster_export", args=[cohort.slug]),
        reverse("cohorts:agency_list"),
        reverse("cohorts:agency_create"),
    ]:
        assert client.get(url).status_code == 200, url
