"""Planning the monthly series: "the second Tuesday, 14:00–15:30" for N months."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from cohorts.tests.helpers import page_text
from cohorts.tests.test_calendar_support import NEW_YORK, make_session, make_topic
from conftest import login, make_cohort, make_user

TUESDAY, FRIDAY = 1, 4


def second_tuesday_rule(first_month: date, months: int, skip=()):
    from cohorts.sessions import SeriesRule

    return SeriesRule(
        weekday=TUESDAY,
        ordinal=2,
        start_time=time(14, 0),
        end_time=time(15, 30),
        first_month=first_month,
        months=months,
        skip_months=frozenset(skip),
    )


def local(session):
    return session.starts_at.astimezone(ZoneInfo(NEW_YORK))


def test_a_second_tuesday_series_falls_on_the_exact_dates_and_skips_excluded_months(cohort):
    from cohorts.models import Session
    from cohorts.sessions import create_series

    create_series(
        cohort=cohort,
        rule=second_tuesday_rule(date(2026, 1, 1), 12, skip={(2026, 7), (2026, 12)}),
        topics_from_ranking=False,
    )

    sessions = list(Session.objects.filter(cohort=cohort).order_by("starts_at"))
    assert [local(s).date() for s in sessions] == [
        date(2026, 1, 13),
        date(2026, 2, 10),
        date(2026, 3, 10),
        date(2026, 4, 14),
        date(2026, 5, 12),
        date(2026, 6, 9),
        date(2026, 8, 11),
        date(2026, 9, 8),
        date(2026, 10, 13),
        date(2026, 11, 10),
    ]
    assert [s.number for s in sessions] == list(range(1, 11))
    assert all(s.duration == timedelta(minutes=90) for s in sessions)


def test_the_series_keeps_14_00_new_york_time_across_both_daylight_saving_changes(cohort):
    from cohorts.sessions import create_series

    created = create_series(
        cohort=cohort,
        rule=second_tuesday_rule(date(2026, 2, 1), 2),
        topics_from_ranking=False,
    )
    autumn = create_series(
        cohort=cohort,
        rule=second_tuesday_rule(date(2026, 10, 1), 2),
        topics_from_ranking=False,
    )
    february, march = created
    october, november = autumn

    for session in (february, march, october, november):
        session.refresh_from_db()
        assert local(session).time() == time(14, 0)
        assert local(session).tzinfo.key == NEW_YORK
    # Winter time is UTC-5, summer time UTC-4 (DST began March 8 and ended November 1, 2026).
    assert local(february).utcoffset() == timedelta(hours=-5)
    assert local(march).utcoffset() == timedelta(hours=-4)
    assert local(october).utcoffset() == timedelta(hours=-4)
    assert local(november).utcoffset() == timedelta(hours=-5)
    assert february.starts_at == datetime(2026, 2, 10, 19, 0, tzinfo=UTC)
    assert march.starts_at == datetime(2026, 3, 10, 18, 0, tzinfo=UTC)
    assert november.ends_at == datetime(2026, 11, 10, 20, 30, tzinfo=UTC)


def test_a_last_friday_series_takes_the_last_friday_of_each_month(cohort):
    from cohorts.sessions import SeriesRule, create_series

    rule = SeriesRule(
        weekday=FRIDAY,
        ordinal=-1,
        start_time=time(9, 0),
        end_time=time(10, 0),
        first_month=date(2026, 1, 1),
        months=3,
    )
    created = create_series(cohort=cohort, rule=rule, topics_from_ranking=False)

    assert [local(s).date() for s in created] == [
        date(2026, 1, 30),
        date(2026, 2, 27),
        date(2026, 3, 27),
    ]


def test_a_series_running_past_the_cohorts_end_is_refused_and_creates_nothing(cohort):
    from cohorts.models import Session
    from cohorts.sessions import create_series

    with pytest.raises(ValidationError) as refused:
        create_series(
            cohort=cohort,
            rule=second_tuesday_rule(date(2026, 11, 1), 3),
            topics_from_ranking=False,
        )

    message = " ".join(refused.value.messages)
    assert "outside the cohort's dates" in message
    assert "January 12, 2027" in message
    assert not Session.objects.exists()


def test_a_series_outside_the_cohort_is_refused_on_the_planning_page(client, staff, cohort):
    from cohorts.models import Session

    login(client, staff)
    response = client.post(
        reverse("cohorts:series_create", args=[cohort.slug]),
        {
            "ordinal": "2",
            "weekday": str(TUESDAY),
            "start_time": "14:00",
            "end_time": "15:30",
            "first_month": "2026-10",
            "months": "6",
            "skip_months": "",
            "title": "",
        },
    )

    assert response.status_code == 200
    assert "fall outside the cohort's dates" in page_text(response)
    assert not Session.objects.exists()


def test_the_planning_page_creates_the_series_in_the_cohorts_zone(client, staff):
    from cohorts.models import Session

    # Organiser in Los Angeles, cohort in New York: times are the cohort's wall clock.
    staff.time_zone = "America/Los_Angeles"
    staff.save()
    spring = make_cohort("spring", start_date=date(2027, 1, 1), end_date=date(2027, 6, 30))
    login(client, staff)
    response = client.post(
        reverse("cohorts:series_create", args=[spring.slug]),
        {
            "ordinal": "2",
            "weekday": str(TUESDAY),
            "start_time": "14:00",
            "end_time": "15:30",
            "first_month": "2027-01",
            "months": "6",
            "skip_months": "2027-04",
            "title": "Wellness hour",
        },
    )

    assert response.status_code == 302
    sessions = list(Session.objects.filter(cohort=spring))
    assert [local(s).date() for s in sessions] == [
        date(2027, 1, 12),
        date(2027, 2, 9),
        date(2027, 3, 9),
        date(2027, 5, 11),
        date(2027, 6, 8),
    ]
    assert {local(s).time() for s in sessions} == {time(14, 0)}
    assert {s.title for s in sessions} == {"Wellness hour"}


def test_a_second_series_on_an_already_used_date_is_refused(cohort):
    from cohorts.models import Session
    from cohorts.sessions import create_series

    create_series(
        cohort=cohort, rule=second_tuesday_rule(date(2026, 1, 1), 3), topics_from_ranking=False
    )

    with pytest.raises(ValidationError) as refused:
        create_series(
            cohort=cohort,
            rule=second_tuesday_rule(date(2026, 3, 1), 3),
            topics_from_ranking=False,
        )

    assert "already has a session on March 10, 2026" in " ".join(refused.value.messages)
    assert Session.objects.filter(cohort=cohort).count() == 3


def test_a_new_series_is_numbered_after_the_existing_sessions(cohort):
    from cohorts.sessions import create_series

    make_session(cohort, 1, datetime(2026, 1, 5, 15, tzinfo=UTC))
    make_session(cohort, 7, datetime(2026, 2, 5, 15, tzinfo=UTC))

    created = create_series(
        cohort=cohort, rule=second_tuesday_rule(date(2026, 4, 1), 3), topics_from_ranking=False
    )

    assert [s.number for s in created] == [8, 9, 10]
    assert [s.title for s in created] == [
        "Monthly session 8",
        "Monthly session 9",
        "Monthly session 10",
    ]


def test_topics_are_assigned_in_the_cohorts_ranking_order(cohort):
    from cohorts.sessions import create_series, rank_topics

    stress = make_topic("Stress and sleep", position=1)
    peer = make_topic("Peer support", position=2)
    fitness = make_topic("Fitness", position=3)
    # Borda points with 3 topics: peer 3+3=6, stress 1+2=3, fitness 2+1=3. Neither tied topic
    # is anyone's first choice, so the topic order breaks the tie: stress before fitness.
    voters = [make_user(f"voter{i}@example.com") for i in range(2)]
    rank_topics(cohort=cohort, user=voters[0], topic_ids=[peer.pk, fitness.pk, stress.pk])
    rank_topics(cohort=cohort, user=voters[1], topic_ids=[peer.pk, stress.pk, fitness.pk])

    created = create_series(
        cohort=cohort, rule=second_tuesday_rule(date(2026, 1, 1), 4), topics_from_ranking=True
    )

    assert [s.topic for s in created] == [peer, stress, fitness, peer]
    assert [s.title for s in created] == [
        "Peer support",
        "Stress and sleep",
        "Fitness",
        "Peer support (continued)",
    ]


def test_without_topics_from_ranking_no_topic_is_assigned(cohort):
    from cohorts.sessions import create_series, rank_topics

    peer = make_topic("Peer support")
    rank_topics(cohort=cohort, user=make_user("voter@example.com"), topic_ids=[peer.pk])

    created = create_series(
        cohort=cohort, rule=second_tuesday_rule(date(2026, 1, 1), 2), topics_from_ranking=False
    )

    assert [s.topic for s in created] == [None, None]
