"""Browser journeys: real sign-in, real forms, Chromium rendering the pages.

Every page visited is checked with axe-core; the ``page`` fixture fails a journey on any CSP
violation or console error (see tests/browser.py).
"""

import re

import pytest
from playwright.sync_api import expect

from conftest import make_agency, make_member, make_team, make_user
from tests.browser import PHONE, check_accessibility, sign_in, xss_fired

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def visit(page, live_server, path: str) -> None:
    page.goto(f"{live_server.url}{path}")
    check_accessibility(page)


def flash_messages(page):
    """The messages the last request left, announced in a status region."""
    return page.get_by_role("status").filter(has=page.get_by_role("list"))


def test_officer_signs_in_and_finds_their_team(page, live_server, officer, team, cohort):
    sign_in(page, live_server, officer)
    check_accessibility(page)

    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Carol")
    card = page.get_by_role("region", name=team.name)
    expect(card.get_by_role("link", name=cohort.name)).to_be_visible()
    expect(card.get_by_role("heading", name=team.name)).to_be_visible()

    card.get_by_role("link", name="My team").click()
    page.wait_for_url(f"{live_server.url}{team.get_absolute_url()}")
    check_accessibility(page)
    expect(page.get_by_role("heading", level=1)).to_have_text(team.name)
    me = page.get_by_role("row").filter(has_text="Carol Officer")
    expect(me).to_contain_text("You")
    expect(me).to_contain_text("Sergeant")


def test_staff_cannot_activate_a_cohort_with_a_team_lacking_command_staff(
    page, live_server, staff, cohort, team, command
):
    lacking = make_team(cohort, make_agency("Fairview Police Department"))
    make_member(lacking, make_user("frank@fairview.example", first="Frank", last="Patrol"))

    sign_in(page, live_server, staff)
    check_accessibility(page)
    page.get_by_role("link", name=cohort.name).click()
    page.wait_for_url(f"{live_server.url}{cohort.get_absolute_url()}")
    check_accessibility(page)

    expect(page.get_by_role("row").filter(has_text=lacking.name)).to_contain_text(
        "Needs command staff"
    )
    expect(page.get_by_role("row").filter(has_text=team.name)).to_contain_text("Complete")

    page.get_by_label("Status").select_option(label="Active")
    with page.expect_navigation():
        page.get_by_role("button", name="Change status").click()
    check_accessibility(page)

    refusal = flash_messages(page)
    expect(refusal).to_contain_text("The cohort cannot become active")
    expect(refusal).to_contain_text("command staff: Fairview Police Department.")
    expect(page.get_by_label("Status")).to_have_value("planning")
    cohort.refresh_from_db()
    assert cohort.status == cohort.Status.PLANNING


def test_staff_invites_a_person_to_a_team(page, live_server, staff, cohort, team, mailoutbox):
    sign_in(page, live_server, staff)
    check_accessibility(page)
    visit(page, live_server, team.get_absolute_url())

    page.get_by_role("link", name="Invite member").click()
    page.wait_for_url(re.compile(r"/invite/$"))
    check_accessibility(page)
    page.get_by_label("Email").fill("Grace@Riverton.example")
    page.get_by_label("Role").select_option(label="Dispatcher")
    page.get_by_label("Rank or title").fill("Dispatch Supervisor")
    with page.expect_navigation():
        page.get_by_role("button", name="Send invitation").click()
    check_accessibility(page)

    assert page.url == f"{live_server.url}{team.get_absolute_url()}"
    expect(flash_messages(page)).to_contain_text(
        "An invitation was emailed to grace@riverton.example."
    )
    pending = page.get_by_role("heading", name="Open invitations").locator(
        "xpath=following-sibling::ul[1]"
    )
    expect(pending.get_by_role("listitem")).to_contain_text(
        "grace@riverton.example — Dispatcher, Dispatch Supervisor"
    )
    expect(
        pending.get_by_role("button", name="Withdraw invitation for grace@riverton.example")
    ).to_be_visible()
    assert [message.to for message in mailoutbox] == [["grace@riverton.example"]]


def test_phone_navigation_opens_and_nothing_scrolls_sideways(
    phone_page, live_server, officer, team, cohort
):
    page = phone_page
    sign_in(page, live_server, officer)
    check_accessibility(page)
    assert_no_horizontal_scroll(page)

    toggle = page.get_by_role("button", name="Menu")
    nav = page.get_by_role("navigation", name="Main")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(nav).to_be_hidden()

    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(nav).to_be_visible()
    check_accessibility(page)
    nav.get_by_role("link", name="Cohorts").click()
    page.wait_for_url(re.compile(r"/cohorts/$"))
    check_accessibility(page)
    assert_no_horizontal_scroll(page)

    for path in (cohort.get_absolute_url(), team.get_absolute_url()):
        visit(page, live_server, path)
        assert_no_horizontal_scroll(page)


def assert_no_horizontal_scroll(page) -> None:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} scrolls sideways: {width}px wide"


HOSTILE = [
    '<img src=x onerror="window.__xss=1">',
    "<script>window.__xss=1</script>",
    '"><svg onload="window.__xss=1">',
    "' autofocus onfocus='window.__xss=1",
]


def test_hostile_names_render_inert(open_page, live_server, staff, cohort):
    agency = make_agency("Hostile PD")
    agency.name = "Agency " + HOSTILE[2]
    agency.city = HOSTILE[3]
    agency.save()
    team = make_team(cohort, agency)
    team.name = "Team " + HOSTILE[0] + HOSTILE[1]
    team.save()
    cohort.description = HOSTILE[1] + "\n" + HOSTILE[0]
    cohort.save()
    member = make_user("mallory@hostile.example", first=HOSTILE[0] + HOSTILE[1], last="Doe")
    make_member(team, member, role="sworn", rank=HOSTILE[2])

    page = open_page()
    sign_in(page, live_server, member)
    check_accessibility(page)
    assert not xss_fired(page)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Welcome, {member.first_name}")
    expect(page.get_by_role("heading", name=team.name)).to_be_visible()

    for path, visible in [
        (team.get_absolute_url(), [team.name, member.first_name, HOSTILE[2], HOSTILE[3]]),
        (cohort.get_absolute_url(), [team.name, HOSTILE[1]]),
        (f"{cohort.get_absolute_url()}people/", [team.name, member.display_name]),
    ]:
        visit(page, live_server, path)
        assert not xss_fired(page), path
        for text in visible:
            expect(page.get_by_text(text, exact=False).first).to_be_visible()
        assert page.locator("main img, main svg, main script").count() == 0, path

    # Staff see the names in their dashboard and lists, and inside form fields' value attributes.
    staff_page = open_page()
    sign_in(staff_page, live_server, staff)
    check_accessibility(staff_page)
    expect(staff_page.get_by_role("link", name=team.name)).to_be_visible()
    assert not xss_fired(staff_page)
    visit(staff_page, live_server, "/agencies/")
    expect(staff_page.get_by_role("cell", name=agency.name, exact=True)).to_be_visible()
    assert not xss_fired(staff_page)
    visit(staff_page, live_server, f"/agencies/{agency.pk}/edit/")
    expect(staff_page.get_by_label("Name")).to_have_value(agency.name)
    expect(staff_page.get_by_label("City")).to_have_value(agency.city)
    assert not xss_fired(staff_page)
    visit(staff_page, live_server, f"{team.get_absolute_url()}edit/")
    expect(staff_page.get_by_label("Name")).to_have_value(team.name)
    assert not xss_fired(staff_page)
