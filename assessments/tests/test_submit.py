"""Filling in and submitting a round: any member drafts, command staff submit, once."""

import json

import pytest
from django.urls import reverse

from assessments.models import Assessment, Rating
from assessments.services import (
    IncompleteAssessment,
    NotCommandStaff,
    save_draft,
    start_assessment,
    submit_assessment,
)
from conftest import login, race

from .conftest import ALL_RATED, item, rate

pytestmark = pytest.mark.django_db


def round_url(team, round_="baseline"):
    return reverse("assessments:round", args=[team.cohort.slug, team.pk, round_])


def form_data(version, levels: dict[str, int], notes: dict[str, str] | None = None, **extra):
    data = {f"item_{item(version, code).pk}": str(level) for code, level in levels.items()}
    for code, text in (notes or {}).items():
        data[f"note_{item(version, code).pk}"] = text
    return {**data, **extra}


def saved(team, round_="baseline") -> dict[str, int | None]:
    return {
        r.item.code: r.level
        for r in Rating.objects.filter(
            assessment__team=team, assessment__round=round_
        ).select_related("item")
    }


def test_the_form_has_a_fieldset_per_item_with_described_levels(client, team, officer, version):
    login(client, officer)

    page = client.get(round_url(team)).content.decode()

    assert page.count('<fieldset class="rating-item"') == 5
    assert "<legend>Item a1</legend>" in page
    assert page.count('type="radio"') == 25
    assert "Developing (described)" in page
    # Nothing is stored until someone rates something.
    assert not Assessment.objects.exists()


def test_any_member_can_save_a_draft(client, team, officer, version):
    login(client, officer)

    response = client.post(
        round_url(team), form_data(version, {"a1": 3}, {"b1": "Only on day shift"}, action="save")
    )

    assert response.status_code == 302
    assessment = Assessment.objects.get(team=team, round="baseline")
    assert assessment.status == "draft"
    assert assessment.version == version
    assert assessment.started_by == officer
    assert saved(team) == {"a1": 3, "b1": None}
    assert Rating.objects.get(item__code="b1").note == "Only on day shift"


def test_a_member_who_is_not_command_staff_cannot_submit(client, team, command, officer, version):
    login(client, officer)

    page = client.get(round_url(team)).content.decode()
    assert "Only command staff can submit" in page
    assert 'value="submit"' not in page

    client.post(round_url(team), form_data(version, ALL_RATED, action="submit"))
    assert Assessment.objects.get().status == "draft"
    assert saved(team) == ALL_RATED  # the ratings are kept for command staff
    with pytest.raises(NotCommandStaff):
        submit_assessment(assessment=Assessment.objects.get(), user=officer)


def test_program_staff_cannot_submit_for_the_team(team, command, staff, version):
    assessment = rate(start_assessment(team=team, round="baseline", user=staff), ALL_RATED)
    with pytest.raises(NotCommandStaff):
        submit_assessment(assessment=assessment, user=staff)


def test_every_item_must_be_rated_to_submit(client, team, command, version):
    login(client, command)

    response = client.post(
        round_url(team), form_data(version, {"a1": 4, "a2": 2, "b1": 1}, action="submit")
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "2 items still need a rating" in page
    assert page.count("Rate this item before submitting.") == 2
    assert Assessment.objects.get().status == "draft"
    assert saved(team) == {"a1": 4, "a2": 2, "b1": 1}  # what was rated is not lost


def test_command_staff_submit_and_see_the_results(client, team, command, version):
    login(client, command)

    response = client.post(round_url(team), form_data(version, ALL_RATED, action="submit"))

    assert response["Location"] == reverse("assessments:results", args=[team.cohort.slug, team.pk])
    assessment = Assessment.objects.get()
    assert assessment.status == "submitted"
    assert assessment.submitted_by == command
    assert assessment.submitted_at is not None


def test_submitting_twice_stores_one_submission(client, team, command, version):
    login(client, command)
    data = form_data(version, ALL_RATED, action="submit")

    client.post(round_url(team), data)
    first = Assessment.objects.get()
    second = client.post(round_url(team), dict(data, **{f"item_{item(version, 'a1').pk}": "0"}))

    assert second.status_code == 302
    assert Assessment.objects.count() == 1
    assert Assessment.objects.get().submitted_at == first.submitted_at
    assert saved(team)["a1"] == 4  # a submitted assessment no longer changes
    assert submit_assessment(assessment=first, user=command).created is False


def test_a_submitted_round_shows_its_ratings_read_only(client, team, command, officer, version):
    assessment = rate(start_assessment(team=team, round="baseline", user=officer), ALL_RATED)
    Rating.objects.filter(item__code="g1").update(note="Policy signed in March")
    submit_assessment(assessment=assessment, user=command)
    login(client, officer)

    page = client.get(round_url(team)).content.decode()

    assert 'type="radio"' not in page
    assert "4 · Sustained" in page
    assert "Policy signed in March" in page


def test_one_assessment_per_team_and_round(team, officer, version):
    first = start_assessment(team=team, round="baseline", user=officer)

    assert start_assessment(team=team, round="baseline", user=officer) == first
    assert start_assessment(team=team, round="end", user=officer) != first


def test_an_unknown_round_is_not_found(client, team, officer, version):
    login(client, officer)
    assert client.get(round_url(team, "quarterly")).status_code == 404


def test_teammates_filling_in_different_items_do_not_undo_each_other(
    client, team, command, officer, version
):
    login(client, officer)
    officer_page = client.get(round_url(team)).content.decode()
    loaded = json.loads(
        officer_page.split('name="loaded" value="')[1].split('"')[0].replace("&quot;", '"')
    )
    # Meanwhile command staff rate b1 from their own page.
    assessment = start_assessment(team=team, round="baseline", user=command)
    save_draft(assessment=assessment, changes={item(version, "b1").pk: (2, None)}, user=command)

    # The officer's page still shows b1 unrated; saving it changes only what they rated.
    client.post(
        round_url(team), form_data(version, {"a1": 1}, action="save", loaded=json.dumps(loaded))
    )

    assert saved(team) == {"a1": 1, "b1": 2}


def test_a_note_cleared_on_the_page_is_cleared(team, command, version, client):
    assessment = start_assessment(team=team, round="baseline", user=command)
    save_draft(
        assessment=assessment, changes={item(version, "a1").pk: (3, "Draft note")}, user=command
    )
    login(client, command)
    page = client.get(round_url(team)).content.decode()
    loaded = page.split('name="loaded" value="')[1].split('"')[0].replace("&quot;", '"')

    client.post(round_url(team), form_data(version, {"a1": 3}, action="save", loaded=loaded))

    assert Rating.objects.get().note == ""


def test_an_incomplete_submission_names_the_missing_items(team, command, version):
    assessment = rate(start_assessment(team=team, round="baseline", user=command), {"a1": 1})

    with pytest.raises(IncompleteAssessment) as error:
        submit_assessment(assessment=assessment, user=command)

    assert sorted(i.code for i in error.value.missing) == ["a2", "b1", "b2", "g1"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_tabs_submitting_at_once_submit_once(team, command, version):
    assessment = rate(start_assessment(team=team, round="baseline", user=command), ALL_RATED)

    def submit():
        return submit_assessment(assessment=assessment, user=command)

    results = race(submit, submit)

    assert sorted(r.created for r in results) == [False, True]
    assert results[0].assessment.submitted_at == results[1].assessment.submitted_at


def test_program_staff_follow_a_draft_read_only(client, team, officer, staff, version):
    assessment = rate(start_assessment(team=team, round="baseline", user=officer), {"a1": 3})
    login(client, staff)

    page = client.get(round_url(team)).content.decode()

    assert 'type="radio"' not in page
    assert "In progress" in page
    assert "3 · Established" in page
    assert "Not rated" in page
    assert (
        client.post(round_url(team), form_data(version, {"a2": 1}, action="save")).status_code
        == 403
    )
    response = client.post(
        reverse("assessments:autosave", args=[team.cohort.slug, team.pk, "baseline"]),
        form_data(version, {"a2": 1}),
    )
    assert response.status_code == 403
    assert saved(team) == {"a1": 3}
    assert assessment.ratings.count() == 1


def test_program_staff_see_a_round_not_started_yet(client, team, staff, version):
    login(client, staff)

    page = client.get(round_url(team, "end")).content.decode()

    assert "has not started its end self-assessment yet" in page
    assert not Assessment.objects.exists()
