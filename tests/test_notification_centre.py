"""The notification centre and the feed a page polls while its socket is down."""

import pytest
from django.urls import reverse

from conftest import login
from forum.models import Notification

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def note(user, summary="Dana replied in “Peer support policies”", url="/calendar/", read=False):
    from django.utils import timezone

    return Notification.objects.create(
        recipient=user,
        kind=Notification.Kind.REPLY,
        summary=summary,
        url=url,
        read_at=timezone.now() if read else None,
    )


def test_the_centre_lists_only_ones_own_notifications(client, officer, peer):
    note(officer, "For Carol")
    note(peer, "For someone else")

    page = login(client, officer).get(reverse("notifications:list"))

    assert page.status_code == 200
    assert "For Carol" in page.content.decode()
    assert "For someone else" not in page.content.decode()


def test_the_unread_tab_and_its_empty_state(client, officer):
    note(officer, "Already read", read=True)

    page = login(client, officer).get(reverse("notifications:list") + "?show=unread")

    assert "Already read" not in page.content.decode()
    assert "You are all caught up" in page.content.decode()


def test_an_empty_centre_explains_what_will_appear(client, officer):
    page = login(client, officer).get(reverse("notifications:list"))

    assert "No notifications yet" in page.content.decode()


def test_the_centre_is_paginated(client, officer):
    for i in range(35):
        note(officer, f"Item {i:02d}")

    first = login(client, officer).get(reverse("notifications:list"))
    second = client.get(reverse("notifications:list") + "?page=2")

    assert "Item 34" in first.content.decode() and "Item 04" not in first.content.decode()
    assert "Item 04" in second.content.decode()


def test_opening_a_notification_marks_it_read_and_goes_to_it(client, officer):
    notification = note(officer, url="/calendar/")

    response = login(client, officer).get(reverse("notifications:open", args=[notification.pk]))

    assert response.status_code == 302
    assert response["Location"] == "/calendar/"
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_a_notification_never_redirects_off_site(client, officer):
    notification = note(officer, url="https://evil.example/phish")

    response = login(client, officer).get(reverse("notifications:open", args=[notification.pk]))

    assert response["Location"] == reverse("notifications:list")


def test_someone_elses_notification_is_404(client, officer, peer):
    theirs = note(peer)

    response = login(client, officer).get(reverse("notifications:open", args=[theirs.pk]))

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_all_read_touches_only_ones_own(client, officer, peer):
    mine = [note(officer), note(officer)]
    theirs = note(peer)

    response = login(client, officer).post(
        reverse("notifications:mark_read"), {"all": "1"}, HTTP_ACCEPT="application/json"
    )

    assert response.json() == {"marked": 2, "unread": 0}
    assert all(Notification.objects.get(pk=n.pk).read_at for n in mine)
    assert Notification.objects.get(pk=theirs.pk).read_at is None


def test_mark_read_by_id_ignores_other_peoples_ids(client, officer, peer):
    mine = note(officer)
    theirs = note(peer)

    login(client, officer).post(reverse("notifications:mark_read"), {"id": [mine.pk, theirs.pk]})

    assert Notification.objects.get(pk=mine.pk).read_at is not None
    assert Notification.objects.get(pk=theirs.pk).read_at is None


def test_mark_read_needs_a_post(client, officer):
    assert login(client, officer).get(reverse("notifications:mark_read")).status_code == 405


def test_the_feed_gives_what_came_after_an_id_with_text_and_count(client, officer, peer):
    older = note(officer, "Older")
    newer = note(officer, "Newer")
    note(peer, "Not mine")

    data = login(client, officer).get(reverse("notifications:feed") + f"?after={older.pk}").json()

    assert data["unread"] == 2
    assert [n["summary"] for n in data["notifications"]] == ["Newer"]
    assert data["notifications"][0]["id"] == newer.pk
    assert data["notifications"][0]["url"] == reverse("notifications:open", args=[newer.pk])
    assert data["more"] is False


def test_the_feed_refuses_a_bad_mark(client, officer):
    response = login(client, officer).get(reverse("notifications:feed") + "?after=abc")

    assert response.status_code == 400


def test_the_feed_pages_through_a_long_gap(client, officer):
    for i in range(60):
        note(officer, f"N{i}")

    first = login(client, officer).get(reverse("notifications:feed") + "?after=0").json()
    last_id = first["notifications"][-1]["id"]
    rest = client.get(reverse("notifications:feed") + f"?after={last_id}").json()

    assert len(first["notifications"]) == 50 and first["more"] is True
    assert len(rest["notifications"]) == 10 and rest["more"] is False


@pytest.mark.parametrize("count", [3, 40])
def test_the_feed_and_centre_run_a_constant_number_of_queries(
    client, officer, count, django_assert_num_queries
):
    for i in range(count):
        note(officer, f"N{i}")
    login(client, officer)
    client.get(reverse("notifications:list"))  # warm the session

    # Session and user, then the rows and the unread count.
    with django_assert_num_queries(4):
        client.get(reverse("notifications:feed") + "?after=0")
    with django_assert_num_queries(5):
        client.get(reverse("notifications:list"))


def test_anonymous_people_are_sent_to_sign_in(client):
    for name in ["notifications:list", "notifications:feed"]:
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert reverse("account_login") in response["Location"]
