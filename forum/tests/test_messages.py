"""Direct messages: who can write to whom, read marks, muting, and the pages."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from conftest import login, make_agency, make_member, make_team, make_user
from forum import messaging
from forum.models import Conversation, ConversationMember, Message, Notification
from forum.posting import ForumRefusal

from .helpers import page_text

pytestmark = pytest.mark.django_db


def write(cohort, author, *recipients, body="Could we compare peer support policies?", **extra):
    conversation, _ = messaging.start_conversation(
        cohort=cohort, author=author, recipients=recipients, body=body, **extra
    )
    return conversation


def new_url(cohort, *to) -> str:
    url = reverse("peers:new_conversation", args=[cohort.slug])
    return url + "".join(f"{'&' if i else '?'}to={p.pk}" for i, p in enumerate(to))


# Services -------------------------------------------------------------------------------------


def test_a_member_writes_to_a_member_of_another_agency(cohort, command, peer):
    conversation = write(cohort, command, peer, body="**Hello** from Riverton")

    assert conversation.is_direct
    assert set(conversation.members.values_list("user", flat=True)) == {command.pk, peer.pk}
    message = conversation.messages.get()
    assert message.body_html.strip() == "<p><strong>Hello</strong> from Riverton</p>"
    notification = Notification.objects.get(recipient=peer)
    assert notification.kind == Notification.Kind.MESSAGE
    assert notification.summary == "Bob Chief sent you a message"
    assert notification.url == conversation.get_absolute_url()
    assert notification.cohort == cohort
    assert not Notification.objects.filter(recipient=command).exists()


def test_writing_to_the_same_person_again_continues_the_conversation(cohort, command, peer):
    first = write(cohort, command, peer)
    second = write(cohort, peer, command, body="Yes: here is ours.")

    assert first == second
    assert Conversation.objects.count() == 1
    assert first.messages.count() == 2
    first.refresh_from_db()
    assert first.message_count == 2


def test_a_group_conversation_has_a_name_and_notifies_everyone_else(
    cohort, command, officer, peer, staff
):
    conversation = write(cohort, command, officer, peer, staff, title="Peer support leads")

    assert not conversation.is_direct
    assert conversation.title == "Peer support leads"
    assert conversation.members.count() == 4
    assert set(Notification.objects.values_list("recipient", flat=True)) == {
        officer.pk,
        peer.pk,
        staff.pk,
    }
    assert Notification.objects.first().summary == "Bob Chief wrote in “Peer support leads”"


def test_a_group_has_at_most_eight_people(cohort, command):
    team = make_team(cohort, make_agency("Big County Sheriff's Office"))
    others = []
    for i in range(8):
        person = make_user(f"p{i}@big.example")
        make_member(team, person)
        others.append(person)

    with pytest.raises(ForumRefusal, match="at most 8 people, you included: choose up to 7"):
        write(cohort, command, *others)
    write(cohort, command, *others[:7])

    assert Conversation.objects.get().members.count() == 8


def test_nobody_outside_the_cohort_can_be_written_to(cohort, command, peer, outsider):
    with pytest.raises(ForumRefusal) as refused:
        write(cohort, command, peer, outsider)
    with pytest.raises(ForumRefusal) as unknown:
        write(cohort, command, peer, 987654)

    # The same words whether the person exists or not.
    assert refused.value.messages == unknown.value.messages
    assert "Only members of this cohort" in refused.value.messages[0]
    assert not Conversation.objects.exists()
    assert not Notification.objects.exists()


def test_an_outsider_cannot_start_a_conversation_in_the_cohort(cohort, peer, outsider):
    with pytest.raises(PermissionDenied):
        write(cohort, outsider, peer)


def test_a_message_needs_text_and_someone_to_go_to(cohort, command, peer):
    with pytest.raises(ForumRefusal, match="Write a message"):
        write(cohort, command, peer, body="   ")
    with pytest.raises(ForumRefusal, match="at least one person"):
        write(cohort, command, command)


def test_only_people_in_the_conversation_can_write_to_it(cohort, command, officer, peer):
    conversation = write(cohort, command, peer)

    with pytest.raises(PermissionDenied):
        messaging.send_message(conversation=conversation, author=officer, body="Let me in")


def test_a_muted_conversation_sends_no_notifications(cohort, command, peer):
    conversation = write(cohort, command, peer)
    messaging.set_muted(user=peer, conversation=conversation, muted=True)

    messaging.send_message(conversation=conversation, author=command, body="Still there?")

    assert Notification.objects.filter(recipient=peer).count() == 1  # only the first


def test_the_notification_is_written_with_the_message_or_not_at_all(
    cohort, command, peer, monkeypatch
):
    import forum.messaging

    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(forum.messaging, "notify_many", broken)
    with pytest.raises(RuntimeError):
        write(cohort, command, peer)

    assert not Message.objects.exists()
    assert not Conversation.objects.exists()


def test_people_who_left_the_cohort_are_not_notified_and_lose_access(
    client, cohort, command, peer, outsider_team
):
    from cohorts.models import Membership

    conversation = write(cohort, command, peer)
    # Dave's agency moves to another cohort (an administrator's change, past the team rules).
    Membership.objects.filter(user=peer).update(team=outsider_team)

    with pytest.raises(ForumRefusal, match="Nobody else in this conversation"):
        messaging.send_message(conversation=conversation, author=command, body="Hello?")
    assert login(client, peer).get(conversation.get_absolute_url()).status_code == 404
    assert client.get(reverse("conversations:inbox")).context["rows"] == []


def test_the_read_mark_only_moves_forward(cohort, command, peer):
    conversation = write(cohort, command, peer)
    second = messaging.send_message(conversation=conversation, author=command, body="And more")
    place = ConversationMember.objects.get(conversation=conversation, user=peer)

    messaging.mark_conversation_read(user=peer, conversation=conversation, message_id=second.pk)
    messaging.mark_conversation_read(user=peer, conversation=conversation, message_id=second.pk - 1)

    place.refresh_from_db()
    assert place.last_read_message_id == second.pk
    # Reading the conversation also reads its notifications.
    assert not Notification.objects.filter(recipient=peer).unread().exists()


def test_unread_counts_leave_out_ones_own_messages(cohort, command, peer, officer):
    conversation = write(cohort, command, peer)
    messaging.send_message(conversation=conversation, author=command, body="Two")
    write(cohort, officer, peer, command, body="Group hello")

    assert messaging.unread_count(peer) == 3
    assert messaging.unread_count(command) == 1
    messaging.send_message(conversation=conversation, author=peer, body="Reply")
    assert messaging.unread_count(command) == 2
    assert messaging.unread_count(peer) == 1  # replying moved peer's mark past the first two


def test_two_people_starting_the_same_conversation_at_once_share_it(cohort, command, peer):
    from forum.conversations import direct_key

    Conversation.objects.create(cohort=cohort, direct_key=direct_key(peer.pk, command.pk))
    ConversationMember.objects.bulk_create(
        [
            ConversationMember(conversation=Conversation.objects.get(), user=command),
            ConversationMember(conversation=Conversation.objects.get(), user=peer),
        ]
    )

    assert write(cohort, command, peer) == Conversation.objects.get()


# Pages ----------------------------------------------------------------------------------------


def test_a_member_starts_a_conversation_from_the_form(client, cohort, command, peer):
    login(client, command)
    form = client.get(new_url(cohort, peer))
    assert form.status_code == 200
    assert f'value="{peer.pk}"' in form.content.decode()
    assert "checked" in form.content.decode()

    response = client.post(
        new_url(cohort), {"recipients": [peer.pk], "body": "Do you have a peer team?"}
    )

    conversation = Conversation.objects.get()
    assert response.status_code == 302
    assert response["Location"] == conversation.get_absolute_url() + "#latest"
    page = client.get(conversation.get_absolute_url())
    assert "Do you have a peer team?" in page_text(page)
    assert "Dave Deputy" in page_text(page)


def test_the_form_refuses_people_from_outside_without_saying_who_exists(
    client, cohort, command, peer, outsider
):
    login(client, command)

    response = client.post(new_url(cohort), {"recipients": [peer.pk, outsider.pk], "body": "Hello"})
    unknown = client.post(new_url(cohort), {"recipients": [peer.pk, 999999], "body": "Hello"})

    assert response.status_code == unknown.status_code == 200
    text = page_text(response)
    assert "Only members of this cohort's teams and program staff can be messaged" in text
    assert "Erin" not in text
    assert text.count("Only members of") == page_text(unknown).count("Only members of")
    assert "Hello</textarea>" in text  # nothing written is lost
    assert not Conversation.objects.exists()


def test_a_link_to_someone_outside_the_cohort_says_why_and_chooses_nobody(
    client, cohort, command, outsider
):
    login(client, command)

    response = client.get(new_url(cohort, outsider), follow=True)

    assert response.status_code == 200
    assert "Only members of this cohort's teams" in page_text(response)
    assert f'value="{outsider.pk}"' not in response.content.decode()


def test_outsiders_get_404_for_conversations_they_are_not_in(
    client, cohort, command, officer, peer, staff, outsider
):
    conversation = write(cohort, command, peer)
    url = conversation.get_absolute_url()
    mute = reverse("conversations:mute", args=[conversation.pk])

    for person in [officer, staff, outsider]:
        login(client, person)
        assert client.get(url).status_code == 404
        assert client.post(url, {"body": "Let me in"}).status_code == 404
        assert client.post(mute, {"muted": "1"}).status_code == 404
    login(client, outsider)
    assert client.get(new_url(cohort)).status_code == 404
    assert Message.objects.count() == 1


def test_the_conversation_page_marks_read_and_shows_new_messages(client, cohort, command, peer):
    conversation = write(cohort, command, peer, body="First question")
    login(client, peer)

    page = client.get(conversation.get_absolute_url())

    assert page.status_code == 200
    assert page.context["first_new"] == conversation.messages.get().pk
    assert messaging.unread_count(peer) == 0
    again = client.get(conversation.get_absolute_url())
    assert again.context["first_new"] is None


def test_replying_on_the_page(client, cohort, command, peer):
    conversation = write(cohort, command, peer)
    login(client, peer)

    response = client.post(conversation.get_absolute_url(), {"body": "Here it is"})
    empty = client.post(conversation.get_absolute_url(), {"body": "  "})

    assert response.status_code == 302
    assert conversation.messages.count() == 2
    assert empty.status_code == 200
    assert "Write a message." in page_text(empty)


def test_muting_from_the_page(client, cohort, command, peer):
    conversation = write(cohort, command, peer)
    login(client, peer)

    response = client.post(
        reverse("conversations:mute", args=[conversation.pk]), {"muted": "1"}, follow=True
    )

    assert "Conversation muted" in page_text(response)
    assert ConversationMember.objects.get(user=peer).muted


def test_the_inbox_lists_conversations_with_unread_counts(client, cohort, command, peer, officer):
    direct = write(cohort, command, peer)
    messaging.send_message(conversation=direct, author=command, body="Two")
    write(cohort, officer, peer, command, title="Shift work")
    login(client, peer)

    page = client.get(reverse("conversations:inbox"))

    rows = page.context["rows"]
    assert [r.label for r in rows] == ["Shift work", "Bob Chief"]
    assert [r.unread for r in rows] == [1, 2]
    assert "3 unread messages" in page_text(page)


def test_an_empty_inbox_says_how_to_start(client, cohort, officer):
    page = login(client, officer).get(reverse("conversations:inbox"))

    assert "No conversations yet" in page_text(page)
    assert reverse("peers:directory", args=[cohort.slug]) in page.content.decode()


def test_the_inbox_never_lists_other_peoples_conversations(client, cohort, command, peer, officer):
    write(cohort, command, peer, title="")
    page = login(client, officer).get(reverse("conversations:inbox"))

    assert page.context["rows"] == []


def test_messages_render_hostile_markdown_inert(client, cohort, command, peer):
    conversation = write(
        cohort, command, peer, body="<script>alert(1)</script> [x](javascript:alert(1))"
    )

    html = login(client, peer).get(conversation.get_absolute_url()).content.decode()

    assert "<script>alert(1)</script>" not in html
    assert 'href="javascript:' not in html
