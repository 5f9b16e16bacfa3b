import pytest

from surveys.reports import format_percent, wilson_interval


def test_it_matches_the_published_interval_for_30_of_48():
    low, high = wilson_interval(30, 48)
    assert low == pytest.approx(48.36, abs=0.01)
    assert high == pytest.approx(74.78, abs=0.01)


def test_it_matches_a_textbook_value():
    # Newcombe (1998), example: 81 of 263 → 0.2553 to 0.3662.
    low, high = wilson_interval(81, 263)
    assert low == pytest.approx(25.53, abs=0.01)
    assert high == pytest.approx(36.62, abs=0.01)


def test_none_of_ten_starts_at_zero():
    low, high = wilson_interval(0, 10)
    assert low == 0.0
    assert high == pytest.approx(27.75, abs=0.01)


def test_all_of_ten_ends_at_one_hundred():
    low, high = wilson_interval(10, 10)
    assert low == pytest.approx(72.25, abs=0.01)
    assert high == 100.0


def test_it_is_symmetric_around_a_half():
    low, high = wilson_interval(25, 50)
    assert 50 - low == pytest.approx(high - 50)


def test_a_wider_z_gives_a_wider_interval():
    narrow = wilson_interval(14, 50, z=1.645)
    wide = wilson_interval(14, 50)
    assert wide[0] < narrow[0] and narrow[1] < wide[1]


@pytest.mark.parametrize("k, n", [(0, 0), (-1, 10), (11, 10)])
def test_it_refuses_impossible_counts(k, n):
    with pytest.raises(ValueError):
        wilson_interval(k, n)


def test_percentages_drop_a_trailing_zero():
    assert format_percent(28.0) == "28"
    assert format_percent(62.5) == "62.5"
