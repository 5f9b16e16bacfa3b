"""Browser journeys through the Officer Resilience Training Program: a visitor requests a
training, staff schedule it, and an agency's coordinator registers attendees up to the
agency's limit and sees the next one waitlisted.

Every page visited is checked with axe-core; the ``page`` fixture fails a journey on any CSP
violation or console error (see tests/browser.py).
"""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser import PHONE, check_accessibility, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def flash_messages(page):
    return page.get_by_role("status").filter(has=page.get_by_role("list"))


def click_and_check(page, locator) -> None:
    with page.expect_navigation():
        locator.click()
    check_accessibility(page)


def test_a_request_becomes_a_training_that_fills_up_to_the_agency_limit(
    open_page, live_server, staff, command, team, mailoutbox
):
    from training.models import Registration, TrainingEvent, TrainingRequest

    first_choice = timezone.localdate() + timedelta(days=40)

    # A visitor finds the program from the header and asks for a training.
    visitor = open_page()
    visitor.goto(f"{live_server.url}/")
    check_accessibility(visitor)
    click_and_check(
        visitor, visitor.get_by_role("navigation", name="Main").get_by_role("link", name="Training")
    )
    expect(visitor.get_by_role("heading", level=1)).to_have_text(
        "Officer Resilience Training Program"
    )
    expect(visitor.get_by_role("heading", name="Mind")).to_be_visible()
    click_and_check(visitor, visitor.get_by_role("link", name="Request a training").first)
    visitor.get_by_label("Agency name").fill("Riverton Police Department")
    visitor.get_by_label("Region").select_option(label="Mid-Atlantic")
    visitor.get_by_label("Expected attendees").fill("6")
    visitor.get_by_label("Your name").fill("Dana Reyes")
    visitor.get_by_label("Your email").fill("dana.reyes@riverton.example")
    visitor.get_by_label("Phone").fill("540-555-0100")
    visitor.get_by_label("First choice").fill(first_choice.isoformat())
    visitor.get_by_label("Anything else we should know").fill("Patrol and dispatch together.")
    click_and_check(visitor, visitor.get_by_role("button", name="Send the request"))
    expect(visitor.get_by_role("heading", level=1)).to_have_text("Thank you: your request is in")
    request = TrainingRequest.objects.get()
    assert request.status == TrainingRequest.Status.RECEIVED
    assert [m.to for m in mailoutbox] == [["dana.reyes@riverton.example"]]

    # Staff find it in the queue and schedule it into a new training, two seats per agency.
    desk = open_page()
    sign_in(desk, live_server, staff)
    check_accessibility(desk)
    desk.goto(f"{live_server.url}/training/requests/")
    check_accessibility(desk)
    row = desk.get_by_role("row").filter(has_text="Riverton Police Department")
    expect(row).to_contain_text("Received")
    click_and_check(desk, row.get_by_role("link", name="Riverton Police Department"))
    click_and_check(desk, desk.get_by_role("link", name="Schedule"))
    new = desk.get_by_role("region", name="Or create a new training")
    expect(new.get_by_role("textbox", name="Date", exact=True)).to_have_value(
        first_choice.isoformat()
    )
    new.get_by_label("Venue").fill("Riverton Public Safety Training Center")
    new.get_by_label("Address").fill("1200 Academy Drive, Riverton, VA")
    new.get_by_label("Capacity").fill("20")
    new.get_by_label("Seats per agency").fill("2")
    click_and_check(desk, new.get_by_role("button", name="Create the training and schedule"))
    expect(flash_messages(desk)).to_contain_text("Scheduled: Riverton Police Department is booked")
    expect(desk.get_by_role("list").filter(has_text="Received → Scheduled")).to_be_visible()
    event = TrainingEvent.objects.get()
    assert (event.capacity, event.per_agency_limit) == (20, 2)
    assert mailoutbox[-1].subject == "Your training is scheduled"

    # The agency's command staff register attendees: two seats, then the waitlist.
    coordinator = open_page()
    sign_in(coordinator, live_server, command)
    check_accessibility(coordinator)
    click_and_check(
        coordinator,
        coordinator.get_by_role("navigation", name="Main").get_by_role("link", name="Training"),
    )
    click_and_check(coordinator, coordinator.get_by_role("link", name=event.title))
    expect(coordinator.get_by_role("region", name="Your agency's seats")).to_contain_text(
        "0 of 2 confirmed"
    )
    click_and_check(coordinator, coordinator.get_by_role("link", name="Register attendees"))
    people = [
        ("Luis Ortega", "Sergeant", "luis.ortega@riverton.example"),
        ("Maria Alvarez", "Dispatcher", "maria.alvarez@riverton.example"),
        ("James Carter", "Patrol Officer", "james.carter@riverton.example"),
    ]
    for name, rank, email in people:
        coordinator.get_by_label("Attendee's name").fill(name)
        coordinator.get_by_label("Rank or role").fill(rank)
        coordinator.get_by_label("Attendee's email").fill(email)
        click_and_check(coordinator, coordinator.get_by_role("button", name="Register"))

    expect(flash_messages(coordinator)).to_contain_text(
        "James Carter is on the waitlist (number 1): Riverton Police Department already has "
        "its 2 seats for this training."
    )
    expect(coordinator.get_by_text("2 of 2 seats confirmed, 1 on the waitlist")).to_be_visible()
    table = coordinator.get_by_role("table")
    expect(table.get_by_role("row").filter(has_text="Luis Ortega")).to_contain_text("Confirmed")
    expect(table.get_by_role("row").filter(has_text="James Carter")).to_contain_text("Waitlisted")
    statuses = dict(Registration.objects.values_list("name", "status"))
    assert statuses == {
        "Luis Ortega": "confirmed",
        "Maria Alvarez": "confirmed",
        "James Carter": "waitlisted",
    }


def test_a_visitor_on_a_phone_reads_a_summary_and_is_asked_to_sign_in(
    open_page, live_server, officer
):
    from training.models import ResourceItem

    item = ResourceItem(
        title="Resilience strategies for dispatchers",
        kind="guide",
        summary="Strategies for the people on the other end of the line.",
        body="Close the loop on the calls that stay with you.",
        url="https://video.example.org/dispatch",
        published=True,
    )
    item.role_list = ["dispatcher"]
    item.save()

    phone = open_page(PHONE)
    phone.goto(f"{live_server.url}/training/library/?role=dispatcher")
    check_accessibility(phone)
    click_and_check(phone, phone.get_by_role("link", name=item.title))
    expect(
        phone.get_by_text("Strategies for the people on the other end of the line.")
    ).to_be_visible()
    expect(phone.get_by_text("Close the loop")).to_have_count(0)
    click_and_check(phone, phone.get_by_role("link", name="Sign in to read"))
    assert "/accounts/login/" in phone.url

    phone.get_by_label("Email").fill(officer.email)
    from conftest import PASSWORD

    phone.get_by_label("Password").fill(PASSWORD)
    click_and_check(phone, phone.get_by_role("button", name="Sign in"))
    expect(phone.get_by_role("heading", level=1)).to_have_text(item.title)
    expect(phone.get_by_text("Close the loop on the calls that stay with you.")).to_be_visible()


def test_staff_send_the_evaluation_and_an_attendee_answers_without_an_account(
    open_page, live_server, staff, team, mailoutbox
):
    import re

    from surveys.catalogue import ensure_templates
    from surveys.models import Response
    from training.models import Registration, TrainingEvent

    ensure_templates()
    event = TrainingEvent.objects.create(
        title="Officer Resilience Training — Mid-Atlantic",
        date=timezone.localdate() - timedelta(days=1),
        start_time="08:30",
        end_time="16:30",
        venue="Riverton Public Safety Training Center",
        address="1200 Academy Drive, Riverton, VA",
        region="mid_atlantic",
        capacity=20,
        per_agency_limit=4,
    )
    for position, (name, email, came) in enumerate(
        [
            ("Luis Ortega", "luis.ortega@riverton.example", True),
            ("Maria Alvarez", "maria.alvarez@riverton.example", True),
            ("James Carter", "james.carter@riverton.example", False),
        ],
        start=1,
    ):
        Registration.objects.create(
            event=event, agency=team.agency, name=name, rank_role="Sergeant", email=email,
            status="confirmed", position=position, attended=came,
        )  # fmt: skip

    # Staff send the evaluation from the roster: the proposed survey, two weeks, confidential.
    desk = open_page()
    sign_in(desk, live_server, staff)
    check_accessibility(desk)
    desk.goto(f"{live_server.url}/training/events/{event.pk}/roster/")
    check_accessibility(desk)
    click_and_check(desk, desk.get_by_role("link", name="Send evaluation"))
    expect(desk.get_by_label("Survey")).to_have_value(
        str(ensure_templates()["post-training-evaluation"].pk)
    )
    expect(desk.get_by_label("Confidential (kept, but reported only in groups)")).to_be_checked()
    click_and_check(desk, desk.get_by_role("button", name="Email the evaluation"))
    expect(flash_messages(desk)).to_contain_text("2 attendees were invited by email")
    assert sorted(m.to[0] for m in mailoutbox) == [
        "luis.ortega@riverton.example",
        "maria.alvarez@riverton.example",
    ]

    # Maria opens the link from her email, with no account, and answers.
    message = next(m for m in mailoutbox if m.to == ["maria.alvarez@riverton.example"])
    link = re.search(r"https?://\S+/surveys/invited/\S+/", message.body).group(0)
    attendee = open_page()
    attendee.goto(live_server.url + link[link.index("/surveys/invited/") :])
    check_accessibility(attendee)
    expect(attendee.get_by_role("heading", level=1)).to_have_text(f"Evaluation: {event}")
    for name in ["overall", "useful_mind", "useful_energy", "useful_connection", "will_use"]:
        attendee.locator(f'input[name="{name}"][value="4"]').check()
    attendee.locator('input[name="recommend"][value="yes"]').check()
    attendee.get_by_label("What would have made the training better?").fill("More practice.")
    expect(attendee.locator("[data-autosave-status]")).to_contain_text("Saved at")
    click_and_check(attendee, attendee.get_by_role("button", name="Submit"))
    expect(attendee.get_by_role("heading", level=1)).to_have_text("Thank you")
    assert Response.objects.get().is_submitted

    # Staff see the answer counted and open the results.
    desk.reload()
    check_accessibility(desk)
    expect(desk.get_by_text("of 2 invited answered")).to_contain_text("1")
    click_and_check(desk, desk.get_by_role("link", name="See the results"))
    expect(desk.get_by_role("heading", level=1)).to_have_text("Evaluation results")
    expect(desk.get_by_text("Fewer than 5 people answered").first).to_be_visible()
