"""Stored XSS: hostile text typed into every free-text field members fill stays inert in Chromium.

The payloads (tests/xss_payloads.py: script tags, event handlers, ``javascript:`` links,
Markdown link tricks, SVG, frames, broken HTML, template injection, encoded variants) are
stored through the real write paths: the Django test client posting the same forms a browser
posts, signed in as the person who may write them. Every page that shows them is then opened
in Chromium, and on each page the test asserts that no payload ran (``window.__xss`` unset, no
dialog), that the DOM holds no event-handler attribute, no ``javascript:``/``vbscript:``/
``data:`` address and no frame, object, embed, base or meta element, and that a sample of the
payloads is on the page as visible text (so the content was rendered, not dropped). The
``page`` fixture fails the test on any CSP violation or console error besides.

Fields covered (each stores every payload, packed into as many objects as its length allows):
- accounts: first name, last name, phone (only the payloads of at most 40 characters), about me
  (profile form);
- forum: thread title and opening post (Markdown), replies, the post edit form, flag details
  ("Anything staff should know"), group conversation names and message bodies (Markdown),
  forum and directory search queries (echoed back);
- surveys: free-text answers ("What was the most useful part...?") on the staff report;
- training: request agency name, contact name and notes (visitor's public form) in the staff
  queue and request detail; attendee name and rank or role (coordinator's registration form)
  on the registration page, roster and printable sign-in sheet, and in the flash message of a
  registration made in the browser; library suggestion title and note, suggested from a forum
  post (member's list and staff review page);
- assessments: self-assessment rating notes (draft form, in textareas), action-plan mission,
  step titles and details, progress notes, community partner names, contacts and notes.

Also stored, though staff write it: rank or title (membership form), shown wherever members
are listed. Not member-writable, so not covered: agency and team names, cohort and session
texts, announcements, training events and program content, library resources, survey
questions, session materials (staff and presenters), decline reasons and log notes (staff).
A request's phone number and email, attendee emails and all addresses (URL fields) are
validated, so hostile text never reaches the database through them. RSVPs and topic rankings
are choices only.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import time, timedelta
from urllib.parse import quote

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.browser import check_accessibility, sign_in, xss_fired
from tests.xss_payloads import MARKDOWN_SAMPLES, PAYLOADS, TEXT_SAMPLES, pack

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BODY = "\n\n".join(PAYLOADS)  # every payload, one paragraph each

# Looks for what an executed or executable payload leaves in the DOM. The app itself has no
# inline handlers, frames or script addresses (its CSP forbids them), so anything found came
# from stored content.
HOSTILE_DOM = r"""() => {
  const found = [];
  const URL_ATTRIBUTES = new Set(["href", "src", "action", "formaction", "data", "xlink:href",
    "poster", "background", "codebase", "cite", "srcset", "ping"]);
  const SCRIPT_URL = /^(javascript|vbscript|data):/i;
  for (const element of document.querySelectorAll("*")) {
    for (const attribute of element.attributes) {
      const name = attribute.name.toLowerCase();
      const value = attribute.value.replace(/[\u0000-\u0020]/g, "");
      if (name.startsWith("on")) found.push(`${element.tagName} ${name}="${attribute.value}"`);
      if (name === "srcdoc") found.push(`${element.tagName} srcdoc`);
      if (URL_ATTRIBUTES.has(name) && SCRIPT_URL.test(value)
          && !(element.tagName === "IMG" && /^data:image\//i.test(value))) {
        found.push(`${element.tagName} ${name}="${attribute.value}"`);
      }
    }
  }
  for (const a of document.querySelectorAll("a[href], area[href]")) {
    if (/^(javascript|vbscript|data):/i.test(a.href)) found.push(`resolved link ${a.href}`);
  }
  for (const selector of ["iframe", "frame", "object", "embed", "base", "body meta",
                          "svg script", "svg animate", "svg set", "math", "video",
                          "audio", "body style"]) {
    for (const element of document.querySelectorAll(selector)) found.push(`<${selector}>`);
  }
  for (const script of document.scripts) {
    if (script.text.includes("__xss") || (script.src || "").includes("__xss")) {
      found.push(`script ${script.src || script.text.slice(0, 60)}`);
    }
  }
  if (document.querySelectorAll("body").length !== 1) found.push("second <body>");
  return found;
}"""


class Visits:
    """Opens pages and records, without stopping, what each one shows wrong."""

    def __init__(self, live_server):
        self.base = live_server.url
        self.problems: list[str] = []
        self.dialogs: list[str] = []
        self.count = 0

    def watch(self, page) -> None:
        def on_dialog(dialog) -> None:
            self.dialogs.append(f"{page.url}: {dialog.type} {dialog.message!r}")
            dialog.dismiss()

        page.on("dialog", on_dialog)

    def check(self, page, what: str, *, texts=(), values: dict[str, str] | None = None) -> None:
        """Check the page ``page`` shows now; ``texts`` must be in its visible text and each
        ``values`` selector's form values must hold its text.

        Hostile markup fails the test at once, before axe (which would stop at the broken
        markup's accessibility errors instead); whether anything ran is read after axe, which
        gives late handlers (onerror, onbegin, ontoggle) time to fire.
        """
        page.wait_for_load_state("load")
        self.count += 1
        hostile = page.evaluate(HOSTILE_DOM)
        if hostile:
            pytest.fail(
                f"{what} ({page.url}): user content became markup:\n"
                + "\n".join(f"- {found}" for found in hostile),
                pytrace=False,
            )
        check_accessibility(page)
        if xss_fired(page):
            self.problems.append(f"{what}: a payload ran (window.__xss is set)")
        shown = page.evaluate("() => document.body.innerText")
        for text in texts:
            if text not in shown:
                self.problems.append(f"{what}: {text!r} is not shown as text")
        for selector, text in (values or {}).items():
            value = page.locator(selector).evaluate_all(
                "(fields) => fields.map((field) => field.value).join('\\n')"
            )
            if text not in value:
                self.problems.append(f"{what}: {selector} does not hold {text!r}")

    def visit(self, page, path: str, what: str, **expected) -> None:
        page.goto(self.base + path)
        assert page.url.startswith(self.base + path.split("?")[0]), f"{what}: sent to {page.url}"
        self.check(page, what, **expected)


def ok(response, what: str):
    """The form post was accepted (it redirected); otherwise show the form's errors."""
    if response.status_code != 302:
        errors = ""
        if response.context is not None:
            for key in ("form", "mission_form"):
                form = response.context.get(key)
                if form is not None and getattr(form, "errors", None):
                    errors = form.errors.as_text()
                    break
        pytest.fail(f"{what}: {response.status_code} {errors}", pytrace=False)
    return response


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def store_everything(cohort, team, other_team, staff, command, officer, peer) -> dict:
    """Post every payload into every member-writable free-text field; return what the pages
    need (objects and their addresses)."""
    from allauth.account.models import EmailAddress

    from accounts.models import User
    from assessments import roadmap
    from assessments.instrument import ensure_starter_instrument
    from assessments.models import ActionStep, Assessment, CommunityPartner
    from assessments.services import save_draft, start_assessment
    from cohorts.models import Membership
    from forum import posting
    from forum.models import Category, Conversation, Flag, Post, Thread
    from surveys.catalogue import ensure_templates
    from surveys.models import Response
    from surveys.tests.conftest import make_wave
    from training.models import Registration, ResourceSuggestion, TrainingEvent, TrainingRequest

    slug = cohort.slug
    names = pack(150)
    name_pairs = [
        (names[i], names[i + 1] if i + 1 < len(names) else "Smith") for i in range(0, len(names), 2)
    ]
    phones = pack(40)
    bios = pack(2000, separator="\n\n")
    ranks = pack(100)

    # People: enough members to carry every name, phone and rank, in Bob's team.
    people = []
    for index in range(max(len(name_pairs), len(phones), len(ranks))):
        email = f"member{index}@riverton.example"
        user = User.objects.create_user(
            email=email, password=None, first_name="Member", last_name=str(index)
        )
        EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
        # The first few belong to the other agency, whose profiles Bob opens in the forum.
        Membership.objects.create(team=other_team if index < 3 else team, user=user, role="sworn")
        people.append(user)
    writers = [command, *people]
    for index in range(max(len(name_pairs), len(phones), len(bios))):
        first, last = name_pairs[index % len(name_pairs)]
        ok(
            client_for(writers[index]).post(
                reverse("accounts:profile"),
                {
                    "first_name": first,
                    "last_name": last,
                    "phone": phones[index % len(phones)],
                    "time_zone": "America/New_York",
                    "bio": bios[index % len(bios)],
                    "share_email": "on",
                    "share_phone": "on",
                },
            ),
            "profile",
        )
    # Rank or title is written by program staff.
    staff_client = client_for(staff)
    for index, rank in enumerate(ranks):
        membership = Membership.objects.get(user=people[index])
        ok(
            staff_client.post(
                reverse("cohorts:membership_edit", args=[slug, membership.team_id, membership.pk]),
                {"role": "sworn", "rank": rank},
            ),
            "membership rank",
        )

    # Forum: thread titles and bodies, replies, flags.
    posting.ensure_categories(cohort)
    category = Category.objects.filter(cohort=cohort).order_by("position", "name").first()
    bob = client_for(command)
    titles = pack(200)
    for index, title in enumerate(titles):
        ok(
            bob.post(
                reverse("forum:thread_new", args=[slug]),
                {
                    "category": category.pk,
                    "title": title,
                    "body": BODY if index == 0 else f"Thread {index}",
                },
            ),
            "new thread",
        )
    thread = Thread.objects.filter(category__cohort=cohort).order_by("pk").first()
    thread_url = reverse("forum:thread", args=[slug, thread.pk])
    ok(client_for(peer).post(thread_url, {"body": BODY}), "reply")
    ok(client_for(people[0]).post(thread_url, {"body": BODY}), "reply with mention")
    opening = Post.objects.get(thread=thread, number=1)
    for index, detail in enumerate(pack(500, separator="\n")):
        ok(
            client_for(people[index]).post(
                reverse("forum:post_flag", args=[slug, opening.pk]),
                {"reason": "other", "detail": detail},
            ),
            "flag",
        )
    assert Flag.objects.count() == len(pack(500, separator="\n"))

    # Direct messages: group names and bodies.
    dave = client_for(peer)
    for index, title in enumerate(pack(120)):
        ok(
            dave.post(
                reverse("peers:new_conversation", args=[slug]),
                {
                    "recipients": [command.pk, officer.pk],
                    "title": title,
                    "body": BODY if index == 0 else f"Message {index}",
                },
            ),
            "new conversation",
        )
    conversation = Conversation.objects.order_by("pk").first()
    assert Conversation.objects.count() == len(pack(120))

    # Survey: free-text answers from more respondents than the wave's minimum group size.
    wave = make_wave(cohort, ensure_templates()["end-survey"])
    respondents = [command, officer, peer, *people[: wave.min_group_size + 1]]
    for user in respondents:
        ok(
            client_for(user).post(
                reverse("surveys:answer", args=[slug, wave.pk]),
                {
                    "peer_outreach": "yes",
                    "knowledge_sharing": "in_group",
                    "satisfaction": "4",
                    "recommend": "yes",
                    "most_useful": BODY,
                    "action": "submit",
                },
            ),
            "survey answer",
        )
    assert Response.objects.filter(wave=wave, status="submitted").count() == len(respondents)

    # Training requests, from the public form (a visitor).
    agencies, contacts, notes = pack(200), pack(200), pack(2000, separator="\n\n")
    visitor = Client()
    preferred = timezone.localdate() + timedelta(days=40)
    for index in range(max(len(agencies), len(contacts), len(notes))):
        ok(
            visitor.post(
                reverse("training:request_training"),
                {
                    "agency_name": agencies[index % len(agencies)],
                    "region": "mid_atlantic",
                    "expected_attendees": "6",
                    "contact_name": contacts[index % len(contacts)],
                    "email": f"contact{index}@agency.example",
                    "phone": "540-555-0100",
                    "preferred_date": preferred.isoformat(),
                    "notes": notes[index % len(notes)],
                    "website": "",
                },
            ),
            "training request",
        )
    requests = list(TrainingRequest.objects.order_by("pk"))

    # Training attendees, registered by Bob as his agency's command staff.
    event = TrainingEvent.objects.create(
        title="Resilience training, Riverton",
        date=timezone.localdate() + timedelta(days=30),
        start_time=time(9),
        end_time=time(16),
        venue="Riverton Public Safety Training Center",
        address="1200 Academy Drive, Riverton, VA",
        region="mid_atlantic",
        capacity=1000,
        per_agency_limit=1000,
        created_by=staff,
    )
    attendee_names, roles = pack(200), pack(100)
    for index in range(max(len(attendee_names), len(roles))):
        ok(
            bob.post(
                reverse("training:register", args=[event.pk]),
                {
                    "agency": team.agency.pk,
                    "name": attendee_names[index % len(attendee_names)],
                    "rank_role": roles[index % len(roles)],
                    "email": f"attendee{index}@riverton.example",
                },
            ),
            "registration",
        )
    assert Registration.objects.filter(event=event, status="confirmed").count() == len(roles)

    # Library suggestions made from the forum thread.
    post_address = django_settings.SITE_URL + reverse("forum:post", args=[slug, opening.pk])
    suggestion_titles = pack(200)
    for index, title in enumerate(suggestion_titles):
        ok(
            bob.post(
                reverse("training:suggest"),
                {
                    "title": title,
                    "url": "",
                    "forum_post_url": post_address,
                    "note": BODY if index == 0 else f"Suggestion {index}",
                },
            ),
            "library suggestion",
        )
    assert ResourceSuggestion.objects.count() == len(suggestion_titles)

    # Self-assessment notes (a draft, so they come back in textareas), then the action plan.
    version = ensure_starter_instrument().versions.get(number=1)
    assessment = start_assessment(team=team, round="baseline", user=command, version=version)
    items = [item for domain in version.domains.all() for item in domain.items.all()]
    rating_notes = pack(2000, separator="\n\n")
    save_draft(
        assessment=assessment,
        changes={items[i].pk: (1, note) for i, note in enumerate(rating_notes)},
        user=command,
    )
    assert Assessment.objects.get(pk=assessment.pk).status == "draft"
    plan_url = reverse("assessments:plan", args=[slug, team.pk])
    ok(bob.post(plan_url, {"mission": BODY}), "mission")
    details = pack(20_000, separator="\n\n")
    for index, title in enumerate(pack(200)):
        ok(
            bob.post(
                reverse("assessments:step_create", args=[slug, team.pk]),
                {
                    "title": title,
                    "details": details[0] if index == 0 else "",
                    "term": "short",
                    "roadmap_step": roadmap.DEFAULT_STEP,
                    "status": "not_started",
                },
            ),
            "action step",
        )
    step = ActionStep.objects.filter(plan__team=team).order_by("pk").first()
    for text in pack(4000, separator="\n\n"):
        ok(
            bob.post(
                reverse("assessments:step_note", args=[slug, team.pk, step.pk]), {"text": text}
            ),
            "progress note",
        )
    partner_names, partner_contacts = pack(200), pack(300)
    for index in range(max(len(partner_names), len(partner_contacts))):
        ok(
            bob.post(
                reverse("assessments:partners", args=[slug, team.pk]),
                {
                    "name": partner_names[index % len(partner_names)],
                    "kind": "clinical",
                    "contact": partner_contacts[index % len(partner_contacts)],
                    "notes": BODY if index == 0 else "",
                },
            ),
            "community partner",
        )
    assert CommunityPartner.objects.filter(team=team).count() == len(partner_names)

    return {
        "people": people,
        "thread": thread,
        "opening": opening,
        "conversation": conversation,
        "wave": wave,
        "requests": requests,
        "event": event,
        "step": step,
        "plan_url": plan_url,
        "thread_url": thread_url,
    }


def in_own_thread(function, *args):
    """Run ``function`` in a thread of its own and return what it returns.

    Playwright keeps an event loop marked as running in the test's thread, where Django's
    ``async_to_sync`` (the notification signals the write paths send) refuses to run.
    """

    def run():
        try:
            return function(*args)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()


def test_hostile_text_in_every_member_field_is_shown_as_text_and_never_runs(
    open_page, live_server, settings, cohort, team, other_team, staff, command, officer, peer
):
    # The public form allows five requests an hour from one address; this test sends more.
    settings.TRAINING_REQUEST_RATE = (1000, 3600)
    stored = in_own_thread(
        store_everything, cohort, team, other_team, staff, command, officer, peer
    )
    slug = cohort.slug
    visits = Visits(live_server)
    sample = TEXT_SAMPLES[0]
    forum = f"/cohorts/{slug}/forum"
    team_path = f"/cohorts/{slug}/teams/{team.pk}"

    # Bob: a member of the cohort, his agency's command staff and training coordinator.
    bob = open_page()
    visits.watch(bob)
    sign_in(bob, live_server, command)
    assert bob.url == f"{live_server.url}/"
    visits.check(bob, "home", texts=[sample])
    visits.visit(bob, f"{forum}/", "forum index", texts=[sample])
    thread = stored["thread"]
    visits.visit(bob, f"{forum}/c/{thread.category.slug}/", "category", texts=TEXT_SAMPLES)
    visits.visit(bob, stored["thread_url"], "thread", texts=[sample, *MARKDOWN_SAMPLES])
    visits.visit(
        bob,
        f"{forum}/p/{stored['opening'].pk}/edit/",
        "post edit form",
        values={"#id_body": PAYLOADS[-1], "#id_title": thread.title},
    )
    visits.visit(bob, f"{forum}/search/?q=link", "forum search", texts=[sample])
    echoed = '"><script>window.__xss=1</script>'
    visits.visit(
        bob,
        f"{forum}/search/?q={quote(echoed)}",
        "forum search echo",
        values={"input[name=q]": echoed},
    )
    visits.visit(bob, f"/cohorts/{slug}/directory/", "directory", texts=[sample])
    visits.visit(bob, f"/cohorts/{slug}/directory/?page=2", "directory page 2")
    visits.visit(
        bob,
        f"/cohorts/{slug}/directory/?q={quote(echoed)}",
        "directory search echo",
        values={"input[name=q]": echoed},
    )
    # A member's link in the forum leads to their team's page.
    with bob.expect_navigation():
        bob.goto(f"{live_server.url}{forum}/members/{stored['people'][0].pk}/")
    visits.check(bob, "other agency's team", texts=[sample])
    visits.visit(
        bob,
        "/me/profile/",
        "own profile form",
        values={"#id_first_name": pack(150)[0], "#id_bio": PAYLOADS[0]},
    )
    visits.visit(bob, "/me/notifications/", "notification centre", texts=[sample])
    visits.visit(bob, "/me/messages/", "inbox", texts=[sample])
    visits.visit(bob, "/me/messages/?page=2", "inbox page 2")
    visits.visit(
        bob,
        f"/me/messages/{stored['conversation'].pk}/",
        "conversation",
        texts=[*MARKDOWN_SAMPLES, stored["conversation"].title],
    )
    visits.visit(
        bob, stored["plan_url"], "action plan", texts=[sample], values={"#id_mission": PAYLOADS[-1]}
    )
    visits.visit(
        bob,
        f"{team_path}/plan/steps/{stored['step'].pk}/",
        "action step",
        texts=[sample],
        values={"#id_details": PAYLOADS[-1]},
    )
    visits.visit(bob, f"{team_path}/partners/", "community partners", texts=TEXT_SAMPLES)
    visits.visit(
        bob,
        f"{team_path}/assessment/baseline/",
        "assessment draft",
        values={"textarea[name^=note_]": TEXT_SAMPLES[2]},
    )
    visits.visit(bob, "/training/library/suggest/", "my library suggestions", texts=[sample])
    event = stored["event"]
    visits.visit(bob, f"/training/events/{event.pk}/register/", "registrations", texts=TEXT_SAMPLES)
    # One registration made in the browser: its confirmation names the attendee.
    bob.get_by_label("Attendee's name").fill(sample)
    bob.get_by_label("Rank or role").fill(TEXT_SAMPLES[1])
    bob.get_by_label("Attendee's email").fill("typed@riverton.example")
    with bob.expect_navigation():
        bob.get_by_role("button", name="Register").click()
    visits.check(bob, "registration confirmation", texts=[f"{sample} has a confirmed seat"])

    # Program staff: the survey report, the request queue, the roster, reviews and flags.
    desk = open_page()
    visits.watch(desk)
    sign_in(desk, live_server, staff)
    visits.check(desk, "staff home")
    wave = stored["wave"]
    visits.visit(
        desk, f"/cohorts/{slug}/surveys/{wave.pk}/report/", "survey report", texts=TEXT_SAMPLES
    )
    visits.visit(desk, "/training/requests/", "request queue", texts=TEXT_SAMPLES)
    for request in stored["requests"][:2]:
        visits.visit(desk, f"/training/requests/{request.pk}/", "request detail", texts=[sample])
    visits.visit(desk, f"/training/events/{event.pk}/roster/", "roster", texts=TEXT_SAMPLES)
    visits.visit(
        desk, f"/training/events/{event.pk}/sign-in-sheet/", "sign-in sheet", texts=TEXT_SAMPLES
    )
    visits.visit(desk, "/training/library/suggestions/", "suggestions to review", texts=[sample])
    visits.visit(desk, f"{forum}/flags/", "flagged posts", texts=[sample])
    visits.visit(desk, f"/cohorts/{slug}/people/", "cohort people", texts=[sample])
    visits.visit(desk, f"{team_path}/", "team page", texts=[sample])

    assert not visits.dialogs, "dialogs opened:\n" + "\n".join(visits.dialogs)
    assert not visits.problems, "\n".join(visits.problems)
    assert visits.count >= 30
