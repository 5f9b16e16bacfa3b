"""Browser journeys through direct messages, the peer directory, email preferences, the
unsubscribe link and the staff pages: each page is checked for accessibility, CSP violations
and console errors (the fixtures of tests/conftest.py, shared through forum/tests/conftest.py)."""

import pytest
from playwright.sync_api import expect

from forum import emails
from forum.models import Conversation, NotificationPreference
from tests.browser import PHONE, check_accessibility, forgive_console_errors, sign_in, xss_fired

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HOSTILE = '<img src=x onerror="window.__xss=1"> [click](javascript:window.__xss=1)'


def test_a_member_finds_a_peer_in_the_directory_and_they_talk(
    open_page, live_server, cohort, team, other_team, command, peer
):
    peer.share_email = True
    peer.bio = "Sheriff; our peer team started in 2019."
    peer.save()

    # Bob finds Dave in the peer directory from his team card and writes to him.
    bob = open_page()
    sign_in(bob, live_server, command)
    check_accessibility(bob)
    bob.get_by_role("region", name=team.name).get_by_role("link", name="Peer directory").click()
    bob.wait_for_url(f"{live_server.url}/cohorts/{cohort.slug}/directory/")
    check_accessibility(bob)
    expect(bob.get_by_text(peer.email)).to_be_visible()
    expect(bob.get_by_text(command.email)).to_have_count(0)
    bob.get_by_role("link", name="Message Dave Deputy").click()
    bob.wait_for_load_state("load")
    check_accessibility(bob)
    expect(
        bob.get_by_role("checkbox", name="Dave Deputy — Sheriff, Marion County Sheriff's Office")
    ).to_be_checked()
    expect(bob.get_by_text("1 chosen: Dave Deputy.")).to_be_visible()
    bob.get_by_label("Message").fill(f"Could we compare **debrief** policies? {HOSTILE}")
    bob.get_by_role("button", name="Send").click()
    bob.wait_for_load_state("load")
    check_accessibility(bob)
    expect(bob.get_by_role("heading", level=1)).to_have_text("Dave Deputy")
    expect(bob.locator(".message-item .post-body strong")).to_have_text("debrief")
    assert not xss_fired(bob)

    # Dave, on his phone, opens his messages from the menu and answers.
    dave = open_page(PHONE)
    sign_in(dave, live_server, peer)
    check_accessibility(dave)
    dave.get_by_role("button", name="Menu").click()
    dave.get_by_role("link", name="Messages").click()
    dave.wait_for_load_state("load")
    check_accessibility(dave)
    expect(dave.get_by_text("1 unread", exact=True)).to_be_visible()
    dave.get_by_role("link", name="Bob Chief").click()
    dave.wait_for_load_state("load")
    check_accessibility(dave)
    expect(dave.get_by_text("New messages")).to_be_visible()
    assert not xss_fired(dave)
    dave.get_by_label("Your message").fill("Yes: here is ours.")
    dave.get_by_role("button", name="Send").click()
    dave.wait_for_load_state("load")
    check_accessibility(dave)
    expect(dave.locator(".message-item.is-mine")).to_have_count(1)

    # Dave mutes the conversation.
    dave.get_by_role("button", name="Mute this conversation").click()
    dave.wait_for_load_state("load")
    check_accessibility(dave)
    expect(dave.get_by_text("Conversation muted")).to_be_visible()
    assert Conversation.objects.get().messages.count() == 2


def test_a_group_message_with_the_people_filter(
    open_page, live_server, cohort, team, other_team, command, officer, peer
):
    from conftest import make_agency, make_member, make_team, make_user

    for i in range(9):
        agency_team = make_team(cohort, make_agency(f"Town {i} Police Department"))
        make_member(agency_team, make_user(f"t{i}@town.example", first="Town", last=f"Chief{i}"))

    bob = open_page()
    sign_in(bob, live_server, command)
    check_accessibility(bob)
    bob.goto(f"{live_server.url}/cohorts/{cohort.slug}/messages/new/")
    check_accessibility(bob)
    bob.get_by_label("Find people by name, rank or agency").fill("marion")
    expect(
        bob.get_by_role("checkbox", name="Carol Officer — Sergeant, Riverton Police Department")
    ).to_be_hidden()
    bob.get_by_role(
        "checkbox", name="Dave Deputy — Sheriff, Marion County Sheriff's Office"
    ).check()
    bob.get_by_label("Find people by name, rank or agency").fill("")
    bob.get_by_role("checkbox", name="Carol Officer — Sergeant, Riverton Police Department").check()
    expect(bob.get_by_text("2 chosen: Dave Deputy, Carol Officer.")).to_be_visible()
    bob.get_by_label("Name of the group").fill("Debrief policies")
    bob.get_by_label("Message").fill("Shall we compare notes?")
    bob.get_by_role("button", name="Send").click()
    bob.wait_for_load_state("load")
    check_accessibility(bob)
    expect(bob.get_by_role("heading", level=1)).to_have_text("Debrief policies")


def test_email_preferences_and_the_unsubscribe_link(open_page, live_server, command):
    bob = open_page()
    sign_in(bob, live_server, command)
    check_accessibility(bob)
    bob.goto(f"{live_server.url}/me/profile/")
    check_accessibility(bob)
    bob.get_by_label("Show my email address to the members of my cohorts").check()
    bob.get_by_role("button", name="Save profile").click()
    bob.wait_for_load_state("load")
    check_accessibility(bob)
    expect(bob.locator("#what-peers-see").get_by_text(command.email)).to_be_visible()
    bob.get_by_role("link", name="Email preferences").click()
    bob.wait_for_load_state("load")
    check_accessibility(bob)
    bob.get_by_role("group", name="Replies in threads you watch").get_by_label("Off").check()
    bob.get_by_role("button", name="Save preferences").click()
    bob.wait_for_load_state("load")
    check_accessibility(bob)
    expect(bob.get_by_text("Your email preferences are saved.")).to_be_visible()
    assert emails.deliveries_for(command)["reply"] == "off"

    # The link in an email works in a browser that is not signed in.
    visitor = open_page()
    token = emails.unsubscribe_token(command, "mention")
    visitor.goto(f"{live_server.url}/email/unsubscribe/{token}/")
    check_accessibility(visitor)
    visitor.get_by_role("button", name="Unsubscribe").click()
    visitor.wait_for_load_state("load")
    check_accessibility(visitor)
    expect(visitor.get_by_role("heading", level=1)).to_have_text("You are unsubscribed")
    assert NotificationPreference.objects.get(user=command, kind="mention").delivery == "off"
    response = visitor.goto(f"{live_server.url}/email/unsubscribe/{token[:-3]}xyz/")
    assert response.status == 400
    check_accessibility(visitor)
    expect(visitor.get_by_role("heading", level=1)).to_have_text(
        "This unsubscribe link is not valid"
    )
    assert forgive_console_errors(visitor, "400 (Bad Request)") == 1


def test_staff_announce_and_read_the_peer_contact_measure(
    open_page, live_server, cohort, team, other_team, staff, command, peer
):
    from unittest import mock

    from forum import messaging

    # Written from the test's thread, where the browser's event loop runs: no socket signal.
    with mock.patch("forum.services.push_signal", return_value=True):
        messaging.start_conversation(cohort=cohort, author=command, recipients=[peer], body="Hi")
    alice = open_page()
    sign_in(alice, live_server, staff)
    check_accessibility(alice)
    alice.goto(f"{live_server.url}/cohorts/{cohort.slug}/forum/")
    check_accessibility(alice)
    alice.get_by_role("link", name="Peer contact").click()
    alice.wait_for_load_state("load")
    check_accessibility(alice)
    expect(alice.get_by_role("region", name="On the platform")).to_contain_text("(1 of 2;")
    alice.goto(f"{live_server.url}/cohorts/{cohort.slug}/forum/")
    check_accessibility(alice)
    alice.get_by_role("link", name="Announce").click()
    alice.wait_for_load_state("load")
    check_accessibility(alice)
    alice.get_by_label("Title").fill("Session 4 moves to Thursday")
    alice.get_by_label("Announcement").fill("Same time, **new day**.")
    alice.get_by_role("button", name="Post announcement").click()
    alice.wait_for_load_state("load")
    check_accessibility(alice)
    expect(alice.get_by_text("2 members were notified")).to_be_visible()
