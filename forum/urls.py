from django.urls import path

from . import views

app_name = "forum"

# Included under cohorts/<slug:slug>/forum/ by collaborative/urls.py.
urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.thread_new, name="thread_new"),
    path("search/", views.search, name="search"),
    path("flags/", views.flags, name="flags"),
    path("announce/", views.announce, name="announce"),
    path("peer-contact/", views.peer_contact, name="peer_contact"),
    path("flags/<int:flag_id>/resolve/", views.flag_resolve, name="flag_resolve"),
    path("members.json", views.mention_suggestions, name="mention_suggestions"),
    path("members/<int:user_id>/", views.member, name="member"),
    path("c/<slug:category_slug>/", views.category, name="category"),
    path("c/<slug:category_slug>/watch/", views.category_watch, name="category_watch"),
    path("t/<int:thread_id>/", views.thread, name="thread"),
    path("t/<int:thread_id>/new/", views.thread_unread, name="thread_unread"),
    path("t/<int:thread_id>/watch/", views.thread_watch, name="thread_watch"),
    path("t/<int:thread_id>/moderate/", views.thread_moderate, name="thread_moderate"),
    path("p/<int:post_id>/", views.post, name="post"),
    path("p/<int:post_id>/edit/", views.post_edit, name="post_edit"),
    path("p/<int:post_id>/delete/", views.post_delete, name="post_delete"),
    path("p/<int:post_id>/flag/", views.post_flag, name="post_flag"),
    path("p/<int:post_id>/hide/", views.post_hide, name="post_hide"),
    path("attachments/<int:attachment_id>/", views.attachment, name="attachment"),
]
