"""Permission-checked fetches for the forum: anything outside the person's cohorts is a 404.

Each helper takes the cohort already fetched with cohorts.access.access_cohort (itself a 404
for outsiders) and finds the object only within it, so an id from another cohort under this
cohort's address is a 404 too.
"""

from django.http import Http404
from django.shortcuts import get_object_or_404

from cohorts.models import Cohort

from .models import Attachment, Category, Post, Thread


def access_category(user, cohort: Cohort, slug: str) -> Category:
    return get_object_or_404(
        Category.objects.select_related("cohort", "topic"), cohort=cohort, slug=slug
    )


def access_thread(user, cohort: Cohort, thread_id: int) -> Thread:
    threads = Thread.objects.visible_to(user).select_related("category", "cohort", "author")
    return get_object_or_404(threads, cohort=cohort, pk=thread_id)


def access_post(user, cohort: Cohort, post_id: int) -> Post:
    posts = Post.objects.select_related("thread__category", "thread__cohort", "author")
    return get_object_or_404(
        posts, thread__in=Thread.objects.visible_to(user), thread__cohort=cohort, pk=post_id
    )


def access_attachment(user, cohort: Cohort, attachment_id: int) -> Attachment:
    """An attachment of a post the person can read: never of a deleted post, and of a hidden
    post only for staff."""
    attachment = get_object_or_404(
        Attachment.objects.select_related("post__thread"),
        post__thread__in=Thread.objects.visible_to(user),
        post__thread__cohort=cohort,
        pk=attachment_id,
    )
    if not attachment.post.can_see_body(user):
        raise Http404("No such attachment.")
    return attachment
