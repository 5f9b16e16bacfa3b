from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from cohorts.models import CalendarFeed

from .forms import ProfileForm


@login_required
def profile(request):
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Your profile was saved.")
        return redirect("accounts:profile")
    feed = CalendarFeed.objects.active().filter(user=request.user, cohort=None).first()
    feed_url = request.build_absolute_uri(feed.get_absolute_url()) if feed else None
    return render(request, "accounts/profile.html", {"form": form, "calendar_feed_url": feed_url})
