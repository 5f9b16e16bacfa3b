"""A form sent twice makes one thing: new threads, replies, new conversations and messages.

Each of these forms carries a key of its own (a hidden ``submission`` field). The same form
sent again — the answer was lost and the person pressed send again, or the browser resent
it — answers as the first sending did, and adds nothing and notifies nobody. A form without
a key (a page opened before keys existed) still works.
"""

import uuid

import pytest
from django.urls import reverse

from conftest import login, race
from forum import messaging, posting
from forum.models import Conversation, Message, Notification, Post, Thread, Watch

from .helpers import start

pytestmark = pytest.mark.django_db


def thread_new_url(cohort) -> str:
    return reverse("forum:thread_new", args=[cohort.slug])


def new_conversation_url(cohort) -> str:
    return reverse("peers:new_conversation", args=[cohort.slug])


def form_key(response) -> str:
    """The key of the form on the page, checked to be in the page's HTML."""
    key = str(response.context["form"].initial["submission"])
    assert f'name="submission" value="{key}"' in response.content.decode()
    return key


def notified(kind: str, recipient=None) -> int:
    found = Notification.objects.filter(kind=kind)
    return found.filter(recipient=recipient).count() if recipient else found.count()


@pytest.fixture
def watched(general, officer):
    """Carol watches the General category: every new thread there notifies her."""
    Watch.objects.create(user=officer, category=general, level=Watch.Level.WATCHING)
    return general


# New threads ----------------------------------------------------------------------------------


def test_the_same_thread_form_sent_twice_starts_one_thread(
    client, cohort, watched, command, officer, peer
):
    login(client, command)
    key = form_key(client.get(thread_new_url(cohort)))
    form = {
        "category": watched.pk,
        "title": "Shift-work sleep",
        "body": "What helps, @dave.deputy?",
        "submission": key,
    }

    first = client.post(thread_new_url(cohort), form)
    again = client.post(thread_new_url(cohort), form)

    assert first.status_code == again.status_code == 302
    assert first["Location"] == again["Location"] == Thread.objects.get().get_absolute_url()
    opening = Post.objects.get()
    assert opening.number == 1 and str(opening.submission) == key
    assert notified("thread", officer) == 1
    assert notified("mention", peer) == 1
    assert notified("thread") + notified("mention") == 2
    # The second answer reads as the first did.
    assert "Your thread is posted." in client.get(again["Location"]).content.decode()


def test_two_thread_forms_start_two_threads_even_with_the_same_words(
    client, cohort, watched, command, officer
):
    login(client, command)
    form = {"category": watched.pk, "title": "Shift-work sleep", "body": "What helps?"}
    for _ in range(2):
        key = form_key(client.get(thread_new_url(cohort)))
        assert client.post(thread_new_url(cohort), {**form, "submission": key}).status_code == 302

    assert Thread.objects.count() == 2
    assert notified("thread", officer) == 2


def test_a_thread_form_without_a_key_still_starts_a_thread(client, cohort, watched, command):
    login(client, command)
    form = {"category": watched.pk, "title": "From an old tab", "body": "Still works?"}

    first = client.post(thread_new_url(cohort), form)
    unreadable = client.post(thread_new_url(cohort), {**form, "submission": "not-a-key"})

    assert first.status_code == unreadable.status_code == 302
    assert Thread.objects.count() == 2
    assert list(Post.objects.values_list("submission", flat=True)) == [None, None]


def test_a_thread_form_sent_back_with_errors_keeps_its_key(client, cohort, general, command):
    login(client, command)
    key = form_key(client.get(thread_new_url(cohort)))

    response = client.post(
        thread_new_url(cohort),
        {"category": general.pk, "title": "Untitled", "body": " ", "submission": key},
    )

    assert response.status_code == 200
    assert f'name="submission" value="{key}"' in response.content.decode()


def test_a_thread_key_belongs_to_its_author(general, command, peer):
    key = uuid.uuid4()

    mine = posting.start_thread(
        category=general, author=command, title="Sleep", body="Tips?", submission=key
    )
    again = posting.start_thread(
        category=general, author=command, title="Other", body="Other words", submission=key
    )
    theirs = posting.start_thread(
        category=general, author=peer, title="Sleep", body="Tips?", submission=key
    )

    assert again.post.pk == mine.post.pk and again.post.thread.title == "Sleep"
    assert theirs.post.pk != mine.post.pk
    assert Thread.objects.count() == 2


def test_a_thread_form_sent_again_registers_nothing_to_run_after_commit(
    watched, command, django_capture_on_commit_callbacks
):
    key = uuid.uuid4()
    with django_capture_on_commit_callbacks() as first:
        posting.start_thread(category=watched, author=command, title="T", body="B", submission=key)
    with django_capture_on_commit_callbacks() as again:
        posting.start_thread(category=watched, author=command, title="T", body="B", submission=key)

    assert first  # the watcher's signal
    assert again == []  # no signal, no email


# Replies (the shared code path) ---------------------------------------------------------------


def test_a_reply_form_sent_again_after_the_thread_was_locked_still_answers(
    general, command, peer, staff
):
    thread = start(general, command)
    key = uuid.uuid4()
    sent = posting.reply(thread=thread, author=peer, body="Mine", submission=key)
    posting.moderate_thread(thread=thread, by=staff, locked=True)

    again = posting.reply(thread=thread, author=peer, body="Mine", submission=key)

    assert again.post.pk == sent.post.pk
    with pytest.raises(posting.ForumRefusal):
        posting.reply(thread=thread, author=peer, body="Mine", submission=uuid.uuid4())


# A message in a conversation ------------------------------------------------------------------


@pytest.fixture
def talk(cohort, command, peer):
    conversation, _ = messaging.start_conversation(
        cohort=cohort, author=command, recipients=[peer], body="Could we compare policies?"
    )
    Notification.objects.all().delete()
    return conversation


def test_the_same_message_form_sent_twice_sends_one_message(client, talk, command, peer):
    login(client, peer)
    url = talk.get_absolute_url()
    key = form_key(client.get(url))
    form = {"body": "Yes: here is ours.", "submission": key}

    first = client.post(url, form)
    again = client.post(url, form)

    assert first.status_code == again.status_code == 302
    assert first["Location"] == again["Location"] == f"{url}#latest"
    sent = talk.messages.filter(author=peer)
    assert sent.count() == 1 and str(sent.get().submission) == key
    assert notified("message", command) == 1
    talk.refresh_from_db()
    assert talk.message_count == 2


def test_two_message_forms_send_two_messages(client, talk, command, peer):
    login(client, peer)
    url = talk.get_absolute_url()
    for _ in range(2):
        key = form_key(client.get(url))
        assert client.post(url, {"body": "Same words", "submission": key}).status_code == 302

    assert talk.messages.filter(author=peer).count() == 2
    assert notified("message", command) == 2


def test_a_message_form_without_a_key_still_sends(client, talk, command, peer):
    login(client, peer)

    response = client.post(talk.get_absolute_url(), {"body": "From an old tab"})

    assert response.status_code == 302
    assert talk.messages.filter(author=peer, submission__isnull=True).count() == 1
    assert notified("message", command) == 1


def test_a_message_key_is_kept_per_conversation_and_per_author(cohort, talk, command, peer):
    key = uuid.uuid4()
    mine = messaging.send_message(conversation=talk, author=peer, body="One", submission=key)
    again = messaging.send_message(conversation=talk, author=peer, body="Two", submission=key)
    theirs = messaging.send_message(conversation=talk, author=command, body="One", submission=key)

    assert again.pk == mine.pk and again.body == "One"
    assert theirs.pk != mine.pk
    assert talk.messages.count() == 3
    assert notified("message", command) == 1
    assert notified("message", peer) == 1


# A new conversation ---------------------------------------------------------------------------


def test_the_same_new_message_form_sent_twice_starts_one_conversation(
    client, cohort, command, officer, peer, staff
):
    login(client, command)
    key = form_key(client.get(new_conversation_url(cohort)))
    form = {
        "recipients": [officer.pk, peer.pk, staff.pk],
        "title": "Peer support leads",
        "body": "Welcome",
        "submission": key,
    }

    first = client.post(new_conversation_url(cohort), form)
    again = client.post(new_conversation_url(cohort), form)

    assert first.status_code == again.status_code == 302
    group = Conversation.objects.get()  # a group is made afresh by each form: only one here
    assert first["Location"] == again["Location"] == f"{group.get_absolute_url()}#latest"
    assert str(Message.objects.get().submission) == key
    for person in (officer, peer, staff):
        assert notified("message", person) == 1
    assert notified("message") == 3
    group.refresh_from_db()
    assert group.message_count == 1
    assert "Your message is sent." in client.get(again["Location"]).content.decode()


def test_the_same_form_to_one_person_sent_twice_writes_once(client, cohort, command, peer):
    login(client, command)
    key = form_key(client.get(new_conversation_url(cohort)))
    form = {"recipients": [peer.pk], "body": "Hello", "submission": key}

    first = client.post(new_conversation_url(cohort), form)
    again = client.post(new_conversation_url(cohort), form)

    assert first["Location"] == again["Location"]
    assert Conversation.objects.get().messages.count() == 1
    assert notified("message", peer) == 1


def test_two_new_message_forms_to_a_group_start_two_conversations(
    client, cohort, command, officer, peer
):
    login(client, command)
    for _ in range(2):
        key = form_key(client.get(new_conversation_url(cohort)))
        form = {"recipients": [officer.pk, peer.pk], "body": "Welcome", "submission": key}
        assert client.post(new_conversation_url(cohort), form).status_code == 302

    assert Conversation.objects.count() == 2
    assert notified("message", peer) == 2


def test_a_new_message_form_without_a_key_still_sends(client, cohort, command, peer):
    login(client, command)

    response = client.post(new_conversation_url(cohort), {"recipients": [peer.pk], "body": "Hi"})

    assert response.status_code == 302
    assert Message.objects.get().submission is None
    assert notified("message", peer) == 1


def test_a_new_message_form_sent_again_answers_even_if_the_group_changed(
    cohort, command, officer, peer
):
    key = uuid.uuid4()
    group, message = messaging.start_conversation(
        cohort=cohort, author=command, recipients=[officer, peer], body="Hi", submission=key
    )
    # Dave leaves the cohort: writing to him now would be refused, but this form was sent.
    peer.memberships.all().delete()

    again = messaging.start_conversation(
        cohort=cohort, author=command, recipients=[officer, peer], body="Hi", submission=key
    )

    assert again == (group, message)
    assert Conversation.objects.count() == 1


# Two sendings of the same form at the same moment (PostgreSQL) --------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_thread_form_sent_twice_at_once_starts_one_thread(watched, command, officer):
    key = uuid.uuid4()

    def send():
        return posting.start_thread(
            category=watched, author=command, title="Sleep", body="Tips?", submission=key
        ).post.pk

    results = race(send, send)

    assert results[0] == results[1]
    assert Thread.objects.count() == Post.objects.count() == 1
    assert notified("thread", officer) == notified("thread") == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_reply_form_sent_twice_at_once_posts_once(general, command, peer):
    thread = start(general, command)
    key = uuid.uuid4()

    def send():
        return posting.reply(thread=thread, author=peer, body="Ours", submission=key).post.pk

    results = race(send, send)

    assert results[0] == results[1]
    assert thread.posts.count() == 2
    assert notified("reply", command) == notified("reply") == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_message_form_sent_twice_at_once_sends_once(talk, command, peer):
    key = uuid.uuid4()

    def send():
        return messaging.send_message(
            conversation=talk, author=peer, body="Ours", submission=key
        ).pk

    results = race(send, send)

    assert results[0] == results[1]
    assert talk.messages.filter(author=peer).count() == 1
    assert notified("message", command) == notified("message") == 1
    talk.refresh_from_db()
    assert talk.message_count == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("group", [True, False], ids=["group", "one-to-one"])
def test_the_same_new_message_form_sent_twice_at_once_writes_once(
    group, cohort, command, officer, peer
):
    key = uuid.uuid4()
    recipients = [officer, peer] if group else [peer]

    def send():
        conversation, message = messaging.start_conversation(
            cohort=cohort, author=command, recipients=recipients, body="Hi", submission=key
        )
        return conversation.pk, message.pk

    results = race(send, send)

    assert results[0] == results[1]
    assert Conversation.objects.count() == Message.objects.count() == 1
    assert Conversation.objects.get().members.count() == len(recipients) + 1
    assert notified("message", peer) == 1
    assert notified("message") == len(recipients)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_new_message_form_posted_twice_at_once_answers_the_same(
    cohort, command, officer, peer
):
    from django.test import Client

    form = {"recipients": [officer.pk, peer.pk], "body": "Hi", "submission": str(uuid.uuid4())}

    def post():
        client = login(Client(), command)
        return client.post(new_conversation_url(cohort), form)["Location"]

    results = race(post, post)

    assert results[0] == results[1] == f"{Conversation.objects.get().get_absolute_url()}#latest"
    assert Message.objects.count() == 1
    assert notified("message") == 2
