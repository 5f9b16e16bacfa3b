"""Builders shared by the session-calendar tests (this module holds no tests itself)."""

from datetime import datetime, timedelta

from django.utils import timezone

NEW_YORK = "America/New_York"


def make_topic(name: str, position: int = 0):
    from django.utils.text import slugify

    from cohorts.models import Topic

    return Topic.objects.create(name=name, slug=slugify(name), position=position)


def make_session(cohort, number: int, starts_at: datetime | None = None, **extra):
    """A 90-minute session; by default a week from now, so it is upcoming."""
    from cohorts.models import Session

    starts_at = starts_at or timezone.now() + timedelta(days=7)
    extra.setdefault("title", f"Session {number}")
    extra.setdefault("ends_at", starts_at + timedelta(minutes=90))
    return Session.objects.create(cohort=cohort, number=number, starts_at=starts_at, **extra)


def make_sme(email: str = "sme@experts.example"):
    from conftest import make_user

    return make_user(email, first="Sam", last="Expert", is_sme=True)
