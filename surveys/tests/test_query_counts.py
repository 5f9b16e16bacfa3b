import pytest

from conftest import make_agency, make_cohort, make_member, make_team, make_user
from surveys.models import WaveInvitation
from surveys.reports import outcome_indicators, question_summary
from surveys.services import submit_response

from .conftest import END_ANSWERS, make_wave

pytestmark = pytest.mark.django_db

MIDPOINT_ANSWERS = {"osw_changes": "made", "sessions_useful": "4", "barriers": ["time", "funding"]}


def cohort_with_answers(surveys, *, slug: str, members: int):
    cohort = make_cohort(slug)
    team = make_team(cohort, make_agency(f"{slug} Police Department"))
    for i in range(members):
        make_member(team, make_user(f"member{i}@{slug}.example"), role="sworn")
    waves = [
        make_wave(cohort, surveys["midpoint-pulse"]),
        make_wave(cohort, surveys["end-survey"]),
    ]
    answers = [MIDPOINT_ANSWERS, END_ANSWERS]
    for wave, given in zip(waves, answers, strict=True):
        for invitation in WaveInvitation.objects.filter(wave=wave):
            submit_response(invitation=invitation, answers=given)
    return cohort, waves


@pytest.mark.parametrize("members", [2, 9])
def test_the_outcome_indicators_take_one_query_at_any_size(
    surveys, django_assert_num_queries, members
):
    cohort, _ = cohort_with_answers(surveys, slug=f"size-{members}", members=members)

    with django_assert_num_queries(1):
        indicators = outcome_indicators(cohort)

    by_code = {i["code"]: i for i in indicators}
    assert by_code["changes_made"]["numerator"] == members
    assert by_code["changes_made"]["denominator"] == members
    assert by_code["shared_in_group"]["numerator"] == members
    assert by_code["peer_outreach"]["percent"] == 100.0


@pytest.mark.parametrize("members", [2, 9])
def test_the_question_summary_takes_two_queries_at_any_size(
    surveys, django_assert_num_queries, members
):
    _, (midpoint, _) = cohort_with_answers(surveys, slug=f"qs-{members}", members=members)

    with django_assert_num_queries(2):
        summaries = question_summary(midpoint)

    assert [s.question.code for s in summaries] == [
        "osw_changes", "sessions_useful", "barriers", "next_topics"
    ]  # fmt: skip
    assert summaries[0].n == members
