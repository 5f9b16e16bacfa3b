"""The staff's wave report page: figures, charts, free text, breakdowns, access and queries."""

import html
import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from conftest import login, make_agency, make_cohort, make_member, make_team, make_user
from surveys import reports
from surveys.charts import PLOT_LEFT, PLOT_RIGHT
from surveys.models import Option, Question, Response, Survey, Wave, WaveInvitation
from surveys.reports import question_summary
from surveys.services import submit_response

from .conftest import END_ANSWERS, make_wave

pytestmark = pytest.mark.django_db


def make_survey(code: str, *questions) -> Survey:
    """``questions``: (code, kind) or (code, kind, [option codes]); yes/no and Likert
    questions get their usual options."""
    survey = Survey.objects.create(title=f"Survey {code}", code=code)
    for position, (q_code, kind, *options) in enumerate(questions, start=1):
        question = Question.objects.create(
            survey=survey,
            code=q_code,
            text=f"Question {q_code}?",
            kind=kind,
            required=False,
            position=position,
        )
        for o_position, o_code in enumerate(options[0] if options else [], start=1):
            Option.objects.create(
                question=question, code=o_code, label=f"Answer {o_code}", position=o_position
            )
        question.add_default_options()
    return survey


def add_members(team, count: int, role: str = "sworn", prefix: str = "m") -> list:
    return [
        make_member(team, make_user(f"{prefix}{i}@{team.pk}.example"), role=role).user
        for i in range(count)
    ]


def answer_all(wave: Wave, answers_for) -> None:
    invitations = WaveInvitation.objects.filter(wave=wave).select_related("user").order_by("pk")
    for i, invitation in enumerate(invitations):
        submit_response(invitation=invitation, answers=answers_for(i, invitation.user))


def report_url(wave: Wave) -> str:
    return reverse("surveys:report", args=[wave.cohort.slug, wave.pk])


def page_text(response) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


def by_code(wave: Wave) -> dict[str, reports.QuestionSummary]:
    return {s.question.code: s for s in question_summary(wave, with_values=True)}


# --- Figures -------------------------------------------------------------------------------


def test_the_demo_end_survey_reproduces_the_reported_figures(client, staff):
    call_command("seed_demo", stdout=StringIO())
    wave = Wave.objects.get(cohort__slug="osw-2021", title="End-of-collaborative survey 2021")

    response = login(client, staff).get(report_url(wave))

    page = page_text(response)
    assert "Yes 30 62.5% (30 of 48; 95% CI 48–75%)" in page
    assert "I have shared it with both internal and external members 24 50% (24 of 48" in page
    assert "I am sharing with others in the group 12 25% (12 of 48" in page
    peer = next(s for s in response.context["summaries"] if s.question.code == "peer_outreach")
    assert peer.n == 48 and peer.options[0].share.count == 30
    # The chart's "Yes" bar reaches 62.5% of the axis.
    width = (PLOT_RIGHT - PLOT_LEFT) * 0.625
    assert f'width="{round(width, 1)}"' in response.content.decode()


def test_it_shows_count_percent_interval_n_and_a_chart_per_choice_question(
    client, cohort, team, staff, surveys
):
    add_members(team, 8)
    wave = make_wave(cohort, surveys["end-survey"])
    answer_all(wave, lambda i, u: {**END_ANSWERS, "peer_outreach": "yes" if i < 6 else "no"})

    response = login(client, staff).get(report_url(wave))

    page = page_text(response)
    content = response.content.decode()
    assert response.status_code == 200
    assert "Response rate: 100% (8 of 8; 95% CI 68–100%)" in page
    assert "peer_outreach · Yes / no · n = 8" in page
    assert "Yes 6 75% (6 of 8; 95% CI 41–93%)" in page
    assert "No 2 25% (2 of 8; 95% CI 7–59%)" in page
    peer = Question.objects.get(survey=wave.survey, code="peer_outreach")
    assert f'aria-labelledby="chart-q{peer.pk}-title"' in content
    assert f'<title id="chart-q{peer.pk}-title">{html.escape(peer.text, quote=False)}' in content
    assert "css/charts.css" in content
    assert " style=" not in content
    # Four choice questions, four charts; the number and text questions have none.
    assert content.count('role="img"') == 4


def test_number_questions_show_n_mean_and_median(cohort, team, surveys):
    add_members(team, 6)
    wave = make_wave(cohort, surveys["end-survey"])
    contacts = [1, 2, 3, 4, 10, 20]
    answer_all(wave, lambda i, u: {**END_ANSWERS, "peer_contacts": contacts[i]})

    summary = by_code(wave)["peer_contacts"]

    assert summary.n == 6
    assert summary.mean == pytest.approx(40 / 6)
    assert summary.median == 3.5  # between 3 and 4
    assert summary.options == [] and summary.by_role == []


def test_an_odd_number_of_answers_has_the_middle_one_as_median(cohort, team, surveys):
    add_members(team, 5)
    wave = make_wave(cohort, surveys["end-survey"])
    contacts = [8, 1, 30, 2, 5]
    answer_all(wave, lambda i, u: {**END_ANSWERS, "peer_contacts": contacts[i]})

    assert by_code(wave)["peer_contacts"].median == 5


def test_multiple_choice_percentages_are_of_the_people_who_answered(cohort, team, surveys):
    add_members(team, 5)
    wave = make_wave(cohort, surveys["midpoint-pulse"], min_group_size=4)
    picks = [["time", "funding"], ["time"], ["time", "stigma"], ["funding"], []]
    answer_all(
        wave,
        lambda i, u: {"osw_changes": "made", "sessions_useful": "4", "barriers": picks[i]},
    )

    summary = by_code(wave)["barriers"]
    shares = {o.option.code: o.share for o in summary.options}

    assert summary.n == 4  # the fifth person skipped the question
    assert (shares["time"].count, shares["time"].percent) == (3, 75.0)
    assert (shares["funding"].count, shares["funding"].percent) == (2, 50.0)
    assert shares["staffing"].count == 0


# --- Free text -----------------------------------------------------------------------------


def test_free_text_is_not_listed_when_fewer_than_the_minimum_answered(
    client, cohort, team, staff, surveys
):
    add_members(team, 4)
    wave = make_wave(cohort, surveys["end-survey"], min_group_size=5)
    answer_all(wave, lambda i, u: {**END_ANSWERS, "most_useful": f"Secret remark {i}"})

    page = page_text(login(client, staff).get(report_url(wave)))

    assert "Fewer than 5 people answered: figures are not shown and answers are not listed." in (
        page
    )
    assert "Secret remark" not in page


def test_free_text_is_listed_alphabetically_once_enough_people_answered(
    client, cohort, team, staff, surveys
):
    add_members(team, 5)
    wave = make_wave(cohort, surveys["end-survey"], min_group_size=5)
    remarks = ["Peer calls", "Agency visits", "The forum", "Budget tips", "Meeting <b>notes</b>"]
    answer_all(wave, lambda i, u: {**END_ANSWERS, "most_useful": remarks[i]})

    response = login(client, staff).get(report_url(wave))

    most_useful = next(s for s in response.context["summaries"] if s.question.code == "most_useful")
    assert most_useful.texts == sorted(remarks)
    page = page_text(response)
    assert "Agency visits Budget tips Meeting <b>notes</b> Peer calls The forum" in page
    assert "Meeting &lt;b&gt;notes&lt;/b&gt;" in response.content.decode()
    assert "In alphabetical order, not the order they arrived." in page


def test_long_free_text_lists_are_capped_with_a_count(client, cohort, team, staff, surveys):
    add_members(team, 7)
    wave = make_wave(cohort, surveys["end-survey"])
    answer_all(wave, lambda i, u: {**END_ANSWERS, "most_useful": f"Remark {i}"})
    reports.TEXT_LIMIT, limit = 3, reports.TEXT_LIMIT
    try:
        response = login(client, staff).get(report_url(wave))
    finally:
        reports.TEXT_LIMIT = limit

    page = page_text(response)
    assert "Remark 0 Remark 1 Remark 2" in page and "Remark 3" not in page
    assert "The first 3 of 7 answers, in alphabetical order" in page


# --- Breakdowns ----------------------------------------------------------------------------


@pytest.fixture
def mixed_wave(cohort, team, surveys):
    """An end-survey wave answered by a municipal department's 3 command staff and 6 officers,
    6 campus officers, 2 sheriff's dispatchers and 1 state civilian; municipal people say yes
    to peer outreach, everyone else no."""
    campus = make_team(cohort, make_agency("State University Police", kind="campus"))
    sheriff = make_team(cohort, make_agency("Marion County Sheriff's Office", kind="sheriff"))
    state = make_team(cohort, make_agency("State Highway Patrol", kind="state"))
    add_members(team, 3, role="command_staff", prefix="chief")  # municipal
    add_members(team, 6, role="sworn", prefix="officer")  # municipal
    add_members(campus, 6, role="sworn", prefix="campus")
    add_members(sheriff, 2, role="dispatcher", prefix="dispatch")
    add_members(state, 1, role="civilian", prefix="civ")
    wave = make_wave(cohort, surveys["end-survey"], min_group_size=5)

    def answers(i, user):
        kind = user.memberships.get().team.agency.kind
        return {**END_ANSWERS, "peer_outreach": "yes" if kind == "municipal" else "no"}

    answer_all(wave, answers)
    return wave


def test_every_question_is_broken_down_by_role_and_agency_kind_in_one_query(
    mixed_wave, django_assert_num_queries
):
    with django_assert_num_queries(2):  # questions and options; every figure
        summaries = {s.question.code: s for s in question_summary(mixed_wave)}

    for code in ["peer_outreach", "knowledge_sharing", "satisfaction", "recommend"]:
        roles = {g.key: g for g in summaries[code].by_role}
        kinds = {g.key: g for g in summaries[code].by_agency_kind}
        # Three command staff are too few, and the others would reveal them by subtraction.
        assert roles["command_staff"].suppressed and not roles["command_staff"].reveals_smaller
        assert roles["other"].suppressed and roles["other"].reveals_smaller
        assert all(g.shares == [] for g in roles.values())
        # Sheriff (2) and state (1) are hidden; together 3 < 5, so campus (6) is hidden too.
        assert kinds["sheriff"].suppressed and kinds["state"].suppressed
        assert kinds["campus"].suppressed and kinds["campus"].reveals_smaller
        assert not kinds["municipal"].suppressed and kinds["municipal"].n == 9
        assert [label for label in (g.label for g in summaries[code].by_agency_kind)] == [
            "Municipal police department",
            "Sheriff's office",
            "State police / highway patrol",
            "University / campus police",
        ]
    municipal = {g.key: g for g in summaries["peer_outreach"].by_agency_kind}["municipal"]
    assert [(s.count, s.n) for s in municipal.shares] == [(9, 9), (0, 9)]  # yes, no


def test_groups_of_the_minimum_size_are_shown(cohort, team, surveys):
    other = make_team(cohort, make_agency("Marion County Sheriff's Office", kind="sheriff"))
    add_members(team, 5, role="command_staff", prefix="chief")
    add_members(team, 2, role="sworn", prefix="officer")
    add_members(other, 4, role="dispatcher", prefix="dispatch")
    wave = make_wave(cohort, surveys["end-survey"], min_group_size=5)
    answer_all(wave, lambda i, u: {**END_ANSWERS, "recommend": "yes" if i < 5 else "no"})

    summary = by_code(wave)["recommend"]
    roles = {g.key: g for g in summary.by_role}

    assert not roles["command_staff"].suppressed and roles["command_staff"].n == 5
    assert not roles["other"].suppressed and roles["other"].n == 6
    assert sum(g.n for g in summary.by_role) == summary.n == 11
    kinds = {g.key: g for g in summary.by_agency_kind}
    assert (kinds["municipal"].n, kinds["sheriff"].n) == (7, 4)
    assert kinds["sheriff"].suppressed and kinds["municipal"].reveals_smaller


def test_the_page_says_why_a_group_is_not_shown(client, mixed_wave, staff):
    page = page_text(login(client, staff).get(report_url(mixed_wave)))

    assert "Command staff Not shown: fewer than 5 people" in page
    assert "Other members Not shown: with the total, it would reveal a smaller group" in page
    assert "Municipal police department 9 100% (9) 0% (0)" in page
    assert "University / campus police Not shown: with the total" in page


def test_an_agency_kind_no_longer_offered_is_still_a_group(cohort, team, surveys):
    add_members(team, 8)
    wave = make_wave(cohort, surveys["end-survey"])
    answer_all(wave, lambda i, u: END_ANSWERS)
    two = list(wave.responses.values_list("pk", flat=True)[:2])
    Response.objects.filter(pk__in=two).update(agency_kind="regional")

    kinds = {g.key: g for g in by_code(wave)["peer_outreach"].by_agency_kind}

    assert (kinds["regional"].label, kinds["regional"].n) == ("regional", 2)
    assert kinds["regional"].suppressed
    assert kinds["municipal"].suppressed and kinds["municipal"].reveals_smaller


def test_a_question_answered_by_too_few_has_no_breakdown(cohort, team, surveys):
    add_members(team, 4, role="command_staff")
    wave = make_wave(cohort, surveys["end-survey"], min_group_size=5)
    answer_all(wave, lambda i, u: END_ANSWERS)

    summary = by_code(wave)["peer_outreach"]

    assert summary.suppressed and summary.options == []
    assert summary.by_role == [] and summary.by_agency_kind == []


# --- Access --------------------------------------------------------------------------------


def test_members_are_refused_and_outsiders_find_nothing(client, end_wave, command, outsider):
    assert login(client, command).get(report_url(end_wave)).status_code == 403
    assert login(client, outsider).get(report_url(end_wave)).status_code == 404


def test_staff_get_404_for_a_wave_under_another_cohort(client, end_wave, staff, other_cohort):
    login(client, staff)

    for slug in [other_cohort.slug, "nowhere"]:
        assert client.get(reverse("surveys:report", args=[slug, end_wave.pk])).status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client, end_wave):
    response = client.get(report_url(end_wave))

    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_report_links_to_the_trends(client, end_wave, staff):
    page = login(client, staff).get(report_url(end_wave)).content.decode()

    assert reverse("surveys:trends", args=[end_wave.cohort.slug]) in page


# --- Queries -------------------------------------------------------------------------------

CHOICE_KINDS = [
    ("yes_no",),
    ("likert",),
    ("single", ["a", "b", "c"]),
    ("multiple", ["x", "y", "z"]),
]


def sized_survey(questions: int) -> Survey:
    """A number question, a text question, and choice questions up to ``questions``."""
    specs = [("how_many", "number"), ("remarks", "text")]
    for i in range(questions - 2):
        kind, *options = CHOICE_KINDS[i % len(CHOICE_KINDS)]
        specs.append((f"choice_{i}", kind, *options))
    return make_survey(f"sized-{questions}", *specs)


def sized_answers(survey: Survey):
    questions = list(survey.questions.prefetch_related("options"))

    def answers(i, user):
        given = {"how_many": i, "remarks": f"Remark number {i}"}
        for q in questions:
            codes = [o.code for o in q.options.all()]
            if q.kind == "multiple":
                given[q.code] = codes[: 1 + i % len(codes)]
            elif codes:
                given[q.code] = codes[i % len(codes)]
        return given

    return answers


@pytest.mark.parametrize(("responses", "questions"), [(10, 3), (60, 8)])
def test_the_report_page_takes_six_queries_at_any_size(
    client, staff, django_assert_num_queries, responses, questions
):
    cohort = make_cohort(f"size-{responses}")
    municipal = make_team(cohort, make_agency(f"Size {responses} Police Department"))
    sheriff = make_team(cohort, make_agency(f"Size {responses} Sheriff", kind="sheriff"))
    add_members(municipal, responses // 2, role="command_staff", prefix="c")
    add_members(sheriff, responses - responses // 2, role="sworn", prefix="s")
    survey = sized_survey(questions)
    wave = make_wave(cohort, survey)
    answer_all(wave, sized_answers(survey))
    login(client, staff)

    # session, user, the wave with its cohort, survey and response counts, questions and
    # options, every count of every group, the free text and the median
    with django_assert_num_queries(6):
        response = client.get(report_url(wave))

    summaries = response.context["summaries"]
    assert len(summaries) == questions
    assert all(s.n == responses for s in summaries)
    assert summaries[1].texts[0] == "Remark number 0"
    assert summaries[0].median == (responses - 1) / 2
    assert page_text(response).count("Command staff") == questions - 2
    assert f"({responses} of {responses};" in page_text(response)
