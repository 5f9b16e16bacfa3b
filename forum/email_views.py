"""Email preferences, and the one-click unsubscribe link every notification email carries."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from accounts.models import User

from . import emails
from .forms import PreferencesForm


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    current = emails.deliveries_for(request.user)
    form = PreferencesForm(request.POST or None, initial=current)
    if request.method == "POST" and form.is_valid():
        changed = emails.set_deliveries(request.user, form.cleaned_data)
        messages.success(
            request,
            "Your email preferences are saved." if changed else "Nothing changed.",
        )
        return redirect("notification_settings:preferences")
    return render(request, "forum/preferences.html", {"form": form})


def _invalid(request: HttpRequest) -> HttpResponse:
    return render(request, "forum/unsubscribe_invalid.html", status=400)


# The token is the credential: mail providers POST here with no session and no CSRF token
# (RFC 8058 one-click unsubscribe), and a forged request without the token does nothing.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        user_id, kind = emails.read_unsubscribe_token(token)
    except signing.BadSignature:
        return _invalid(request)
    person = User.objects.filter(pk=user_id, is_active=True).first()
    if person is None:
        return _invalid(request)
    context = {"kind_phrase": emails.kind_phrase(kind), "token": token, "kind": kind}
    if request.method == "POST":
        emails.unsubscribe(person, kind)
        return render(request, "forum/unsubscribe_done.html", context)
    return render(request, "forum/unsubscribe.html", context)
