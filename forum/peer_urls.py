from django.urls import path

from . import message_views as views

app_name = "peers"

# Included under cohorts/<slug:slug>/ by collaborative/urls.py.
urlpatterns = [
    path("directory/", views.directory, name="directory"),
    path("messages/new/", views.new_conversation, name="new_conversation"),
]
