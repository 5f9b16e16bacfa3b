"""Two-factor authentication (allauth's TOTP) for program staff.

Staff must have an authenticator app set up before they use staff pages or the administration
(see ``StaffTOTPRequiredMiddleware``). Whether a staff person has TOTP is remembered in their
session when they sign in or set it up, so staff pages cost no extra query.
"""

from __future__ import annotations

import time

from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.adapter import get_adapter
from allauth.mfa.models import Authenticator
from allauth.mfa.signals import authenticator_added, authenticator_removed
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
)
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

# The session remembers the id of the staff person whose TOTP was seen, not just "yes", so a
# session that changes hands can never carry the mark over.
SESSION_KEY = "accounts.staff_totp_user"


def has_totp(user) -> bool:
    """True if ``user`` has an active TOTP authenticator (one query)."""
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def enrol_totp(user, secret: str | None = None) -> str:
    """Give ``user`` a TOTP authenticator with ``secret`` (a new random one if not given) and
    return the secret; a user who already has one keeps it and gets its secret back."""
    existing = totp_secret(user)
    if existing is not None:
        return existing
    secret = secret or generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


def totp_secret(user) -> str | None:
    """The base32 secret of ``user``'s TOTP authenticator, or None without one."""
    authenticator = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if authenticator is None:
        return None
    return get_adapter().decrypt(authenticator.data["secret"])


def totp_code(secret: str, at: float | None = None) -> str:
    """The code an authenticator app shows for ``secret`` at time ``at`` (now by default)."""
    counter = int(time.time() if at is None else at) // mfa_settings.TOTP_PERIOD
    return format_hotp_value(hotp_value(secret, counter))


def totp_uri(user, secret: str) -> str:
    """The ``otpauth://`` address an authenticator app reads (as its QR code would carry)."""
    return get_adapter().build_totp_url(user, secret)


def remembered(session, user) -> bool:
    """True if ``session`` has already seen ``user``'s TOTP (see ``remember``)."""
    return session.get(SESSION_KEY) == user.pk


def remember(request, user) -> None:
    if user.is_staff:
        request.session[SESSION_KEY] = user.pk


@receiver(user_logged_in, dispatch_uid="accounts.mfa.remember_staff_totp")
def remember_totp_on_sign_in(sender, request, user, **kwargs) -> None:
    # allauth asks for the code before it signs anyone with TOTP in, so a staff person who
    # has TOTP has just used it.
    if request is not None and hasattr(request, "session") and user.is_staff and has_totp(user):
        remember(request, user)


@receiver(authenticator_added, dispatch_uid="accounts.mfa.remember_added_totp")
def remember_added_totp(sender, request, user, authenticator, **kwargs) -> None:
    if authenticator.type == Authenticator.Type.TOTP and request is not None:
        remember(request, user)


@receiver(authenticator_removed, dispatch_uid="accounts.mfa.forget_removed_totp")
def forget_removed_totp(sender, request, user, authenticator, **kwargs) -> None:
    if authenticator.type == Authenticator.Type.TOTP and request is not None:
        request.session.pop(SESSION_KEY, None)
