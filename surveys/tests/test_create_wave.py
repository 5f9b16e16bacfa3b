from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from surveys.models import Wave, WaveInvitation
from surveys.services import create_wave, invite_cohort

from .conftest import make_wave

pytestmark = pytest.mark.django_db


def test_it_invites_every_member_of_the_cohort_and_emails_them_after_commit(
    cohort, command, officer, peer, outsider, surveys, django_capture_on_commit_callbacks
):
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        wave = create_wave(
            survey=surveys["midpoint-pulse"],
            cohort=cohort,
            title="Midpoint pulse",
            opens_at=now,
            closes_at=now + timedelta(days=14),
            created_by=None,
        )
        assert not mail.outbox  # nothing leaves before the transaction commits

    assert len(callbacks) == 1
    invited = set(wave.invitations.values_list("user__email", flat=True))
    assert invited == {command.email, officer.email, peer.email}
    assert sorted(m.to[0] for m in mail.outbox) == sorted(invited)
    assert f"/surveys/{wave.pk}/" in mail.outbox[0].body
    assert not wave.invitations.filter(sent_at__isnull=True).exists()


def test_inviting_again_adds_only_new_members(cohort, command, officer, surveys):
    wave = make_wave(cohort, surveys["midpoint-pulse"])

    assert invite_cohort(wave=wave, notify=False) == []
    assert wave.invitations.count() == 2


def test_a_person_has_one_invitation_per_wave(cohort, officer, surveys):
    wave = make_wave(cohort, surveys["midpoint-pulse"])

    with pytest.raises(IntegrityError), transaction.atomic():
        WaveInvitation.objects.create(wave=wave, user=officer)


def test_a_wave_must_close_after_it_opens(cohort, surveys):
    now = timezone.now()
    with pytest.raises(ValidationError, match="close after it opens"):
        make_wave(cohort, surveys["midpoint-pulse"], opens_at=now, closes_at=now)


def test_an_open_wave_keeps_its_anonymity(cohort, surveys):
    wave = make_wave(cohort, surveys["midpoint-pulse"])
    wave.anonymity = Wave.Anonymity.IDENTIFIED

    with pytest.raises(ValidationError, match="has opened"):
        wave.full_clean()


def test_a_wave_not_yet_open_can_still_change(cohort, surveys):
    now = timezone.now()
    wave = make_wave(
        cohort,
        surveys["midpoint-pulse"],
        opens_at=now + timedelta(days=2),
        closes_at=now + timedelta(days=9),
    )
    wave.anonymity = Wave.Anonymity.ANONYMOUS

    wave.full_clean()


def test_open_lists_only_waves_accepting_answers(cohort, surveys):
    now = timezone.now()
    current = make_wave(cohort, surveys["midpoint-pulse"])
    make_wave(
        cohort,
        surveys["end-survey"],
        opens_at=now - timedelta(days=9),
        closes_at=now - timedelta(days=2),
    )

    assert list(Wave.objects.open()) == [current]
