"""Browser journey through the forum: a thread, a quoted reply with a mention from another
agency, and the unread marker clearing once the reply is read."""

import pytest
from playwright.sync_api import expect

from forum.models import Notification, Post
from tests.browser import check_accessibility, sign_in, xss_fired

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HOSTILE = '<img src=x onerror="window.__xss=1"> [click](javascript:window.__xss=1)'


def test_members_of_two_agencies_talk_in_the_forum(
    open_page, live_server, cohort, team, other_team, command, peer
):
    # Bob (Riverton Police Department) starts a thread from his team card.
    bob = open_page()
    sign_in(bob, live_server, command)
    check_accessibility(bob)
    bob.get_by_role("region", name=team.name).get_by_role("link", name="Forum").click()
    bob.wait_for_url(f"{live_server.url}/cohorts/{cohort.slug}/forum/")
    check_accessibility(bob)
    bob.get_by_role("link", name="New thread").click()
    bob.wait_for_load_state("load")
    check_accessibility(bob)
    bob.get_by_label("Category").select_option(label="General")
    bob.get_by_label("Title").fill("Peer support after critical incidents")
    bob.get_by_label("Message").fill("Who runs your debriefs, and **how soon** after the call?")
    bob.get_by_role("button", name="Post thread").click()
    bob.wait_for_load_state("load")
    check_accessibility(bob)
    expect(bob.get_by_role("heading", level=1)).to_have_text(
        "Peer support after critical incidents"
    )
    expect(bob.locator(".post-body strong")).to_have_text("how soon")

    # Dave (Marion County Sheriff's Office) finds it marked new, quotes it and mentions Bob.
    dave = open_page()
    sign_in(dave, live_server, peer)
    check_accessibility(dave)
    dave.goto(f"{live_server.url}/cohorts/{cohort.slug}/forum/")
    check_accessibility(dave)
    latest = dave.get_by_role("region", name="Latest threads")
    expect(
        latest.get_by_role("link", name="New posts in Peer support after critical incidents")
    ).to_be_visible()
    latest.get_by_role("link", name="Peer support after critical incidents", exact=True).click()
    dave.wait_for_load_state("load")
    check_accessibility(dave)
    dave.get_by_role("link", name="Quote post 1").click()
    dave.wait_for_url("**quote=*")
    dave.wait_for_load_state("load")
    check_accessibility(dave)
    reply = dave.get_by_label("Your reply")
    expect(reply).to_have_value(
        "> **Bob Chief** wrote:\n>\n> Who runs your debriefs, and **how soon** after the call?\n\n"
    )

    # The mention autocomplete offers only the cohort's members; the keyboard picks one.
    # The caret waits after the quotation.
    dave.bring_to_front()
    assert dave.evaluate(
        "() => document.activeElement.id === 'id_body'"
        " && document.activeElement.selectionStart === document.activeElement.value.length"
    )
    reply.press_sequentially("Our clinician does, within 72 hours. @bo")
    suggestions = dave.get_by_role("listbox", name="Members to mention")
    expect(suggestions.get_by_role("option")).to_have_count(1)
    expect(suggestions.get_by_role("option")).to_contain_text("Bob Chief")
    check_accessibility(dave)
    reply.press("ArrowDown")
    expect(reply).to_have_attribute("aria-activedescendant", "id_body-mentions-0")
    reply.press("Enter")
    expect(suggestions).to_be_hidden()
    reply.press_sequentially("what do you think? " + HOSTILE)
    assert "@bob.chief what do you think?" in reply.input_value()
    dave.get_by_role("button", name="Post reply").click()
    dave.wait_for_load_state("load")
    check_accessibility(dave)
    expect(dave.get_by_role("status").filter(has_text="Your reply is posted.")).to_be_visible()
    posted = dave.locator("#post-2")
    expect(posted.get_by_role("link", name="@bob.chief")).to_be_visible()
    expect(posted.locator("blockquote")).to_contain_text("Bob Chief wrote:")
    assert not xss_fired(dave)

    saved = Post.objects.get(number=2)
    assert saved.quoted.number == 1
    assert Notification.objects.filter(recipient=command, kind="mention").exists()

    # Bob sees the reply marked new; once he has read it the marker is gone.
    bob.goto(f"{live_server.url}/cohorts/{cohort.slug}/forum/c/general/")
    check_accessibility(bob)
    row = bob.get_by_role("row").filter(has_text="Peer support after critical incidents")
    row.get_by_role("link", name="New posts in Peer support after critical incidents").click()
    bob.wait_for_load_state("load")
    check_accessibility(bob)
    assert bob.url.endswith("#post-2")
    expect(bob.locator("#post-2")).to_contain_text("Our clinician does, within 72 hours.")
    expect(bob.locator("#post-2").get_by_text("New", exact=True)).to_be_visible()
    assert not xss_fired(bob)
    bob.goto(f"{live_server.url}/cohorts/{cohort.slug}/forum/c/general/")
    check_accessibility(bob)
    row = bob.get_by_role("row").filter(has_text="Peer support after critical incidents")
    expect(row).to_be_visible()
    expect(
        row.get_by_role("link", name="New posts in Peer support after critical incidents")
    ).to_have_count(0)

    # Bob mutes the thread in place (htmx swaps the notification settings without a reload).
    row.get_by_role("link", name="Peer support after critical incidents", exact=True).click()
    bob.wait_for_load_state("load")
    check_accessibility(bob)
    settings = bob.get_by_role("region", name="Notifications")
    expect(settings).to_contain_text("You are watching this thread.")
    settings.get_by_label("Muted").check()
    settings.get_by_role("button", name="Save").click()
    expect(bob.get_by_role("region", name="Notifications")).to_contain_text(
        "Saved. This thread is muted."
    )
    check_accessibility(bob)
    assert command.forum_watches.get().level == "muted"
