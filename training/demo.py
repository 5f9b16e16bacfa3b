"""Demo data for the training program: the course page, regional trainings (one full with a
waitlist, one already held with attendance marked), requests in every state with their
history, a designated coordinator and a stocked library.

Dates are fixed, names come from a generator seeded for this step alone, and every part is
skipped when it already exists, so a second run changes nothing.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from cohorts.demo import FIRST_NAMES, LAST_NAMES, RNG_SEED, DemoContext, _email_domain
from cohorts.models import Agency, Membership, Topic

from .content import ensure_catalogue
from .models import (
    Coordinator,
    ProgramContent,
    Region,
    Registration,
    RequestChange,
    ResourceItem,
    ResourceSuggestion,
    SkillTheme,
    TrainingEvent,
    TrainingRequest,
)
from .seats import Attendee, register
from .services import send_evaluation


@dataclass(frozen=True)
class EventPlan:
    key: str
    title: str
    day: date
    venue: str
    address: str
    region: str
    capacity: int
    per_agency_limit: int
    # (agency name, how many people it sends) in the order they registered.
    sends: tuple[tuple[str, int], ...]


EVENTS = [
    EventPlan(
        "held",
        "Officer Resilience Training — Mid-Atlantic",
        date(2026, 10, 14),
        "Riverton Public Safety Training Center",
        "1200 Academy Drive, Riverton, VA",
        Region.MID_ATLANTIC,
        24,
        4,
        (("Riverton Police Department", 4), ("Harrisonburg Police Department", 3),
         ("Dover Police Department", 3), ("Wheaton Police Department", 2)),
    ),
    EventPlan(
        "full",
        "Officer Resilience Training — Southeast",
        date(2027, 1, 20),
        "Brookhaven Regional Law Enforcement Academy",
        "455 Peachtree Industrial Blvd, Brookhaven, GA",
        Region.SOUTHEAST,
        12,
        3,
        (("Riverton Police Department", 4), ("Brookhaven Police Department", 3),
         ("Lake County Sheriff's Office", 3), ("Summerville Police Department", 2),
         ("Pinecrest Police Department", 2), ("Greene County Sheriff's Office", 1)),
    ),
    EventPlan(
        "mountain",
        "Officer Resilience Training — Mountain West",
        date(2027, 3, 10),
        "Lakewood Justice Center",
        "480 S Allison Pkwy, Lakewood, CO",
        Region.MOUNTAIN,
        30,
        5,
        (("Lakewood Police Department", 5), ("Laramie Police Department", 2),
         ("Provo Police Department", 3)),
    ),
    EventPlan(
        "midwest",
        "Officer Resilience Training — Midwest",
        date(2027, 4, 21),
        "Franklin County Public Safety Building",
        "370 S Front St, Columbus, OH",
        Region.MIDWEST,
        30,
        5,
        (("Franklin County Sheriff's Office", 4), ("Ashland Police Department", 2)),
    ),
    EventPlan(
        "pacific",
        "Officer Resilience Training — Pacific",
        date(2027, 6, 9),
        "Fairview Community Conference Hall",
        "1300 NE Village St, Fairview, OR",
        Region.PACIFIC,
        36,
        6,
        (("Marion County Sheriff's Office", 3),),
    ),
    EventPlan(
        "northeast",
        "Officer Resilience Training — Northeast",
        date(2027, 9, 15),
        "Milford Police Training Room",
        "430 Boston Post Rd, Milford, CT",
        Region.NORTHEAST,
        24,
        4,
        (),
    ),
]  # fmt: skip

DISPATCH_ROLES = ["Dispatcher", "Telecommunicator", "Communications Supervisor"]
SWORN_ROLES = ["Patrol Officer", "Sergeant", "Corporal", "Detective", "Lieutenant", "Deputy"]


@dataclass(frozen=True)
class RequestPlan:
    agency: str
    contact: str
    email: str
    phone: str
    region: str
    attendees: int
    dates: tuple[date, ...]
    notes: str
    # Statuses after "received", each (status, day it happened, note).
    steps: tuple[tuple[str, date, str], ...]
    submitted: date
    event_key: str = ""


S = TrainingRequest.Status
REQUESTS = [
    RequestPlan(
        "Clarksville Police Department", "Lt. Teresa Morales", "tmorales@clarksville-pd.example",
        "812-555-0142", Region.MIDWEST, 18, (date(2027, 5, 12), date(2027, 5, 19)),
        "We would like to train our field training officers first.",
        (), date(2026, 11, 18),
    ),
    RequestPlan(
        "Bell County Sheriff's Office", "Capt. Ray Dawson", "rdawson@bell-co-so.example",
        "254-555-0178", Region.SOUTH_CENTRAL, 25, (date(2027, 2, 24),),
        "Dispatch and patrol together, if possible.",
        (), date(2026, 11, 21),
    ),
    RequestPlan(
        "Duluth Police Department", "Sgt. Erin Lambert", "elambert@duluth-pd.example",
        "218-555-0110", Region.MIDWEST, 12, (date(2027, 4, 21), date(2027, 4, 28)),
        "",
        ((S.UNDER_REVIEW, date(2026, 11, 12), "Checking whether the Midwest training fits."),),
        date(2026, 11, 9),
    ),
    RequestPlan(
        "Lakewood Police Department", "Chief Andre Keller", "akeller@lakewood-pd.example",
        "303-555-0101", Region.MOUNTAIN, 20, (date(2027, 3, 10),),
        "We can host the training at our justice center.",
        ((S.UNDER_REVIEW, date(2026, 9, 8), ""),
         (S.SCHEDULED, date(2026, 9, 22), "Hosting the Mountain West training.")),
        date(2026, 9, 2), "mountain",
    ),
    RequestPlan(
        "Franklin County Sheriff's Office", "Maj. Denise Quinn", "dquinn@franklin-co-so.example",
        "614-555-0165", Region.MIDWEST, 15, (date(2027, 4, 21), date(2027, 5, 5)),
        "",
        ((S.SCHEDULED, date(2026, 10, 5), "Booked into the Midwest training."),),
        date(2026, 9, 30), "midwest",
    ),
    RequestPlan(
        "Santa Rosa Police Department", "Ofc. Victor Ellis", "vellis@santa-rosa-pd.example",
        "575-555-0133", Region.SOUTH_CENTRAL, 480, (date(2026, 12, 2),),
        "Our whole department on one date.",
        ((S.UNDER_REVIEW, date(2026, 10, 20), ""),
         (S.DECLINED, date(2026, 10, 27),
          "A single training holds up to 36 people. We would be glad to plan a series of "
          "regional trainings with you: please send a new request with a smaller group.")),
        date(2026, 10, 18),
    ),
]  # fmt: skip

POCKET_CARD_PATH = "library/demo/resilience-skills-pocket-card.pdf"
POCKET_CARD_PDF = (
    b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    b"2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n"
    b"3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
    b"/Resources << /Font << /F1 5 0 R >> >> >> endobj\n"
    b"4 0 obj << /Length 60 >> stream\nBT /F1 18 Tf 72 720 Td (Resilience skills pocket card) Tj ET\n"
    b"endstream endobj\n5 0 obj << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> endobj\n"
    b"trailer << /Root 1 0 R >>\n%%EOF\n"
)


@dataclass(frozen=True)
class ItemPlan:
    title: str
    kind: str
    summary: str
    body: str
    themes: tuple[str, ...]
    topics: tuple[str, ...]
    roles: tuple[str, ...]
    url: str = ""
    file: str = ""
    published: bool = True


K = ResourceItem.Kind
ALL_ROLES = ("officer", "dispatcher", "command_staff")
LIBRARY = [
    ItemPlan(
        "The Law Enforcement Resilience Training Program at a glance",
        K.DOCUMENT,
        "An overview of the program developed with the University of Pennsylvania's Positive "
        "Psychology Center: where it comes from, what the day covers and who it is for.",
        "## Where the program comes from\n\nThe course adapts the Penn Resilience Program for "
        "policing. It was built with agencies, tested with officers and dispatchers, and "
        "refined after every round of trainings.\n\n## What the day covers\n\n"
        "- **Mind**: noticing the thoughts that drive reactions, and answering them.\n"
        "- **Energy**: calming the body under stress and recovering afterwards.\n"
        "- **Connection**: conversations that build trust at work and at home.\n\n"
        "## Who it is for\n\nSworn personnel of every rank and dispatchers. Agencies send a "
        "small group to a regional training, often with a future in-house trainer among them.",
        ("mind", "energy", "connection"),
        ("resilience-and-burnout",),
        ALL_ROLES,
    ),
    ItemPlan(
        "Enhancing officer wellness and resiliency in policing",
        K.DOCUMENT,
        "Practical steps officers can build into ordinary days to protect their mental and "
        "physical wellness when stress and uncertainty run high.",
        "Stress in policing adds up. This guide collects small, repeatable practices:\n\n"
        "1. **Bookend the shift.** Two minutes before and after: what went well, what is "
        "left, what can wait.\n2. **Protect sleep.** Darken the room, keep the phone out, "
        "keep the same wake time on days off when you can.\n3. **Eat before you are "
        "hungry.** Pack food for the second half of the shift.\n4. **Move every day.** Ten "
        "minutes counts.\n5. **Name one person to call.** Decide now, not in the middle of a "
        "bad week.",
        ("energy", "mind"),
        ("resilience-and-burnout", "nutrition-and-physical-health"),
        ("officer", "dispatcher"),
    ),
    ItemPlan(
        "Resilience in law enforcement: thriving in the face of adversity",
        K.WEBINAR,
        "A webinar on fitting resilience training into an agency's training calendar and "
        "culture, and on what the skills change in officers' personal and working lives.",
        "The recording runs about an hour. Presenters cover:\n\n- how agencies schedule the "
        "training alongside mandatory in-service hours;\n- building a cadre of in-house "
        "trainers;\n- what attendees said changed six months later.\n\nThe slides are linked "
        "from the recording page.",
        ("mind", "connection"),
        ("resilience-and-burnout", "sustainability-of-efforts"),
        ("command_staff", "officer"),
        url="https://video.example.org/resilience/thriving-in-the-face-of-adversity",
    ),
    ItemPlan(
        "Perspective series: the role of resilience in officer safety and wellness",
        K.VIDEO,
        "Short testimonial videos in which past attendees explain what the training meant to "
        "them and which skills they still use.",
        "Each video is three to five minutes, which makes them easy to show at roll call "
        "before a discussion. Suggested questions:\n\n- Which skill did the speaker use, "
        "and when?\n- Where could you use it this week?",
        ("mind", "connection"),
        ("resilience-and-burnout", "mental-health-and-suicide-prevention"),
        ALL_ROLES,
        url="https://video.example.org/resilience/perspective-series",
    ),
    ItemPlan(
        "Practical resilience training: expanding agency and officer wellness",
        K.WEBINAR,
        "A conference workshop on why resilience training reduces stress and strengthens "
        "mental health, with an executive's view, an attendee's view and an agency trainer "
        "who has trained hundreds of colleagues in-house.",
        "Three voices, one message: resilience skills stick when leaders take the course "
        "first and the agency keeps practising them.\n\n### For command staff\n\nNote the "
        "trainer's advice on protecting training time when staffing is short.",
        ("mind", "energy", "connection"),
        ("sustainability-of-efforts", "resilience-and-burnout"),
        ("command_staff",),
        url="https://video.example.org/resilience/practical-resilience-training",
    ),
    ItemPlan(
        "Build your resilience skills: positive conversations",
        K.VIDEO,
        "Two troopers demonstrate how to respond to good news in a way that strengthens the "
        "relationship, a skill anyone can try at home tonight.",
        "Active, constructive responding: when someone shares good news, ask about it, let "
        "them relive it, and show real interest. The video shows the four ways people "
        "usually answer, and why only one builds the relationship.",
        ("connection",),
        ("resilience-and-burnout",),
        ("officer", "dispatcher", "family"),
        url="https://video.example.org/resilience/positive-conversations",
    ),
    ItemPlan(
        "Build your resilience skills: gratitude and optimism",
        K.VIDEO,
        "A demonstration of a simple daily gratitude practice and how it feeds optimism, "
        "shown to lower anxiety and lift well-being.",
        "Each evening, write down three things that went well and why. The presenters show "
        "how they kept the habit through night shifts and court days.",
        ("mind",),
        ("mental-health-and-suicide-prevention", "resilience-and-burnout"),
        ("officer", "dispatcher", "family"),
        url="https://video.example.org/resilience/gratitude-and-optimism",
    ),
    ItemPlan(
        "Resilience strategies for patrol officers",
        K.GUIDE,
        "Strategies fitted to patrol work: the call that stays with you, the long stretch of "
        "nights, the complaint that feels unfair.",
        "### After a hard call\n\nSeparate what happened from the story you tell yourself "
        "about it. Ask: what is the evidence? What else could explain it?\n\n### On long runs "
        "of nights\n\nPlan recovery like you plan the shift: sleep window, food, one thing "
        "you enjoy.\n\n### When a complaint lands\n\nWatch for the thinking traps of "
        "mind-reading and jumping to conclusions; talk it through with a peer.",
        ("mind", "energy"),
        ("critical-incident-stress-response", "resilience-and-burnout"),
        ("officer",),
    ),
    ItemPlan(
        "Resilience strategies for dispatchers and telecommunicators",
        K.GUIDE,
        "Strategies for the people on the other end of the line: hearing the worst moments "
        "of callers' lives without seeing how they end.",
        "- **Close the loop.** Ask supervisors for outcomes of the calls that stay with you.\n"
        "- **Reset between calls.** One slow breath in, a longer breath out, before the "
        "next line lights.\n- **Name the trap.** After a hard call, notice 'I should have' "
        "thinking and check it against what you could have known.",
        ("mind", "energy"),
        ("critical-incident-stress-response", "mental-health-and-suicide-prevention"),
        ("dispatcher",),
    ),
    ItemPlan(
        "Resilience strategies for command staff",
        K.GUIDE,
        "How leaders model resilience skills, protect training time and make asking for help "
        "ordinary in their agency.",
        "Leaders set the tone. Take the course yourself first; use the skills out loud in "
        "briefings; ask about wellness in every performance conversation; make sure the "
        "schedule lets people attend.",
        ("connection", "mind"),
        ("sustainability-of-efforts", "mentorship"),
        ("command_staff",),
    ),
    ItemPlan(
        "Resilience strategies for families",
        K.GUIDE,
        "For spouses, partners and families of officers and dispatchers: what the job does "
        "to routines and moods, and skills to use together at home.",
        "Families carry the job too. This guide explains the skills attendees learn, so that "
        "families can use the same words: good-news conversations, gratitude at dinner, and "
        "how to talk about a hard day without reliving it.",
        ("connection", "energy"),
        ("resilience-and-burnout", "financial-literacy"),
        ("family",),
    ),
    ItemPlan(
        "Resilience skills pocket card",
        K.DOCUMENT,
        "A one-page card with the course's core skills, to print and keep in a notebook or locker.",
        "Print it double-sided and fold it in half. It lists the thinking traps, the "
        "real-time resilience prompts and the energy reset.",
        ("mind", "energy", "connection"),
        ("resilience-and-burnout",),
        ("officer", "dispatcher", "command_staff", "family"),
        file=POCKET_CARD_PATH,
    ),
    ItemPlan(
        "Avoiding thinking traps: a roll-call exercise",
        K.DOCUMENT,
        "A ten-minute exercise supervisors can run at roll call to practise spotting thinking "
        "traps with real, anonymised scenarios.",
        "1. Read the scenario aloud.\n2. Ask the group which conclusion they jumped to.\n"
        "3. Name the trap: mind-reading, overgeneralising, blaming, catastrophising.\n"
        "4. Ask what evidence would change the conclusion.",
        ("mind",),
        ("mental-health-and-suicide-prevention",),
        ("command_staff", "officer"),
    ),
    ItemPlan(
        "Peer support team start-up checklist",
        K.DOCUMENT,
        "A checklist for agencies starting a peer support team, suggested by a member.",
        "",
        ("connection",),
        ("mentorship",),
        ALL_ROLES,
        published=False,
    ),
]


def _at(day: date, hour: int = 15) -> datetime:
    return datetime.combine(day, time(hour, 0), tzinfo=UTC)


def seed_events(ctx: DemoContext, rng: random.Random) -> dict[str, TrainingEvent]:
    events = {}
    for plan in EVENTS:
        event, _ = TrainingEvent.objects.get_or_create(
            title=plan.title,
            date=plan.day,
            defaults={
                "start_time": time(8, 30),
                "end_time": time(16, 30),
                "venue": plan.venue,
                "address": plan.address,
                "region": plan.region,
                "capacity": plan.capacity,
                "per_agency_limit": plan.per_agency_limit,
                "description": "Coffee from 8:00. Lunch is provided; tell your coordinator "
                "about dietary needs. Wear comfortable clothes: there is some moving about.",
                "created_by": ctx.personas["staff"],
            },
        )
        events[plan.key] = event
        if not event.registrations.exists():
            _register_people(ctx, rng, event, plan)
    ctx.log(
        f"Trainings: {TrainingEvent.objects.count()}, "
        f"{Registration.objects.confirmed().count()} confirmed seats, "
        f"{Registration.objects.waitlisted().count()} waitlisted"
    )
    return events


def _register_people(ctx, rng: random.Random, event: TrainingEvent, plan: EventPlan) -> None:
    agencies = {a.name: a for a in Agency.objects.filter(name__in=[n for n, _ in plan.sends])}
    used: set[str] = set()
    position = 0
    for name, count in plan.sends:
        agency = agencies.get(name)
        if agency is None:
            continue
        domain = _email_domain(agency.name)
        for _ in range(count):
            while True:
                first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
                email = f"{first.lower()}.{last.lower()}@{domain}"
                if email not in used:
                    used.add(email)
                    break
            role = rng.choice(DISPATCH_ROLES if rng.random() < 0.25 else SWORN_ROLES)
            attendee = Attendee(name=f"{first} {last}", rank_role=role, email=email)
            by = ctx.personas["command" if agency.name.startswith("Riverton") else "staff"]
            if event.is_past:
                # Registration closed when the day came: record the seats as they stood.
                position += 1
                confirmed = _past_seat(event, agency)
                Registration.objects.create(
                    event=event, agency=agency, name=attendee.name, rank_role=role,
                    email=email, position=position, registered_by=by,
                    status=Registration.Status.CONFIRMED if confirmed
                    else Registration.Status.WAITLISTED,
                    attended=(rng.random() < 0.9) if confirmed else None,
                    attendance_marked_by=ctx.personas["staff"] if confirmed else None,
                    attendance_marked_at=_at(event.date, 17) if confirmed else None,
                )  # fmt: skip
            else:
                register(event=event, agency=agency, attendee=attendee, by=by, notify=False)


def _past_seat(event: TrainingEvent, agency: Agency) -> bool:
    """Whether the next registration for a training already held had a seat."""
    confirmed = event.registrations.confirmed()
    return (
        confirmed.count() < event.capacity
        and confirmed.filter(agency=agency).count() < event.per_agency_limit
    )


def seed_requests(ctx: DemoContext, events: dict[str, TrainingEvent]) -> None:
    staff = ctx.personas["staff"]
    for plan in REQUESTS:
        if TrainingRequest.objects.filter(email=plan.email).exists():
            continue
        dates = list(plan.dates) + [None, None]
        final = plan.steps[-1][0] if plan.steps else S.RECEIVED
        request = TrainingRequest.objects.create(
            agency_name=plan.agency,
            agency=Agency.objects.filter(name=plan.agency).first(),
            contact_name=plan.contact,
            email=plan.email,
            phone=plan.phone,
            region=plan.region,
            expected_attendees=plan.attendees,
            preferred_date=dates[0],
            alternate_date=dates[1],
            second_alternate_date=dates[2],
            notes=plan.notes,
            status=final,
            decline_reason=plan.steps[-1][2] if final == S.DECLINED else "",
            event=events.get(plan.event_key) if final == S.SCHEDULED else None,
        )
        TrainingRequest.objects.filter(pk=request.pk).update(created=_at(plan.submitted, 14))
        RequestChange.objects.create(
            request=request, from_status="", to_status=S.RECEIVED, at=_at(plan.submitted, 14)
        )
        previous = S.RECEIVED
        for status, day, note in plan.steps:
            RequestChange.objects.create(
                request=request, from_status=previous, to_status=status, by=staff,
                at=_at(day), note=note,
            )  # fmt: skip
            previous = status
    counts = {s.label: TrainingRequest.objects.filter(status=s).count() for s in S}
    ctx.log(
        "Training requests: " + ", ".join(f"{n} {label.lower()}" for label, n in counts.items())
    )


def seed_coordinators(ctx: DemoContext, events: dict[str, TrainingEvent]) -> None:
    """A wellness coordinator who is not command staff, designated for their agency."""
    civilian = (
        Membership.objects.filter(team__cohort__slug="osw-2026", role=Membership.Role.CIVILIAN)
        .select_related("user", "team__agency")
        .order_by("team__agency__name", "user__email")
        .first()
    )
    if civilian is None:
        return
    Coordinator.objects.get_or_create(
        user=civilian.user,
        agency=civilian.team.agency,
        event=None,
        defaults={"designated_by": ctx.personas["staff"]},
    )


def _pocket_card() -> str:
    if not default_storage.exists(POCKET_CARD_PATH):
        default_storage.save(POCKET_CARD_PATH, ContentFile(POCKET_CARD_PDF))
    return POCKET_CARD_PATH


def seed_library(ctx: DemoContext) -> None:
    themes = {t.slug: t for t in SkillTheme.objects.all()}
    topics = {t.slug: t for t in Topic.objects.all()}
    staff = ctx.personas["staff"]
    for plan in LIBRARY:
        if ResourceItem.objects.filter(title=plan.title).exists():
            continue
        item = ResourceItem(
            title=plan.title,
            kind=plan.kind,
            summary=plan.summary,
            body=plan.body,
            url=plan.url,
            published=plan.published,
            created_by=staff,
        )
        item.role_list = plan.roles
        if plan.file:
            item.file.name = _pocket_card()
        item.save()
        item.themes.set([themes[s] for s in plan.themes if s in themes])
        item.topics.set([topics[s] for s in plan.topics if s in topics])
        if not plan.published:
            _suggested(ctx, item)
    ctx.log(
        f"Library: {ResourceItem.objects.published().count()} published items, "
        f"{ResourceItem.objects.filter(published=False).count()} draft"
    )


def _suggested(ctx: DemoContext, item: ResourceItem) -> None:
    """The draft came from a member's suggestion, made from a forum post."""
    post_url = ""
    try:
        from forum.models import Post

        post = (
            Post.objects.filter(thread__cohort__slug="osw-2026")
            .select_related("thread__cohort")
            .order_by("thread__created", "number")
            .first()
        )
        post_url = post.get_absolute_url() if post else ""
    except (ImportError, AttributeError):
        post_url = ""
    ResourceSuggestion.objects.create(
        title=item.title,
        forum_post_url=f"{settings.SITE_URL}{post_url}" if post_url else "",
        note="Our agency used this to start a peer support team; others asked for it in the forum.",
        suggested_by=ctx.personas["officer"],
        status=ResourceSuggestion.Status.APPROVED,
        reviewed_by=ctx.personas["staff"],
        reviewed_at=_at(date(2026, 11, 20)),
        item=item,
    )
    if not ResourceSuggestion.objects.filter(status=ResourceSuggestion.Status.PENDING).exists():
        ResourceSuggestion.objects.create(
            title="Sleep hygiene for rotating shifts",
            url="https://resources.example.org/sleep-on-rotating-shifts",
            note="A clear two-page handout our dispatchers liked.",
            suggested_by=ctx.personas["peer"],
        )


IMPROVEMENTS = {
    "warm": [
        "More time to practise the breathing drills with a partner.",
        "A short refresher a few months later would help the skills stick.",
        "Bring in more examples from dispatch, not just patrol.",
        "Send the handouts ahead so we can read them before the day.",
        "A follow-up webinar for the people we bring the skills back to.",
    ],
    "cool": [
        "Too much lecture in the afternoon; more scenarios, please.",
        "The day was long for what it covered; it could be shorter.",
        "Hard to see how to use this on a short-staffed shift.",
        "The room was cramped and hard to hear in at the back.",
    ],
}


def _score(value: float) -> str:
    return str(min(5, max(1, round(value))))


def _evaluation_answers(rng: random.Random, registration: Registration) -> dict:
    """One attendee's answers: how much they took from the day drives every rating, with
    some spread per skill theme; dispatchers lean to the Energy skills they use at the
    console, and the readiness to use and recommend follows the overall rating."""
    took = rng.gauss(4.1, 0.7)
    dispatch = registration.rank_role in DISPATCH_ROLES
    overall = _score(took + rng.gauss(0, 0.3))
    answers = {
        "overall": overall,
        "useful_mind": _score(took + rng.gauss(0, 0.6)),
        "useful_energy": _score(took + rng.gauss(0.4 if dispatch else 0, 0.6)),
        "useful_connection": _score(took + rng.gauss(-0.1, 0.7)),
        "will_use": _score(took + rng.gauss(-0.2, 0.6)),
    }
    recommend = {5: 0.97, 4: 0.9, 3: 0.55}.get(int(overall), 0.15)
    answers["recommend"] = "yes" if rng.random() < recommend else "no"
    if rng.random() < 0.45:
        answers["improve"] = rng.choice(IMPROVEMENTS["warm" if int(overall) >= 4 else "cool"])
    return answers


def seed_evaluations(ctx: DemoContext, events: dict[str, TrainingEvent]) -> None:
    """Trainings already held get their evaluation: sent to those present at the end of the
    day, answered by about three in four over the following days."""
    from surveys.catalogue import ensure_templates
    from surveys.services import submit_response

    survey = ensure_templates()["post-training-evaluation"]
    for event in events.values():
        if not event.is_past or event.is_cancelled or event.evaluation_wave_id:
            continue
        present = list(event.registrations.confirmed().filter(attended=True))
        if not present:
            continue
        rng = random.Random(f"{RNG_SEED}-training-evaluation-{event.date}")
        opens_at = _at(event.date, 21)  # 5 PM on the East Coast, as the day ends
        sent = send_evaluation(
            event=event,
            survey=survey,
            closes_at=opens_at + timedelta(days=14),
            by=ctx.personas["staff"],
            at=opens_at,
            notify=False,  # held weeks ago: nobody should get email about it today
        )
        wave = sent.wave
        wave.invitations.update(sent_at=opens_at)
        invitations = {i.email: i for i in wave.invitations.all()}
        for registration in sorted(present, key=lambda r: r.position):
            if rng.random() >= 0.75:
                continue
            answers = _evaluation_answers(rng, registration)
            # Most answer the evening or the day after; a few after a reminder.
            delay = timedelta(hours=rng.choice([2, 5, 20, 26, 30, 50, 170, 300]))
            submit_response(
                invitation=invitations[registration.email.lower()],
                answers=answers,
                at=opens_at + delay + timedelta(minutes=rng.randint(0, 59)),
            )
        ctx.log(
            f"Evaluation of {event}: {wave.responses.submitted().count()} responses "
            f"of {len(invitations)} invited"
        )


def seed(ctx: DemoContext) -> None:
    ProgramContent.load()
    ensure_catalogue()
    rng = random.Random(f"{RNG_SEED}-training")
    events = seed_events(ctx, rng)
    seed_evaluations(ctx, events)
    seed_requests(ctx, events)
    seed_coordinators(ctx, events)
    seed_library(ctx)
