"""The demo's staff persona has an authenticator app with a published secret, so people can
sign in to the demo as staff; no other persona has one."""

from io import StringIO

import pytest
from django.core.management import call_command

from accounts.mfa import totp_secret
from accounts.models import User
from cohorts.demo import DEMO_STAFF_TOTP_SECRET, PERSONAS

pytestmark = pytest.mark.django_db


def test_the_demo_staff_persona_signs_in_with_the_printed_totp_secret():
    out = StringIO()
    call_command("seed_demo", "--quiet", stdout=out)
    call_command("seed_demo", "--quiet", stdout=StringIO())  # idempotent: the secret stays

    printed = out.getvalue()
    for persona in PERSONAS:
        user = User.objects.get(email=persona.email)
        if persona.is_staff:
            assert totp_secret(user) == DEMO_STAFF_TOTP_SECRET
        else:
            assert totp_secret(user) is None, persona.email
    assert DEMO_STAFF_TOTP_SECRET in printed
    assert f"otpauth://totp/staff%40demo.collaborative.example?secret={DEMO_STAFF_TOTP_SECRET}" in (
        printed
    )
