"""Domain scores, strengths, gaps, change between rounds and the benchmark threshold."""

import pytest
from django.urls import reverse

from assessments.scoring import (
    BENCHMARK_MIN_TEAMS,
    benchmarks,
    cohort_scores,
    format_change,
    team_results,
)
from conftest import login, make_agency, make_team

from .conftest import ALL_RATED, make_assessment, make_instrument

pytestmark = pytest.mark.django_db


def other_teams(cohort, n: int):
    return [make_team(cohort, make_agency(f"Town {i} Police Department")) for i in range(n)]


def test_a_domain_score_is_the_mean_level_as_a_percent_of_the_top(team, version):
    make_assessment(team, version, ALL_RATED)

    scores = cohort_scores(team.cohort)[(team.pk, "baseline")]

    assert scores == {"alpha": 75.0, "beta": 25.0, "gamma": 50.0}


def test_drafts_do_not_count(team, version):
    make_assessment(team, version, ALL_RATED, submitted=False)

    assert cohort_scores(team.cohort) == {}
    assert team_results(team).rounds == []


def test_strengths_are_at_75_or_more_and_gaps_under_50(team, version):
    make_assessment(team, version, ALL_RATED)

    results = team_results(team)

    assert [r.code for r in results.strengths] == ["alpha"]
    assert [r.code for r in results.gaps] == ["beta"]  # gamma, at exactly 50%, is neither
    assert results.overall == {"baseline": pytest.approx(50.0)}


def test_the_change_between_rounds_is_per_domain(team, version):
    make_assessment(team, version, ALL_RATED)
    make_assessment(team, version, {"a1": 4, "a2": 4, "b1": 2, "b2": 1, "g1": 2}, round="midpoint")
    make_assessment(team, version, {"a1": 4, "a2": 4, "b1": 3, "b2": 3, "g1": 1}, round="end")

    results = team_results(team)
    rows = {r.code: r for r in results.rows}

    assert results.rounds == ["baseline", "midpoint", "end"]
    assert rows["alpha"].cells == [75.0, 100.0, 100.0]
    assert rows["beta"].change == 50.0
    assert rows["beta"].change_between("baseline", "midpoint") == 12.5
    assert rows["gamma"].change == -25.0
    assert rows["beta"].change_label == "+50 points"
    assert rows["gamma"].change_label == "−25 points"
    # Strengths and gaps are those of the latest round.
    assert [r.code for r in results.strengths] == ["alpha", "beta"]
    assert [r.code for r in results.gaps] == ["gamma"]


def test_rounds_on_different_versions_compare_by_domain_code(team, version):
    make_assessment(team, version, ALL_RATED)
    revised = make_instrument(
        "revised", domains=[("beta", "Beta, revised", ["b9"]), ("delta", "Delta", ["d1"])]
    )
    make_assessment(team, revised, {"b9": 4, "d1": 0}, round="midpoint")

    rows = {r.code: r for r in team_results(team).rows}

    assert rows["beta"].scores == {"baseline": 25.0, "midpoint": 100.0}
    assert rows["beta"].title == "Beta, revised"  # the latest version names it
    assert rows["alpha"].scores == {"baseline": 75.0, "midpoint": None}
    assert rows["delta"].change is None


def test_a_one_to_five_scale_runs_from_its_lowest_level(team):
    version = make_instrument(
        "five", scale=[(v, f"Level {v}") for v in range(1, 6)], domains=[("x", "X", ["x1", "x2"])]
    )
    make_assessment(team, version, {"x1": 3, "x2": 4})

    assert cohort_scores(team.cohort)[(team.pk, "baseline")] == {"x": 62.5}


def test_the_scores_of_a_cohort_take_two_queries(team, version, django_assert_num_queries):
    for other in other_teams(team.cohort, 6):
        make_assessment(other, version, ALL_RATED)

    with django_assert_num_queries(2):
        scores = cohort_scores(team.cohort)

    assert len(scores) == 6


def test_format_change():
    assert format_change(None) == ""
    assert format_change(0.3) == "no change"
    assert format_change(1) == "+1 point"


# The benchmark --------------------------------------------------------------------------------


def test_the_benchmark_averages_teams_that_submitted_the_round(team, version):
    teams = [team, *other_teams(team.cohort, 4)]
    for index, each in enumerate(teams):
        levels = dict(ALL_RATED, b1=index % 5, b2=index % 5)
        make_assessment(each, version, levels)
    make_assessment(teams[1], version, ALL_RATED, round="midpoint")

    bench = benchmarks(cohort_scores(team.cohort))

    assert bench["baseline"].teams == 5
    assert bench["baseline"].shown
    assert bench["baseline"].averages["beta"] == pytest.approx(50.0)  # levels 0…4: 0–100%
    assert bench["baseline"].averages["alpha"] == pytest.approx(75.0)
    assert bench["midpoint"].teams == 1
    assert not bench["midpoint"].shown
    assert bench["end"].teams == 0


def results_page(client, team):
    return client.get(reverse("assessments:results", args=[team.cohort.slug, team.pk]))


def test_the_benchmark_is_hidden_with_four_teams(client, team, command, version):
    teams = [team, *other_teams(team.cohort, BENCHMARK_MIN_TEAMS - 2)]
    for each in teams:
        make_assessment(each, version, ALL_RATED)
    login(client, command)

    page = results_page(client, team).content.decode()

    assert len(teams) == 4
    assert "Cohort average</th>" not in page
    assert "appears once at least 5 teams have submitted this round (4 so far)" in page


def test_the_benchmark_is_shown_with_five_teams_and_names_none(client, team, command, version):
    teams = [team, *other_teams(team.cohort, BENCHMARK_MIN_TEAMS - 1)]
    for each in teams:
        make_assessment(each, version, ALL_RATED)
    login(client, command)

    page = results_page(client, team).content.decode()

    assert "Cohort average</th>" in page
    assert "over the 5 teams" in page
    for other in teams[1:]:
        assert other.name not in page


def test_only_submitted_teams_of_the_same_round_count(client, team, command, version):
    teams = [team, *other_teams(team.cohort, 4)]
    for each in teams[:4]:
        make_assessment(each, version, ALL_RATED)
    make_assessment(teams[4], version, ALL_RATED, submitted=False)
    login(client, command)

    assert "Cohort average</th>" not in results_page(client, team).content.decode()


def test_the_results_page_shows_scores_strengths_and_gaps(client, team, command, version):
    make_assessment(team, version, ALL_RATED)
    login(client, command)

    page = results_page(client, team).content.decode()

    assert "<svg" in page  # the chart, with the table beside it
    assert "75%" in page and "25%" in page
    strengths = page[page.index("<h3>Strengths</h3>") : page.index("<h3>Gaps</h3>")]
    gaps = page[page.index("<h3>Gaps</h3>") : page.index('id="scores-h"')]
    assert "Alpha practices" in strengths
    assert "Beta practices" in gaps and "Add an action step" in gaps
    assert "Gamma practices" not in strengths + gaps


def test_the_results_page_before_any_submission_says_so(client, team, command, version):
    login(client, command)

    page = results_page(client, team).content.decode()

    assert "No assessment has been submitted yet" in page
