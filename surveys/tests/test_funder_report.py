import csv
import html
import io
import re
import sys
import types
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from cohorts.models import Attendance, Cohort, Session
from conftest import login, make_agency, make_cohort, make_member, make_team, make_user
from surveys.funder import (
    UnknownPeriod,
    cohort_with_narratives,
    funder_report,
    indicator_rows,
    period_for,
    workbook,
)
from surveys.models import ReportingNarrative, WaveInvitation
from surveys.periods import Quarter
from surveys.reports import outcome_indicators
from surveys.services import submit_response

from .conftest import END_ANSWERS, make_wave

pytestmark = pytest.mark.django_db

Q1, Q2, Q3 = Quarter(2021, 1), Quarter(2021, 2), Quarter(2021, 3)
MIDPOINT = {"sessions_useful": "4", "barriers": ["time"]}
HOSTILE = '<script>alert("x")</script> & <b>bold</b>'


@dataclass
class Year:
    """A 2021 cohort whose answers and sessions fall in different quarters:

    - midpoint wave (Mar 20 – Apr 20): three answer "made" in Q1, two "planned" in Q2, one never;
    - end wave (June): four answer, three "yes" to peer outreach;
    - a second midpoint wave (August, Q3): one answers "none";
    - sessions: one in Q1 (4 present of 5 recorded), one in Q2 (2 of 4), one cancelled in Q2.
    """

    cohort: object
    team: object
    members: list
    waves: dict


def at(cohort, *args) -> datetime:
    return datetime(*args, tzinfo=cohort.tz)


def submit(wave, user, answers, when):
    invitation = WaveInvitation.objects.get(wave=wave, user=user)
    submit_response(invitation=invitation, answers=answers, at=when)


def build_year(surveys, *, slug="year-2021", members=6, extra_sessions=0) -> Year:
    cohort = make_cohort(slug, start_date=date(2021, 1, 1), end_date=date(2021, 12, 31))
    team = make_team(cohort, make_agency(f"{slug.title()} Police Department"))
    people = [make_member(team, make_user(f"p{i}@{slug}.example")).user for i in range(members)]
    midpoint = make_wave(
        cohort,
        surveys["midpoint-pulse"],
        title="Midpoint",
        opens_at=at(cohort, 2021, 3, 20, 9),
        closes_at=at(cohort, 2021, 4, 20, 17),
    )
    for user in people[:3]:
        submit(midpoint, user, {**MIDPOINT, "osw_changes": "made"}, at(cohort, 2021, 3, 25, 12))
    for user in people[3:-1]:
        submit(midpoint, user, {**MIDPOINT, "osw_changes": "planned"}, at(cohort, 2021, 4, 10, 12))
    end = make_wave(
        cohort,
        surveys["end-survey"],
        title="End",
        opens_at=at(cohort, 2021, 6, 1, 9),
        closes_at=at(cohort, 2021, 6, 30, 17),
    )
    for index, user in enumerate(people[:4]):
        answers = {**END_ANSWERS, "peer_outreach": "yes" if index < 3 else "no"}
        submit(end, user, answers, at(cohort, 2021, 6, 10, 12))
    again = make_wave(
        cohort,
        surveys["midpoint-pulse"],
        title="Midpoint again",
        opens_at=at(cohort, 2021, 8, 1, 9),
        closes_at=at(cohort, 2021, 8, 31, 17),
    )
    submit(again, people[0], {**MIDPOINT, "osw_changes": "none"}, at(cohort, 2021, 8, 5, 12))

    def session(number, month, present, absent, **extra):
        held = Session.objects.create(
            cohort=cohort,
            number=number,
            title=f"Session {number}",
            starts_at=at(cohort, 2021, month, 9, 14),
            ends_at=at(cohort, 2021, month, 9, 15),
            **extra,
        )
        Attendance.objects.bulk_create(
            [Attendance(session=held, user=u, present=True) for u in people[:present]]
            + [
                Attendance(session=held, user=u, present=False)
                for u in people[present : present + absent]
            ]
        )

    session(1, 3, present=4, absent=1)
    session(2, 5, present=2, absent=2)
    session(3, 6, present=3, absent=0, status=Session.Status.CANCELLED)
    for extra in range(extra_sessions):
        session(4 + extra, 10 + extra % 3, present=members - 1, absent=1)
    return Year(cohort, team, people, {"midpoint": midpoint, "end": end, "again": again})


@pytest.fixture
def year(surveys):
    return build_year(surveys)


def by_code(indicators):
    return {i["code"]: i for i in indicators}


# --- Indicators per period -----------------------------------------------------------------


def test_a_period_counts_only_the_answers_submitted_in_it(year):
    first = by_code(outcome_indicators(year.cohort, Q1))
    second = by_code(outcome_indicators(year.cohort, Q2))

    assert (first["changes_made"]["numerator"], first["changes_made"]["denominator"]) == (3, 3)
    assert first["changes_made"]["wave"] == "Midpoint"
    assert first["peer_outreach"]["denominator"] == 0  # the end wave had not opened
    assert (second["changes_made"]["numerator"], second["changes_made"]["denominator"]) == (0, 2)
    assert (second["changes_planned"]["numerator"], second["changes_planned"]["denominator"]) == (
        2,
        2,
    )
    assert second["changes_planned"]["text"] == "100% (2 of 2; 95% CI 34–100%)"
    assert (second["peer_outreach"]["numerator"], second["peer_outreach"]["denominator"]) == (3, 4)
    assert second["peer_outreach"]["wave"] == "End"


def test_a_period_takes_the_latest_wave_with_answers_in_it(year):
    third = by_code(outcome_indicators(year.cohort, Q3))
    whole = by_code(outcome_indicators(year.cohort))

    assert third["changes_made"]["wave"] == "Midpoint again"
    assert (third["changes_made"]["numerator"], third["changes_made"]["denominator"]) == (0, 1)
    assert third["peer_outreach"]["denominator"] == 0
    # Without a period: the latest wave asking the question, as before.
    assert whole["changes_made"]["wave"] == "Midpoint again"
    assert whole["peer_outreach"]["numerator"] == 3
    assert by_code(outcome_indicators(year.cohort, Quarter(2021, 4)))["changes_made"]["wave"] == ""


def test_the_report_counts_responses_invitations_and_attendance_per_period(year):
    first = funder_report(year.cohort, Q1)
    second = funder_report(year.cohort, Q2)
    whole = funder_report(year.cohort)

    assert [(r.wave.title, r.submitted, r.invited) for r in first.response_rates] == [
        ("Midpoint", 3, 6)
    ]
    assert [(r.wave.title, r.submitted, r.invited) for r in second.response_rates] == [
        ("Midpoint", 2, 6),
        ("End", 4, 6),
    ]
    assert [(r.wave.title, r.submitted) for r in whole.response_rates] == [
        ("Midpoint", 5),
        ("End", 4),
        ("Midpoint again", 1),
    ]
    assert str(whole.response_rates[0].share) == "83.3% (5 of 6; 95% CI 44–97%)"

    assert [(s.session.number, s.present, s.recorded) for s in first.attendance.sessions] == [
        (1, 4, 5)
    ]
    # The cancelled session in June is not counted.
    assert [(s.session.number, s.present, s.recorded) for s in second.attendance.sessions] == [
        (2, 2, 4)
    ]
    assert (whole.attendance.present, whole.attendance.recorded) == (6, 9)
    assert str(whole.attendance.share) == "66.7% (6 of 9; 95% CI 35–88%)"
    assert funder_report(year.cohort, Quarter(2021, 4)).attendance.share.percent is None


def test_the_narrative_is_per_quarter_and_the_whole_cohort_lists_them_in_order(year, staff):
    for quarter, text in [(Q2, "Second"), (Q1, "First")]:
        ReportingNarrative.objects.create(
            cohort=year.cohort,
            year=quarter.year,
            quarter=quarter.quarter,
            accomplishments=text,
            updated_by=staff,
        )

    assert funder_report(year.cohort, Q2).narrative.narrative.accomplishments == "Second"
    assert funder_report(year.cohort, Q3).narrative.narrative is None
    whole = funder_report(year.cohort)
    assert [n.narrative.accomplishments for n in whole.written_narratives] == ["First", "Second"]
    assert [(s.period.code, s.is_written) for s in whole.narrative_slots()] == [
        ("2021Q1", True),
        ("2021Q2", True),
        ("2021Q3", False),
        ("2021Q4", False),
    ]


@pytest.mark.parametrize(("members", "extra_sessions"), [(3, 0), (12, 6)])
@pytest.mark.parametrize("period", [None, Q2])
def test_the_report_takes_the_same_few_queries_at_any_size(
    surveys, django_assert_num_queries, members, extra_sessions, period
):
    year = build_year(
        surveys, slug=f"size-{members}", members=members, extra_sessions=extra_sessions
    )
    ReportingNarrative.objects.create(cohort=year.cohort, year=2021, quarter=2, barriers="Time")

    # The indicators with the platform's two measures, response rates, attendance, narratives.
    with django_assert_num_queries(4):
        report = funder_report(year.cohort, period)
        # Everything the page and the exports read is already loaded.
        data = report.as_dict()
        [s.period.label for s in report.narrative_slots()]

    assert data["response_rates"][0]["invited"] == members
    assert data["attendance"]["sessions"]
    assert (data["peer_contacts"]["of"], data["teams_with_changes"]["of"]) == (members, 1)


@pytest.fixture
def forum_measure(monkeypatch):
    """A forum that measures peer contact: 4 of 6 members, whatever the period."""
    from accounts.models import User

    asked = []
    module = types.ModuleType("forum.measures")

    def peer_contact_rows(cohort, *, start, end):
        asked.append((start, end))
        members = User.objects.filter(memberships__team__cohort=cohort)
        four = members.filter(pk__in=list(members.order_by("pk").values_list("pk", flat=True)[:4]))
        return four, members

    def peer_contacts(cohort, *, start=None, end=None):
        return 4, 6

    module.peer_contact_rows = peer_contact_rows
    module.peer_contacts = peer_contacts
    monkeypatch.setitem(sys.modules, "forum.measures", module)
    return asked


def test_peer_contact_measured_by_the_forum_is_reported_when_it_exists(
    year, forum_measure, client, staff
):
    quarterly = funder_report(year.cohort, Q2)
    whole = funder_report(year.cohort)

    assert str(quarterly.peer_contacts) == "66.7% (4 of 6; 95% CI 30–90%)"
    assert forum_measure == [Q2.bounds(year.cohort.tz), (None, None)]
    assert whole.as_dict()["peer_contacts"]["members"] == 4
    page = page_text(login(client, staff).get(outcomes_url(year.cohort, period="2021Q2")))
    assert "another agency: 66.7% (4 of 6; 95% CI 30–90%)" in page


def test_without_a_forum_measure_peer_contact_is_left_out(year, client, staff, monkeypatch):
    monkeypatch.setitem(sys.modules, "forum.measures", None)  # import fails: no such measure

    assert funder_report(year.cohort).peer_contacts is None
    assert funder_report(year.cohort).as_dict()["peer_contacts"] is None
    page = page_text(login(client, staff).get(outcomes_url(year.cohort)))
    assert "another agency" not in page


def test_a_period_must_be_a_quarter_of_the_cohort(year):
    assert period_for(year.cohort, "2021-Q2") == Q2
    assert period_for(year.cohort, "") is None
    assert period_for(year.cohort, None) is None
    with pytest.raises(UnknownPeriod, match="2021Q1, 2021Q2, 2021Q3, 2021Q4"):
        period_for(year.cohort, "2022Q1")
    with pytest.raises(UnknownPeriod, match="“soon” is not a reporting period"):
        period_for(year.cohort, "soon")


# --- The page ---------------------------------------------------------------------------------


def page_text(response) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


def outcomes_url(cohort, name="outcomes", **params) -> str:
    url = reverse(f"surveys:{name}", args=[cohort.slug])
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return f"{url}?{query}" if query else url


def narrative_url(cohort, period="2021Q2") -> str:
    return reverse("surveys:narrative", args=[cohort.slug, period])


@pytest.fixture
def member(year):
    user = make_user("member@year.example")
    make_member(year.team, user, role="command_staff")
    return user


def test_staff_see_a_periods_indicators_rates_and_attendance(client, year, staff):
    response = login(client, staff).get(outcomes_url(year.cohort, period="2021Q2"))

    assert response.status_code == 200
    text = page_text(response)
    assert "2021 Q2 (Apr–Jun)" in text
    assert "Reached out to a peer from the group outside meeting times 75% (3 of 4; 95% CI" in text
    assert "100% (2 of 2; 95% CI 34–100%) Midpoint" in text
    assert "Midpoint Mar 20, 2021 – Apr 20, 2021 6 33.3% (2 of 6; 95% CI 10–70%)" in text
    assert "2. Session 2 May 9, 2021 2 of 4" in text
    assert "Session 1" not in text
    body = response.content.decode()
    assert f'href="{outcomes_url(year.cohort, period="2021Q1")}"' in body
    assert 'aria-current="page">2021 Q2 (Apr–Jun)' in body
    assert reverse("surveys:report", args=[year.cohort.slug, year.waves["end"].pk]) in body


def test_the_whole_cohort_page_offers_every_quarter_and_a_narrative_for_each(client, year, staff):
    response = login(client, staff).get(outcomes_url(year.cohort))

    body = response.content.decode()
    assert 'aria-current="page">Whole cohort' in body
    for code in ["2021Q1", "2021Q2", "2021Q3", "2021Q4"]:
        assert f'href="{outcomes_url(year.cohort, period=code)}"' in body
        assert f'href="{narrative_url(year.cohort, code)}"' in body
    assert "Not written yet" in page_text(response)


def test_an_unknown_period_goes_back_to_the_whole_cohort_and_says_why(client, year, staff):
    response = login(client, staff).get(outcomes_url(year.cohort, period="2030Q1"), follow=True)

    assert response.redirect_chain[-1][0] == outcomes_url(year.cohort)
    assert "“2030Q1” is not a reporting period" in page_text(response)


def test_members_are_refused_and_outsiders_find_nothing(client, year, member, outsider):
    urls = [
        outcomes_url(year.cohort),
        outcomes_url(year.cohort, "outcomes_print"),
        outcomes_url(year.cohort, "outcomes_export", format="xlsx"),
        narrative_url(year.cohort),
    ]
    login(client, member)
    for url in urls:
        assert client.get(url).status_code == 403, url
    assert client.post(narrative_url(year.cohort), {"barriers": "x"}).status_code == 403
    login(client, outsider)
    for url in urls:
        assert client.get(url).status_code == 404, url
    client.logout()
    for url in urls:
        assert client.get(url)["Location"].startswith(reverse("account_login"))
    assert not ReportingNarrative.objects.exists()


def test_staff_get_404_for_an_unknown_cohort_or_quarter(client, year, staff):
    login(client, staff)

    assert client.get(reverse("surveys:outcomes", args=["nope"])).status_code == 404
    assert client.get(narrative_url(year.cohort, "2022Q1")).status_code == 404
    assert client.get(narrative_url(year.cohort, "latest")).status_code == 404


@pytest.mark.parametrize(("members", "extra_sessions"), [(3, 0), (12, 6)])
@pytest.mark.parametrize("period", [None, "2021Q2"])
@pytest.mark.parametrize("name", ["outcomes", "outcomes_print", "outcomes_export"])
def test_the_report_pages_take_six_queries_at_any_size(
    client, staff, surveys, django_assert_num_queries, members, extra_sessions, period, name
):
    year = build_year(
        surveys, slug=f"pages-{members}", members=members, extra_sessions=extra_sessions
    )
    for quarter, author in [(1, None), (2, staff), (3, staff)]:
        ReportingNarrative.objects.create(
            cohort=year.cohort,
            year=2021,
            quarter=quarter,
            barriers=f"Q{quarter}",
            updated_by=author,
        )
    params = {"period": period} if period else {}
    if name == "outcomes_export":
        params["format"] = "xlsx"
    login(client, staff)

    # session, user, the cohort with its narratives, the indicators with the platform's
    # measures, the response rates, the attendance
    with django_assert_num_queries(6):
        response = client.get(outcomes_url(year.cohort, name, **params))

    assert response.status_code == 200
    if name == "outcomes":
        slots = response.context["report"].narrative_slots()
        assert [s.narrative.barriers for s in slots if s.narrative] == (
            ["Q2"] if period else ["Q1", "Q2", "Q3"]
        )
        assert "Last saved" in page_text(response) and "by Alice Organiser" in page_text(response)


def test_the_narratives_loaded_with_the_cohort_make_the_same_report(year, staff):
    for quarter in [3, 1, 2]:
        ReportingNarrative.objects.create(
            cohort=year.cohort, year=2021, quarter=quarter, barriers=f"Q{quarter}", updated_by=staff
        )

    cohort, written = cohort_with_narratives(Cohort.objects.all(), year.cohort.slug)

    assert cohort == year.cohort and cohort.name == year.cohort.name
    assert [(n.quarter, n.updated_by.email) for n in written] == [
        (1, staff.email), (2, staff.email), (3, staff.email)
    ]  # fmt: skip
    for period in [None, Q1, Q2, Quarter(2021, 4)]:
        loaded = funder_report(cohort, period, written=written)
        queried = funder_report(year.cohort, period)
        assert loaded.as_dict() == queried.as_dict()
        assert workbook_rows(loaded) == workbook_rows(queried)
        assert indicator_rows(loaded) == indicator_rows(queried)
    with pytest.raises(Cohort.DoesNotExist):
        cohort_with_narratives(Cohort.objects.all(), "nowhere")
    lone = make_cohort("lone")
    assert cohort_with_narratives(Cohort.objects.all(), "lone") == (lone, [])


def workbook_rows(report) -> dict[str, list[tuple]]:
    book = load_workbook(io.BytesIO(workbook(report)))
    return {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in book.worksheets}


# --- The narrative ---------------------------------------------------------------------------


def test_writing_then_editing_a_quarters_narrative(client, year, staff):
    login(client, staff)
    form = client.get(narrative_url(year.cohort))
    assert form.status_code == 200
    assert "Narrative for 2021 Q2 (Apr–Jun)" in page_text(form)
    version = form.context["form"]["version"].value()

    saved = client.post(
        narrative_url(year.cohort),
        {
            "accomplishments": "Six agencies wrote peer support policies.\nTwo launched them.",
            "barriers": "Overtime.",
            "next_period_plans": "Financial literacy.",
            "version": version,
        },
        follow=True,
    )

    assert saved.redirect_chain[-1][0] == outcomes_url(year.cohort, period="2021Q2")
    assert "The narrative for 2021 Q2 (Apr–Jun) was saved." in page_text(saved)
    narrative = ReportingNarrative.objects.get()
    assert (narrative.year, narrative.quarter, narrative.updated_by) == (2021, 2, staff)
    assert "<p>Six agencies wrote peer support policies.<br>Two launched them.</p>" in (
        saved.content.decode()
    )

    again = client.get(narrative_url(year.cohort))
    assert again.context["form"]["barriers"].value() == "Overtime."
    client.post(
        narrative_url(year.cohort),
        {
            "accomplishments": "Seven agencies.",
            "barriers": "",
            "next_period_plans": "Retirement.",
            "version": again.context["form"]["version"].value(),
        },
    )
    narrative = ReportingNarrative.objects.get()
    assert (narrative.accomplishments, narrative.barriers) == ("Seven agencies.", "")
    whole = page_text(client.get(outcomes_url(year.cohort)))
    assert "2021 Q2 (Apr–Jun) Edit narrative for 2021 Q2 (Apr–Jun) Accomplishments" in whole
    assert "Seven agencies. Barriers None written." in whole


def test_hostile_text_is_shown_as_text(client, year, staff):
    login(client, staff)
    client.post(
        narrative_url(year.cohort),
        {"accomplishments": HOSTILE, "barriers": "", "next_period_plans": "", "version": ""},
    )

    for url in [
        outcomes_url(year.cohort, period="2021Q2"),
        outcomes_url(year.cohort),
        outcomes_url(year.cohort, "outcomes_print", period="2021Q2"),
    ]:
        body = client.get(url).content.decode()
        assert "<script>alert" not in body
        assert "<b>bold</b>" not in body
        assert (
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;"
            in body
        )


def test_a_save_over_someone_elses_keeps_both_texts_and_asks_once(client, year, staff):
    login(client, staff)
    version = client.get(narrative_url(year.cohort)).context["form"]["version"].value()
    ReportingNarrative.objects.create(
        cohort=year.cohort, year=2021, quarter=2, accomplishments="Written by Bea."
    )
    mine = {"accomplishments": "Written by me.", "barriers": "", "next_period_plans": ""}

    refused = client.post(narrative_url(year.cohort), {**mine, "version": version})

    assert refused.status_code == 200
    text = page_text(refused)
    assert "Someone else saved this narrative" in text
    assert refused.context["form"]["accomplishments"].value() == "Written by me."
    assert "The text saved meanwhile Accomplishments Written by Bea." in text
    assert ReportingNarrative.objects.get().accomplishments == "Written by Bea."

    client.post(
        narrative_url(year.cohort),
        {**mine, "version": refused.context["form"]["version"].value()},
    )
    assert ReportingNarrative.objects.get().accomplishments == "Written by me."


def test_a_narrative_too_long_is_refused_with_the_text_kept(client, year, staff):
    login(client, staff)
    long = "x" * 20_001
    response = client.post(
        narrative_url(year.cohort),
        {"accomplishments": long, "barriers": "", "next_period_plans": "", "version": ""},
    )

    assert response.status_code == 200
    assert "at most 20000 characters" in page_text(response)
    assert response.context["form"]["accomplishments"].value() == long
    assert not ReportingNarrative.objects.exists()


# --- Printable report ------------------------------------------------------------------------


def test_the_printable_report_is_laid_out_for_paper(client, year, staff):
    ReportingNarrative.objects.create(
        cohort=year.cohort, year=2021, quarter=2, accomplishments="Peer support launched."
    )
    response = login(client, staff).get(
        outcomes_url(year.cohort, "outcomes_print", period="2021Q2")
    )

    assert response.status_code == 200
    text = page_text(response)
    assert "Outcome report to the funder" in text
    assert f"Cohort {year.cohort.name}" in text
    assert "Reporting period 2021 Q2 (Apr–Jun)" in text
    assert "Generated " in text
    assert "75% (3 of 4; 95% CI 30–95%) End" in text
    assert "Peer support launched." in text
    body = response.content.decode()
    assert 'media="print"' in body and "css/print.css" in body
    assert "js/print.js" in body
    assert "data-print" in body
    assert "onclick" not in body


def test_the_print_stylesheet_and_script_exist():
    from django.contrib.staticfiles import finders

    css = Path(finders.find("css/print.css")).read_text()
    assert ".site-header" in css and ".button" in css
    assert "window.print()" in Path(finders.find("js/print.js")).read_text()


def test_the_whole_cohort_printable_report_lists_written_narratives(client, year, staff):
    for quarter, text in [(3, "Third quarter."), (1, "First quarter.")]:
        ReportingNarrative.objects.create(
            cohort=year.cohort, year=2021, quarter=quarter, barriers=text
        )
    text = page_text(login(client, staff).get(outcomes_url(year.cohort, "outcomes_print")))

    assert text.index("First quarter.") < text.index("Third quarter.")
    assert "2021 Q2 (Apr–Jun) Accomplishments" not in text  # nothing written for Q2
    assert "Reporting period Whole cohort (Jan 1, 2021 – Dec 31, 2021)" in text


# --- Exports ---------------------------------------------------------------------------------


def test_the_csv_export_has_one_row_per_indicator(client, year, staff):
    response = login(client, staff).get(
        outcomes_url(year.cohort, "outcomes_export", period="2021Q2", format="csv")
    )

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == (
        'attachment; filename="year-2021-outcomes-2021Q2.csv"'
    )
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert list(rows[0]) == [
        "period", "code", "label", "numerator", "denominator", "percent", "ci_low", "ci_high",
        "wave",
    ]  # fmt: skip
    assert [r["code"] for r in rows] == [
        "changes_made", "changes_planned", "peer_outreach", "shared_internal_external",
        "shared_in_group",
    ]  # fmt: skip
    peer = rows[2]
    assert (peer["period"], peer["numerator"], peer["denominator"], peer["percent"]) == (
        "2021Q2", "3", "4", "75.0"
    )  # fmt: skip
    assert float(peer["ci_low"]) == pytest.approx(30.06, abs=0.01)
    assert peer["wave"] == "End"


def test_the_csv_export_of_the_whole_cohort(client, year, staff):
    response = login(client, staff).get(outcomes_url(year.cohort, "outcomes_export"))

    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert {r["period"] for r in rows} == {"all"}
    assert rows[0]["wave"] == "Midpoint again"
    assert response["Content-Disposition"].endswith('-outcomes-all.csv"')


def test_the_xlsx_export_has_a_sheet_for_each_part(client, year, staff):
    ReportingNarrative.objects.create(
        cohort=year.cohort,
        year=2021,
        quarter=2,
        accomplishments='=HYPERLINK("http://x.example")',
        barriers="Line one\nLine two",
    )
    response = login(client, staff).get(
        outcomes_url(year.cohort, "outcomes_export", period="2021Q2", format="xlsx")
    )

    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('-outcomes-2021Q2.xlsx"')
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["Indicators", "Response rates", "Attendance", "Narrative"]
    indicators = list(book["Indicators"].iter_rows(values_only=True))
    assert indicators[0][:9] == (
        "period", "code", "label", "numerator", "denominator", "percent", "ci_low", "ci_high",
        "wave",
    )  # fmt: skip
    assert indicators[3][1:5] == ("peer_outreach", indicators[3][2], 3, 4)
    assert indicators[3][-1] == "75% (3 of 4; 95% CI 30–95%)"
    rates = list(book["Response rates"].iter_rows(values_only=True))
    assert [(r[1], r[5], r[6]) for r in rates[1:]] == [("Midpoint", 6, 2), ("End", 6, 4)]
    attendance = list(book["Attendance"].iter_rows(values_only=True))
    assert attendance[1][1:3] == (2, "Session 2")
    assert attendance[-1][4:6] == (2, 4)
    narrative = list(book["Narrative"].iter_rows(values_only=True))
    assert narrative[1][:2] == ("2021Q2", "2021 Q2 (Apr–Jun)")
    assert narrative[1][3] == "Line one\nLine two"
    # Text that looks like a formula stays text.
    cell = book["Narrative"]["C2"]
    assert cell.data_type == "s"
    assert cell.value == '=HYPERLINK("http://x.example")'


def test_an_export_in_an_unknown_format_or_period_is_refused(client, year, staff):
    login(client, staff)

    bad_format = client.get(outcomes_url(year.cohort, "outcomes_export", format="pdf"))
    bad_period = client.get(outcomes_url(year.cohort, "outcomes_export", period="2020Q1"))

    assert bad_format.status_code == 400
    assert b"format=csv or format=xlsx" in bad_format.content
    assert bad_period.status_code == 400
    assert "2021Q1, 2021Q2, 2021Q3, 2021Q4" in bad_period.content.decode()


def test_a_wave_title_that_looks_like_a_formula_is_neutralised_in_the_csv(client, year, staff):
    year.waves["again"].title = "=SUM(A1:A9)"
    year.waves["again"].save()

    response = login(client, staff).get(outcomes_url(year.cohort, "outcomes_export"))

    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert rows[0]["wave"] == "'=SUM(A1:A9)"
