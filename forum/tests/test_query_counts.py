"""The forum's pages run a fixed number of queries whatever the amount of activity."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from conftest import login, make_agency, make_member, make_team, make_user
from forum import posting

from .helpers import PDF

SIZES = [2, 8]


@pytest.fixture(params=SIZES, ids=[f"{n}-agencies" for n in SIZES])
def busy(request, cohort, general, command, peer, staff):
    """N agencies each starting a thread that every agency answers, quoting, mentioning and
    attaching; some posts edited, deleted, hidden and flagged."""
    from cohorts.models import Topic

    Topic.objects.create(name="Mentorship", slug="mentorship", position=1)
    posting.ensure_categories(cohort)
    people = []
    for i in range(request.param):
        team = make_team(cohort, make_agency(f"Agency {i:02} Police Department"))
        person = make_user(f"member{i}@example.com", first="Member", last=f"N{i:02}")
        make_member(team, person, role="command_staff", is_lead=True)
        people.append(person)
    threads = []
    for i, author in enumerate(people):
        thread = posting.start_thread(
            category=general, author=author, title=f"Thread {i}", body=f"Opening {i}"
        ).post.thread
        threads.append(thread)
        previous = thread.posts.get()
        for j, other in enumerate(people):
            body = f"Reply from {j} to @member.n{i:02} **bold**"
            files = [SimpleUploadedFile(f"f{j}.pdf", PDF)] if j % 3 == 0 else []
            post = posting.reply(
                thread=thread, author=other, body=body, quoted=previous, files=files
            ).post
            if j % 4 == 1:
                posting.edit_post(post=post, editor=other, body=body + " (edited)")
            if j % 3 == 1:
                posting.flag_post(post=post, by=command, reason="spam")
            if j % 5 == 2:
                posting.delete_post(post=post, by=other)
            previous = post
    posting.moderate_thread(thread=threads[0], by=staff, pinned=True)
    return threads


def test_the_forum_index(client, cohort, command, busy, django_assert_num_queries):
    login(client, command)
    posting.ensure_categories(cohort)

    # session, user, cohort, categories present (2), categories with counts, unread per
    # category, latest threads
    with django_assert_num_queries(8):
        response = client.get(reverse("forum:index", args=[cohort.slug]))

    general = response.context["categories"][0]
    assert general.thread_count == len(busy)
    assert general.unread_count == len(busy)


def test_the_forum_index_for_staff(client, cohort, staff, busy, django_assert_num_queries):
    login(client, staff)
    posting.ensure_categories(cohort)

    # ... and the open flag count
    with django_assert_num_queries(9):
        client.get(reverse("forum:index", args=[cohort.slug]))


def test_the_category_page(client, cohort, general, command, busy, django_assert_num_queries):
    login(client, command)

    # session, user, cohort, category, count, threads with read state, watch choice
    with django_assert_num_queries(7):
        response = client.get(reverse("forum:category", args=[cohort.slug, general.slug]))

    assert response.context["page"].object_list[0] == busy[0]  # pinned first


@pytest.mark.parametrize("visit", ["first", "again", "reread"])
def test_the_thread_page(client, cohort, command, busy, visit, django_assert_num_queries):
    thread = busy[-1]
    login(client, command)
    address = reverse("forum:thread", args=[cohort.slug, thread.pk])
    if visit != "first":
        client.get(address)
    if visit == "again":
        posting.reply(thread=thread, author=busy[0].author, body="One more")

    # session, user, cohort, thread with the read mark, posts with their authors' teams and
    # flags, the page's attachments, watch choices; then the read mark moves if the page has
    # posts past it: an UPDATE, or on a first visit an UPDATE that finds nothing, an INSERT
    # and the UPDATE again. Reading the same page again writes nothing.
    queries = {"first": 10, "again": 8, "reread": 7}[visit]
    with django_assert_num_queries(queries):
        response = client.get(address, {"page": "last"})

    assert response.status_code == 200
    assert response.context["posts"]


def test_the_thread_page_for_staff(client, cohort, staff, busy, django_assert_num_queries):
    login(client, staff)

    with django_assert_num_queries(10):
        client.get(reverse("forum:thread", args=[cohort.slug, busy[-1].pk]))


def test_search(client, cohort, command, busy, django_assert_num_queries):
    login(client, command)

    # session, user, cohort, count, results
    with django_assert_num_queries(5):
        response = client.get(reverse("forum:search", args=[cohort.slug]), {"q": "reply"})

    assert response.context["page"].paginator.count > 0


def test_the_flag_queue(client, cohort, staff, busy, django_assert_num_queries):
    login(client, staff)

    # session, user, cohort, count, flagged posts, their open flags, recently reviewed
    with django_assert_num_queries(7):
        response = client.get(reverse("forum:flags", args=[cohort.slug]))

    assert response.context["page"].paginator.count == len(busy) * len(
        [j for j in range(len(busy)) if j % 3 == 1]
    )


def test_mention_suggestions(client, cohort, command, busy, django_assert_num_queries):
    login(client, command)

    with django_assert_num_queries(4):
        client.get(reverse("forum:mention_suggestions", args=[cohort.slug]), {"q": "mem"})
