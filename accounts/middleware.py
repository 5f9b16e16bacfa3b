import zoneinfo

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

from . import mfa


class UserTimezoneMiddleware:
    """Show every time in the signed-in person's own time zone."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.time_zone:
            try:
                timezone.activate(zoneinfo.ZoneInfo(user.time_zone))
            except zoneinfo.ZoneInfoNotFoundError:
                timezone.deactivate()
        else:
            timezone.deactivate()
        return self.get_response(request)


STAFF_TOTP_MESSAGE = (
    "Program staff must set up two-factor authentication before using staff pages or the "
    "administration. Add this account to an authenticator app, then enter the code it shows."
)


class StaffTOTPRequiredMiddleware:
    """Send signed-in staff without an authenticator app (TOTP) to set one up first.

    Staff (superusers too) see members' personal data and run the administration, so a
    password alone is not enough for them. allauth's own pages (sign-out, password, email,
    two-factor setup, recovery codes), static files and the health probe stay reachable;
    scripts (JSON, htmx) get a 403 in JSON instead of a redirect they could not follow.
    Members are never affected: two-factor authentication is optional for them.
    """

    EXEMPT_URL_NAMES = frozenset({"healthz"})

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.is_staff:
            return None
        if mfa.remembered(request.session, user) or self._exempt(request, view_func):
            return None
        if mfa.has_totp(user):
            mfa.remember(request, user)
            return None
        return self._refuse(request)

    def _exempt(self, request, view_func) -> bool:
        match = request.resolver_match
        if match is not None and match.url_name in self.EXEMPT_URL_NAMES:
            return True
        if request.path_info.startswith((settings.STATIC_URL, settings.MEDIA_URL)):
            return True
        # Every allauth view: signing out, passwords, email, two-factor setup and codes.
        return (getattr(view_func, "__module__", None) or "").startswith("allauth.")

    def _refuse(self, request) -> HttpResponse:
        setup_url = reverse("mfa_activate_totp")
        if _wants_json(request):
            response = JsonResponse(
                {"error": "mfa_required", "message": STAFF_TOTP_MESSAGE, "setup_url": setup_url},
                status=403,
            )
            if request.headers.get("HX-Request"):
                # htmx follows this header with a full page load, even on a 403.
                response["HX-Redirect"] = setup_url
                messages.warning(request, STAFF_TOTP_MESSAGE)
            return response
        messages.warning(request, STAFF_TOTP_MESSAGE)
        return redirect(setup_url)


def _wants_json(request) -> bool:
    """True for requests made by the page's scripts rather than by following a link."""
    return bool(
        "application/json" in request.headers.get("Accept", "")
        or request.headers.get("X-Requested-With")
        or request.headers.get("HX-Request")
        or request.path_info.endswith(".json")
    )
