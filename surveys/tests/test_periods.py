from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from surveys.periods import Quarter, cohort_quarters, quarters_between


def test_a_quarter_knows_its_first_and_last_day():
    assert (Quarter(2021, 1).start, Quarter(2021, 1).end) == (date(2021, 1, 1), date(2021, 3, 31))
    assert (Quarter(2021, 2).start, Quarter(2021, 2).end) == (date(2021, 4, 1), date(2021, 6, 30))
    assert (Quarter(2021, 3).start, Quarter(2021, 3).end) == (date(2021, 7, 1), date(2021, 9, 30))
    assert (Quarter(2021, 4).start, Quarter(2021, 4).end) == (
        date(2021, 10, 1), date(2021, 12, 31)
    )  # fmt: skip
    assert Quarter(2024, 1).end == date(2024, 3, 31)


def test_a_quarter_is_labelled_with_its_months():
    assert Quarter(2021, 2).label == "2021 Q2 (Apr–Jun)"
    assert Quarter(2021, 4).label == "2021 Q4 (Oct–Dec)"
    assert Quarter(2021, 2).code == str(Quarter(2021, 2)) == "2021Q2"


@pytest.mark.parametrize("text", ["2021Q2", "2021-Q2", "2021q2", " 2021 Q2 ", "2021-q2"])
def test_quarters_parse_from_the_usual_spellings(text):
    assert Quarter.parse(text) == Quarter(2021, 2)


@pytest.mark.parametrize("text", ["", "2021", "2021Q5", "2021Q0", "Q2 2021", "21Q2", "2021-06"])
def test_anything_else_is_not_a_quarter(text):
    with pytest.raises(ValueError, match="write it like 2021Q2"):
        Quarter.parse(text)


def test_a_quarter_cannot_be_made_out_of_range():
    with pytest.raises(ValueError):
        Quarter(2021, 5)
    with pytest.raises(ValueError):
        Quarter(2021, 0)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2021, 1, 1), Quarter(2021, 1)),
        (date(2021, 3, 31), Quarter(2021, 1)),
        (date(2021, 4, 1), Quarter(2021, 2)),
        (date(2021, 6, 30), Quarter(2021, 2)),
        (date(2021, 9, 30), Quarter(2021, 3)),
        (date(2021, 12, 31), Quarter(2021, 4)),
    ],
)
def test_the_quarter_containing_a_date(day, expected):
    assert Quarter.containing(day) == expected
    assert day in expected
    assert day not in expected.next()


def test_quarters_step_over_the_new_year_and_sort():
    assert Quarter(2021, 4).next() == Quarter(2022, 1)
    assert Quarter(2022, 1).previous() == Quarter(2021, 4)
    assert sorted([Quarter(2022, 1), Quarter(2021, 4), Quarter(2021, 2)]) == [
        Quarter(2021, 2), Quarter(2021, 4), Quarter(2022, 1)
    ]  # fmt: skip


def test_the_quarters_a_span_of_dates_covers():
    assert quarters_between(date(2021, 1, 1), date(2021, 12, 31)) == [
        Quarter(2021, 1), Quarter(2021, 2), Quarter(2021, 3), Quarter(2021, 4)
    ]  # fmt: skip
    # A cohort from September to August spans five quarters, two of them partly.
    assert [q.code for q in quarters_between(date(2026, 9, 1), date(2027, 8, 31))] == [
        "2026Q3", "2026Q4", "2027Q1", "2027Q2", "2027Q3"
    ]  # fmt: skip
    assert quarters_between(date(2021, 5, 1), date(2021, 5, 2)) == [Quarter(2021, 2)]
    assert quarters_between(date(2021, 5, 2), date(2021, 5, 1)) == []


def test_a_cohorts_quarters_come_from_its_dates(cohort):
    assert [q.code for q in cohort_quarters(cohort)] == ["2026Q1", "2026Q2", "2026Q3", "2026Q4"]


def test_the_bounds_are_midnights_in_the_zone_given():
    tz = ZoneInfo("America/New_York")
    start, end = Quarter(2021, 2).bounds(tz)

    assert start == datetime(2021, 4, 1, tzinfo=tz)
    assert end == datetime(2021, 7, 1, tzinfo=tz)
    assert start.utcoffset() == end.utcoffset()  # both in daylight saving time
    winter, _ = Quarter(2021, 1).bounds(tz)
    assert winter.utcoffset() != start.utcoffset()
