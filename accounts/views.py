from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from cohorts.models import CalendarFeed, Membership

from .forms import ProfileForm
from .models import User


@login_required
def profile(request):
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Your profile was saved.")
        return redirect("accounts:profile")
    feed = CalendarFeed.objects.active().filter(user=request.user, cohort=None).first()
    feed_url = request.build_absolute_uri(feed.get_absolute_url()) if feed else None
    # What the peer directory shows of the person, in each cohort they are in: the saved
    # account, not the values of a form that failed to validate.
    shown = request.user
    if form.is_bound:
        shown = User.objects.get(pk=request.user.pk)
    memberships = (
        Membership.objects.filter(user=request.user)
        .select_related("team__agency", "team__cohort")
        .order_by("-team__cohort__start_date", "team__name")
    )
    return render(
        request,
        "accounts/profile.html",
        {
            "form": form,
            "calendar_feed_url": feed_url,
            "directory_memberships": memberships,
            "shown": shown,
        },
    )
