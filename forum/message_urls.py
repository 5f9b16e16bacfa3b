from django.urls import path

from . import message_views as views

app_name = "conversations"

# Included under me/messages/ by collaborative/urls.py: a person's own conversations.
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("<int:conversation_id>/", views.conversation, name="conversation"),
    path("<int:conversation_id>/mute/", views.conversation_mute, name="mute"),
]
