from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

from cohorts.views import home

from .views import healthz

admin.site.site_header = "Collaborative administration"
admin.site.site_title = "Collaborative admin"
# The admin signs people in through allauth's form, so its rate limits and two-factor step
# apply; people signed in without staff access are refused (403) instead of asked again.
admin.site.login = secure_admin_login(admin.site.login)

urlpatterns = [
    path("", home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("me/", include("accounts.urls")),
    path("me/notifications/", include("forum.notification_urls")),
    path("", include("cohorts.urls")),
    path("", include("surveys.urls")),
    path("training/", include("training.urls")),
    path("", include("assessments.urls")),
    path("cohorts/<slug:slug>/forum/", include("forum.urls")),
    path("cohorts/<slug:slug>/", include("forum.peer_urls")),
    path("me/messages/", include("forum.message_urls")),
    path("", include("forum.email_urls")),
]
