"""Email about notifications: the delayed email, the daily digest, preferences, unsubscribing."""

import zoneinfo
from datetime import datetime, timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import login
from forum import emails, messaging, posting
from forum.models import DigestDelivery, Notification, NotificationPreference
from forum.tasks import send_notification_digests, send_notification_emails

from .helpers import answer, page_text, start

pytestmark = pytest.mark.django_db

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")


def queued_tasks() -> list:
    from django_tasks_db.models import DBTaskResult

    return list(DBTaskResult.objects.order_by("enqueued_at"))


def mention(general, author, mentioned, body=None):
    thread = start(general, author, body=body or "How do you run debriefs, @dave.deputy?")
    return Notification.objects.get(recipient=mentioned, kind="mention"), thread


def prefer(user, kind, delivery):
    NotificationPreference.objects.update_or_create(
        user=user, kind=kind, defaults={"delivery": delivery}
    )


# Scheduling -----------------------------------------------------------------------------------


def test_a_mention_queues_one_email_task_for_after_the_delay(
    general, command, peer, django_capture_on_commit_callbacks, settings
):
    settings.FORUM_EMAIL_DELAY = timedelta(minutes=5)
    before = timezone.now()

    with django_capture_on_commit_callbacks(execute=True):
        notification, _ = mention(general, command, peer)

    [task] = queued_tasks()
    assert task.task_path == "forum.tasks.send_notification_emails"
    assert task.args_kwargs == {"args": [[notification.pk]], "kwargs": {}}
    assert before + timedelta(minutes=5) <= task.run_after <= timezone.now() + timedelta(minutes=5)
    assert mail.outbox == []  # nothing before the delay


def test_nothing_is_queued_before_the_commit(
    general, command, peer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        mention(general, command, peer)

    assert queued_tasks() == []


def test_replies_go_to_the_digest_by_default_and_queue_no_email(
    general, command, peer, django_capture_on_commit_callbacks
):
    thread = start(general, command)

    with django_capture_on_commit_callbacks(execute=True):
        answer(thread, peer)

    assert Notification.objects.filter(recipient=command, kind="reply").exists()
    assert queued_tasks() == []


def test_a_kind_switched_off_or_to_the_digest_queues_nothing(
    general, command, peer, django_capture_on_commit_callbacks
):
    prefer(peer, "mention", "off")

    with django_capture_on_commit_callbacks(execute=True):
        mention(general, command, peer)

    assert queued_tasks() == []


def test_replies_chosen_immediately_are_queued(
    general, command, peer, django_capture_on_commit_callbacks
):
    prefer(command, "reply", "immediately")
    thread = start(general, command)

    with django_capture_on_commit_callbacks(execute=True):
        answer(thread, peer)

    assert [t.task_path for t in queued_tasks()] == ["forum.tasks.send_notification_emails"]


# The task -------------------------------------------------------------------------------------


def test_the_task_sends_the_email_once(general, command, peer):
    notification, _ = mention(general, command, peer)

    assert send_notification_emails.call([notification.pk]) == 1
    assert send_notification_emails.call([notification.pk]) == 0

    [email] = mail.outbox
    assert email.to == [peer.email]
    assert email.subject == notification.summary
    assert "How do you run debriefs" not in email.body  # no post text in email
    assert reverse("notifications:open", args=[notification.pk]) in email.body
    notification.refresh_from_db()
    assert notification.emailed_at is not None


def test_the_task_skips_what_was_read_in_the_meantime(general, command, peer):
    notification, _ = mention(general, command, peer)
    Notification.objects.filter(pk=notification.pk).update(read_at=timezone.now())

    assert send_notification_emails.call([notification.pk]) == 0
    assert mail.outbox == []


def test_the_task_skips_a_mention_whose_thread_was_read(client, general, command, peer):
    notification, thread = mention(general, command, peer)
    login(client, peer).get(thread.get_absolute_url())

    assert send_notification_emails.call([notification.pk]) == 0


def test_the_task_respects_a_preference_changed_after_queueing(general, command, peer):
    notification, _ = mention(general, command, peer)
    prefer(peer, "mention", "digest")

    assert send_notification_emails.call([notification.pk]) == 0
    assert mail.outbox == []
    notification.refresh_from_db()
    assert notification.emailed_at is None  # left for the digest


def test_messages_of_one_conversation_go_in_one_email(cohort, command, peer):
    conversation, _ = messaging.start_conversation(
        cohort=cohort, author=command, recipients=[peer], body="One"
    )
    messaging.send_message(conversation=conversation, author=command, body="Two")
    messaging.send_message(conversation=conversation, author=command, body="Three")
    ids = list(Notification.objects.filter(recipient=peer).values_list("pk", flat=True))

    sent = sum(send_notification_emails.call([pk]) for pk in ids)

    assert sent == 1
    [email] = mail.outbox
    assert email.subject == "Bob Chief sent you a message (and 2 more)"
    assert "One" not in email.body and "Three" not in email.body
    assert not Notification.objects.filter(recipient=peer, emailed_at__isnull=True).exists()


def test_reading_the_conversation_stops_its_email(client, cohort, command, peer):
    conversation, _ = messaging.start_conversation(
        cohort=cohort, author=command, recipients=[peer], body="Hello"
    )
    notification = Notification.objects.get(recipient=peer)
    login(client, peer).get(conversation.get_absolute_url())

    assert send_notification_emails.call([notification.pk]) == 0


def test_a_failed_send_gives_the_claim_back(general, command, peer, monkeypatch):
    notification, _ = mention(general, command, peer)

    def broken(self, *args, **kwargs):
        raise ConnectionError("SMTP server down")

    monkeypatch.setattr("django.core.mail.EmailMessage.send", broken)
    assert send_notification_emails.call([notification.pk]) == 0
    notification.refresh_from_db()
    assert notification.emailed_at is None
    monkeypatch.undo()
    assert send_notification_emails.call([notification.pk]) == 1


def test_the_email_carries_one_click_unsubscribe_headers(general, command, peer):
    notification, _ = mention(general, command, peer)
    send_notification_emails.call([notification.pk])

    [email] = mail.outbox
    link = email.extra_headers["List-Unsubscribe"]
    assert link.startswith("<http") and link.endswith(">")
    assert email.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert link[1:-1] in email.body
    assert emails.read_unsubscribe_token(link.rstrip("/>").rsplit("/", 1)[1]) == (
        peer.pk,
        "mention",
    )


def test_overdue_immediate_emails_go_out_with_the_next_run(general, command, peer, settings):
    notification, _ = mention(general, command, peer)
    later = timezone.now() + settings.FORUM_EMAIL_DELAY + timedelta(minutes=11)

    assert emails.send_overdue(now=timezone.now()) == 0  # not yet overdue
    assert emails.send_overdue(now=later) == 1
    assert emails.send_overdue(now=later) == 0
    assert send_notification_emails.call([notification.pk]) == 0


# The daily digest -----------------------------------------------------------------------------


def morning(day: int = 26, hour: int = 8) -> datetime:
    return datetime(2026, 11, day, hour, 0, tzinfo=NEW_YORK)


@pytest.fixture
def replies(general, command, peer, officer):
    """Two replies for Bob (digest by default) and a mention of Dave (immediately)."""
    thread = start(general, command)
    answer(thread, peer)
    posting.set_watch(user=peer, thread=thread, level="muted")
    answer(thread, officer, body="And @dave.deputy knows more")
    return thread


def test_the_digest_goes_out_once_a_day(replies, command, peer):
    now = morning()

    assert emails.send_due_digests(now=now) == 1
    assert emails.send_due_digests(now=now + timedelta(hours=3)) == 0

    [email] = mail.outbox
    assert email.to == [command.email]
    assert email.subject == "Your daily digest: 2 notifications"
    assert "Dave Deputy replied in" in email.body
    assert "Carol Officer replied in" in email.body
    assert "We began with two volunteers" not in email.body
    assert email.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert DigestDelivery.objects.get().notification_count == 2
    # Dave's mention is for the immediate email, not the digest.
    assert not Notification.objects.filter(recipient=peer, emailed_at__isnull=False).exists()


def test_the_next_day_brings_only_what_is_new(replies, command, peer, officer):
    emails.send_due_digests(now=morning(26))
    answer(replies, peer, body="Another thought")  # for Bob, and Carol who replied too

    assert emails.send_due_digests(now=morning(26, 20)) == 1  # Carol's first; Bob had his
    assert emails.send_due_digests(now=morning(27)) == 1
    assert [(m.to[0], m.subject) for m in mail.outbox] == [
        (command.email, "Your daily digest: 2 notifications"),
        (officer.email, "Your daily digest: 1 notification"),
        (command.email, "Your daily digest: 1 notification"),
    ]


def test_the_digest_waits_for_the_morning_in_the_persons_time_zone(replies, command, settings):
    settings.FORUM_DIGEST_HOUR = 7
    command.time_zone = "America/Los_Angeles"
    command.save()

    assert emails.send_due_digests(now=morning(26, 9)) == 0  # 6 a.m. in Los Angeles
    assert emails.send_due_digests(now=morning(26, 10)) == 1


def test_read_notifications_stay_out_of_the_digest(replies, command):
    Notification.objects.filter(recipient=command).update(read_at=timezone.now())

    assert emails.send_due_digests(now=morning()) == 0
    assert not DigestDelivery.objects.exists()


def test_the_digest_and_the_immediate_email_never_repeat_each_other(replies, command):
    prefer(command, "reply", "immediately")
    ids = list(Notification.objects.filter(recipient=command).values_list("pk", flat=True))
    assert send_notification_emails.call(ids) == 2
    prefer(command, "reply", "digest")

    assert emails.send_due_digests(now=morning()) == 0


def test_the_send_reminders_command_sends_the_digest_once(replies, command, peer):
    from unittest import mock

    out = StringIO()
    with mock.patch("django.utils.timezone.now", return_value=morning()):
        call_command("send_reminders", stdout=out)
        call_command("send_reminders", stdout=out)

    # Bob's replies in the digest; Dave's mention, whose task never ran, as a late email.
    assert out.getvalue().splitlines() == [
        "Sent 0 session reminder(s), 0 follow-up(s) and 0 survey reminder(s).",
        "Sent 1 notification digest(s) and 1 delayed notification email(s).",
        "Sent 0 session reminder(s), 0 follow-up(s) and 0 survey reminder(s).",
    ]
    assert sorted(m.to[0] for m in mail.outbox) == [command.email, peer.email]


def test_the_command_queues_the_email_job_when_something_waits(replies):
    out = StringIO()

    call_command("send_reminders", "--enqueue", stdout=out)

    assert "Queued the notification email job (" in out.getvalue()
    assert "forum.tasks.send_notification_digests" in [t.task_path for t in queued_tasks()]


def test_the_digest_task(replies, command):
    from unittest import mock

    with mock.patch("django.utils.timezone.now", return_value=morning()):
        assert send_notification_digests.call() == {"digests": 1, "overdue": 1}
        assert send_notification_digests.call() == {"digests": 0, "overdue": 0}


# Preferences and unsubscribing ----------------------------------------------------------------


def test_defaults_are_immediate_for_mentions_and_messages(command):
    assert emails.deliveries_for(command) == {
        "message": "immediately",
        "mention": "immediately",
        "reply": "digest",
        "thread": "digest",
        "announcement": "digest",
    }


def test_the_preferences_page_saves_choices(client, command):
    login(client, command)
    page = client.get(reverse("notification_settings:preferences"))
    assert page.status_code == 200
    assert "Mentions of you" in page_text(page)

    response = client.post(
        reverse("notification_settings:preferences"),
        {
            "message": "immediately",
            "mention": "digest",
            "reply": "off",
            "thread": "digest",
            "announcement": "immediately",
        },
        follow=True,
    )

    assert "Your email preferences are saved." in page_text(response)
    assert emails.deliveries_for(command)["mention"] == "digest"
    assert emails.deliveries_for(command)["reply"] == "off"
    assert NotificationPreference.objects.filter(user=command).count() == 3  # only changes


def test_the_preferences_page_refuses_nonsense_and_keeps_the_rest(client, command):
    login(client, command)

    response = client.post(
        reverse("notification_settings:preferences"),
        {"message": "hourly", "mention": "digest"},
    )

    assert response.status_code == 200
    assert "Select a valid choice" in page_text(response)
    assert "Choose how to hear about replies in threads you watch." in page_text(response)
    assert not NotificationPreference.objects.exists()


def unsubscribe_path(user, kind) -> str:
    return reverse("notification_settings:unsubscribe", args=[emails.unsubscribe_token(user, kind)])


def test_unsubscribing_asks_first_then_works_without_signing_in(client, peer):
    url = unsubscribe_path(peer, "mention")

    page = client.get(url)
    assert page.status_code == 200
    assert "mentions of you" in page_text(page)
    assert emails.deliveries_for(peer)["mention"] == "immediately"  # a GET changes nothing

    done = client.post(url)

    assert done.status_code == 200
    assert "You are unsubscribed" in page_text(done)
    assert emails.deliveries_for(peer)["mention"] == "off"


def test_one_click_unsubscribe_from_a_mail_client_without_csrf_token(peer):
    mail_client = Client(enforce_csrf_checks=True)

    response = mail_client.post(
        unsubscribe_path(peer, "message"),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 200
    assert emails.deliveries_for(peer)["message"] == "off"


def test_the_digest_link_switches_off_every_kind_in_the_digest(client, peer):
    prefer(peer, "mention", "digest")

    client.post(unsubscribe_path(peer, "digest"))

    assert emails.deliveries_for(peer) == {
        "message": "immediately",
        "mention": "off",
        "reply": "off",
        "thread": "off",
        "announcement": "off",
    }


@pytest.mark.parametrize(
    "tamper",
    [
        lambda token: token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
        lambda token: "x" + token,
        lambda token: "nonsense",
    ],
)
def test_a_tampered_link_is_refused_clearly(client, peer, tamper):
    token = emails.unsubscribe_token(peer, "mention")
    url = reverse("notification_settings:unsubscribe", args=[tamper(token)])

    page = client.get(url)
    posted = client.post(url)

    assert page.status_code == posted.status_code == 400
    assert "This unsubscribe link is not valid" in page_text(page)
    assert emails.deliveries_for(peer)["mention"] == "immediately"


def test_a_token_for_another_purpose_is_refused(client, peer):
    from django.core import signing

    token = signing.dumps([peer.pk, "mention"], salt="something.else", compress=True)

    response = client.post(reverse("notification_settings:unsubscribe", args=[token]))

    assert response.status_code == 400


def test_the_announcement_reaches_members_by_their_preference(
    cohort, general, staff, command, officer, peer, django_capture_on_commit_callbacks
):
    prefer(officer, "announcement", "immediately")

    with django_capture_on_commit_callbacks(execute=True):
        posting.announce(cohort=cohort, author=staff, title="Session moved", body="To Thursday.")

    [task] = queued_tasks()
    [queued] = task.args_kwargs["args"][0]
    assert Notification.objects.get(pk=queued).recipient == officer
