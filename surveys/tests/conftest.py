from datetime import timedelta

import pytest
from django.utils import timezone

from surveys.catalogue import ensure_templates
from surveys.models import Wave
from surveys.services import create_wave


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def surveys(db):
    return ensure_templates()


def make_wave(cohort, survey, *, anonymity=Wave.Anonymity.CONFIDENTIAL, days_open=7, **extra):
    now = timezone.now()
    extra.setdefault("opens_at", now - timedelta(days=1))
    extra.setdefault("closes_at", now + timedelta(days=days_open))
    return create_wave(
        survey=survey,
        cohort=cohort,
        title=extra.pop("title", survey.title),
        anonymity=anonymity,
        created_by=None,
        notify=False,
        **extra,
    )


@pytest.fixture
def end_wave(cohort, command, officer, peer, surveys):
    """An open, confidential end-of-collaborative wave to which the three members are invited."""
    return make_wave(cohort, surveys["end-survey"])


END_ANSWERS = {
    "peer_outreach": "yes",
    "knowledge_sharing": "in_group",
    "satisfaction": "4",
    "recommend": "yes",
}
