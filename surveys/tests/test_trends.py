"""Trends across a cohort's waves, joined by question and option codes."""

import html
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from conftest import login, make_agency, make_cohort, make_member, make_team, make_user
from surveys.models import WaveInvitation
from surveys.services import submit_response
from surveys.trends import cohort_trends

from .conftest import make_wave
from .test_report_page import make_survey

pytestmark = pytest.mark.django_db


def add_members(team, count: int) -> None:
    for i in range(count):
        make_member(team, make_user(f"t{i}@{team.pk}.example"))


def wave_of(cohort, survey, *, days_ago: int, **extra):
    now = timezone.now()
    return make_wave(
        cohort,
        survey,
        title=extra.pop("title", f"{survey.title} ({days_ago} days ago)"),
        opens_at=now - timedelta(days=days_ago),
        closes_at=now + timedelta(days=7),
        **extra,
    )


def answer(wave, answers: list[dict]) -> None:
    invitations = WaveInvitation.objects.filter(wave=wave).order_by("pk")
    for invitation, given in zip(invitations, answers, strict=False):
        submit_response(invitation=invitation, answers=given)


def trends_url(cohort, **query) -> str:
    url = reverse("surveys:trends", args=[cohort.slug])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def page_text(response) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


@pytest.fixture
def midpoint_and_end(cohort, team):
    """Two different surveys that share ``peer_outreach`` and ``knowledge_sharing`` (the end
    survey offers one more answer), each with a question of its own. The midpoint wave,
    older but created second, is answered by 6 people; the end wave by 8."""
    add_members(team, 8)
    midpoint = make_survey(
        "mid",
        ("peer_outreach", "yes_no"),
        ("knowledge_sharing", "single", ["in_group", "not_yet"]),
        ("osw_changes", "single", ["made", "planned", "none"]),
    )
    end = make_survey(
        "end",
        ("knowledge_sharing", "single", ["internal_external", "in_group", "not_yet"]),
        ("peer_outreach", "yes_no"),
        ("satisfaction", "likert"),
    )
    end_wave = wave_of(cohort, end, days_ago=1, title="End")
    mid_wave = wave_of(cohort, midpoint, days_ago=20, title="Midpoint")
    answer(
        mid_wave,
        [
            {"peer_outreach": "yes" if i < 2 else "no", "knowledge_sharing": "not_yet"}
            for i in range(6)
        ],
    )
    answer(
        end_wave,
        [
            {
                "peer_outreach": "yes" if i < 6 else "no",
                "knowledge_sharing": "internal_external" if i < 4 else "in_group",
                "satisfaction": "4",
            }
            for i in range(8)
        ],
    )
    return mid_wave, end_wave


def test_waves_of_different_surveys_are_joined_by_question_and_option_codes(
    cohort, midpoint_and_end
):
    mid_wave, end_wave = midpoint_and_end

    trends = cohort_trends(cohort)

    assert [w.title for w in trends.waves] == ["Midpoint", "End"]  # oldest first
    peer = trends.question("peer_outreach")
    assert [(c.wave.title, c.n) for c in peer.columns] == [("Midpoint", 6), ("End", 8)]
    rows = {row.code: row for row in peer.rows}
    assert [(c.share.count, c.share.n) for c in rows["yes"].cells] == [(2, 6), (6, 8)]
    assert [c.share.percent for c in rows["no"].cells] == [pytest.approx(200 / 3), 25.0]
    assert rows["yes"].cells[1].share.ci_low == pytest.approx(40.93, abs=0.01)


def test_an_answer_one_survey_did_not_offer_is_marked_not_asked(cohort, midpoint_and_end):
    sharing = cohort_trends(cohort).question("knowledge_sharing")

    rows = {row.code: row for row in sharing.rows}
    assert list(rows) == ["in_group", "not_yet", "internal_external"]  # first seen first
    assert [c.asked for c in rows["internal_external"].cells] == [False, True]
    assert rows["internal_external"].cells[1].share.count == 4
    assert rows["internal_external"].cells[0].chart_value == "not asked"
    assert [c.share.count for c in rows["not_yet"].cells] == [6, 0]


def test_questions_asked_once_are_set_apart(cohort, midpoint_and_end):
    trends = cohort_trends(cohort)

    assert [q.code for q in trends.repeated] == ["peer_outreach", "knowledge_sharing"]
    assert [q.code for q in trends.asked_once] == ["osw_changes", "satisfaction"]


def test_multiple_choice_n_counts_people_not_choices(cohort, team):
    add_members(team, 5)
    survey = make_survey("hard", ("barriers", "multiple", ["time", "funding"]))
    first = wave_of(cohort, survey, days_ago=9, title="First")
    second = wave_of(cohort, survey, days_ago=3, title="Second", min_group_size=4)
    answer(first, [{"barriers": ["time", "funding"]}] * 5)
    answer(second, [{"barriers": ["time"]}] * 4 + [{}])

    barriers = cohort_trends(cohort).question("barriers")
    rows = {row.code: row for row in barriers.rows}

    assert [c.n for c in barriers.columns] == [5, 4]  # the fifth person skipped it
    assert [(c.share.count, c.share.n) for c in rows["time"].cells] == [(5, 5), (4, 4)]
    assert [(c.share.count, c.share.n) for c in rows["funding"].cells] == [(5, 5), (0, 4)]


def test_a_wave_where_too_few_answered_shows_no_figures(cohort, team):
    add_members(team, 6)
    survey = make_survey("pulse", ("recommend", "yes_no"))
    small = wave_of(cohort, survey, days_ago=10, title="Small", min_group_size=8)
    large = wave_of(cohort, survey, days_ago=2, title="Large", min_group_size=5)
    answer(small, [{"recommend": "yes"}] * 6)
    answer(large, [{"recommend": "yes"}] * 5 + [{"recommend": "no"}])

    recommend = cohort_trends(cohort).question("recommend")
    yes = next(row for row in recommend.rows if row.code == "yes")

    assert [c.n for c in recommend.columns] == [6, 6]
    assert yes.cells[0].suppressed and yes.cells[0].share is None
    assert yes.cells[0].chart_value == "not shown"
    assert not yes.cells[1].suppressed and yes.cells[1].share.count == 5


def test_the_page_shows_each_shared_question_with_a_chart_and_table(
    client, cohort, staff, midpoint_and_end
):
    response = login(client, staff).get(trends_url(cohort))

    page = page_text(response)
    content = response.content.decode()
    assert response.status_code == 200
    assert "Answer Midpoint (n = 6) End (n = 8)" in page
    assert "Yes (yes) 33.3% (2 of 6; 95% CI 10–70%) 75% (6 of 8; 95% CI 41–93%)" in page
    assert "Answer internal_external (internal_external) Not asked 50% (4 of 8" in page
    assert content.count('role="img"') == 2  # the two questions both surveys ask
    assert '<title id="trend-peer_outreach-title">' in content
    assert "Asked in one wave only" in page and "osw_changes" in page
    assert " style=" not in content


def test_one_question_can_be_shown_alone(client, cohort, staff, midpoint_and_end):
    login(client, staff)

    focused = client.get(trends_url(cohort, question="knowledge_sharing"))
    unknown = client.get(trends_url(cohort, question="nothing_here"))

    assert [q.code for q in focused.context["questions"]] == ["knowledge_sharing"]
    assert focused.content.decode().count('role="img"') == 1
    assert '<option value="knowledge_sharing" selected>' in focused.content.decode()
    assert "Asked in one wave only" not in page_text(focused)
    assert "No question with the code “nothing_here”" in page_text(unknown)
    assert unknown.content.decode().count('role="img"') == 2  # every shared question instead


def test_fewer_than_two_waves_with_answers_is_an_empty_state(client, cohort, team, staff):
    add_members(team, 5)
    survey = make_survey("pulse", ("recommend", "yes_no"))
    answered = wave_of(cohort, survey, days_ago=5, title="Answered")
    wave_of(cohort, survey, days_ago=1, title="Not answered yet")
    answer(answered, [{"recommend": "yes"}] * 5)

    response = login(client, staff).get(trends_url(cohort))

    assert not response.context["trends"].enough_waves
    assert "Trends need at least two waves with answers; so far only “Answered”" in page_text(
        response
    )
    assert 'role="img"' not in response.content.decode()


def test_members_are_refused_and_outsiders_find_nothing(client, cohort, command, outsider):
    assert login(client, command).get(trends_url(cohort)).status_code == 403
    assert login(client, outsider).get(trends_url(cohort)).status_code == 404


def test_staff_get_404_for_an_unknown_cohort(client, staff):
    response = login(client, staff).get(reverse("surveys:trends", args=["no-such-cohort"]))

    assert response.status_code == 404


def test_the_wave_list_links_to_the_trends_for_staff_only(client, cohort, staff, command):
    url = reverse("surveys:wave_list", args=[cohort.slug])

    assert trends_url(cohort) in login(client, staff).get(url).content.decode()
    assert trends_url(cohort) not in login(client, command).get(url).content.decode()


@pytest.mark.parametrize(("waves", "members"), [(2, 5), (5, 15)])
def test_the_trends_page_takes_four_queries_at_any_size(
    client, staff, django_assert_num_queries, waves, members
):
    cohort = make_cohort(f"trend-{waves}")
    add_members(make_team(cohort, make_agency(f"Trend {waves} Police Department")), members)
    surveys = [
        make_survey(f"trend-{waves}-{i}", ("recommend", "yes_no"), ("satisfaction", "likert"))
        for i in range(waves)
    ]
    for i, survey in enumerate(surveys):
        wave = wave_of(cohort, survey, days_ago=waves - i, title=f"Wave {i}")
        answer(wave, [{"recommend": "yes", "satisfaction": "5"}] * members)
    login(client, staff)

    with django_assert_num_queries(4):  # session, user, cohort, the figures
        response = client.get(trends_url(cohort))

    trends = response.context["trends"]
    assert [w.title for w in trends.waves] == [f"Wave {i}" for i in range(waves)]
    assert [c.n for c in trends.question("recommend").columns] == [members] * waves
    assert f"100% ({members} of {members};" in page_text(response)
