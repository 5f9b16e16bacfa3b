"""Waves with no cohort: people invited by email answer through their token, with no account."""

from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cohorts.tests.test_calendar_support import make_session
from conftest import login, make_user
from surveys import services
from surveys.models import Response, Wave, WaveInvitation
from surveys.services import Invitee, create_email_wave, invite_by_email

from .conftest import END_ANSWERS, make_wave

pytestmark = pytest.mark.django_db

ANSWERS = {
    "overall": "4",
    "useful_mind": "5",
    "useful_energy": "4",
    "useful_connection": "3",
    "will_use": "4",
    "recommend": "yes",
}
PEOPLE = [Invitee("Ana.Ruiz@Dover.example", "Ana Ruiz"), Invitee("sam@wheaton.example", "Sam Lee")]


def email_wave(surveys, *, invitees=PEOPLE, anonymity=Wave.Anonymity.CONFIDENTIAL, **extra):
    now = timezone.now()
    extra.setdefault("opens_at", now - timedelta(hours=1))
    extra.setdefault("closes_at", now + timedelta(days=14))
    return create_email_wave(
        survey=surveys["post-training-evaluation"],
        title="Evaluation: Mid-Atlantic training",
        invitees=invitees,
        anonymity=anonymity,
        created_by=None,
        notify=False,
        **extra,
    )


def form_data(answers: dict, action: str = "submit") -> dict:
    return {**answers, "action": action}


# Inviting by email ----------------------------------------------------------------------------


def test_an_email_wave_invites_each_address_once_and_links_existing_accounts(surveys, officer):
    people = [
        *PEOPLE,
        Invitee("CAROL@riverton.example", "Carol"),
        Invitee("ana.ruiz@dover.example"),
    ]

    wave = email_wave(surveys, invitees=people)

    rows = {i.email: (i.name, i.user_id) for i in wave.invitations.all()}
    assert rows == {
        "ana.ruiz@dover.example": ("Ana Ruiz", None),
        "sam@wheaton.example": ("Sam Lee", None),
        "carol@riverton.example": ("Carol", officer.pk),
    }
    assert wave.cohort is None and wave.get_absolute_url() is None
    again = invite_by_email(wave=wave, invitees=[*people, Invitee("new@dover.example", "New")])
    assert [i.email for i in again] == ["new@dover.example"]


def test_a_wave_with_nobody_to_ask_is_refused(surveys):
    with pytest.raises(services.SurveyError):
        email_wave(surveys, invitees=[])
    assert not Wave.objects.exists()


def test_a_cohort_wave_does_not_invite_addresses(cohort, command, surveys):
    wave = make_wave(cohort, surveys["end-survey"])
    with pytest.raises(services.SurveyError):
        invite_by_email(wave=wave, invitees=PEOPLE)


def test_the_database_keeps_invitations_addressed_and_sessions_in_cohorts(cohort, command, surveys):
    wave = email_wave(surveys)
    with pytest.raises(IntegrityError), transaction.atomic():
        WaveInvitation.objects.create(wave=wave)
    with pytest.raises(IntegrityError), transaction.atomic():
        WaveInvitation.objects.create(wave=wave, email="sam@wheaton.example")
    session = make_session(cohort, 1, timezone.now() - timedelta(days=1))
    with pytest.raises(IntegrityError), transaction.atomic():
        Wave.objects.filter(pk=wave.pk).update(session=session)


def test_the_invitation_email_carries_the_token_link(surveys, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        wave = create_email_wave(
            survey=surveys["post-training-evaluation"],
            title="Evaluation: Mid-Atlantic training",
            opens_at=timezone.now(),
            closes_at=timezone.now() + timedelta(days=14),
            invitees=PEOPLE,
            created_by=None,
        )

    assert sorted(m.to[0] for m in mail.outbox) == ["ana.ruiz@dover.example", "sam@wheaton.example"]
    ana = wave.invitations.get(email="ana.ruiz@dover.example")
    message = next(m for m in mail.outbox if m.to == [ana.email])
    assert settings.SITE_URL + reverse("surveys:invited", args=[ana.token]) in message.body
    assert "Hello Ana Ruiz" in message.body
    assert "do not need an account" in message.body
    assert message.subject == "Evaluation: Mid-Atlantic training: a short survey"
    assert all(i.sent_at for i in wave.invitations.all())


# Answering by token ---------------------------------------------------------------------------


def test_someone_without_an_account_answers_by_token(surveys):
    wave = email_wave(surveys)
    invitation = wave.invitations.get(email="sam@wheaton.example")
    url = reverse("surveys:invited", args=[invitation.token])
    client = Client()

    page = client.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert "Overall, the training was worth my time." in text
    assert f'data-autosave="{reverse("surveys:invited_autosave", args=[invitation.token])}"' in text
    assert "Surveys</a>" not in text  # no cohort breadcrumbs

    response = client.post(url, form_data(ANSWERS))
    assert response.status_code == 302
    assert response.url == reverse("surveys:invited_thanks", args=[invitation.token])
    assert "Thank you" in client.get(response.url).content.decode()
    stored = Response.objects.get(wave=wave)
    assert stored.is_submitted and stored.invitation == invitation and stored.user is None
    assert stored.answers.filter(question__code="recommend", option__code="yes").exists()

    # A second submission (back button, another tab) stores nothing more.
    again = client.post(url, form_data({**ANSWERS, "recommend": "no"}))
    assert again.url == reverse("surveys:invited_thanks", args=[invitation.token])
    assert Response.objects.filter(wave=wave).count() == 1
    assert not Response.objects.filter(answers__option__code="no").exists()


def test_the_token_page_saves_a_draft_and_autosaves(surveys):
    wave = email_wave(surveys)
    invitation = wave.invitations.first()
    client = Client()

    saved = client.post(
        reverse("surveys:invited", args=[invitation.token]),
        form_data({"overall": "2"}, action="save"),
    )
    assert saved.status_code == 302
    autosaved = client.post(
        reverse("surveys:invited_autosave", args=[invitation.token]),
        {"overall": "2", "useful_mind": "3"},
    )
    assert autosaved.status_code == 200
    assert autosaved.json()["status"] == "saved"
    draft = Response.objects.get(invitation=invitation)
    assert draft.status == Response.Status.DRAFT
    assert set(draft.answers.values_list("question__code", "option__code")) == {
        ("overall", "2"),
        ("useful_mind", "3"),
    }
    assert (
        client.get(reverse("surveys:invited_autosave", args=[invitation.token])).status_code == 405
    )


def test_a_made_up_token_finds_nothing(surveys):
    email_wave(surveys)
    client = Client()
    for name in ["surveys:invited", "surveys:invited_autosave", "surveys:invited_thanks"]:
        assert client.get(reverse(name, args=["not-a-token"])).status_code == 404, name
    response = client.post(reverse("surveys:invited", args=["not-a-token"]), form_data(ANSWERS))
    assert response.status_code == 404
    assert not Response.objects.exists()


def test_a_closed_wave_refuses_answers_by_token(surveys):
    now = timezone.now()
    wave = email_wave(surveys, opens_at=now - timedelta(days=20), closes_at=now - timedelta(days=6))
    invitation = wave.invitations.first()
    url = reverse("surveys:invited", args=[invitation.token])
    client = Client()

    assert "no longer accepts answers" in client.get(url).content.decode()
    response = client.post(url, form_data(ANSWERS))
    assert response.status_code == 200
    assert "no longer accepts answers" in response.content.decode()
    autosave = client.post(reverse("surveys:invited_autosave", args=[invitation.token]), ANSWERS)
    assert autosave.status_code == 410
    assert not Response.objects.exists()
    invitation.refresh_from_db()
    assert not invitation.is_used


def test_an_anonymous_wave_keeps_nothing_that_links_the_answer_to_the_invitation(surveys):
    wave = email_wave(surveys, anonymity=Wave.Anonymity.ANONYMOUS)
    invitation = wave.invitations.get(email="sam@wheaton.example")
    client = Client()
    client.post(
        reverse("surveys:invited", args=[invitation.token]), form_data({"overall": "4"}, "save")
    )

    client.post(reverse("surveys:invited", args=[invitation.token]), form_data(ANSWERS))

    response = Response.objects.get(wave=wave)
    assert response.is_submitted
    assert response.invitation_id is None and response.user_id is None
    invitation.refresh_from_db()
    assert invitation.is_used
    local = invitation.used_at.astimezone(wave.tz)
    assert (local.hour, local.minute, local.second) == (0, 0, 0)  # the day only


def test_posting_by_token_needs_the_csrf_token(surveys):
    invitation = email_wave(surveys).invitations.first()
    client = Client(enforce_csrf_checks=True)

    response = client.post(reverse("surveys:invited", args=[invitation.token]), form_data(ANSWERS))

    assert response.status_code == 403
    assert not Response.objects.exists()


def test_a_cohort_invitations_token_leads_to_the_signed_in_page(cohort, command, surveys):
    wave = make_wave(cohort, surveys["end-survey"])
    invitation = wave.invitations.get(user=command)

    response = Client().get(reverse("surveys:invited", args=[invitation.token]))

    assert response.status_code == 302
    assert response.url == reverse("surveys:answer", args=[cohort.slug, wave.pk])


# Reminders ------------------------------------------------------------------------------------

CLOSES = datetime(2026, 12, 10, 22, 0, tzinfo=UTC)


def test_email_invitations_are_reminded_once_per_stage_with_their_token_link(surveys):
    wave = email_wave(surveys, opens_at=CLOSES - timedelta(days=10), closes_at=CLOSES)
    wave.invitations.update(sent_at=CLOSES - timedelta(days=10))
    answered = wave.invitations.get(email="ana.ruiz@dover.example")
    services.submit_response(invitation=answered, answers=ANSWERS, at=CLOSES - timedelta(days=5))
    at = CLOSES - timedelta(hours=70)

    assert services.send_due_survey_reminders(at) == 1
    assert services.send_due_survey_reminders(at + timedelta(minutes=5)) == 0
    assert services.send_wave_reminders(wave, at + timedelta(hours=1)) == 0  # rested 12 hours

    [message] = mail.outbox
    sam = wave.invitations.get(email="sam@wheaton.example")
    assert message.to == ["sam@wheaton.example"]
    assert settings.SITE_URL + reverse("surveys:invited", args=[sam.token]) in message.body
    assert "Hello Sam Lee" in message.body


def test_staff_remind_email_invitations_by_hand(surveys):
    wave = email_wave(surveys)

    assert services.reminder_counts(wave).to_remind == 2
    assert services.send_wave_reminders(wave) == 2
    assert services.send_wave_reminders(wave) == 0
    assert sorted(m.to[0] for m in mail.outbox) == ["ana.ruiz@dover.example", "sam@wheaton.example"]


# Cohort pages never meet an email wave --------------------------------------------------------


def test_cohort_pages_ignore_waves_with_no_cohort(client, staff, cohort, command, officer, surveys):
    cohort_wave = make_wave(
        cohort, surveys["end-survey"], title="End of year survey", min_group_size=1
    )
    services.submit_response(
        invitation=cohort_wave.invitations.get(user=command), answers=END_ANSWERS
    )
    email_wave(surveys, invitees=[*PEOPLE, Invitee(officer.email, "Carol")])

    login(client, staff)
    listed = client.get(reverse("surveys:wave_list", args=[cohort.slug]))
    assert listed.status_code == 200
    assert list(listed.context["waves"]) == [cohort_wave]
    for name in ["surveys:trends", "surveys:outcomes"]:
        assert client.get(reverse(name, args=[cohort.slug])).status_code == 200, name
    report = client.get(reverse("surveys:report", args=[cohort.slug, cohort_wave.pk]))
    assert report.status_code == 200
    assert "This question across the cohort’s waves" in report.content.decode()

    login(client, officer)
    home = client.get(reverse("home"))
    assert home.status_code == 200
    assert "End of year survey" in home.content.decode()  # the officer has not answered it
    assert "Evaluation: Mid-Atlantic training" not in home.content.decode()
    mine = client.get(reverse("surveys:wave_list", args=[cohort.slug]))
    assert list(mine.context["waves"]) == [cohort_wave]


def test_the_admin_lists_and_opens_a_wave_with_no_cohort(client, surveys):
    wave = email_wave(surveys)
    admin_client = login(client, make_user("root@staff.example", is_staff=True, is_superuser=True))

    assert admin_client.get(reverse("admin:surveys_wave_changelist")).status_code == 200
    page = admin_client.get(reverse("admin:surveys_wave_change", args=[wave.pk]))
    assert page.status_code == 200
    assert "View on site" not in page.content.decode()
