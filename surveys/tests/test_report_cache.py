"""A closed wave's report figures are computed once and cached; whatever could change them
changes their key. Cached figures are the figures computed afresh, small groups hidden alike."""

import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from conftest import login, make_agency, make_team
from surveys import reports
from surveys.models import Question, Response, Wave, WaveInvitation
from surveys.reports import question_summary, with_response_counts
from surveys.services import close_wave, submit_response, update_wave

from .conftest import make_wave
from .test_report_page import add_members, make_survey, page_text, report_url

pytestmark = pytest.mark.django_db

SURVEY = [
    ("outreach", "yes_no"),
    ("sharing", "single", ["wide", "group", "none"]),
    ("barriers", "multiple", ["time", "money", "staff"]),
    ("useful", "likert"),
    ("contacts", "number"),
    ("remarks", "text"),
]


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


def answers(i: int, kind: str) -> dict:
    return {
        "outreach": "yes" if kind == "municipal" else "no",
        "sharing": ["wide", "group", "none"][i % 3],
        "barriers": ["time", "money", "staff"][: 1 + i % 3],
        "useful": str(1 + i % 5),
        "contacts": i % 7,
        "remarks": f"Remark {i:02d} from a {kind} member",
    }


def answered_wave(cohort, team, anonymity=Wave.Anonymity.CONFIDENTIAL) -> Wave:
    """A wave answered by a municipal department's 3 command staff and 6 officers, 6 campus
    officers, 2 sheriff's dispatchers and 1 state civilian, with a minimum group size of 5:
    command staff are too few, the other members would reveal them, and the sheriff's and
    state groups hide the campus group too. One more officer is invited and has not answered.
    """
    campus = make_team(cohort, make_agency("State University Police", kind="campus"))
    sheriff = make_team(cohort, make_agency("Marion County Sheriff's Office", kind="sheriff"))
    state = make_team(cohort, make_agency("State Highway Patrol", kind="state"))
    add_members(team, 3, role="command_staff", prefix="chief")
    add_members(team, 7, role="sworn", prefix="officer")
    add_members(campus, 6, role="sworn", prefix="campus")
    add_members(sheriff, 2, role="dispatcher", prefix="dispatch")
    add_members(state, 1, role="civilian", prefix="civ")
    survey = make_survey(f"cached-{anonymity}", *SURVEY)
    wave = make_wave(cohort, survey, anonymity=anonymity, min_group_size=5)
    invitations = wave.invitations.select_related("user").order_by("pk")
    for i, invitation in enumerate(invitations[1:]):
        kind = invitation.user.memberships.get().team.agency.kind
        submit_response(invitation=invitation, answers=answers(i, kind))
    return wave


@pytest.fixture
def closed_wave(cohort, team):
    wave = answered_wave(cohort, team)
    close_wave(wave=wave)
    return wave


def fetched(wave: Wave) -> Wave:
    """The wave as the report page reads it: with its response counts."""
    return with_response_counts(Wave.objects.select_related("survey", "cohort")).get(pk=wave.pk)


def reads_answers(captured) -> bool:
    return any("surveys_answer" in q["sql"] for q in captured.captured_queries)


def comparable(response) -> str:
    """The page without what differs on every request (the masked CSRF token, CSP nonces)."""
    content = response.content.decode()
    content = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", content)
    return re.sub(r'nonce="[^"]*"', "", content)


def by_code(summaries) -> dict[str, reports.QuestionSummary]:
    return {s.question.code: s for s in summaries}


@pytest.mark.parametrize("anonymity", [Wave.Anonymity.CONFIDENTIAL, Wave.Anonymity.ANONYMOUS])
def test_cached_figures_are_the_figures_computed_afresh(cohort, team, anonymity):
    wave = answered_wave(cohort, team, anonymity)
    close_wave(wave=wave)

    computed = reports.wave_report(fetched(wave))
    cached = reports.wave_report(fetched(wave))
    cache.clear()
    again = question_summary(fetched(wave), with_values=True)

    assert cached.questions == computed.questions == again
    assert cached.rate == computed.rate
    figures = by_code(cached.questions)
    assert figures["outreach"].n == 18
    roles = {g.key: g for g in figures["outreach"].by_role}
    kinds = {g.key: g for g in figures["barriers"].by_agency_kind}
    # Three command staff are too few; the others would reveal them by subtraction.
    assert roles["command_staff"].suppressed and roles["command_staff"].shares == []
    assert roles["other"].suppressed and roles["other"].reveals_smaller
    # Sheriff (2) and state (1) are hidden; together 3 < 5, so campus (6) is hidden too.
    assert kinds["sheriff"].suppressed and kinds["state"].suppressed
    assert kinds["campus"].suppressed and kinds["campus"].reveals_smaller
    assert not kinds["municipal"].suppressed and kinds["municipal"].n == 9
    assert figures["contacts"].median == 2.5 and figures["remarks"].texts[0].startswith("Remark 00")


def test_a_closed_wave_is_computed_once_then_read_from_the_cache(
    client, staff, closed_wave, django_assert_num_queries
):
    login(client, staff)

    # session, user, the wave and its counts, questions and options, the tally, the listed values
    with django_assert_num_queries(6) as first_queries:
        first = client.get(report_url(closed_wave))
    # session, user, the wave and its counts, questions and options
    with django_assert_num_queries(4) as second_queries:
        second = client.get(report_url(closed_wave))

    assert reads_answers(first_queries) and not reads_answers(second_queries)
    assert comparable(second) == comparable(first)
    assert second.context["summaries"] == first.context["summaries"]
    page = page_text(second)
    assert "Command staff Not shown: fewer than 5 people" in page
    assert "Other members Not shown: with the total, it would reveal a smaller group" in page
    assert "University / campus police Not shown: with the total" in page


def test_an_open_wave_is_computed_on_every_view(
    client, staff, cohort, team, django_assert_num_queries
):
    wave = answered_wave(cohort, team)
    login(client, staff)

    for _ in range(2):
        with django_assert_num_queries(6) as captured:
            client.get(report_url(wave))
        assert reads_answers(captured)


def test_deleting_a_response_of_a_closed_wave_shows_at_once(client, staff, closed_wave):
    login(client, staff)
    client.get(report_url(closed_wave))

    Response.objects.filter(wave=closed_wave).order_by("pk").first().delete()
    one_less = client.get(report_url(closed_wave)).context["summaries"]
    Response.objects.filter(wave=closed_wave, role="dispatcher").delete()
    fewer = client.get(report_url(closed_wave)).context["summaries"]

    assert by_code(one_less)["outreach"].n == 17
    assert by_code(fewer)["outreach"].n == 15
    assert fewer == question_summary(fetched(closed_wave), with_values=True)


def test_a_wave_reopened_is_computed_afresh_and_cached_again_once_closed(
    client, staff, closed_wave, django_assert_num_queries
):
    login(client, staff)
    client.get(report_url(closed_wave))

    closed_wave.closes_at = timezone.now() + timedelta(days=2)
    update_wave(wave=closed_wave)
    waiting = WaveInvitation.objects.get(wave=closed_wave, used_at__isnull=True)
    submit_response(invitation=waiting, answers=answers(99, "municipal"))
    with django_assert_num_queries(6):
        reopened = client.get(report_url(closed_wave)).context["summaries"]
    close_wave(wave=Wave.objects.get(pk=closed_wave.pk))
    with django_assert_num_queries(6):
        closed_again = client.get(report_url(closed_wave)).context["summaries"]
    with django_assert_num_queries(4):
        cached = client.get(report_url(closed_wave)).context["summaries"]

    assert by_code(reopened)["outreach"].n == by_code(closed_again)["outreach"].n == 19
    assert cached == closed_again


def test_changing_the_minimum_group_size_changes_what_is_hidden(client, staff, closed_wave):
    login(client, staff)
    before = by_code(client.get(report_url(closed_wave)).context["summaries"])

    # Locked once the wave opened; changed behind the form's back all the same.
    Wave.objects.filter(pk=closed_wave.pk).update(min_group_size=2)
    after = client.get(report_url(closed_wave)).context["summaries"]
    Wave.objects.filter(pk=closed_wave.pk).update(min_group_size=20)
    none_shown = client.get(report_url(closed_wave)).context["summaries"]

    assert {g.key: g.suppressed for g in before["barriers"].by_agency_kind}["campus"]
    assert not {g.key: g.suppressed for g in by_code(after)["barriers"].by_agency_kind}["campus"]
    # 18 answered, fewer than 20: no figure, and no free text listed.
    assert all(s.suppressed for s in none_shown)
    assert (
        by_code(none_shown)["remarks"].texts == []
        and by_code(none_shown)["contacts"].median is None
    )
    assert none_shown == question_summary(fetched(closed_wave), with_values=True)


def test_the_questions_wording_is_read_afresh_and_new_questions_count(
    client, staff, closed_wave, django_assert_num_queries
):
    login(client, staff)
    client.get(report_url(closed_wave))
    question = Question.objects.get(survey=closed_wave.survey, code="outreach")
    question.text = "Have you called a peer since?"
    question.save()
    question.options.filter(code="yes").update(label="Yes, I have")

    with django_assert_num_queries(4):
        reworded = page_text(client.get(report_url(closed_wave)))
    Question.objects.create(
        survey=closed_wave.survey, code="added", text="Added later?", kind="text", position=9
    )
    with django_assert_num_queries(6):
        added = client.get(report_url(closed_wave)).context["summaries"]

    assert "Have you called a peer since?" in reworded and "Yes, I have 9 50%" in reworded
    assert [s.question.code for s in added][-1] == "added" and by_code(added)["added"].n == 0


class Unreachable:
    def get(self, *args, **kwargs):
        raise ConnectionError("The cache is down.")

    set = get


def test_the_report_is_computed_when_the_cache_is_unreachable(
    client, staff, closed_wave, monkeypatch
):
    login(client, staff)
    expected = comparable(client.get(report_url(closed_wave)))
    monkeypatch.setattr(reports, "cache", Unreachable())

    response = client.get(report_url(closed_wave))

    assert response.status_code == 200 and comparable(response) == expected
