from django.urls import path

from . import email_views as views

app_name = "notification_settings"

urlpatterns = [
    path("me/email-preferences/", views.preferences, name="preferences"),
    # Works without signing in: the signed token in the address is the credential.
    path("email/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
