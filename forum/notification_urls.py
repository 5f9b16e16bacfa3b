from django.urls import path

from . import notification_views as views

app_name = "notifications"

urlpatterns = [
    path("", views.notification_list, name="list"),
    path("feed.json", views.notification_feed, name="feed"),
    path("read/", views.notification_mark_read, name="mark_read"),
    path("<int:notification_id>/", views.notification_open, name="open"),
]
