"""The staff pages for waves: create, edit, close, delete, and the wave list."""

import html
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from cohorts.models import Attendance
from cohorts.tests.test_calendar_support import make_session
from conftest import login, make_agency, make_cohort, make_member, make_team, make_user
from surveys.models import Response, Wave, WaveInvitation
from surveys.services import submit_response

from .conftest import END_ANSWERS, make_wave

pytestmark = pytest.mark.django_db


def text(response) -> str:
    """What the reader sees: no tags, entities decoded, whitespace collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


NEW_YORK = ZoneInfo("America/New_York")


def local(moment: datetime) -> str:
    """``moment`` as a datetime-local input value in New York time (the cohort's zone)."""
    return f"{moment.astimezone(NEW_YORK):%Y-%m-%dT%H:%M}"


def new_url(cohort) -> str:
    return reverse("surveys:wave_new", args=[cohort.slug])


def wave_url(name: str, wave) -> str:
    return reverse(f"surveys:{name}", args=[wave.cohort.slug, wave.pk])


def form_data(surveys, **overrides) -> dict:
    now = timezone.now()
    data = {
        "survey": surveys["midpoint-pulse"].pk,
        "title": "Midpoint pulse",
        "opens_at": local(now + timedelta(days=1)),
        "closes_at": local(now + timedelta(days=15)),
        "audience": "cohort",
        "anonymity": "confidential",
        "min_group_size": "5",
    }
    data.update(overrides)
    return data


def edit_data(wave, **overrides) -> dict:
    data = {
        "survey": wave.survey_id,
        "title": wave.title,
        "opens_at": local(wave.opens_at),
        "closes_at": local(wave.closes_at),
        "audience": str(wave.session.number) if wave.session_id else "cohort",
        "anonymity": wave.anonymity,
        "min_group_size": str(wave.min_group_size),
    }
    data.update(overrides)
    return data


@pytest.fixture
def held(cohort):
    """Session 1, which ended yesterday."""
    return make_session(cohort, 1, timezone.now() - timedelta(days=1), title="Sleep and shifts")


def mark_present(session, *users):
    for user in users:
        Attendance.objects.create(session=session, user=user, present=True)


def scheduled_wave(cohort, survey, **extra):
    now = timezone.now()
    extra.setdefault("opens_at", now + timedelta(days=2))
    extra.setdefault("closes_at", now + timedelta(days=9))
    return make_wave(cohort, survey, **extra)


# Creating a wave ------------------------------------------------------------------------------


def test_staff_create_a_wave_and_everyone_in_the_cohort_is_invited(
    client, staff, cohort, command, officer, peer, surveys, django_capture_on_commit_callbacks
):
    login(client, staff)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            new_url(cohort),
            form_data(
                surveys,
                opens_at="2026-12-01T09:00",
                closes_at="2026-12-15T17:00",
                anonymity="anonymous",
                min_group_size="3",
            ),
            follow=True,
        )

    wave = Wave.objects.get()
    assert response.redirect_chain[-1][0] == reverse("surveys:wave_list", args=[cohort.slug])
    assert "“Midpoint pulse” is created and 3 people were invited by email." in text(response)
    # Typed in the cohort's zone: 09:00 in New York is 14:00 UTC in December.
    assert wave.opens_at == datetime(2026, 12, 1, 14, 0, tzinfo=UTC)
    assert wave.closes_at == datetime(2026, 12, 15, 22, 0, tzinfo=UTC)
    assert (wave.anonymity, wave.min_group_size, wave.session, wave.created_by) == (
        "anonymous",
        3,
        None,
        staff,
    )
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [command.email, officer.email, peer.email]
    )


def test_times_are_read_in_the_cohorts_own_zone(client, staff, surveys):
    pacific = make_cohort("west", "West Cohort", time_zone="America/Los_Angeles")
    login(client, staff)

    page = client.get(new_url(pacific))
    client.post(
        new_url(pacific),
        form_data(surveys, opens_at="2026-12-01T09:00", closes_at="2026-12-15T17:00"),
    )

    assert "Opens (Pacific time)" in text(page)
    assert Wave.objects.get().opens_at == datetime(2026, 12, 1, 17, 0, tzinfo=UTC)


def test_the_form_explains_the_three_anonymity_modes(client, staff, cohort, surveys):
    page = text(login(client, staff).get(new_url(cohort)))

    assert "Identified: staff see each person's name next to their answers." in page
    assert "reports only show groups at least as large as the minimum group size" in page
    assert "Anonymous: answers are never linked to a person" in page
    assert "Minimum group size" in page


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        (
            {"opens_at": "2026-12-10T09:00", "closes_at": "2026-12-10T09:00"},
            "closes_at",
            "The wave must close after it opens.",
        ),
        (
            {"opens_at": "2026-01-01T09:00", "closes_at": "2026-01-05T09:00"},
            "closes_at",
            "This time has already passed.",
        ),
        ({"opens_at": "next week"}, "opens_at", "Enter a valid date/time."),
        ({"min_group_size": "0"}, "min_group_size", "greater than or equal to 1"),
        ({"title": ""}, "title", "This field is required."),
    ],
)
def test_bad_input_is_refused_with_the_reason_and_kept(
    client, staff, cohort, command, surveys, overrides, field, message
):
    response = login(client, staff).post(new_url(cohort), form_data(surveys, **overrides))

    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert 'aria-invalid="true"' in response.content.decode()
    assert response.context["form"]["title"].value() == overrides.get("title", "Midpoint pulse")
    assert not Wave.objects.exists()


def test_a_session_wave_invites_only_the_people_marked_present(
    client, staff, cohort, command, officer, peer, held, surveys
):
    mark_present(held, command, peer)
    Attendance.objects.create(session=held, user=officer, present=False)
    login(client, staff)

    response = client.post(
        new_url(cohort), form_data(surveys, audience="1", title="Feedback"), follow=True
    )

    wave = Wave.objects.get()
    assert wave.session == held
    assert set(wave.invitations.values_list("user", flat=True)) == {command.pk, peer.pk}
    assert "2 people were invited" in text(response)


def test_a_session_nobody_is_marked_present_at_is_refused(
    client, staff, cohort, command, held, surveys
):
    response = login(client, staff).post(new_url(cohort), form_data(surveys, audience="1"))

    assert response.status_code == 200
    assert "Nobody is marked present at session 1" in " ".join(
        response.context["form"].errors["audience"]
    )
    assert not Wave.objects.exists()


def test_the_session_link_prefills_the_feedback_wave(client, staff, cohort, command, held, surveys):
    mark_present(held, command)
    login(client, staff)

    response = client.get(new_url(cohort), {"session": held.number})

    form = response.context["form"]
    assert form["survey"].value() == surveys["post-session"].pk
    assert form["title"].value() == "Feedback: Session 1 — Sleep and shifts"
    assert form["audience"].value() == "1"
    opens, closes = form.initial["opens_at"], form.initial["closes_at"]
    assert abs(opens - timezone.now()) < timedelta(minutes=1)
    assert closes - opens == timedelta(days=7)
    assert "Session 1: Sleep and shifts" in text(response)
    assert "(1 marked present)" in text(response)


def test_a_session_that_has_not_happened_is_not_prefilled_silently(client, staff, cohort, surveys):
    make_session(cohort, 2)
    response = login(client, staff).get(new_url(cohort), {"session": 2}, follow=True)

    assert "Session 2 has not taken place yet" in text(response)


# Editing a wave -------------------------------------------------------------------------------


def test_before_opening_everything_can_change_and_the_audience_is_re_invited(
    client, staff, cohort, command, officer, peer, held, surveys
):
    wave = scheduled_wave(cohort, surveys["midpoint-pulse"])
    mark_present(held, officer)
    login(client, staff)

    response = client.post(
        wave_url("wave_edit", wave),
        edit_data(
            wave,
            survey=surveys["post-session"].pk,
            title="How was session 1?",
            audience="1",
            anonymity="anonymous",
            min_group_size="2",
            opens_at="2026-12-01T08:00",
        ),
        follow=True,
    )

    wave.refresh_from_db()
    assert (wave.title, wave.survey, wave.session, wave.anonymity, wave.min_group_size) == (
        "How was session 1?",
        surveys["post-session"],
        held,
        "anonymous",
        2,
    )
    assert wave.opens_at == datetime(2026, 12, 1, 13, 0, tzinfo=UTC)
    assert list(wave.invitations.values_list("user", flat=True)) == [officer.pk]
    assert "“How was session 1?” is saved. 2 invitations withdrawn." in text(response)


def test_moving_a_scheduled_wave_back_to_the_cohort_invites_everyone_again(
    client, staff, cohort, command, officer, peer, held, surveys
):
    mark_present(held, officer)
    wave = scheduled_wave(cohort, surveys["post-session"], session=held)
    login(client, staff)

    response = client.post(wave_url("wave_edit", wave), edit_data(wave, audience="cohort"))

    assert response.status_code == 302
    assert wave.invitations.count() == 3


def test_after_opening_locked_fields_are_refused_by_name(client, staff, cohort, command, end_wave):
    login(client, staff)
    before = Wave.objects.get(pk=end_wave.pk)

    response = client.post(
        wave_url("wave_edit", end_wave),
        edit_data(end_wave, anonymity="anonymous", min_group_size="2", title="New title"),
    )

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["anonymity"] == ["The wave has opened, so its anonymity can no longer change."]
    assert errors["min_group_size"] == [
        "The wave has opened, so its minimum group size can no longer change."
    ]
    end_wave.refresh_from_db()
    assert (end_wave.title, end_wave.anonymity, end_wave.min_group_size) == (
        before.title,
        before.anonymity,
        before.min_group_size,
    )


def test_after_opening_the_title_and_closing_time_can_change(
    client, staff, cohort, command, end_wave
):
    login(client, staff)
    page = client.get(wave_url("wave_edit", end_wave))
    # The locked fields are disabled, so the browser does not send them.
    response = client.post(
        wave_url("wave_edit", end_wave),
        {"title": "End survey (extended)", "closes_at": "2026-12-20T17:00"},
    )

    assert "Only its title and closing time can change now" in text(page)
    assert page.context["form"].fields["anonymity"].disabled
    assert response.status_code == 302
    end_wave.refresh_from_db()
    assert end_wave.title == "End survey (extended)"
    assert end_wave.closes_at == datetime(2026, 12, 20, 22, 0, tzinfo=UTC)
    assert end_wave.invitations.count() == 3  # nobody added or removed


def test_an_unchanged_closing_time_in_the_past_does_not_block_renaming(
    client, staff, cohort, command, surveys
):
    now = timezone.now()
    closed = make_wave(
        cohort,
        surveys["end-survey"],
        opens_at=now - timedelta(days=9),
        closes_at=now - timedelta(days=2, seconds=17),
    )
    response = login(client, staff).post(
        wave_url("wave_edit", closed), edit_data(closed, title="Renamed")
    )

    assert response.status_code == 302
    stored = Wave.objects.get(pk=closed.pk)
    assert stored.title == "Renamed"
    assert stored.closes_at == closed.closes_at  # its seconds kept


def test_the_model_names_what_is_locked(cohort, surveys):
    from django.core.exceptions import ValidationError

    wave = make_wave(cohort, surveys["midpoint-pulse"])
    wave.min_group_size = 2

    with pytest.raises(ValidationError, match="its minimum group size can no longer change"):
        wave.full_clean()


# Close now and delete -------------------------------------------------------------------------


def test_close_now_asks_first_then_closes(client, staff, cohort, command, officer, end_wave):
    login(client, staff)

    page = client.get(wave_url("wave_close", end_wave))
    response = client.post(wave_url("wave_close", end_wave), follow=True)

    assert "Close “End-of-collaborative survey” now?" in text(page)
    assert "the 3 people who have not answered will no longer be able to" in text(page)
    end_wave.refresh_from_db()
    assert not end_wave.is_open()
    assert "no longer accepts answers" in text(response)


def test_a_scheduled_wave_without_responses_can_be_deleted(client, staff, cohort, command, surveys):
    wave = scheduled_wave(cohort, surveys["midpoint-pulse"])
    login(client, staff)

    page = client.get(wave_url("wave_delete", wave))
    response = client.post(wave_url("wave_delete", wave), follow=True)

    assert "Delete “Midpoint pulse”?" in text(page)
    assert "Its 1 invitation will be withdrawn" in text(page)
    assert not Wave.objects.filter(pk=wave.pk).exists()
    assert not WaveInvitation.objects.exists()
    assert "is deleted" in text(response)


def test_an_open_wave_cannot_be_deleted(client, staff, cohort, command, end_wave):
    login(client, staff)

    page = client.get(wave_url("wave_delete", end_wave))
    response = client.post(wave_url("wave_delete", end_wave), follow=True)

    assert "cannot be deleted" in text(page)
    assert "Delete wave" not in text(page)
    assert Wave.objects.filter(pk=end_wave.pk).exists()
    assert "has opened, so it can no longer be deleted" in text(response)


def test_a_wave_with_responses_cannot_be_deleted(cohort, command, surveys):
    from surveys.services import SurveyError, delete_wave

    wave = scheduled_wave(cohort, surveys["end-survey"])
    Response.objects.create(wave=wave, status="submitted", submitted_on=timezone.localdate())

    with pytest.raises(SurveyError, match="has responses"):
        delete_wave(wave=wave)
    assert Wave.objects.filter(pk=wave.pk).exists()


# Access ---------------------------------------------------------------------------------------

PAGES = ["wave_edit", "wave_close", "wave_delete", "wave_remind"]


def test_members_are_refused_every_staff_page(client, command, end_wave):
    login(client, command)

    assert client.get(new_url(end_wave.cohort)).status_code == 403
    assert client.post(new_url(end_wave.cohort), {}).status_code == 403
    for name in PAGES:
        assert client.get(wave_url(name, end_wave)).status_code == 403
        assert client.post(wave_url(name, end_wave), {}).status_code == 403
    assert Wave.objects.get(pk=end_wave.pk).is_open()


def test_outsiders_get_404(client, outsider, end_wave):
    login(client, outsider)

    assert client.get(new_url(end_wave.cohort)).status_code == 404
    for name in PAGES:
        assert client.get(wave_url(name, end_wave)).status_code == 404
        assert client.post(wave_url(name, end_wave), {}).status_code == 404


def test_a_wave_is_not_reachable_through_another_cohort(client, staff, other_cohort, end_wave):
    login(client, staff)

    for name in PAGES:
        url = reverse(f"surveys:{name}", args=[other_cohort.slug, end_wave.pk])
        assert client.get(url).status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client, end_wave):
    response = client.get(new_url(end_wave.cohort))

    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


# The staff wave list --------------------------------------------------------------------------


def test_the_list_shows_audience_status_counts_and_actions(
    client, staff, cohort, command, officer, peer, held, surveys
):
    mark_present(held, officer, peer)
    now = timezone.now()
    open_wave = make_wave(cohort, surveys["end-survey"], title="End survey")
    feedback = make_wave(cohort, surveys["post-session"], title="Feedback 1", session=held)
    scheduled_wave(cohort, surveys["midpoint-pulse"], title="Later pulse")
    make_wave(
        cohort,
        surveys["midpoint-pulse"],
        title="Old pulse",
        opens_at=now - timedelta(days=30),
        closes_at=now - timedelta(days=20),
    )
    submit_response(
        invitation=WaveInvitation.objects.get(wave=open_wave, user=officer), answers=END_ANSWERS
    )

    response = login(client, staff).get(reverse("surveys:wave_list", args=[cohort.slug]))

    page = text(response)
    assert "New wave" in page
    assert "End survey Midpoint" not in page
    assert "Whole cohort" in page
    assert f'<a href="{held.get_absolute_url()}">Session 1</a>' in response.content.decode()
    for status in ["Open", "Scheduled", "Closed"]:
        assert status in page
    assert "1 of 3" in page
    assert "0 of 2" in page
    assert "Remind the 2 people who have not answered" in page
    assert wave_url("wave_remind", open_wave) in response.content.decode()
    assert wave_url("wave_remind", feedback) in response.content.decode()
    assert wave_url("wave_edit", open_wave) in response.content.decode()


def test_the_empty_list_points_to_new_wave(client, staff, cohort):
    response = login(client, staff).get(reverse("surveys:wave_list", args=[cohort.slug]))

    assert "No survey has been sent to this cohort yet" in text(response)
    assert new_url(cohort) in response.content.decode()


def test_members_see_no_staff_actions(client, officer, end_wave):
    response = login(client, officer).get(reverse("surveys:wave_list", args=[end_wave.cohort.slug]))

    assert "New wave" not in text(response)
    assert "Remind" not in text(response)


@pytest.mark.parametrize("waves", [1, 6])
def test_the_staff_list_runs_a_fixed_number_of_queries(
    client, staff, surveys, waves, django_assert_num_queries
):
    cohort = make_cohort(f"size-{waves}")
    team = make_team(cohort, make_agency(f"Size {waves} Police Department"))
    for i in range(3):
        make_member(team, make_user(f"m{i}@size{waves}.example"))
    session = make_session(cohort, 1, timezone.now() - timedelta(days=2))
    Attendance.objects.create(session=session, user=team.memberships.first().user, present=True)
    for i in range(waves):
        make_wave(
            cohort, surveys["midpoint-pulse"], title=f"Wave {i}", session=session if i % 2 else None
        )
    login(client, staff)

    # session, user, cohort, waves with their survey, session and counts
    with django_assert_num_queries(4):
        response = client.get(reverse("surveys:wave_list", args=[cohort.slug]))

    assert len(response.context["waves"]) == waves


# Reminding by hand ----------------------------------------------------------------------------


def test_the_remind_button_asks_first_then_emails_those_who_have_not_answered(
    client, staff, cohort, command, officer, peer, end_wave
):
    submit_response(
        invitation=WaveInvitation.objects.get(wave=end_wave, user=officer), answers=END_ANSWERS
    )
    login(client, staff)

    page = client.get(wave_url("wave_remind", end_wave))
    assert mail.outbox == []
    response = client.post(wave_url("wave_remind", end_wave), follow=True)

    assert "Remind the 2 people who have not answered?" in text(page)
    assert "Send 2 reminders" in text(page)
    assert sorted(m.to[0] for m in mail.outbox) == [command.email, peer.email]
    assert "A reminder was emailed to 2 people." in text(response)


def test_a_second_click_within_12_hours_reminds_nobody(client, staff, cohort, end_wave):
    login(client, staff)
    client.post(wave_url("wave_remind", end_wave))

    page = client.get(wave_url("wave_remind", end_wave))
    again = client.post(wave_url("wave_remind", end_wave), follow=True)

    assert "Everyone was reminded recently" in text(page)
    assert "Nobody needed a reminder" in text(again)
    assert len(mail.outbox) == 3  # the first click's, one each


def test_a_closed_wave_cannot_be_reminded(client, staff, cohort, command, end_wave):
    end_wave.close()
    login(client, staff)

    page = client.get(wave_url("wave_remind", end_wave))
    response = client.post(wave_url("wave_remind", end_wave), follow=True)

    assert "Reminders go only while a wave is open." in text(page)
    assert "is not open, so nobody can be reminded" in text(response)
    assert mail.outbox == []
