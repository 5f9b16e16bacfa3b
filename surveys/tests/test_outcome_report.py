import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from surveys.models import Response, Wave

pytestmark = pytest.mark.django_db

EXPECTED = {
    "changes_made": (14, 50, 28.0),
    "changes_planned": (25, 50, 50.0),
    "peer_outreach": (30, 48, 62.5),
    "shared_internal_external": (24, 48, 50.0),
    "shared_in_group": (12, 48, 25.0),
}


def report(fmt: str, slug: str = "osw-2021", period: str | None = None) -> str:
    out = StringIO()
    extra = {"period": period} if period else {}
    call_command("outcome_report", cohort=slug, format=fmt, stdout=out, **extra)
    return out.getvalue()


@pytest.fixture
def seeded():
    call_command("seed_demo", "--quiet", stdout=StringIO())


def test_the_json_report_reproduces_the_first_collaboratives_figures(seeded):
    payload = json.loads(report("json"))

    assert payload["cohort"] == "osw-2021"
    indicators = {i["code"]: i for i in payload["indicators"]}
    assert list(indicators) == list(EXPECTED)
    for code, (numerator, denominator, percent) in EXPECTED.items():
        indicator = indicators[code]
        assert set(indicator) == {
            "code", "label", "numerator", "denominator", "percent", "ci_low", "ci_high"
        }  # fmt: skip
        assert (indicator["numerator"], indicator["denominator"]) == (numerator, denominator)
        assert indicator["percent"] == percent
        assert indicator["ci_low"] < percent < indicator["ci_high"]
        assert indicator["label"]
    assert indicators["peer_outreach"]["ci_low"] == pytest.approx(48.4, abs=0.05)
    assert indicators["peer_outreach"]["ci_high"] == pytest.approx(74.8, abs=0.05)


def test_the_text_report_shows_numerator_denominator_and_interval(seeded):
    text = report("text")

    assert "62.5% (30 of 48; 95% CI 48–75%)" in text
    assert "28% (14 of 50; 95% CI 17–42%)" in text
    assert "25% (12 of 48; 95% CI 15–39%)" in text


def test_the_csv_report_has_a_header_and_one_row_per_indicator(seeded):
    lines = report("csv").strip().splitlines()

    assert lines[0] == "code,label,numerator,denominator,percent,ci_low,ci_high"
    assert [line.split(",")[0] for line in lines[1:]] == list(EXPECTED)
    assert ",30,48,62.5," in lines[3]


def test_the_waves_have_distinct_respondents_from_the_cohort(seeded):
    midpoint = Wave.objects.get(cohort__slug="osw-2021", survey__code="midpoint-pulse")
    end = Wave.objects.get(cohort__slug="osw-2021", survey__code="end-survey")

    for wave, expected in [(midpoint, 50), (end, 48)]:
        users = list(wave.responses.submitted().values_list("user", flat=True))
        assert len(users) == len(set(users)) == expected
        assert wave.invitations.count() == 56
        assert not wave.is_open()


def test_seeding_again_changes_no_survey_data(seeded):
    before = list(Response.objects.values_list("pk", "user", "submitted_on"))
    text = report("text")

    call_command("seed_demo", "--quiet", stdout=StringIO())

    assert list(Response.objects.values_list("pk", "user", "submitted_on")) == before
    assert report("text") == text


def test_a_cohort_without_waves_reports_no_answers(cohort):
    payload = json.loads(report("json", cohort.slug))

    assert [i["denominator"] for i in payload["indicators"]] == [0] * 5
    assert payload["indicators"][0]["percent"] is None
    assert "no answers yet" in report("text", cohort.slug)


def test_an_unknown_cohort_is_refused_by_name(cohort):
    with pytest.raises(CommandError, match="no cohort with the slug “nope”.*osw-test"):
        report("json", "nope")


# --- Reporting periods --------------------------------------------------------------------


def test_each_quarter_counts_the_answers_submitted_in_it(seeded):
    # The midpoint wave ran from June 21 to July 16, 2021: its answers split over Q2 and Q3.
    q2 = json.loads(report("json", period="2021Q2"))
    q3 = json.loads(report("json", period="2021-Q3"))
    q4 = json.loads(report("json", period="2021q4"))

    assert (q2["period"], q3["period"], q4["period"]) == ("2021Q2", "2021Q3", "2021Q4")
    assert q2["period_label"] == "2021 Q2 (Apr–Jun)"
    made = [{i["code"]: i for i in p["indicators"]}["changes_made"] for p in (q2, q3)]
    assert 0 < made[0]["denominator"] < 50
    assert made[0]["denominator"] + made[1]["denominator"] == 50
    assert made[0]["numerator"] + made[1]["numerator"] == 14
    assert [r["submitted"] for r in q2["response_rates"] + q3["response_rates"]] == [
        made[0]["denominator"],
        made[1]["denominator"],
    ]
    # Every end-of-collaborative answer came in December.
    fourth = {i["code"]: i for i in q4["indicators"]}
    for code in ["peer_outreach", "shared_internal_external", "shared_in_group"]:
        assert (fourth[code]["numerator"], fourth[code]["denominator"]) == EXPECTED[code][:2]
    assert fourth["changes_made"]["denominator"] == 0
    assert fourth["changes_made"]["percent"] is None
    for payload in (q2, q3, q4):
        for indicator in payload["indicators"]:
            assert list(indicator) == [
                "code", "label", "numerator", "denominator", "percent", "ci_low", "ci_high"
            ]  # fmt: skip


def test_the_json_report_adds_response_rates_and_attendance(seeded):
    payload = json.loads(report("json"))

    assert payload["period"] is None
    assert [(r["wave"], r["submitted"], r["invited"]) for r in payload["response_rates"]] == [
        ("Midpoint pulse 2021", 50, 56),
        ("End-of-collaborative survey 2021", 48, 56),
    ]
    assert payload["response_rates"][0]["percent"] == pytest.approx(89.29, abs=0.01)
    attendance = payload["attendance"]
    assert 0 < attendance["present"] <= attendance["recorded"]
    assert attendance["present"] == sum(s["present"] for s in attendance["sessions"])
    assert attendance["ci_low"] < attendance["percent"] < attendance["ci_high"]
    quarterly = json.loads(report("json", period="2021Q2"))["attendance"]["sessions"]
    assert 0 < len(quarterly) < len(attendance["sessions"])
    assert all(s["starts_at"][:7] in {"2021-04", "2021-05", "2021-06"} for s in quarterly)


def test_the_text_report_for_a_quarter_names_it(seeded):
    text = report("text", period="2021Q4")

    assert "Period: 2021 Q4 (Oct–Dec)" in text
    assert "62.5% (30 of 48; 95% CI 48–75%) [End-of-collaborative survey 2021]" in text
    assert (
        "Already made changes to their agency's OSW programming as a direct result: no answers yet"
    ) in text
    assert "End-of-collaborative survey 2021: 85.7% (48 of 56; 95% CI 74–93%)" in text
    assert "Midpoint pulse 2021" not in text
    assert "Session attendance (present of recorded, " in text


def test_the_csv_report_for_a_quarter_keeps_its_columns(seeded):
    lines = report("csv", period="2021Q4").strip().splitlines()

    assert lines[0] == "code,label,numerator,denominator,percent,ci_low,ci_high"
    assert lines[1].startswith("changes_made,") and lines[1].endswith(",0,0,,,")
    assert ",30,48,62.5," in lines[3]


@pytest.mark.parametrize("period", ["2022Q1", "2021Q5", "last-quarter"])
def test_a_period_outside_the_cohort_is_refused_with_its_quarters(cohort, period):
    with pytest.raises(CommandError, match="not a reporting period") as raised:
        report("json", cohort.slug, period=period)

    assert "Its quarters: 2026Q1, 2026Q2, 2026Q3, 2026Q4." in str(raised.value)


def test_the_demo_writes_each_quarters_narrative_from_its_own_figures(seeded):
    from cohorts.models import Cohort
    from surveys.models import ReportingNarrative

    cohort = Cohort.objects.get(slug="osw-2021")
    narratives = {(n.year, n.quarter): n for n in ReportingNarrative.objects.filter(cohort=cohort)}

    assert sorted(narratives) == [(2021, 1), (2021, 2), (2021, 3), (2021, 4)]
    # The end-of-collaborative answers were all submitted in the fourth quarter.
    assert "62.5% (30 of 48; 95% CI 48–75%)" in narratives[2021, 4].accomplishments
    assert "Held 3 monthly sessions" in narratives[2021, 1].accomplishments
    # The midpoint pulse asked about barriers; its quarters name the most cited ones.
    assert "makes change hardest" in narratives[2021, 3].barriers
    assert narratives[2021, 1].next_period_plans.startswith("Next sessions: 4.")


def test_the_demo_waves_share_a_question_so_the_cohort_shows_a_trend(seeded):
    from cohorts.models import Cohort
    from surveys.trends import cohort_trends

    trends = cohort_trends(Cohort.objects.get(slug="osw-2021"))

    shared = [q for q in trends.questions if len(q.columns) == 2]
    assert [q.code for q in shared] == ["sessions_useful"]


def test_the_report_sets_platform_measures_beside_the_survey_in_four_queries(seeded):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from cohorts.models import Cohort
    from surveys.funder import funder_report

    cohort = Cohort.objects.get(slug="osw-2021")
    with CaptureQueriesContext(connection) as queries:
        figures = funder_report(cohort).as_dict()

    # The indicators with peer contact and teams with changes, response rates, attendance,
    # narratives.
    assert len(queries) == 4
    assert figures["teams_with_changes"]["of"] == 18
    assert 0 < figures["teams_with_changes"]["teams"] <= 18
    assert figures["peer_contacts"]["of"] == 56
    assert json.loads(report("json"))["teams_with_changes"] == figures["teams_with_changes"]
