"""Browser journeys for the self-assessment: command staff rate every item, submit, read the
results and turn a gap into an action step; a teammate drafts on a phone.

The ``page`` fixture fails a journey on any CSP violation, console error or page left
unchecked by axe (tests/browser.py).
"""

import re
import time

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from assessments.instrument import ensure_starter_instrument
from assessments.models import ActionStep, Assessment, Rating
from tests.browser import check_accessibility, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The starter instrument's first five domains are well established, the last five only
# beginning: those five are the gaps.
STRONG = 5


def wait_until(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the condition never held")
        time.sleep(0.1)


def rated(team) -> int:
    return Rating.objects.filter(assessment__team=team, level__isnull=False).count()


def test_command_staff_complete_the_baseline_and_turn_a_gap_into_an_action_step(
    page, live_server, cohort, team, command, officer
):
    version = ensure_starter_instrument().versions.get(number=1)
    items = sum(d.items.count() for d in version.domains.all())

    sign_in(page, live_server, command)
    check_accessibility(page)
    page.get_by_role("link", name="Self-assessment and action plan").click()
    check_accessibility(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Self-assessment")
    expect(page.get_by_text("Starter instrument written by the program")).to_be_visible()

    page.get_by_role("link", name="Start the baseline assessment").click()
    check_accessibility(page)
    status = page.locator("[data-autosave-status]")
    expect(status).to_have_text("Your answers save as you go.")

    domains = page.locator("section.assessment-domain")
    expect(domains).to_have_count(10)
    for index in range(10):
        level = "4 · Sustained" if index < STRONG else "1 · Beginning"
        fieldsets = domains.nth(index).locator("fieldset.rating-item")
        for n in range(fieldsets.count()):
            fieldsets.nth(n).get_by_role("radio", name=re.compile("^" + re.escape(level))).check()
    page.get_by_label("Note (optional)").first.fill("Debriefing protocol signed in 2019.")

    expect(status).to_contain_text("Saved at")
    wait_until(lambda: rated(team) == items)
    assert Assessment.objects.get(team=team).status == "draft"

    page.get_by_role("button", name="Submit the baseline assessment").click()
    page.wait_for_url(re.compile(r"/assessment/results/$"))
    check_accessibility(page)
    expect(page.get_by_text("The baseline assessment is submitted.")).to_be_visible()
    assert Assessment.objects.get(team=team).status == "submitted"

    # Domain scores, as a chart and a table, strengths and gaps.
    table = page.get_by_role("region", name="Domain scores table")
    expect(
        table.get_by_role("row", name=re.compile("Critical incident response 100%"))
    ).to_be_visible()
    expect(table.get_by_role("row", name=re.compile("Financial wellness 25%"))).to_be_visible()
    expect(page.locator("figure.chart svg")).to_be_visible()
    gaps = page.locator(".gap-list")
    expect(gaps.locator("li")).to_have_count(10 - STRONG)

    page.get_by_role("button", name="Add an action step for Financial wellness").click()
    page.wait_for_url(re.compile(r"/plan/steps/\d+/$"))
    check_accessibility(page)
    title = page.get_by_label("Title")
    expect(title).to_have_value("Offer financial education and confidential counselling")
    expect(page.get_by_label("Domain")).to_have_value(str(version.domains.get(code="financial").pk))
    page.get_by_label("Owner").select_option(label=officer.display_name)
    page.get_by_role("button", name="Save the step").click()
    page.wait_for_url(re.compile(r"/plan/$"))
    check_accessibility(page)

    step = ActionStep.objects.get()
    assert (step.owner, step.domain.code, step.roadmap_step) == (
        officer, "financial", "referral_network"
    )  # fmt: skip
    row = page.get_by_role("row", name=re.compile("Offer financial education"))
    expect(row).to_contain_text("Carol Officer")
    expect(row).to_contain_text("6. Build a referral network")
    expect(row).to_contain_text("Not started")


def test_a_teammate_drafts_on_a_phone_and_leaves_submitting_to_command_staff(
    phone_page, live_server, cohort, team, command, officer
):
    page = phone_page
    ensure_starter_instrument()
    url = live_server.url + reverse("assessments:round", args=[cohort.slug, team.pk, "baseline"])

    sign_in(page, live_server, officer)
    check_accessibility(page)
    page.goto(url)
    check_accessibility(page)

    expect(page.get_by_text("Only command staff can submit.")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("^Submit"))).to_have_count(0)
    first = page.locator("fieldset.rating-item").first
    first.get_by_role("radio", name=re.compile("^2 · Developing")).check()
    expect(page.locator("[data-autosave-status]")).to_contain_text("Saved at")
    wait_until(lambda: rated(team) == 1)

    # One more rating, then the tab closes before the typing pause ends: nothing is lost.
    page.locator("fieldset.rating-item").nth(1).get_by_role(
        "radio", name=re.compile("^3 · Established")
    ).check()
    second = page.context.new_page()
    page.close(run_before_unload=True)
    wait_until(lambda: rated(team) == 2)

    second.goto(url)
    check_accessibility(second)
    ratings = second.locator("fieldset.rating-item")
    expect(ratings.nth(0).get_by_role("radio", name=re.compile("^2 · Developing"))).to_be_checked()
    expect(ratings.nth(1).get_by_role("radio", name=re.compile("^3 · Established"))).to_be_checked()
    expect(second.get_by_text("2 of 35 items rated")).to_be_visible()
