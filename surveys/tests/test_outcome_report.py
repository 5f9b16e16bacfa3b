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


def report(fmt: str, slug: str = "osw-2021") -> str:
    out = StringIO()
    call_command("outcome_report", cohort=slug, format=fmt, stdout=out)
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
