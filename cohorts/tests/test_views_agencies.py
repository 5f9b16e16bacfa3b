from django.urls import reverse

from cohorts.models import Agency
from cohorts.tests.helpers import page_text
from conftest import login, make_agency

AGENCY_FORM = {
    "name": "Hillcrest Police Department",
    "kind": "municipal",
    "city": "Hillcrest",
    "state": "VA",
    "sworn_size": "25-99",
    "setting": "rural",
}


def test_staff_see_every_agency_with_its_number_of_cohorts(client, staff, team, outsider_team):
    make_agency("Unattached PD", state="TX")
    login(client, staff)

    response = client.get(reverse("cohorts:agency_list"))

    page = page_text(response)
    assert [a.name for a in response.context["page"]] == [
        "Lakeside Police Department",
        "Riverton Police Department",
        "Unattached PD",
    ]
    assert [a.team_count for a in response.context["page"]] == [1, 1, 0]
    assert reverse("cohorts:agency_edit", args=[team.agency.pk]) in page


def test_staff_search_agencies_by_name_or_city(client, staff, team, outsider_team):
    login(client, staff)

    by_name = client.get(reverse("cohorts:agency_list"), {"q": "lakeside"})
    by_city = client.get(reverse("cohorts:agency_list"), {"q": "Riverton"})
    nothing = client.get(reverse("cohorts:agency_list"), {"q": "Atlantis"})

    assert [a.name for a in by_name.context["page"]] == ["Lakeside Police Department"]
    assert [a.name for a in by_city.context["page"]] == ["Riverton Police Department"]
    assert "No agency matches “Atlantis”." in page_text(nothing)


def test_staff_add_an_agency(client, staff):
    login(client, staff)

    response = client.post(reverse("cohorts:agency_create"), AGENCY_FORM, follow=True)

    assert response.redirect_chain[-1][0] == reverse("cohorts:agency_list")
    assert "Hillcrest Police Department (VA) was added." in page_text(response)
    agency = Agency.objects.get()
    assert (agency.city, agency.setting) == ("Hillcrest", "rural")


def test_an_agency_already_registered_in_that_state_is_refused(client, staff):
    make_agency("Hillcrest Police Department")
    login(client, staff)

    response = client.post(
        reverse("cohorts:agency_create"), {**AGENCY_FORM, "name": "HILLCREST police department"}
    )

    assert response.status_code == 200
    assert "HILLCREST police department in VA is already registered." in page_text(response)
    assert Agency.objects.count() == 1


def test_the_same_agency_name_in_another_state_is_welcome(client, staff):
    make_agency("Hillcrest Police Department", state="OH")
    login(client, staff)

    client.post(reverse("cohorts:agency_create"), AGENCY_FORM)

    assert sorted(Agency.objects.values_list("state", flat=True)) == ["OH", "VA"]


def test_staff_edit_an_agency_keeping_its_name(client, staff):
    agency = make_agency("Hillcrest Police Department")
    login(client, staff)

    response = client.post(
        reverse("cohorts:agency_edit", args=[agency.pk]), {**AGENCY_FORM, "sworn_size": "1000+"}
    )

    assert response.status_code == 302
    agency.refresh_from_db()
    assert agency.sworn_size == "1000+"


def test_renaming_an_agency_onto_another_is_refused(client, staff):
    make_agency("Hillcrest Police Department")
    other = make_agency("Valley Police Department")
    login(client, staff)

    response = client.post(reverse("cohorts:agency_edit", args=[other.pk]), AGENCY_FORM)

    assert "Hillcrest Police Department in VA is already registered." in page_text(response)
    other.refresh_from_db()
    assert other.name == "Valley Police Department"


def test_an_unknown_agency_is_not_found(client, staff):
    login(client, staff)

    assert client.get(reverse("cohorts:agency_edit", args=[999])).status_code == 404
