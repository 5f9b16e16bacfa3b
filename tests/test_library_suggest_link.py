"""A forum post can become a library suggestion: the post links to the form, prefilled."""

import html

import pytest
from django.urls import reverse

from conftest import login
from forum.models import Category
from forum.posting import ensure_categories, start_thread

pytestmark = pytest.mark.django_db


def test_a_post_offers_to_suggest_it_for_the_library(client, cohort, officer, command):
    ensure_categories(cohort)
    general = Category.objects.get(cohort=cohort, slug="general")
    posted = start_thread(
        category=general, author=command, title="Our peer support SOP", body="Attached, v3."
    )
    post = posted.post
    thread = post.thread
    post_url = reverse("forum:post", args=[cohort.slug, post.pk])

    page = login(client, officer).get(thread.get_absolute_url())
    suggest = f"{reverse('training:suggest')}?post={post_url}"

    assert suggest in html.unescape(page.content.decode())
    form = client.get(suggest)
    assert form.status_code == 200
    assert f'value="{post_url}"' in form.content.decode()
