"""The post-training evaluation: a survey wave sent by email to the attendees marked present,
answered without an account, with its report for staff."""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import login
from surveys.catalogue import ensure_templates
from surveys.models import Answer, Response, Wave
from surveys.services import submit_response
from training import demo, services
from training.models import TrainingEvent

from .helpers import in_days, make_event, make_registration, page_text

pytestmark = pytest.mark.django_db

ANSWERS = {
    "overall": "5",
    "useful_mind": "4",
    "useful_energy": "5",
    "useful_connection": "4",
    "will_use": "4",
    "recommend": "yes",
}


@pytest.fixture
def surveys(db):
    return ensure_templates()


@pytest.fixture
def held(team, surveys):
    """A training held yesterday: two present, one absent, one not marked, one waitlisted."""
    event = make_event(date=in_days(-1))
    agency = team.agency
    make_registration(event, agency, 1, attended=True)
    make_registration(event, agency, 2, attended=True, email="carol@riverton.example")
    make_registration(event, agency, 3, attended=False)
    make_registration(event, agency, 4)
    make_registration(event, agency, 5, status="waitlisted")
    return event


def evaluation_url(event) -> str:
    return reverse("training:evaluation", args=[event.pk])


def send_form(days: int = 14, **extra) -> dict:
    return {
        "survey": extra.pop("survey", ""),
        "closes_on": (timezone.localdate() + timedelta(days=days)).isoformat(),
        "anonymity": "confidential",
        **extra,
    }


def send(client, event, surveys, **extra):
    data = send_form(**extra)
    data["survey"] = data["survey"] or surveys["post-training-evaluation"].pk
    return client.post(evaluation_url(event), data, follow=True)


def test_the_form_proposes_the_evaluation_survey_for_two_weeks_confidential(
    client, staff, held, surveys
):
    login(client, staff)

    form = client.get(evaluation_url(held)).context["form"]

    assert form["survey"].value() == surveys["post-training-evaluation"].pk
    assert form["closes_on"].value() == timezone.localdate() + timedelta(days=14)
    assert form["anonymity"].value() == "confidential"


def test_sending_creates_a_wave_inviting_only_those_present(
    client, staff, officer, held, surveys, mailoutbox, django_capture_on_commit_callbacks
):
    login(client, staff)

    with django_capture_on_commit_callbacks(execute=True):
        response = send(client, held, surveys)

    assert "The evaluation is open: 2 attendees were invited by email." in page_text(response)
    held.refresh_from_db()
    wave = held.evaluation_wave
    assert wave.cohort is None and wave.survey == surveys["post-training-evaluation"]
    assert wave.anonymity == Wave.Anonymity.CONFIDENTIAL
    assert wave.is_open()
    assert timezone.localdate(wave.closes_at) == timezone.localdate() + timedelta(days=14)
    invited = {i.email: (i.name, i.user_id) for i in wave.invitations.all()}
    assert invited == {
        f"person1@{held.registrations.first().agency_id}.example": ("Person 1", None),
        "carol@riverton.example": ("Person 2", officer.pk),  # an account has that address
    }
    # Each attendee's email carries their own link, which works without an account.
    assert sorted(m.to[0] for m in mailoutbox) == sorted(invited)
    for invitation in wave.invitations.all():
        message = next(m for m in mailoutbox if m.to == [invitation.email])
        link = settings.SITE_URL + reverse("surveys:invited", args=[invitation.token])
        assert link in message.body
        assert Client().get(link.removeprefix(settings.SITE_URL)).status_code == 200


def test_sending_again_invites_only_those_marked_present_since(
    client, staff, held, team, surveys, mailoutbox, django_capture_on_commit_callbacks
):
    login(client, staff)
    with django_capture_on_commit_callbacks(execute=True):
        send(client, held, surveys)
    wave = TrainingEvent.objects.get(pk=held.pk).evaluation_wave
    late = held.registrations.get(name="Person 4")
    late.attended = True
    late.save()
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = send(client, held, surveys, days=20)
    text = page_text(response)
    with django_capture_on_commit_callbacks(execute=True):
        again = send(client, held, surveys, days=20)

    assert "1 attendee marked present since the last sending was invited by email." in text
    assert "Everyone marked present is already invited" in page_text(again)
    assert [m.to[0] for m in mailoutbox] == [late.email]
    assert Wave.objects.count() == 1
    wave.refresh_from_db()
    assert wave.invitations.count() == 3
    assert timezone.localdate(wave.closes_at) == timezone.localdate() + timedelta(days=20)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("nobody", "Nobody is marked present yet"),
        ("cancelled", "This training was cancelled"),
        ("future", "has not taken place yet"),
    ],
)
def test_sending_is_refused_when_there_is_nobody_to_ask(
    client, staff, team, surveys, mailoutbox, change, message
):
    event = make_event(date=in_days(1 if change == "future" else -1))
    make_registration(event, team.agency, 1, attended=change != "nobody")
    if change == "cancelled":
        TrainingEvent.objects.filter(pk=event.pk).update(status="cancelled")
    login(client, staff)

    response = send(client, event, surveys)

    assert message in page_text(response)
    assert not Wave.objects.exists()
    assert mailoutbox == []


def test_the_survey_and_anonymity_stay_once_sent(client, staff, held, surveys):
    login(client, staff)
    send(client, held, surveys, anonymity="anonymous")

    send(client, held, surveys, survey=surveys["end-survey"].pk, anonymity="identified")

    wave = TrainingEvent.objects.get(pk=held.pk).evaluation_wave
    assert wave.survey == surveys["post-training-evaluation"]
    assert wave.anonymity == Wave.Anonymity.ANONYMOUS


def test_the_staff_page_shows_responses_and_links_the_report(client, staff, held, surveys):
    login(client, staff)
    send(client, held, surveys)
    wave = TrainingEvent.objects.get(pk=held.pk).evaluation_wave
    submit_response(invitation=wave.invitations.first(), answers=ANSWERS)

    text = page_text(client.get(evaluation_url(held)))

    assert "<strong>1</strong> of 2 invited answered" in text
    assert reverse("training:evaluation_report", args=[held.pk]) in text


def test_staff_remind_those_who_have_not_answered_once(
    client, staff, held, surveys, mailoutbox, django_capture_on_commit_callbacks
):
    login(client, staff)
    send(client, held, surveys)
    wave = TrainingEvent.objects.get(pk=held.pk).evaluation_wave
    submit_response(
        invitation=wave.invitations.get(email="carol@riverton.example"), answers=ANSWERS
    )
    remind = reverse("training:evaluation_remind", args=[held.pk])
    assert "Remind the 1 who has not answered" in page_text(client.get(evaluation_url(held)))

    first = client.post(remind, follow=True)
    second = client.post(remind, follow=True)

    assert "A reminder was emailed to 1 attendee." in page_text(first)
    assert "Nobody needed a reminder" in page_text(second)
    [reminder] = [m for m in mailoutbox if m.subject.startswith("Reminder")]
    other = wave.invitations.exclude(email="carol@riverton.example").get()
    assert reminder.to == [other.email]
    assert reverse("surveys:invited", args=[other.token]) in reminder.body


# The report -----------------------------------------------------------------------------------


def evaluated(held, surveys, responses: int, min_group_size: int = 1) -> Wave:
    """The held training's evaluation with ``responses`` answers."""
    agency = held.registrations.first().agency
    for n in range(10, 10 + responses):
        make_registration(held, agency, n, attended=True)
    sent = services.send_evaluation(
        event=held,
        survey=surveys["post-training-evaluation"],
        closes_at=timezone.now() + timedelta(days=14),
        by=None,
        notify=False,
    )
    Wave.objects.filter(pk=sent.wave.pk).update(min_group_size=min_group_size)
    for invitation in sent.wave.invitations.all()[:responses]:
        answers = {**ANSWERS, "improve": f"More practice, please ({invitation.pk})."}
        submit_response(invitation=invitation, answers=answers)
    return sent.wave


def test_staff_see_the_evaluation_report_and_export(client, staff, held, surveys):
    wave = evaluated(held, surveys, 3)
    login(client, staff)

    response = client.get(reverse("training:evaluation_report", args=[held.pk]))
    export = client.get(reverse("training:evaluation_export", args=[held.pk]))

    assert response.status_code == 200
    text = page_text(response)
    assert "Overall, the training was worth my time." in text
    assert "3 of 5" in text  # the response rate
    assert "More practice, please" in text
    assert "By agency kind" not in text  # nobody's role or agency kind is known
    assert export.status_code == 200
    body = b"".join(export.streaming_content).decode()
    assert body.splitlines()[0].startswith("wave,response,submitted_on")
    rows = body.splitlines()[1:]
    assert len(rows) == Response.objects.filter(wave=wave).count() * 7
    assert all(row.startswith(f"{wave.pk},") for row in rows)


def test_small_groups_are_not_shown(client, staff, held, surveys):
    evaluated(held, surveys, 2, min_group_size=5)
    login(client, staff)

    text = page_text(client.get(reverse("training:evaluation_report", args=[held.pk])))

    assert "Fewer than 5 people answered" in text
    assert "More practice, please" not in text


@pytest.mark.parametrize("who", ["command", "officer", "outsider"])
def test_members_cannot_see_the_evaluation(client, request, who, held, surveys):
    evaluated(held, surveys, 1)
    login(client, request.getfixturevalue(who))

    for name in ["evaluation_report", "evaluation_export", "evaluation"]:
        assert client.get(reverse(f"training:{name}", args=[held.pk])).status_code == 403, name
    remind = reverse("training:evaluation_remind", args=[held.pk])
    assert client.post(remind).status_code == 403


def test_visitors_are_sent_to_sign_in(client, held, surveys):
    evaluated(held, surveys, 1)

    response = client.get(reverse("training:evaluation_report", args=[held.pk]))

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_no_report_before_the_evaluation_is_sent(client, staff, held):
    login(client, staff)

    assert client.get(reverse("training:evaluation_report", args=[held.pk])).status_code == 404
    assert client.get(reverse("training:evaluation_export", args=[held.pk])).status_code == 404


@pytest.mark.parametrize("responses", [1, 6])
def test_the_report_runs_a_fixed_number_of_queries(
    client, staff, held, surveys, responses, django_assert_num_queries
):
    evaluated(held, surveys, responses)
    login(client, staff)

    # session, user, training, the wave with its counts, then the report's three queries
    with django_assert_num_queries(7):
        response = client.get(reverse("training:evaluation_report", args=[held.pk]))

    assert response.context["rate"].count == responses


# The demo -------------------------------------------------------------------------------------


def test_the_demo_evaluates_trainings_already_held(held, surveys, staff):
    logged = []
    ctx = SimpleNamespace(personas={"staff": staff}, log=logged.append)
    for n in range(10, 22):
        make_registration(held, held.registrations.first().agency, n, attended=True)

    demo.seed_evaluations(ctx, {"held": held, "coming": make_event(date=in_days(20))})
    held.refresh_from_db()
    wave = held.evaluation_wave
    first = sorted(
        Response.objects.filter(wave=wave).values_list(
            "answers__question__code", "answers__option__code"
        )
    )
    demo.seed_evaluations(ctx, {"held": held})

    assert Wave.objects.count() == 1
    assert wave.invitations.count() == 14
    submitted = Response.objects.filter(wave=wave).submitted()
    assert 5 <= submitted.count() <= 14
    assert all(wave.opens_at.date() <= r.submitted_on for r in submitted)
    assert wave.invitations.filter(sent_at__isnull=True).count() == 0
    # Generated from rules, not pasted: ratings vary and stay on the scale.
    overall = set(
        Answer.objects.filter(response__wave=wave, question__code="overall").values_list(
            "option__code", flat=True
        )
    )
    assert len(overall) > 1 and overall <= {"1", "2", "3", "4", "5"}
    assert (
        sorted(
            Response.objects.filter(wave=wave).values_list(
                "answers__question__code", "answers__option__code"
            )
        )
        == first
    )
    assert logged and "responses" in logged[0]
