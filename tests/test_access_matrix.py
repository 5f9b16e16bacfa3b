"""Cohort and agency isolation, route by route.

Every project URL pattern that takes an object parameter is listed in ROUTES with how to fill
its parameters from one world: cohort A with team A1 (agency X) and team A2 (agency Y), and
cohort B. A pattern with parameters and no entry fails the suite, so a new route cannot go
unchecked. For each route and verb:

- an outsider (command staff in cohort B only) gets 404;
- for agency-private objects (a team's assessments, action plan and partners, a person's
  conversations and notifications, an agency's training registrations and requests), so does
  a member of team A2, the other agency in the same cohort;
- routes for program staff only refuse the cohort's members with 403 before any object is
  fetched (the project's convention), and people outside the cohort with 404; the refusal page
  must not name the object;
- the answer is the same as for objects that do not exist, so it tells nothing;
- the same ids under the outsider's own cohort (or the other agency's own team) find nothing;
- nothing in the database changes.

A control check asks each URL as someone entitled to it, so a refusal is never a typo. Every
object in cohort A carries a marker (``ZEBRA-A-…``; agency X's private ones ``ZEBRA-X-…``),
and the lists, searches, feeds, counts and exports the outsider and the other agency reach
must never show one; nor may staff exports of cohort B. The training program is program-wide:
its events and published library items are public, so there an outsider is another agency's
coordinator. The realtime notification socket has its own tests
(tests/test_notifications_socket.py).
"""

from __future__ import annotations

import io
import logging
import re
import time as time_module
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import time, timedelta
from typing import Any

import pytest
from django.apps import apps
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLResolver, get_resolver, reverse
from django.utils import timezone

from conftest import make_agency, make_cohort, make_member, make_user

MARK_A = "zebra-a"  # on cohort A's objects: its members may see them, nobody else
MARK_X = "zebra-x"  # on agency X's private objects: not even cohort A's other agency
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
PROJECT_APPS = ["accounts", "cohorts", "forum", "surveys", "assessments", "training"]


# The world ------------------------------------------------------------------------------------


@dataclass
class World:
    """Every object kind in cohort A (and enough of cohort B for its pages to have content)."""

    cohort_a: Any = None
    cohort_b: Any = None
    agency_x: Any = None
    agency_y: Any = None
    team_a1: Any = None
    team_a2: Any = None
    team_b: Any = None
    staff: Any = None
    command: Any = None  # command staff and lead of team A1 (agency X)
    officer: Any = None  # sworn officer on team A1
    peer: Any = None  # command staff of team A2 (agency Y, same cohort)
    outsider: Any = None  # command staff of team B (cohort B only)
    objects: dict[str, Any] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__dict__["objects"][name]
        except KeyError:
            raise AttributeError(name) from None


def _instrument():
    from assessments.models import Domain, Instrument, InstrumentVersion, Item, ScaleLevel
    from assessments.services import publish_version

    instrument = Instrument.objects.create(code="matrix", title="Matrix instrument")
    version = InstrumentVersion.objects.create(instrument=instrument, number=1)
    for value, label in enumerate(["Not in place", "Beginning", "Developing", "Established"]):
        ScaleLevel.objects.create(version=version, value=value, label=label)
    domain = Domain.objects.create(
        version=version,
        code="support",
        title="Peer support",
        position=1,
        suggested_step="Start a peer support team",
    )
    for position, code in enumerate(["s1", "s2"], start=1):
        Item.objects.create(domain=domain, code=code, text=f"Item {code}", position=position)
    publish_version(version)
    return version, domain


def build_world() -> World:
    from assessments.models import ActionStep, Assessment, CommunityPartner, Item, Rating
    from assessments.services import add_progress_note, plan_for, save_step
    from cohorts.models import Invitation, Rsvp, Session, SessionMaterial, Team
    from cohorts.sessions import feed_for
    from forum import messaging, posting
    from forum.models import Attachment, Category, Notification, Thread
    from surveys.catalogue import ensure_templates
    from surveys.models import ReportingNarrative, WaveInvitation
    from surveys.periods import cohort_quarters
    from surveys.services import create_wave, submit_response
    from training.models import (
        Coordinator,
        Registration,
        ResourceItem,
        ResourceSuggestion,
        TrainingEvent,
        TrainingRequest,
    )

    w = World()
    o = w.objects
    today = timezone.localdate()
    dates = {"start_date": today - timedelta(days=200), "end_date": today + timedelta(days=200)}
    w.cohort_a = make_cohort("cohort-a", "ZEBRA-A-cohort", status="active", **dates)
    w.cohort_b = make_cohort("cohort-b", "Lakeside cohort", status="active", **dates)
    w.agency_x = make_agency("ZEBRA-A-agency-x Police Department")
    w.agency_y = make_agency("ZEBRA-A-agency-y Sheriff's Office", kind="sheriff")
    agency_z = make_agency("Lakeside Police Department", state="OH")
    w.team_a1 = Team.objects.create(cohort=w.cohort_a, agency=w.agency_x, name="ZEBRA-A-team-x")
    w.team_a2 = Team.objects.create(cohort=w.cohort_a, agency=w.agency_y, name="ZEBRA-A-team-y")
    w.team_b = Team.objects.create(cohort=w.cohort_b, agency=agency_z, name="Lakeside team")

    w.staff = make_user("sam@program.example", first="Sam", last="Organiser", is_staff=True)
    w.command = make_user("zebra-a-bob@x.example", first="Bob", last="ZEBRA-A-command")
    w.officer = make_user("zebra-a-carol@x.example", first="Carol", last="ZEBRA-A-officer")
    w.peer = make_user("dana@y.example", first="Dana", last="Deputy")
    w.outsider = make_user("erin@lakeside.example", first="Erin", last="Outsider")
    make_member(w.team_a1, w.command, role="command_staff", rank="Chief", is_lead=True)
    o["officer_membership"] = make_member(w.team_a1, w.officer, role="sworn", rank="Sergeant")
    make_member(w.team_a2, w.peer, role="command_staff", rank="Sheriff", is_lead=True)
    make_member(w.team_b, w.outsider, role="command_staff", rank="Captain", is_lead=True)
    o["invitation"] = Invitation.objects.create(
        team=w.team_a1, email="zebra-x-invitee@x.example", role="sworn", invited_by=w.staff
    )

    # The forum: a thread, a reply with an attachment, a flag, in each cohort.
    posting.ensure_categories(w.cohort_a)
    posting.ensure_categories(w.cohort_b)
    o["category"] = Category.objects.get(cohort=w.cohort_a, slug="general")
    o["category_b"] = Category.objects.get(cohort=w.cohort_b, slug="general")
    thread = posting.start_thread(
        category=o["category"],
        author=w.command,
        title="ZEBRA-A-thread",
        body="ZEBRA-A-post-opening words",
    ).post.thread
    o["thread"] = thread
    o["post"] = posting.reply(
        thread=thread, author=w.officer, body="ZEBRA-A-post-reply giraffe"
    ).post
    o["attachment"] = Attachment.objects.create(
        post=o["post"],
        file=SimpleUploadedFile("zebra-a-attachment.pdf", PDF),
        original_name="ZEBRA-A-attachment.pdf",
        content_type="application/pdf",
        size=len(PDF),
    )
    o["flag"] = posting.flag_post(
        post=o["post"], by=w.command, reason="other", detail="ZEBRA-X-flag detail"
    )
    # A thread staff hid: members see neither it nor its posts, in lists or searches.
    hidden = posting.start_thread(
        category=o["category"],
        author=w.officer,
        title="ZEBRA-X-hidden thread",
        body="ZEBRA-X-hidden body words giraffe",
    ).post.thread
    Thread.objects.filter(pk=hidden.pk).update(hidden=True)
    o["thread_b"] = posting.start_thread(
        category=o["category_b"], author=w.outsider, title="Lakeside thread", body="Lakeside post"
    ).post.thread

    # Direct messages and a notification inside agency X.
    o["conversation"], _ = messaging.start_conversation(
        cohort=w.cohort_a, author=w.command, recipients=[w.officer], body="ZEBRA-X-dm message"
    )
    o["notification"] = Notification.objects.create(
        recipient=w.command,
        kind=Notification.Kind.REPLY,
        cohort=w.cohort_a,
        summary="ZEBRA-X-notification",
        url=reverse("forum:thread", args=["cohort-a", thread.pk]),
    )

    # Sessions with a meeting link and materials; calendar feeds.
    starts = timezone.now() + timedelta(days=3)
    o["session"] = Session.objects.create(
        cohort=w.cohort_a,
        number=7,
        title="ZEBRA-A-session",
        starts_at=starts,
        ends_at=starts + timedelta(minutes=90),
        agenda="ZEBRA-A-agenda",
        meeting_url="https://meet.example/zebra-a-meeting",
    )
    o["material"] = SessionMaterial.objects.create(
        session=o["session"],
        title="ZEBRA-A-material",
        file=SimpleUploadedFile("zebra-a-material.pdf", PDF, content_type="application/pdf"),
    )
    Rsvp.objects.create(session=o["session"], user=w.command, response="going")
    Session.objects.create(
        cohort=w.cohort_b,
        number=1,
        title="Lakeside session",
        starts_at=starts,
        ends_at=starts + timedelta(minutes=90),
        meeting_url="https://meet.example/lakeside",
    )
    o["feed_a"] = feed_for(user=w.command)
    o["feed_outsider"] = feed_for(user=w.outsider)
    o["feed_peer"] = feed_for(user=w.peer)

    # Surveys: a wave in each cohort; agency X's command answered A's.
    surveys = ensure_templates()
    window = {
        "opens_at": timezone.now() - timedelta(days=1),
        "closes_at": timezone.now() + timedelta(days=7),
    }
    o["wave"] = create_wave(
        survey=surveys["end-survey"],
        cohort=w.cohort_a,
        title="ZEBRA-A-wave",
        created_by=None,
        notify=False,
        min_group_size=1,
        **window,
    )
    o["wave_b"] = create_wave(
        survey=surveys["end-survey"],
        cohort=w.cohort_b,
        title="Lakeside wave",
        created_by=None,
        notify=False,
        min_group_size=1,
        **window,
    )
    answers = {
        "peer_outreach": "yes",
        "knowledge_sharing": "in_group",
        "satisfaction": "4",
        "recommend": "yes",
        "most_useful": "ZEBRA-X-answer",
    }
    submit_response(
        invitation=WaveInvitation.objects.get(wave=o["wave"], user=w.command), answers=answers
    )
    quarter = cohort_quarters(w.cohort_a)[0]
    o["period"] = quarter.code
    ReportingNarrative.objects.create(
        cohort=w.cohort_a,
        year=quarter.year,
        quarter=quarter.quarter,
        accomplishments="ZEBRA-A-narrative",
        updated_by=w.staff,
    )

    # Agency X's self-assessment, action plan and partners; agency Y has its own.
    version, o["domain"] = _instrument()
    assessment = Assessment.objects.create(
        team=w.team_a1, round="baseline", version=version, started_by=w.command
    )
    for item in Item.objects.filter(domain__version=version):
        Rating.objects.create(
            assessment=assessment,
            item=item,
            level=1,
            note="ZEBRA-X-rating-note",
            updated_by=w.command,
        )
    o["assessment"] = assessment
    plan = plan_for(w.team_a1)
    plan.mission = "ZEBRA-X-mission"
    plan.save()
    o["step"] = save_step(
        step=ActionStep(
            plan=plan,
            title="ZEBRA-X-step",
            details="ZEBRA-X-step details",
            owner=w.command,
            due_date=timezone.localdate() - timedelta(days=2),
        ),
        user=w.command,
        status="in_progress",
    )
    add_progress_note(step=o["step"], author=w.command, text="ZEBRA-X-progress note")
    o["partner"] = CommunityPartner.objects.create(
        team=w.team_a1,
        name="ZEBRA-X-partner",
        kind="clinical",
        contact="zebra-x@partner.example",
        notes="ZEBRA-X-partner notes",
        added_by=w.command,
    )
    plan_y = plan_for(w.team_a2)
    o["step_y"] = save_step(
        step=ActionStep(plan=plan_y, title="Agency Y step"), user=w.peer, status="not_started"
    )
    CommunityPartner.objects.create(team=w.team_a2, name="Agency Y partner", kind="fitness")

    # Training (program-wide): agency X's registration, request and coordinator are private.
    def training(title: str, day) -> TrainingEvent:
        return TrainingEvent.objects.create(
            title=title,
            date=day,
            start_time=time(8, 30),
            end_time=time(16, 30),
            venue="Training Center",
            address="1 Academy Drive",
            region="mid_atlantic",
            capacity=20,
            per_agency_limit=5,
        )

    o["event"] = training("Regional resilience training", today + timedelta(days=30))
    o["registration"] = Registration.objects.create(
        event=o["event"],
        agency=w.agency_x,
        name="ZEBRA-X-registrant",
        rank_role="Officer",
        email="zebra-x-registrant@x.example",
        status="confirmed",
        position=1,
        registered_by=w.command,
    )
    Registration.objects.create(
        event=o["event"],
        agency=w.agency_y,
        name="Yolanda Registrant",
        rank_role="Deputy",
        email="yolanda@y.example",
        status="confirmed",
        position=2,
        registered_by=w.peer,
    )
    # A training already held, whose evaluation went to agency X's attendee.
    from surveys.catalogue import ensure_templates
    from training import services as training_services

    o["held_event"] = training("Held resilience training", today - timedelta(days=3))
    Registration.objects.create(
        event=o["held_event"],
        agency=w.agency_x,
        name="ZEBRA-X-attendee",
        rank_role="Officer",
        email="zebra-x-attendee@x.example",
        status="confirmed",
        position=1,
        registered_by=w.command,
        attended=True,
    )
    training_services.send_evaluation(
        event=o["held_event"],
        survey=ensure_templates()["post-training-evaluation"],
        closes_at=timezone.now() + timedelta(days=14),
        by=None,
        notify=False,
    )
    o["request"] = TrainingRequest.objects.create(
        agency_name="ZEBRA-X-request agency",
        agency=w.agency_x,
        contact_name="ZEBRA-X-contact",
        email="zebra-x-contact@x.example",
        phone="555-0100",
        region="mid_atlantic",
        expected_attendees=12,
        preferred_date=today + timedelta(days=60),
        notes="ZEBRA-X-request notes",
    )
    o["request"].changes.create(from_status="", to_status=o["request"].status)
    coordinator = make_user("zebra-x-coord@x.example", first="Cody", last="ZEBRA-X-coordinator")
    o["coordinator"] = Coordinator.objects.create(
        user=coordinator, agency=w.agency_x, designated_by=w.staff
    )
    o["draft_item"] = ResourceItem.objects.create(
        title="ZEBRA-X-draft resource",
        kind="document",
        summary="ZEBRA-X-draft summary",
        body="ZEBRA-X-draft body",
        file=SimpleUploadedFile("zebra-x-draft.pdf", PDF),
        published=False,
        roles=",officer,",
    )
    o["suggestion"] = ResourceSuggestion.objects.create(
        title="ZEBRA-X-suggestion",
        url="https://example.com/zebra-x",
        note="ZEBRA-X-why",
        suggested_by=w.command,
    )
    return w


# The route table ------------------------------------------------------------------------------

COHORT = "cohort"  # the object belongs to a cohort: its members (and staff) reach it
AGENCY = "agency"  # private to one team, agency or person: other agencies get 404 too
SECRET = "secret"  # the parameter is a credential (token): a made-up one must find nothing
PUBLIC = "public"  # program-wide and public (training events): only private data is checked


@dataclass(frozen=True)
class Spec:
    """How to reach one route in the world, who may, and what a write would send."""

    params: Callable[[World], dict[str, Any]]
    audience: str = COHORT
    # Program staff only: members are refused with 403 before the object is fetched (the
    # convention of cohorts.access.staff_required and the staff reports); the refusal page
    # must still not name the object.
    staff_only: bool = False
    data: Callable[[World], dict[str, Any]] = lambda w: {}
    owner: str = "staff"  # who does reach it (the control check)
    no_control: str = ""  # why the control check cannot reach it in this world, if it cannot
    expect: frozenset[int] = frozenset({404})


def _a(**extra) -> Callable[[World], dict[str, Any]]:
    """Parameters in cohort A: the slug plus ``extra`` attributes of the world."""

    def params(w: World) -> dict[str, Any]:
        values = {"slug": w.cohort_a.slug}
        for name, getter in extra.items():
            values[name] = getter(w)
        return values

    return params


def _team(**extra) -> Callable[[World], dict[str, Any]]:
    return _a(team_id=lambda w: w.team_a1.pk, **extra)


def _only(**extra) -> Callable[[World], dict[str, Any]]:
    return lambda w: {name: getter(w) for name, getter in extra.items()}


NUMBER = {"number": lambda w: w.session.number}
WAVE = {"wave_id": lambda w: w.wave.pk}
STEP = {"step_id": lambda w: w.step.pk}
PARTNER = {"partner_id": lambda w: w.partner.pk}
MEMBERSHIP = {"membership_id": lambda w: w.officer_membership.pk}
BASELINE = {"round": lambda w: "baseline"}
EVENT = {"event_id": lambda w: w.event.pk}
HELD = {"event_id": lambda w: w.held_event.pk}
REQUEST = {"request_id": lambda w: w.request.pk}
ITEM = {"item_id": lambda w: w.draft_item.pk}


def _ratings(level: int) -> Callable[[World], dict[str, Any]]:
    def data(w: World) -> dict[str, Any]:
        items = w.domain.items.all()
        return {"action": "submit", **{f"item_{item.pk}": level for item in items}}

    return data


ROUTES: dict[str, Spec] = {
    # Notifications and conversations belong to their people.
    "notifications:open": Spec(
        _only(notification_id=lambda w: w.notification.pk), AGENCY, owner="command"
    ),
    "conversations:conversation": Spec(
        _only(conversation_id=lambda w: w.conversation.pk),
        AGENCY,
        owner="command",
        data=lambda w: {"body": "Taken over"},
    ),
    "conversations:mute": Spec(
        _only(conversation_id=lambda w: w.conversation.pk),
        AGENCY,
        owner="command",
        data=lambda w: {"muted": "1"},
    ),
    "notification_settings:unsubscribe": Spec(
        _only(token=lambda w: "made-up-token"), SECRET, expect=frozenset({400})
    ),
    # Cohorts, teams and people.
    "cohorts:cohort": Spec(_a()),
    "cohorts:cohort_edit": Spec(
        _a(), staff_only=True, data=lambda w: {"name": "Taken over", "slug": "cohort-a"}
    ),
    "cohorts:cohort_status": Spec(_a(), staff_only=True, data=lambda w: {"status": "completed"}),
    "cohorts:people": Spec(_a()),
    "cohorts:roster_import": Spec(_a(), staff_only=True),
    "cohorts:roster_export": Spec(_a(), staff_only=True),
    "cohorts:team_create": Spec(_a(), staff_only=True),
    "cohorts:team": Spec(_team()),
    "cohorts:team_edit": Spec(
        _team(), staff_only=True, data=lambda w: {"name": "Taken over", "status": "withdrawn"}
    ),
    "cohorts:invite": Spec(
        _team(),
        staff_only=True,
        data=lambda w: {"email": "new@taken.example", "role": "sworn"},
    ),
    "cohorts:membership_edit": Spec(
        _team(**MEMBERSHIP), staff_only=True, data=lambda w: {"role": "civilian"}
    ),
    "cohorts:membership_remove": Spec(_team(**MEMBERSHIP), staff_only=True),
    "cohorts:invitation_revoke": Spec(_a(invitation_id=lambda w: w.invitation.pk), staff_only=True),
    "cohorts:agency_edit": Spec(
        _only(agency_id=lambda w: w.agency_x.pk),
        staff_only=True,
        data=lambda w: {"name": "Taken over", "state": "VA", "kind": "municipal"},
    ),
    "cohorts:invitation": Spec(_only(token=lambda w: "made-up-token"), SECRET),
    # The session calendar.
    "cohorts:feed": Spec(_only(token=lambda w: "made-up-token"), SECRET),
    "cohorts:calendar": Spec(_a()),
    "cohorts:topics": Spec(_a(), owner="command"),
    "cohorts:attendance_rates": Spec(_a(), staff_only=True),
    "cohorts:session_create": Spec(_a(), staff_only=True),
    "cohorts:series_create": Spec(_a(), staff_only=True),
    "cohorts:session": Spec(_a(**NUMBER)),
    "cohorts:session_ics": Spec(_a(**NUMBER)),
    "cohorts:session_edit": Spec(_a(**NUMBER), staff_only=True),
    "cohorts:session_cancel": Spec(_a(**NUMBER), staff_only=True),
    "cohorts:rsvp": Spec(_a(**NUMBER), owner="command", data=lambda w: {"response": "maybe"}),
    "cohorts:attendance": Spec(_a(**NUMBER), staff_only=True),
    "cohorts:attendance_import": Spec(_a(**NUMBER), staff_only=True),
    "cohorts:material_add": Spec(
        _a(**NUMBER), data=lambda w: {"title": "Taken", "url": "https://taken.example/"}
    ),
    "cohorts:material": Spec(_a(**NUMBER, material_id=lambda w: w.material.pk)),
    "cohorts:material_delete": Spec(_a(**NUMBER, material_id=lambda w: w.material.pk)),
    # Surveys and the funder's report.
    "surveys:wave_list": Spec(_a()),
    "surveys:answer": Spec(
        _a(**WAVE),
        owner="officer",
        data=lambda w: {
            "action": "submit",
            "peer_outreach": "yes",
            "satisfaction": "1",
            "knowledge_sharing": "in_group",
            "recommend": "no",
        },
    ),
    "surveys:autosave": Spec(_a(**WAVE), owner="officer", data=lambda w: {"satisfaction": "1"}),
    "surveys:thanks": Spec(_a(**WAVE), owner="command"),
    "surveys:report": Spec(_a(**WAVE), staff_only=True),
    "surveys:export": Spec(_a(**WAVE), staff_only=True),
    "surveys:trends": Spec(_a(), staff_only=True),
    "surveys:outcomes": Spec(_a(), staff_only=True),
    "surveys:outcomes_print": Spec(_a(), staff_only=True),
    "surveys:outcomes_export": Spec(_a(), staff_only=True),
    "surveys:narrative": Spec(
        _a(period=lambda w: w.period),
        staff_only=True,
        data=lambda w: {"accomplishments": "Taken over"},
    ),
    # Waves sent by email are answered with the invitation's token alone.
    "surveys:invited": Spec(_only(token=lambda w: "made-up-token"), SECRET),
    "surveys:invited_autosave": Spec(_only(token=lambda w: "made-up-token"), SECRET),
    "surveys:invited_thanks": Spec(_only(token=lambda w: "made-up-token"), SECRET),
    "surveys:wave_new": Spec(_a(), staff_only=True),
    "surveys:wave_edit": Spec(_a(**WAVE), staff_only=True, data=lambda w: {"title": "Taken"}),
    "surveys:wave_close": Spec(_a(**WAVE), staff_only=True),
    "surveys:wave_delete": Spec(_a(**WAVE), staff_only=True),
    "surveys:wave_remind": Spec(_a(**WAVE), staff_only=True),
    # Self-assessments, action plans and partners: private to the team and staff.
    "assessments:overview": Spec(_a(), staff_only=True),
    "assessments:overview_csv": Spec(_a(), staff_only=True),
    "assessments:team": Spec(_team(), AGENCY, owner="command"),
    "assessments:results": Spec(_team(), AGENCY, owner="command"),
    "assessments:round": Spec(_team(**BASELINE), AGENCY, owner="command", data=_ratings(3)),
    "assessments:autosave": Spec(_team(**BASELINE), AGENCY, owner="command", data=_ratings(2)),
    "assessments:plan": Spec(
        _team(), AGENCY, owner="command", data=lambda w: {"mission": "Taken over"}
    ),
    "assessments:step_create": Spec(
        _team(),
        AGENCY,
        owner="command",
        data=lambda w: {"title": "Taken", "term": "short", "status": "not_started"},
    ),
    "assessments:step_suggest": Spec(
        _team(), AGENCY, owner="command", data=lambda w: {"domain": w.domain.pk}
    ),
    "assessments:step": Spec(
        _team(**STEP),
        AGENCY,
        owner="command",
        data=lambda w: {"title": "Taken", "term": "long", "status": "dropped"},
    ),
    "assessments:step_note": Spec(
        _team(**STEP), AGENCY, owner="command", data=lambda w: {"text": "Taken over"}
    ),
    "assessments:step_delete": Spec(_team(**STEP), AGENCY, owner="command"),
    "assessments:partners": Spec(
        _team(), AGENCY, owner="command", data=lambda w: {"name": "Taken", "kind": "other"}
    ),
    "assessments:partner_edit": Spec(
        _team(**PARTNER),
        AGENCY,
        owner="command",
        data=lambda w: {"name": "Taken", "kind": "other"},
    ),
    "assessments:partner_delete": Spec(_team(**PARTNER), AGENCY, owner="command"),
    # The forum.
    "forum:index": Spec(_a()),
    "forum:thread_new": Spec(
        _a(),
        owner="command",
        data=lambda w: {"category": w.category_b.pk, "title": "Taken", "body": "Taken over"},
    ),
    "forum:search": Spec(_a()),
    "forum:flags": Spec(_a(), staff_only=True),
    "forum:announce": Spec(
        _a(), staff_only=True, data=lambda w: {"title": "Taken", "body": "Taken over"}
    ),
    "forum:peer_contact": Spec(_a(), staff_only=True),
    "forum:flag_resolve": Spec(
        _a(flag_id=lambda w: w.flag.pk), staff_only=True, data=lambda w: {"outcome": "hidden"}
    ),
    "forum:mention_suggestions": Spec(_a()),
    "forum:member": Spec(_a(user_id=lambda w: w.command.pk)),
    "forum:category": Spec(_a(category_slug=lambda w: w.category.slug)),
    "forum:category_watch": Spec(
        _a(category_slug=lambda w: w.category.slug), data=lambda w: {"level": "watching"}
    ),
    "forum:thread": Spec(
        _a(thread_id=lambda w: w.thread.pk), data=lambda w: {"body": "Taken over"}
    ),
    "forum:thread_unread": Spec(_a(thread_id=lambda w: w.thread.pk)),
    "forum:thread_watch": Spec(
        _a(thread_id=lambda w: w.thread.pk), data=lambda w: {"level": "watching"}
    ),
    "forum:thread_moderate": Spec(
        _a(thread_id=lambda w: w.thread.pk), staff_only=True, data=lambda w: {"action": "hide"}
    ),
    "forum:post": Spec(_a(post_id=lambda w: w.post.pk)),
    "forum:post_edit": Spec(
        _a(post_id=lambda w: w.post.pk), owner="officer", data=lambda w: {"body": "Taken over"}
    ),
    "forum:post_delete": Spec(_a(post_id=lambda w: w.post.pk), owner="officer"),
    "forum:post_flag": Spec(
        _a(post_id=lambda w: w.post.pk),
        owner="command",
        data=lambda w: {"reason": "spam", "detail": "Taken"},
    ),
    "forum:post_hide": Spec(
        _a(post_id=lambda w: w.post.pk), staff_only=True, data=lambda w: {"hidden": "1"}
    ),
    "forum:attachment": Spec(_a(attachment_id=lambda w: w.attachment.pk)),
    "peers:directory": Spec(_a()),
    "peers:new_conversation": Spec(
        _a(),
        owner="command",
        data=lambda w: {"recipients": [w.officer.pk], "body": "Taken over"},
    ),
    # Training (program-wide). Requests and registrations belong to an agency.
    "training:request": Spec(_only(**REQUEST), AGENCY, staff_only=True),
    "training:request_review": Spec(_only(**REQUEST), AGENCY, staff_only=True),
    "training:request_schedule": Spec(_only(**REQUEST), AGENCY, staff_only=True),
    "training:request_decline": Spec(
        _only(**REQUEST), AGENCY, staff_only=True, data=lambda w: {"reason": "Taken over"}
    ),
    # A training's page is public; its seats section shows a coordinator their own agencies.
    "training:event": Spec(_only(**EVENT), PUBLIC),
    "training:event_edit": Spec(_only(**EVENT), staff_only=True),
    "training:event_cancel": Spec(_only(**EVENT), staff_only=True, data=lambda w: {"note": "x"}),
    # Any coordinator registers people, but only for agencies they coordinate: a registration
    # for agency X sent by another agency's coordinator is refused by the form.
    "training:register": Spec(
        _only(**EVENT),
        PUBLIC,
        owner="command",
        data=lambda w: {
            "agency": w.agency_x.pk,
            "name": "Taken",
            "rank_role": "Officer",
            "email": "taken@taken.example",
        },
    ),
    "training:registration_cancel": Spec(
        _only(**EVENT, registration_id=lambda w: w.registration.pk), AGENCY, owner="command"
    ),
    "training:roster": Spec(_only(**EVENT), staff_only=True),
    "training:roster_csv": Spec(_only(**EVENT), staff_only=True),
    "training:sign_in_sheet": Spec(_only(**EVENT), staff_only=True),
    "training:evaluation": Spec(_only(**EVENT), staff_only=True),
    "training:evaluation_report": Spec(_only(**HELD), staff_only=True),
    "training:evaluation_remind": Spec(_only(**HELD), staff_only=True),
    "training:evaluation_export": Spec(_only(**HELD), staff_only=True),
    "training:coordinator_remove": Spec(
        _only(coordinator_id=lambda w: w.coordinator.pk), AGENCY, staff_only=True
    ),
    "training:suggestion_review": Spec(
        _only(suggestion_id=lambda w: w.suggestion.pk),
        AGENCY,
        staff_only=True,
        data=lambda w: {"decision": "approve"},
    ),
    # A draft library item is for staff only; published ones are public.
    "training:resource": Spec(_only(**ITEM), AGENCY),
    "training:resource_edit": Spec(_only(**ITEM), AGENCY, staff_only=True),
    "training:resource_file": Spec(_only(**ITEM), AGENCY),
}


# Walking the resolver -------------------------------------------------------------------------

OBJECT_KEYS = {
    "team_id",
    "membership_id",
    "invitation_id",
    "number",
    "material_id",
    "wave_id",
    "step_id",
    "partner_id",
    "flag_id",
    "user_id",
    "thread_id",
    "post_id",
    "attachment_id",
}


def _walk(resolver, prefix: str = "", namespaces: tuple[str, ...] = ()):
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = (*namespaces, pattern.namespace) if pattern.namespace else namespaces
            yield from _walk(pattern, prefix + str(pattern.pattern), inner)
        else:
            yield prefix + str(pattern.pattern), namespaces, pattern


def _parameters(route: str) -> set[str]:
    return set(re.findall(r"<(?:\w+:)?(\w+)>", route)) | set(re.findall(r"\(\?P<(\w+)>", route))


def _project_routes() -> dict[str, tuple[str, set[str]]]:
    """Named project routes (not the admin's or allauth's) with their parameters."""
    found = {}
    for route, namespaces, pattern in _walk(get_resolver()):
        if "admin" in namespaces or pattern.callback.__module__.startswith("allauth."):
            continue
        assert pattern.name, f"{route!r} has no name: the access matrix names routes"
        found[":".join((*namespaces, pattern.name))] = (route, _parameters(route))
    return found


PROJECT_ROUTES = _project_routes()
WITH_PARAMETERS = {name: info for name, info in PROJECT_ROUTES.items() if info[1]}


def test_every_route_with_parameters_is_in_the_matrix():
    missing = sorted(set(WITH_PARAMETERS) - set(ROUTES))
    assert not missing, (
        "These routes take parameters but have no entry in ROUTES in "
        f"tests/test_access_matrix.py; say who may reach them and how to fill them: {missing}"
    )
    stale = sorted(set(ROUTES) - set(WITH_PARAMETERS))
    assert not stale, f"ROUTES lists routes that no longer take parameters or exist: {stale}"


# Requests and what answers may contain ---------------------------------------------------------


@pytest.fixture
def world(db, settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"
    # Hundreds of refusals are expected here: their log lines would only slow the run.
    log = logging.getLogger("django.request")
    level = log.level
    log.setLevel(logging.ERROR)
    cache.clear()  # rate limits and cached counts start empty
    try:
        yield build_world()
    finally:
        log.setLevel(level)
        cache.clear()


def _body(response) -> str:
    """The response as lower-case text; spreadsheets are unzipped so their XML is searched."""
    if getattr(response, "streaming", False):  # CSV streams and file downloads
        raw = b"".join(response.streaming_content)
    else:
        raw = response.content
    if raw[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            raw = b"".join(archive.read(name) for name in archive.namelist())
    return raw.decode("utf-8", "replace").lower()


def _leaked(body: str, markers: tuple[str, ...]) -> list[str]:
    return sorted({body[i : i + 32] for m in markers for i in _positions(body, m)})[:5]


def _positions(text: str, marker: str):
    start = text.find(marker)
    while start != -1:
        yield start
        start = text.find(marker, start + 1)


def _login(client_class, user):
    client = client_class()
    client.force_login(user)
    return client


def _snapshot() -> dict[str, list]:
    """Every row of every project model (and their many-to-many tables)."""
    state = {}
    for label in PROJECT_APPS:
        for model in apps.get_app_config(label).get_models(include_auto_created=True):
            state[model._meta.label] = list(model._base_manager.order_by("pk").values_list())
    return state


def _changes(before: dict[str, list], after: dict[str, list]) -> list[str]:
    changed = []
    for label, rows in before.items():
        if rows != after[label]:
            changed.append(f"{label}: {len(rows)} rows before, {len(after[label])} after")
    return changed


@dataclass
class Tally:
    """What the matrix checked, for the record and so that a silent skip shows."""

    routes: set[str] = field(default_factory=set)
    requests: int = 0  # route x verb x actor
    ghost_requests: int = 0  # the same with objects that do not exist
    reached_view: int = 0  # not refused by the method check (405)
    forbidden: set[tuple[str, str]] = field(default_factory=set)  # (who, route) answered 403
    failures: list[str] = field(default_factory=list)


def _request(client, method: str, url: str, data: dict):
    return client.get(url) if method == "GET" else client.post(url, data)


def _probe(
    tally: Tally,
    client,
    who: str,
    name: str,
    url: str,
    data: dict,
    allowed: set[int],
    markers: tuple[str, ...],
    ghost: str | None = None,
) -> None:
    """Both verbs on ``url``; with ``ghost`` (the same route with objects that do not exist),
    the answers must match, so that a refusal is no hint that the object exists."""
    for method in ("GET", "POST"):
        response = _request(client, method, url, data)
        tally.requests += 1
        status = response.status_code
        if ghost is not None:
            tally.ghost_requests += 1
            ghost_status = _request(client, method, ghost, data).status_code
            if ghost_status != status:
                tally.failures.append(
                    f"{who} {method} {url} ({name}) answered {status} but {ghost_status} for "
                    f"{ghost}: the answer tells whether the object exists"
                )
        if status == 405:
            # The method check runs before the view fetches anything, so it reveals nothing.
            continue
        tally.reached_view += 1
        if status not in allowed:
            tally.failures.append(f"{who} {method} {url} ({name}) answered {status}")
        if status == 403:
            tally.forbidden.add((who, name))
        leaks = _leaked(_body(response), markers)
        if leaks:
            tally.failures.append(f"{who} {method} {url} ({name}) shows {leaks}")


GHOSTS = {"slug": "no-such-cohort", "category_slug": "no-such-category", "token": "made-up-token"}


def _ghost(params: dict[str, Any], *, known: tuple[str, ...] = ()) -> dict[str, Any]:
    """The same parameters naming objects that do not exist, but for the ``known`` ones."""
    return {
        key: value
        if key in known
        else GHOSTS.get(key, 999_999 if isinstance(value, int) else value)
        for key, value in params.items()
    }


def _url(name: str, params: dict[str, Any]) -> str:
    return reverse(name, kwargs=params)


def run_matrix(w: World, client_class) -> Tally:
    tally = Tally()
    outsider = _login(client_class, w.outsider)
    peer = _login(client_class, w.peer)
    before = _snapshot()
    for name, spec in sorted(ROUTES.items()):
        params = spec.params(w)
        _route, expected_params = WITH_PARAMETERS[name]
        assert set(params) == expected_params, f"{name}: ROUTES fills {sorted(params)}"
        url = _url(name, params)
        data = spec.data(w)
        tally.routes.add(name)
        public = spec.audience == PUBLIC
        if public:
            # Public pages: whatever the status, no private data and no change.
            allowed = {200, 302, 403}
        else:
            allowed = set(spec.expect) | ({403} if spec.staff_only else set())
        ghost = None if public else _url(name, _ghost(params))
        everyone = (MARK_A, MARK_X)
        # A cohort's staff pages are not found from outside the cohort, like its other pages.
        outside = allowed - {403} if "slug" in params else allowed
        _probe(tally, outsider, "outsider", name, url, data, outside, everyone, ghost)
        if spec.audience in {AGENCY, PUBLIC} or spec.staff_only:
            # The other agency knows its own cohort and the cohort's teams.
            ghost = None if public else _url(name, _ghost(params, known=("slug", "team_id")))
            _probe(tally, peer, "other agency", name, url, data, allowed, (MARK_X,), ghost)
        # The same ids under the outsider's own cohort, or the other agency's own team.
        keys = set(params) & OBJECT_KEYS
        if "slug" in params and keys:
            mixed = _url(name, {**params, "slug": w.cohort_b.slug})
            _probe(tally, outsider, "outsider in own cohort", name, mixed, data, allowed, everyone)
        if spec.audience == AGENCY and "team_id" in params and keys - {"team_id"}:
            mixed = _url(name, {**params, "team_id": w.team_a2.pk})
            _probe(tally, peer, "other agency in own team", name, mixed, data, allowed, (MARK_X,))
    changed = _changes(before, _snapshot())
    if changed:
        tally.failures.append(f"requests refused or not, the database changed: {changed}")
    return tally


def test_outsiders_and_other_agencies_find_nothing(world, client):
    started = time_module.perf_counter()
    tally = run_matrix(world, type(client))
    for who in ("outsider", "other agency", "outsider in own cohort"):
        print(f"\n403 to the {who}: {sorted(n for w, n in tally.forbidden if w == who)}")
    print(
        f"access matrix: {len(tally.routes)} routes, {tally.requests} requests (route x verb x "
        f"actor; {tally.reached_view} reached a view, the rest were refused by method) and "
        f"{tally.ghost_requests} for objects that do not exist, in "
        f"{time_module.perf_counter() - started:.1f}s"
    )
    assert not tally.failures, "\n".join(tally.failures)
    assert tally.routes == set(WITH_PARAMETERS)


def test_the_matrix_urls_reach_real_objects(world, client):
    """The control: each URL of the matrix, asked by someone entitled to it, is answered (not
    404), so the refusals above are refusals and not typos."""
    clients = {}
    failures = []
    for name, spec in sorted(ROUTES.items()):
        if spec.audience == SECRET or spec.no_control:
            continue
        owner = getattr(world, spec.owner)
        if owner.pk not in clients:
            clients[owner.pk] = _login(type(client), owner)
        url = _url(name, spec.params(world))
        response = clients[owner.pk].get(url)
        method = "GET"
        if response.status_code == 405:
            response, method = clients[owner.pk].post(url, spec.data(world)), "POST"
        if not 200 <= response.status_code < 400:
            failures.append(f"{spec.owner} {method} {url} ({name}) answered {response.status_code}")
    assert not failures, "\n".join(failures)


# Lists, counts, searches, feeds and exports ----------------------------------------------------

# Words found in cohort A's posts and titles. None contains a whole marker, so a page that
# repeats the query back does not trip the check; the results would.
SEARCHES = ["zebra", "thread", "giraffe", "words", "message", "detail"]


def _program_pages(w: World) -> list[str]:
    """Pages about no cohort in particular: every signed-in person reaches them."""
    pages = [
        reverse("home"),
        reverse("cohorts:cohort_list"),
        reverse("accounts:profile"),
        reverse("notifications:list"),
        reverse("notifications:feed"),
        reverse("conversations:inbox"),
        reverse("notification_settings:preferences"),
        reverse("cohorts:my_calendar"),
        reverse("cohorts:my_calendar") + "?all=1",
        reverse("assessments:roadmap"),
        reverse("assessments:instrument"),
        reverse("training:program"),
        reverse("training:events"),
        reverse("training:event", args=[w.event.pk]),
        reverse("training:register", args=[w.event.pk]),
        reverse("training:library"),
        reverse("training:suggest"),
    ]
    pages += [reverse("training:library") + f"?q={q}" for q in ["zebra", "draft", "summary"]]
    return pages


def _cohort_pages(w: World, cohort, team, session_number: int, wave, thread) -> list[str]:
    """The pages of a person's own cohort and team, searches included."""
    slug = cohort.slug
    forum = lambda name, *args: reverse(f"forum:{name}", args=[slug, *args])  # noqa: E731
    pages = [
        reverse("cohorts:cohort", args=[slug]),
        reverse("cohorts:people", args=[slug]),
        reverse("cohorts:calendar", args=[slug]),
        reverse("cohorts:topics", args=[slug]),
        reverse("cohorts:session", args=[slug, session_number]),
        reverse("cohorts:session_ics", args=[slug, session_number]),
        forum("index"),
        forum("category", "general"),
        forum("thread", thread.pk),
        reverse("peers:directory", args=[slug]),
        reverse("peers:directory", args=[slug]) + f"?agency={w.agency_x.pk}",
        reverse("peers:new_conversation", args=[slug]),
        reverse("surveys:wave_list", args=[slug]),
        reverse("surveys:answer", args=[slug, wave.pk]),
    ]
    pages += [reverse("cohorts:team", args=[slug, t.pk]) for t in cohort.teams.all()]
    pages += [forum("search") + f"?q={q}" for q in SEARCHES]
    pages += [forum("mention_suggestions") + f"?q={q}" for q in ["zeb", "Bob", "Carol", ""]]
    pages += [reverse("peers:directory", args=[slug]) + f"?q={q}" for q in ["zebra", "Bob"]]
    for name in ["team", "results", "plan", "partners"]:
        pages.append(reverse(f"assessments:{name}", args=[slug, team.pk]))
    pages.append(reverse("assessments:round", args=[slug, team.pk, "baseline"]))
    return pages


def _scan(client, urls: list[str], markers: tuple[str, ...]) -> tuple[list[str], dict[str, str]]:
    failures, bodies = [], {}
    for url in urls:
        response = client.get(url)
        if response.status_code >= 500 or response.status_code in {403, 404}:
            failures.append(f"GET {url} answered {response.status_code}: not a reachable page")
            continue
        body = _body(response)
        bodies[url] = body
        leaks = _leaked(body, markers)
        if leaks:
            failures.append(f"GET {url} shows {leaks}")
    return failures, bodies


def _own_feed(client, user, failures: list[str]) -> None:
    """The notification feed and its count hold the person's own notifications only."""
    from forum.models import Notification

    data = client.get(reverse("notifications:feed")).json()
    mine = Notification.objects.filter(recipient=user)
    if data["unread"] != mine.filter(read_at__isnull=True).count():
        failures.append(f"{user.email}: unread count {data['unread']} counts others' rows")
    ids = {item["id"] for item in data["notifications"]}
    if not ids <= set(mine.values_list("pk", flat=True)):
        failures.append(f"{user.email}: the feed lists notifications of other people: {ids}")


def test_lists_searches_feeds_and_counts_show_nothing_of_others(world, client):
    from forum.messaging import unread_count

    w = world
    failures: list[str] = []
    outsider = _login(type(client), w.outsider)
    peer = _login(type(client), w.peer)
    command = _login(type(client), w.command)
    feed = lambda sub: reverse("cohorts:feed", args=[sub.token])  # noqa: E731

    # The outsider: nothing of cohort A at all, from the program's pages or their own cohort's.
    wave_b, thread_b = w.wave_b, w.thread_b
    urls = _program_pages(w) + _cohort_pages(w, w.cohort_b, w.team_b, 1, wave_b, thread_b)
    urls.append(feed(w.feed_outsider))
    found, _ = _scan(outsider, urls, (MARK_A, MARK_X))
    failures += [f"outsider: {f}" for f in found]
    _own_feed(outsider, w.outsider, failures)

    # The other agency: all of cohort A's shared pages, nothing private to agency X.
    urls = _program_pages(w) + _cohort_pages(w, w.cohort_a, w.team_a2, 7, w.wave, w.thread)
    urls += [
        feed(w.feed_peer),
        reverse("assessments:step", args=[w.cohort_a.slug, w.team_a2.pk, w.step_y.pk]),
    ]
    found, peer_pages = _scan(peer, urls, (MARK_X,))
    failures += [f"other agency: {f}" for f in found]
    _own_feed(peer, w.peer, failures)

    # Counts: direct messages unread, a training's seats for the other agency's coordinator.
    for person, person_client in ((w.outsider, outsider), (w.peer, peer)):
        if unread_count(person):
            failures.append(f"{person.email} has {unread_count(person)} unread messages")
        rows = person_client.get(reverse("conversations:inbox")).context["rows"]
        if rows:
            failures.append(f"{person.email}'s inbox lists conversations: {rows}")
    for person_client, cohort, counts in (
        (outsider, w.cohort_b, (1, 1)),
        (peer, w.cohort_a, (2, 3)),
    ):
        listed = person_client.get(reverse("cohorts:cohort_list")).context["cohorts"]
        got = [(c.pk, c.team_count, c.member_count) for c in listed]
        if got != [(cohort.pk, *counts)]:
            failures.append(f"{cohort.slug} member's cohort list counts {got}")
        surveys = person_client.get(reverse("home")).context["open_surveys"]
        if {i.wave.cohort_id for i in surveys} != {cohort.pk}:
            failures.append(f"{cohort.slug} member's home lists surveys of other cohorts")
    seats = peer.get(reverse("training:register", args=[w.event.pk])).context["seats"]
    if [(s.agency.pk, s.confirmed) for s in seats] != [(w.agency_y.pk, 1)]:
        failures.append(f"the other agency's coordinator sees seats of {seats}")

    # Controls: the same pages do show what they may, so a missing marker above means
    # something. The other agency sees cohort A's shared objects; agency X sees its own.
    forum_search = reverse("forum:search", args=[w.cohort_a.slug])
    assert "zebra-a-post-reply" in peer_pages[forum_search + "?q=giraffe"]
    assert "zebra-a-meeting" in peer_pages[reverse("cohorts:session", args=["cohort-a", 7])]
    officer = _login(type(client), w.officer)
    for who, url, marker in [
        (command, reverse("notifications:feed"), "zebra-x-notification"),
        (officer, reverse("conversations:conversation", args=[w.conversation.pk]), "zebra-x-dm"),
        (command, reverse("assessments:plan", args=["cohort-a", w.team_a1.pk]), "zebra-x-step"),
        (command, reverse("training:register", args=[w.event.pk]), "zebra-x-registrant"),
        (command, forum_search + "?q=words", "zebra-a-post-opening"),
    ]:
        assert marker in _body(who.get(url)), f"{url} should show {marker} to agency X"
    library = _body(_login(type(client), w.staff).get(reverse("training:library") + "?q=draft"))
    assert "zebra-x-draft" in library, "the library search should find the draft for staff"
    assert not failures, "\n".join(failures)


def test_staff_exports_of_one_cohort_hold_nothing_of_another(world, client):
    """Staff reach every cohort: each cohort's exports and reports still hold only its rows."""
    w = world
    staff = _login(type(client), w.staff)
    slug = w.cohort_b.slug
    urls = [
        reverse("surveys:outcomes_export", args=[slug]) + "?format=csv",
        reverse("surveys:outcomes_export", args=[slug]) + "?format=xlsx",
        reverse("surveys:export", args=[slug, w.wave_b.pk]) + "?format=csv",
        reverse("surveys:export", args=[slug, w.wave_b.pk]) + "?format=codebook",
        reverse("surveys:export", args=[slug, w.wave_b.pk]) + "?format=xlsx",
        reverse("surveys:report", args=[slug, w.wave_b.pk]),
        reverse("surveys:trends", args=[slug]),
        reverse("assessments:overview_csv", args=[slug]),
        reverse("cohorts:roster_export", args=[slug]),
        reverse("cohorts:attendance_rates", args=[slug]),
        reverse("forum:flags", args=[slug]),
        reverse("forum:peer_contact", args=[slug]),
    ]
    found, _ = _scan(staff, urls, (MARK_X,))
    # Staff pages name every cohort in their navigation, so HTML pages are held to agency X's
    # private markers; the downloads (CSV, XLSX) to any marker of cohort A.
    files = [u for u in urls if "format=" in u or u.endswith(".csv")]
    found += _scan(staff, files, (MARK_A,))[0]
    assert not found, "\n".join(found)


def test_writes_in_ones_own_cohort_cannot_reach_into_another(world, client):
    """Ids of cohort A's objects sent in the body of the outsider's own cohort's forms (a quote,
    a category, a recipient, a mention, a step owner, notifications to mark read, a calendar
    feed) are refused or ignored: nothing of cohort A changes or shows."""
    from assessments.models import ActionStep
    from cohorts.models import CalendarFeed
    from forum.conversations import ConversationMember
    from forum.mentions import handle_base
    from forum.models import Notification, Post, Thread

    w = world
    outsider = _login(type(client), w.outsider)
    b = w.cohort_b.slug
    handles = f"@{handle_base(w.command)} @{handle_base(w.command)}.{w.command.pk}"

    def cohort_a_state():
        return {
            "notifications": list(
                Notification.objects.filter(recipient__in=[w.command, w.officer, w.peer])
                .order_by("pk")
                .values_list("pk", "read_at")
            ),
            "threads": Thread.objects.filter(cohort=w.cohort_a).count(),
            "conversations": ConversationMember.objects.filter(user=w.command).count(),
            "feeds": CalendarFeed.objects.filter(cohort=w.cohort_a).count(),
            "steps owned": ActionStep.objects.filter(owner=w.command).count(),
        }

    before = cohort_a_state()
    thread_b = reverse("forum:thread", args=[b, w.thread_b.pk])
    outsider.post(thread_b, {"body": f"Quoting {handles}", "quoted": w.post.pk})
    outsider.post(
        reverse("forum:thread_new", args=[b]),
        {"category": w.category.pk, "title": "Moved in", "body": "Into cohort A's category"},
    )
    outsider.post(
        reverse("peers:new_conversation", args=[b]),
        {"recipients": [w.command.pk], "body": "Hello across cohorts"},
    )
    outsider.post(reverse("notifications:mark_read"), {"id": [w.notification.pk]})
    outsider.post(reverse("cohorts:feed_renew"), {"cohort": w.cohort_a.slug})
    outsider.post(
        reverse("assessments:step_create", args=[b, w.team_b.pk]),
        {
            "title": "Owned elsewhere",
            "term": "short",
            "status": "not_started",
            "owner": w.command.pk,
        },
    )

    assert cohort_a_state() == before
    reply = Post.objects.filter(thread=w.thread_b).order_by("-number").first()
    assert reply.body.startswith("Quoting"), "the reply in the outsider's own cohort was refused"
    assert reply.quoted_id is None, "a reply in cohort B quotes a post of cohort A"
    for url in [
        thread_b,
        thread_b + f"?quote={w.post.pk}",
        reverse("peers:new_conversation", args=[b]) + f"?to={w.command.pk}",
        reverse("assessments:plan", args=[b, w.team_b.pk]),
    ]:
        body = _body(outsider.get(url))
        assert not _leaked(body, (MARK_A, MARK_X)), f"{url} shows {_leaked(body, (MARK_A,))}"
