"""Messages, the directory and the email preferences run a fixed number of queries whatever
the amount of activity."""

import pytest
from django.urls import reverse

from conftest import login, make_agency, make_member, make_team, make_user
from forum import messaging

SIZES = [3, 12]


@pytest.fixture(params=SIZES, ids=[f"{n}-agencies" for n in SIZES])
def busy(request, cohort, command, peer, staff):
    """N agencies of two people each; the command persona has a one-to-one conversation
    with each, and a group conversation, all with several messages both ways."""
    people = []
    for i in range(request.param):
        team = make_team(cohort, make_agency(f"Agency {i:02} Police Department"))
        for j in range(2):
            person = make_user(f"m{i}-{j}@example.com", first=f"Member{i}", last=f"N{j}")
            person.share_email = j == 0
            person.bio = "Wellness coordinator."
            person.save()
            make_member(team, person, role="command_staff" if j == 0 else "sworn", is_lead=j == 0)
            people.append(person)
    for person in people:
        conversation, _ = messaging.start_conversation(
            cohort=cohort, author=person, recipients=[command], body=f"Hello from {person}"
        )
        for k in range(3):
            messaging.send_message(conversation=conversation, author=command, body=f"Reply {k}")
            messaging.send_message(conversation=conversation, author=person, body=f"More {k}")
    group, _ = messaging.start_conversation(
        cohort=cohort,
        author=command,
        recipients=[peer, staff, *people[:5]],
        title="Peer support leads",
        body="Welcome",
    )
    for person in people[:5]:
        messaging.send_message(conversation=group, author=person, body="Thanks")
    return group


def test_the_inbox(client, command, busy, django_assert_num_queries):
    login(client, command)

    # session, user, count, conversations with unread counts, the other people, cohorts for
    # "New message", the unread total
    with django_assert_num_queries(7):
        response = client.get(reverse("conversations:inbox"))

    assert response.context["rows"][0].conversation == busy
    assert all(row.unread for row in response.context["rows"])


@pytest.mark.parametrize("visit", ["first", "again"])
def test_the_conversation_page(client, command, busy, visit, django_assert_num_queries):
    login(client, command)
    url = busy.get_absolute_url()
    if visit == "again":
        client.get(url)

    # session, user, own place with the conversation and cohort, members, their teams, count,
    # messages, read mark UPDATE, unread notifications; on a first visit the notifications are
    # marked read too (a savepoint, SELECT, UPDATE, release).
    with django_assert_num_queries(9 if visit == "again" else 13):
        response = client.get(url)

    assert response.status_code == 200
    assert response.context["items"]


def test_the_new_message_form(client, cohort, command, busy, django_assert_num_queries):
    login(client, command)

    # session, user, cohort, the people to choose from
    with django_assert_num_queries(4):
        response = client.get(reverse("peers:new_conversation", args=[cohort.slug]))

    assert response.status_code == 200


@pytest.mark.parametrize("query", [{}, {"q": "member", "role": "command_staff"}])
def test_the_directory(client, cohort, officer, busy, query, django_assert_num_queries):
    login(client, officer)

    # session, user, cohort, agencies for the filter, count, people, program staff
    with django_assert_num_queries(7):
        response = client.get(reverse("peers:directory", args=[cohort.slug]), query)

    assert response.context["page"].object_list


def test_the_preferences_page(client, command, busy, django_assert_num_queries):
    login(client, command)

    with django_assert_num_queries(3):  # session, user, preferences
        client.get(reverse("notification_settings:preferences"))
