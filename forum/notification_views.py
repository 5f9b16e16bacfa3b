"""The notification centre: the list, opening one, marking read, and the polling feed.

The feed is what a page asks for when its socket is down, and after every signal, to learn
the text of what arrived: the socket itself never carries text.
"""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from . import realtime
from .models import Notification

PAGE_SIZE = 30
FEED_LIMIT = 50


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    notifications = Notification.objects.for_user(request.user).select_related("cohort")
    if request.GET.get("show") == "unread":
        notifications = notifications.unread()
    page = Paginator(notifications, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "forum/notifications.html",
        {
            "page": page,
            "unread_count": Notification.objects.for_user(request.user).unread().count(),
            "show": request.GET.get("show", "all"),
        },
    )


@login_required
def notification_open(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Mark one notification read (on every open tab) and go to what it is about."""
    notification = get_object_or_404(
        Notification.objects.for_user(request.user), pk=notification_id
    )
    realtime.mark_read(request.user, ids=[notification.pk])
    target = notification.url
    if not target or not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect("notifications:list")
    return redirect(target)


@login_required
@require_POST
def notification_mark_read(request: HttpRequest) -> HttpResponse:
    """Mark the chosen notifications, or all of them, read."""
    if request.POST.get("all"):
        count = realtime.mark_read(request.user)
    else:
        ids = [int(i) for i in request.POST.getlist("id") if i.isdigit()]
        count = realtime.mark_read(request.user, ids=ids)
    if request.headers.get("Accept", "").startswith("application/json"):
        unread = Notification.objects.for_user(request.user).unread().count()
        return JsonResponse({"marked": count, "unread": unread})
    return redirect(request.POST.get("next") or "notifications:list")


@login_required
@require_GET
def notification_feed(request: HttpRequest) -> JsonResponse:
    """Notifications after a given id, oldest first, with the unread count (two queries)."""
    try:
        after = max(0, int(request.GET.get("after", "0")))
    except ValueError:
        return JsonResponse({"error": "after must be a whole number"}, status=400)
    mine = Notification.objects.for_user(request.user)
    # One row past the page says whether there is more, so a client paging through never
    # asks again only to be told there is nothing (a 200-notification resume: 4 requests, not 5).
    rows = mine.after(after)[: FEED_LIMIT + 1].feed_items()
    more = len(rows) > FEED_LIMIT
    items = rows[:FEED_LIMIT]
    return JsonResponse({"unread": mine.unread().count(), "notifications": items, "more": more})
