"""Helpers for the assessment tests: a small instrument with known items, and assessments
rated by hand so that every score is known in advance."""

from __future__ import annotations

import pytest
from django.utils import timezone

from assessments.models import (
    Assessment,
    Domain,
    Instrument,
    InstrumentVersion,
    Item,
    Rating,
    ScaleLevel,
)
from assessments.services import publish_version

SCALE = [
    (0, "Not in place"),
    (1, "Beginning"),
    (2, "Developing"),
    (3, "Established"),
    (4, "Sustained"),
]
# Three domains: two items, two items and one item.
DOMAINS = [("alpha", "Alpha practices", ["a1", "a2"]), ("beta", "Beta practices", ["b1", "b2"]),
           ("gamma", "Gamma practices", ["g1"])]  # fmt: skip


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def make_instrument(
    code: str = "test", *, scale=SCALE, domains=DOMAINS, publish: bool = True
) -> InstrumentVersion:
    instrument = Instrument.objects.create(code=code, title=f"{code.title()} instrument")
    version = InstrumentVersion.objects.create(instrument=instrument, number=1)
    for value, label in scale:
        ScaleLevel.objects.create(
            version=version, value=value, label=label, description=f"{label} (described)"
        )
    for position, (domain_code, title, items) in enumerate(domains, start=1):
        domain = Domain.objects.create(
            version=version,
            code=domain_code,
            title=title,
            position=position,
            suggested_step=f"Improve {title.lower()}",
        )
        for item_position, item_code in enumerate(items, start=1):
            Item.objects.create(
                domain=domain, code=item_code, text=f"Item {item_code}", position=item_position
            )
    if publish:
        publish_version(version)
    return version


@pytest.fixture
def version(db) -> InstrumentVersion:
    """A published three-domain instrument on a 0–4 scale; the starter one is retired."""
    return make_instrument()


def item(version: InstrumentVersion, code: str) -> Item:
    return Item.objects.get(domain__version=version, code=code)


def rate(assessment: Assessment, levels: dict[str, int | None]) -> Assessment:
    for code, level in levels.items():
        Rating.objects.update_or_create(
            assessment=assessment, item=item(assessment.version, code), defaults={"level": level}
        )
    return assessment


def make_assessment(team, version, levels: dict[str, int | None], *, round="baseline",
                    submitted: bool = True) -> Assessment:  # fmt: skip
    assessment = Assessment.objects.create(
        team=team,
        round=round,
        version=version,
        status="submitted" if submitted else "draft",
        submitted_at=timezone.now() if submitted else None,
    )
    return rate(assessment, levels)


ALL_RATED = {"a1": 4, "a2": 2, "b1": 1, "b2": 1, "g1": 2}  # alpha 75%, beta 25%, gamma 50%
