from datetime import timedelta

import pytest
from django.utils import timezone

from conftest import make_agency, make_member, make_team, make_user
from surveys.models import Question, WaveInvitation
from surveys.reports import breakdown, outcome_indicators, question_summary, response_rate
from surveys.services import save_draft, submit_response

from .conftest import END_ANSWERS, make_wave

pytestmark = pytest.mark.django_db


def add_members(team, count: int, role: str = "sworn", prefix: str = "m"):
    return [
        make_member(team, make_user(f"{prefix}{i}@{team.pk}.example"), role=role).user
        for i in range(count)
    ]


def answer_all(wave, answers_for):
    for invitation in WaveInvitation.objects.filter(wave=wave).select_related("user"):
        submit_response(invitation=invitation, answers=answers_for(invitation.user))


def test_it_counts_each_option_with_percent_and_interval(cohort, team, surveys):
    users = add_members(team, 8)
    wave = make_wave(cohort, surveys["end-survey"])
    yes = set(users[:6])
    answer_all(wave, lambda u: {**END_ANSWERS, "peer_outreach": "yes" if u in yes else "no"})

    summary = {s.question.code: s for s in question_summary(wave)}["peer_outreach"]

    assert summary.n == 8
    shares = {o.option.code: o.share for o in summary.options}
    assert (shares["yes"].count, shares["yes"].percent) == (6, 75.0)
    assert shares["yes"].ci_low == pytest.approx(40.93, abs=0.01)
    assert (shares["no"].count, shares["no"].percent) == (2, 25.0)


def test_drafts_are_not_counted(cohort, team, surveys):
    users = add_members(team, 6)
    wave = make_wave(cohort, surveys["end-survey"])
    invitations = list(WaveInvitation.objects.filter(wave=wave))
    for invitation in invitations[:5]:
        submit_response(invitation=invitation, answers=END_ANSWERS)
    save_draft(invitation=invitations[5], answers={"peer_outreach": "no"})

    summary = {s.question.code: s for s in question_summary(wave)}["peer_outreach"]

    assert summary.n == 5
    assert response_rate(wave).count == 5 and response_rate(wave).n == len(users)


def test_a_question_answered_by_fewer_than_the_minimum_shows_no_figures(cohort, team, surveys):
    add_members(team, 4)
    wave = make_wave(cohort, surveys["end-survey"])
    answer_all(wave, lambda u: END_ANSWERS)

    summary = {s.question.code: s for s in question_summary(wave)}["peer_outreach"]

    assert summary.suppressed
    assert summary.options == []


def test_a_small_group_and_the_one_that_would_reveal_it_are_suppressed(cohort, team, surveys):
    other = make_team(cohort, make_agency("Marion County Sheriff's Office", kind="sheriff"))
    add_members(team, 6, role="sworn", prefix="s")
    add_members(team, 5, role="civilian", prefix="c")
    add_members(other, 2, role="dispatcher", prefix="d")
    wave = make_wave(cohort, surveys["end-survey"])
    answer_all(wave, lambda u: END_ANSWERS)
    question = Question.objects.get(survey=wave.survey, code="peer_outreach")

    groups = {g.key: g for g in breakdown(wave, question, by="role")}

    assert groups["dispatcher"].suppressed and groups["dispatcher"].shares == []
    # Total minus sworn would give the dispatchers' figures: civilians (smallest) are hidden.
    assert groups["civilian"].suppressed
    assert not groups["sworn"].suppressed
    assert groups["sworn"].shares[0].count == 6


def test_the_indicators_use_the_latest_wave_that_asks_the_question(cohort, team, surveys):
    add_members(team, 5)
    now = timezone.now()
    early = make_wave(
        cohort,
        surveys["end-survey"],
        title="Early",
        opens_at=now - timedelta(days=3),
        closes_at=now + timedelta(days=1),
    )
    late = make_wave(cohort, surveys["end-survey"], title="Late", closes_at=now + timedelta(days=5))
    answer_all(early, lambda u: END_ANSWERS)
    answer_all(late, lambda u: {**END_ANSWERS, "peer_outreach": "no"})

    by_code = {i["code"]: i for i in outcome_indicators(cohort)}

    assert by_code["peer_outreach"]["numerator"] == 0
    assert by_code["peer_outreach"]["wave"] == "Late"
    assert by_code["changes_made"]["denominator"] == 0  # no midpoint wave yet
