"""The peer directory and staff announcements."""

import re

import pytest
from django.urls import reverse

from conftest import login
from forum import posting
from forum.models import Notification, Thread

from .helpers import page_text

pytestmark = pytest.mark.django_db


def directory_url(cohort) -> str:
    return reverse("peers:directory", args=[cohort.slug])


# The directory --------------------------------------------------------------------------------


def test_members_see_agency_role_and_only_the_contact_details_shared(
    client, cohort, command, officer, peer, staff
):
    peer.share_email = True
    peer.phone = "555-0100"  # not shared
    peer.bio = "Sheriff; started our peer team in 2019."
    peer.save()
    officer.phone = "555-0199"
    officer.share_phone = True
    officer.save()

    response = login(client, command).get(directory_url(cohort))

    assert response.status_code == 200
    text = " ".join(re.sub(r"<[^>]+>", " ", page_text(response)).split())
    assert "Dave Deputy" in text and "Marion County Sheriff's Office" in text
    assert "Sheriff · Command staff" in text
    assert peer.email in text
    assert "555-0100" not in text
    assert "555-0199" in text
    assert command.email not in text  # Bob shares nothing (the default)
    assert officer.email not in text
    assert "started our peer team in 2019" in text
    assert "Alice Organiser" in text  # program staff are listed to write to


def test_each_person_has_a_message_button_except_oneself(client, cohort, command, peer):
    body = login(client, command).get(directory_url(cohort)).content.decode()

    new = reverse("peers:new_conversation", args=[cohort.slug])
    assert f"{new}?to={peer.pk}" in body
    assert f"{new}?to={command.pk}" not in body


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"q": "dave"}, ["Dave Deputy"]),
        ({"q": "riverton"}, ["Bob Chief", "Carol Officer"]),
        ({"role": "sworn"}, ["Carol Officer"]),
        ({"q": "sergeant"}, ["Carol Officer"]),
    ],
)
def test_search_and_filters(client, cohort, command, officer, peer, query, expected):
    response = login(client, command).get(directory_url(cohort), query)

    assert [m.user.display_name for m in response.context["page"].object_list] == expected


def test_the_agency_filter(client, cohort, command, officer, peer, other_team):
    response = login(client, command).get(directory_url(cohort), {"agency": other_team.agency_id})

    assert [m.user for m in response.context["page"].object_list] == [peer]


def test_a_filter_that_finds_nobody_says_so(client, cohort, command):
    response = login(client, command).get(directory_url(cohort), {"q": "zzz"})

    assert "Nobody matches that search." in page_text(response)


def test_the_directory_is_paginated(client, cohort, command, team):
    from conftest import make_member, make_user

    for i in range(30):
        make_member(team, make_user(f"p{i:02}@riverton.example", first="P", last=f"{i:02}"))

    first = login(client, command).get(directory_url(cohort))
    second = client.get(directory_url(cohort), {"page": 2})

    assert len(first.context["page"].object_list) == 24
    assert len(second.context["page"].object_list) == 7


def test_outsiders_get_404_and_see_nobody(client, cohort, command, outsider):
    response = login(client, outsider).get(directory_url(cohort))

    assert response.status_code == 404


def test_another_cohorts_people_never_appear(client, cohort, command, outsider):
    response = login(client, command).get(directory_url(cohort), {"q": "erin"})

    assert list(response.context["page"].object_list) == []


# Announcements --------------------------------------------------------------------------------


def test_staff_announce_to_every_member_in_one_go(client, cohort, staff, command, officer, peer):
    login(client, staff)
    form = client.get(reverse("forum:announce", args=[cohort.slug]))
    assert form.status_code == 200

    response = client.post(
        reverse("forum:announce", args=[cohort.slug]),
        {"title": "Session 4 moves to Thursday", "body": "Same time, **new day**."},
        follow=True,
    )

    thread = Thread.objects.get()
    assert thread.pinned and thread.locked
    assert thread.category.slug == "general"
    assert "3 members were notified" in page_text(response)
    told = Notification.objects.filter(kind="announcement")
    assert set(told.values_list("recipient", flat=True)) == {command.pk, officer.pk, peer.pk}
    assert told.first().summary == (
        "Announcement from program staff: “Session 4 moves to Thursday”"
    )
    assert told.first().url == reverse("forum:post", args=[cohort.slug, thread.posts.get().pk])


def test_the_announcement_signals_after_commit_one_per_member(
    cohort, general, staff, command, officer, peer, django_capture_on_commit_callbacks
):
    import forum.services

    signalled = []
    with django_capture_on_commit_callbacks() as callbacks:
        posting.announce(cohort=cohort, author=staff, title="News", body="Read this.")
    assert signalled == []  # nothing before the commit
    original = forum.services.push_signal
    forum.services.push_signal = lambda n: signalled.append(n.recipient_id) or True
    try:
        for callback in callbacks:
            callback()
    finally:
        forum.services.push_signal = original

    assert sorted(signalled) == sorted([command.pk, officer.pk, peer.pk])


def test_a_broken_channel_layer_never_fails_the_announcement(
    cohort, general, staff, command, monkeypatch, django_capture_on_commit_callbacks
):
    import forum.services

    def broken():
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(forum.services, "get_channel_layer", broken)
    with django_capture_on_commit_callbacks(execute=True):
        posting.announce(cohort=cohort, author=staff, title="News", body="Read this.")

    assert Notification.objects.filter(recipient=command, kind="announcement").exists()


def test_members_cannot_announce(client, cohort, command):
    login(client, command)

    assert client.get(reverse("forum:announce", args=[cohort.slug])).status_code == 403
    response = client.post(
        reverse("forum:announce", args=[cohort.slug]), {"title": "Hi", "body": "x"}
    )
    assert response.status_code == 403
    assert not Thread.objects.exists()


def test_an_announcement_needs_a_title_and_text(client, cohort, staff):
    response = login(client, staff).post(
        reverse("forum:announce", args=[cohort.slug]), {"title": " ", "body": ""}
    )

    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"title", "body"}


def test_the_forum_links_to_messages_the_directory_and_staff_tools(client, cohort, staff, command):
    member_page = login(client, command).get(reverse("forum:index", args=[cohort.slug]))
    staff_page = login(client, staff).get(reverse("forum:index", args=[cohort.slug]))

    body = member_page.content.decode()
    assert reverse("conversations:inbox") in body
    assert directory_url(cohort) in body
    assert reverse("forum:announce", args=[cohort.slug]) not in body
    assert reverse("forum:announce", args=[cohort.slug]) in staff_page.content.decode()
    assert reverse("forum:peer_contact", args=[cohort.slug]) in staff_page.content.decode()
