"""Browser journeys for pulse surveys: answering in several sittings without losing a word.

The ``page`` fixture fails a journey on any CSP violation or console error (tests/browser.py).
"""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from surveys.catalogue import ensure_templates
from surveys.models import Response
from surveys.tests.conftest import make_wave
from tests.browser import check_accessibility, forgive_console_errors, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def draft_answers(user) -> dict[str, str]:
    draft = Response.objects.filter(user=user, status="draft").first()
    if draft is None:
        return {}
    return {
        a.question.code: a.option.code if a.option_id else a.text
        for a in draft.answers.select_related("question", "option")
    }


def open_answer_form(page, live_server, cohort, member) -> str:
    """Open an end-of-collaborative wave's form as ``member``; return its address."""
    wave = make_wave(cohort, ensure_templates()["end-survey"])
    answer_url = live_server.url + reverse("surveys:answer", args=[cohort.slug, wave.pk])
    sign_in(page, live_server, member)
    check_accessibility(page)
    page.goto(answer_url)
    check_accessibility(page)
    return answer_url


def test_answers_save_as_the_member_types_and_survive_a_closed_tab(
    page, live_server, cohort, officer, command
):
    answer_url = open_answer_form(page, live_server, cohort, officer)
    status = page.locator("[data-autosave-status]")
    expect(status).to_have_text("Your answers save as you go.")

    page.locator('input[name="peer_outreach"][value="yes"]').check()
    page.get_by_label("What was the most useful part of the collaborative?").fill("Hearing peers")
    expect(status).to_contain_text("Saved at")
    assert draft_answers(officer) == {"peer_outreach": "yes", "most_useful": "Hearing peers"}

    # One more answer, then the tab closes before the typing pause ends.
    page.locator('input[name="knowledge_sharing"][value="in_group"]').check()
    second = page.context.new_page()
    page.close(run_before_unload=True)
    second.wait_for_timeout(500)
    assert draft_answers(officer)["knowledge_sharing"] == "in_group"

    # The second sitting: everything is back in the form.
    second.goto(answer_url)
    check_accessibility(second)
    expect(second.locator('input[name="peer_outreach"][value="yes"]')).to_be_checked()
    expect(second.locator('input[name="knowledge_sharing"][value="in_group"]')).to_be_checked()
    expect(
        second.get_by_label("What was the most useful part of the collaborative?")
    ).to_have_value("Hearing peers")


def test_answers_typed_while_offline_are_saved_when_the_page_comes_back(
    page, live_server, cohort, officer, command
):
    answer_url = open_answer_form(page, live_server, cohort, officer)
    status = page.locator("[data-autosave-status]")

    page.context.set_offline(True)
    page.locator('input[name="peer_outreach"][value="no"]').check()
    expect(status).to_contain_text("the connection dropped")
    assert draft_answers(officer) == {}
    assert forgive_console_errors(page, "ERR_INTERNET_DISCONNECTED") >= 1

    # The connection comes back after the tab was closed: the next visit restores and saves.
    second = page.context.new_page()
    page.close()
    page.context.set_offline(False)
    second.goto(answer_url)
    check_accessibility(second)
    expect(second.locator('input[name="peer_outreach"][value="no"]')).to_be_checked()
    expect(second.locator("[data-autosave-status]")).to_contain_text("Saved at")
    assert draft_answers(officer) == {"peer_outreach": "no"}


def test_staff_send_a_wave_a_member_answers_in_two_sittings_and_the_report_moves(
    open_page, live_server, cohort, staff, officer, command
):
    # Staff send the end-of-collaborative survey (shipped with every installation) to the cohort.
    ensure_templates()
    staff_page = open_page()
    sign_in(staff_page, live_server, staff)
    check_accessibility(staff_page)
    staff_page.goto(live_server.url + reverse("surveys:wave_list", args=[cohort.slug]))
    check_accessibility(staff_page)
    staff_page.get_by_role("link", name="New wave").first.click()
    staff_page.wait_for_url("**/surveys/new/")
    check_accessibility(staff_page)
    staff_page.get_by_label("Survey").select_option(label="End-of-collaborative survey")
    staff_page.get_by_label("Title").fill("End of year survey")
    staff_page.locator("#id_min_group_size").fill("1")
    with staff_page.expect_navigation():
        staff_page.get_by_role("button", name="Create and invite").click()
    check_accessibility(staff_page)
    expect(staff_page.get_by_role("status").first).to_contain_text("2")
    wave = cohort.survey_waves.get(title="End of year survey")
    report_url = live_server.url + reverse("surveys:report", args=[cohort.slug, wave.pk])
    staff_page.goto(report_url)
    check_accessibility(staff_page)
    expect(staff_page.locator(".stats")).to_contain_text("0 of 2")

    # The member's first sitting: found on the home page, half answered, tab closed.
    member = open_page()
    sign_in(member, live_server, officer)
    check_accessibility(member)
    waiting = member.get_by_role("region", name="Surveys waiting for you")
    waiting.get_by_role("link", name="Start End of year survey").click()
    member.wait_for_url("**/surveys/*/")
    check_accessibility(member)
    member.locator('input[name="peer_outreach"][value="yes"]').check()
    expect(member.locator("[data-autosave-status]")).to_contain_text("Saved at")
    member.goto(live_server.url + "/")
    check_accessibility(member)

    # The second sitting: "Continue", the first answer is still there, the rest, submit.
    waiting = member.get_by_role("region", name="Surveys waiting for you")
    waiting.get_by_role("link", name="Continue End of year survey").click()
    member.wait_for_url("**/surveys/*/")
    check_accessibility(member)
    expect(member.locator('input[name="peer_outreach"][value="yes"]')).to_be_checked()
    member.locator('input[name="knowledge_sharing"][value="internal_external"]').check()
    member.locator('input[name="satisfaction"][value="5"]').check()
    member.locator('input[name="recommend"][value="yes"]').check()
    with member.expect_navigation():
        member.get_by_role("button", name="Submit").click()
    check_accessibility(member)
    expect(member.get_by_role("heading", level=1)).to_contain_text("Thank you")

    # Staff see the report move.
    staff_page.reload()
    check_accessibility(staff_page)
    expect(staff_page.locator(".stats")).to_contain_text("1 of 2")
    peer_table = staff_page.get_by_role("table").filter(has_text="Yes").first
    expect(peer_table).to_contain_text("100")


def test_staff_print_the_funder_report_for_a_quarter(
    page, live_server, cohort, staff, officer, command
):
    from datetime import timedelta

    from django.utils import timezone

    from surveys.periods import Quarter
    from surveys.services import submit_response

    wave = make_wave(cohort, ensure_templates()["end-survey"], min_group_size=1)
    for person, outreach in ((officer, "yes"), (command, "no")):
        submit_response(
            invitation=wave.invitations.get(user=person),
            answers={"peer_outreach": outreach, "knowledge_sharing": "in_group",
                     "satisfaction": "4", "recommend": "yes"},
            at=timezone.now() - timedelta(minutes=5),
        )  # fmt: skip
    quarter = Quarter.containing(timezone.localdate(timezone=cohort.tz))

    sign_in(page, live_server, staff)
    check_accessibility(page)
    page.goto(live_server.url + reverse("surveys:outcomes", args=[cohort.slug]))
    check_accessibility(page)
    expect(page.get_by_text("50% (1 of 2; 95% CI 9–91%)").first).to_be_visible()

    page.goto(
        live_server.url
        + reverse("surveys:outcomes_print", args=[cohort.slug])
        + f"?period={quarter.code}"
    )
    check_accessibility(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Outcome report to the funder")
    expect(page.get_by_text(cohort.name).first).to_be_visible()
    expect(page.get_by_text(quarter.label).first).to_be_visible()
    page.evaluate("window.print = () => { document.body.dataset.printed = 'yes'; }")
    page.get_by_role("button", name="Print").click()
    expect(page.locator("body")).to_have_attribute("data-printed", "yes")
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.get_by_role("button", name="Print")).to_be_hidden()
