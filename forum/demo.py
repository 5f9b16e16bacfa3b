"""Demo forum activity: threads between agencies, with replies, quotes, mentions, a shared
policy, a pinned welcome, a locked thread and a post waiting for staff review; direct
messages between agencies (one to one and a small group), a staff announcement, contact
details some members chose to share, and notifications read and unread for the personas.

Runs after cohorts.demo. Everything comes from the scripts below and seeded generators, so
two runs make the same conversations; a cohort whose forum (or whose messages) already exist
is left alone, so a second run adds nothing. No email is queued for any of it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone

from accounts.models import User
from cohorts.demo import DEMO_DOMAIN, RNG_SEED, DemoContext
from cohorts.models import Cohort, Membership

from . import emails, messaging, posting
from .measures import contact_makers
from .mentions import Directory
from .models import (
    Attachment,
    Category,
    Conversation,
    ConversationMember,
    Notification,
    Thread,
)
from .rendering import quote

POLICY_PATH = "forum/demo/peer-support-policy-template.pdf"
POLICY_PDF = (
    b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    b"2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n"
    b"3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
    b"/Resources << /Font << /F1 5 0 R >> >> >> endobj\n"
    b"4 0 obj << /Length 62 >> stream\nBT /F1 18 Tf 72 720 Td (Peer support policy template) Tj ET\n"
    b"endstream endobj\n5 0 obj << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> endobj\n"
    b"trailer << /Root 1 0 R >>\n%%EOF\n"
)


@dataclass(frozen=True)
class Line:
    """One post: who writes it (a cast key), what, whether it quotes the previous post, and
    how many days and hours after the thread began."""

    who: str
    text: str
    day: float = 0
    quote: bool = False


@dataclass(frozen=True)
class Script:
    category: str  # "general" or a topic's slug
    title: str
    lines: tuple[Line, ...]
    start_day: int
    pinned: bool = False
    locked: bool = False
    attach_policy_to: int | None = None  # index of the line that shares the policy template
    flagged_line: int | None = None  # index of a line someone flags for staff


WELCOME = Script(
    category="general",
    title="Welcome to the forum: how it works",
    start_day=0,
    pinned=True,
    lines=(
        Line(
            "staff",
            "Welcome, everyone. This forum is for the agencies in this cohort to ask each other "
            "questions between the monthly sessions.\n\n"
            "- Start a thread in the category that fits; **General** is for everything else.\n"
            "- Type `@` and a name to mention someone: they get a notification.\n"
            "- Share policies and templates as attachments (PDF, Word, Excel, images).\n"
            "- Use **Flag for review** if a post shares something it should not; staff will look "
            "at it.\n\n"
            "What is said here stays in the cohort: only members and program staff can read it.",
        ),
    ),
)

SCRIPTS_2026 = (
    WELCOME,
    Script(
        category="critical-incident-stress-response",
        title="Who runs your critical incident debriefs?",
        start_day=9,
        attach_policy_to=3,
        lines=(
            Line(
                "A",
                "We are rewriting our critical incident protocol after last month's session. "
                "Right now a supervisor runs the debrief, and nobody trusts it.\n\n"
                "Who runs yours: an in-house peer team, a contracted clinician, or both? "
                "And how soon after the incident?",
            ),
            Line(
                "B",
                "Both. A peer supporter from a *different* shift makes first contact within "
                "24 hours, and our contracted clinician leads the group debrief at 48 to 72 hours.\n\n"
                "Keeping supervisors out of the room was the single biggest change for us.",
                day=0.3,
                quote=True,
            ),
            Line(
                "D",
                "Same here on keeping rank out of the room. We also send dispatchers an invite: "
                "they heard the whole call and usually get forgotten.",
                day=1.1,
            ),
            Line(
                "B",
                "{@A} here is our peer support policy (names removed). Sections 4 and 5 cover "
                "the debrief timeline and confidentiality. Happy to talk it through.",
                day=1.4,
            ),
            Line(
                "A",
                "This is exactly what we needed, thank you {@B}. Taking it to our chief on "
                "Thursday.",
                day=2,
                quote=True,
            ),
        ),
    ),
    Script(
        category="nutrition-and-physical-health",
        title="Night shift meals that are not from a gas station",
        start_day=16,
        lines=(
            Line(
                "C",
                "Our night shift lives on energy drinks and whatever is open at 3 a.m. Has anyone "
                "found something that works: a fridge at the station, a meal-prep partner?",
            ),
            Line(
                "E",
                "We partnered with a local meal-prep company: officers order by Sunday night and "
                "meals are dropped at the station on Monday and Thursday. The union covers a third "
                "of the cost.",
                day=0.6,
            ),
            Line(
                "C",
                "How did you get the union on board? That part worries me.",
                day=0.8,
                quote=True,
            ),
            Line(
                "E",
                "We ran a four-week pilot with ten volunteers and shared their sleep and energy "
                "self-ratings. {@C}, the numbers did the convincing.",
                day=1.5,
            ),
        ),
    ),
    Script(
        category="mental-health-and-suicide-prevention",
        title="Annual wellness check-ins: mandatory or voluntary?",
        start_day=23,
        flagged_line=2,
        lines=(
            Line(
                "D",
                "Our command staff want an annual mandatory check-in with a clinician for every "
                "sworn member. I worry it becomes a box-ticking exercise people resent.\n\n"
                "Has anyone made it mandatory, and how did officers take it?",
            ),
            Line(
                "A",
                "We made it mandatory but *confidential*: the clinician only reports to us that "
                "the visit happened, never what was said. Participation went from about 15% "
                "voluntary to everyone, and complaints stopped after the first year.",
                day=0.5,
            ),
            Line(
                "F",
                "We tried voluntary first. One of our officers was hospitalised last spring "
                "after a call involving a child, and only then did people start going.",
                day=0.9,
            ),
            Line(
                "B",
                "{@D} the confidentiality piece is everything. Put it in writing in the policy "
                "before you announce it.",
                day=1.2,
                quote=False,
            ),
        ),
    ),
    Script(
        category="general",
        title="Introductions: who is on your team?",
        start_day=3,
        lines=(
            Line(
                "A",
                "Starting us off. Our team is our chief, a patrol sergeant, a dispatcher and our "
                "wellness coordinator. We are about 60 sworn, suburban. Our first goal is a peer "
                "support team by spring.",
            ),
            Line(
                "B",
                "Sheriff's office, about 180 sworn across a mostly rural county. I lead the team "
                "with our chief deputy and a detention sergeant. We have a peer team already; "
                "we want to fix how we follow up after critical incidents.",
                day=0.2,
            ),
            Line(
                "E",
                "Small department here: 22 sworn. Everyone wears three hats, so anything that "
                "works without a dedicated coordinator interests us.",
                day=0.7,
            ),
        ),
    ),
)

SCRIPTS_2021 = (
    WELCOME,
    Script(
        category="resilience-and-burnout",
        title="Getting command staff to back a wellness unit",
        start_day=40,
        attach_policy_to=2,
        lines=(
            Line(
                "A",
                "Our biggest obstacle is buy-in above lieutenant. They see wellness as soft. "
                "What finally convinced your command staff?",
            ),
            Line(
                "B",
                "Overtime and sick-leave numbers. We showed two years of stress-related leave "
                "next to what it cost to cover those shifts. The wellness coordinator's salary "
                "was a fraction of it.",
                day=0.4,
                quote=True,
            ),
            Line(
                "D",
                "{@A} we started with a policy so it did not depend on one champion. Our template "
                "is attached; the purpose statement was what our sheriff signed off on first.",
                day=1,
            ),
            Line(
                "A",
                "Thank you both. {@B}, would you share how you pulled the leave numbers? Our HR "
                "system is not built for it.",
                day=1.6,
            ),
        ),
    ),
    Script(
        category="financial-literacy",
        title="Overtime dependence and financial stress",
        start_day=150,
        locked=True,
        lines=(
            Line(
                "C",
                "Several of our officers are structurally dependent on overtime: car notes and "
                "mortgages sized to it. Has anyone brought in a financial counsellor?",
            ),
            Line(
                "E",
                "Our credit union ran a free six-week budgeting course on duty time. Attendance "
                "was good once the chief went first.",
                day=0.5,
            ),
            Line(
                "staff",
                "Thank you all: this thread fed into the Financial Literacy session in July. "
                "The course materials are in the session's resources, so we are closing the "
                "thread here.",
                day=30,
            ),
        ),
    ),
    Script(
        category="mentorship",
        title="Pairing new officers with mentors from another shift",
        start_day=200,
        lines=(
            Line(
                "D",
                "We pair every recruit with a mentor for their first year, deliberately from a "
                "different shift so it is not their field training officer. Anyone else doing "
                "this?",
            ),
            Line(
                "B",
                "We do it for dispatchers too. The cross-shift part matters: they say things "
                "they would never say to their own sergeant.",
                day=2,
                quote=True,
            ),
        ),
    ),
)

SCRIPTS = {"osw-2026": SCRIPTS_2026, "osw-2021": SCRIPTS_2021}


def _cast(ctx: DemoContext, cohort: Cohort, rng: random.Random) -> dict[str, object]:
    """Who plays each part: the personas where they are in the cohort, then one member each
    of other agencies, chosen by the seeded generator."""
    personas = ctx.personas
    members = (
        Membership.objects.for_cohort(cohort)
        .select_related("user", "team")
        .order_by("team__name", "user__email")
    )
    by_team: dict[int, list] = {}
    for membership in members:
        by_team.setdefault(membership.team_id, []).append(membership)
    persona_ids = {user.pk for user in personas.values()}
    taken_teams: set[int] = set()
    cast: dict[str, object] = {"staff": personas["staff"]}
    for key, persona in (("A", "command"), ("B", "peer"), ("C", "officer")):
        membership = next((m for m in members if m.user_id == personas[persona].pk), None)
        if membership is not None:
            cast[key] = membership.user
            taken_teams.add(membership.team_id)
    others = [team for team in by_team if team not in taken_teams]
    rng.shuffle(others)
    for key in "ABCDEF":
        while key not in cast:
            people = [m for m in by_team[others.pop(0)] if m.user_id not in persona_ids]
            if people:
                cast[key] = rng.choice(people).user
    return cast


def _when(cohort: Cohort, days: float) -> datetime:
    start = datetime.combine(cohort.start_date, time(9, 30), tzinfo=cohort.tz)
    planned = start + timedelta(days=days)
    # A cohort that is still running only shows conversations that have already happened.
    return min(planned, timezone.now() - timedelta(hours=2))


def _text(line: Line, cast: dict, directory: Directory) -> str:
    text = line.text
    for key, user in cast.items():
        handle = directory.handle_of(user.pk)
        if handle:
            text = text.replace(f"{{@{key}}}", f"@{handle}")
    return text


def _policy_file() -> str:
    if not default_storage.exists(POLICY_PATH):
        default_storage.save(POLICY_PATH, ContentFile(POLICY_PDF))
    return POLICY_PATH


def seed_cohort(ctx: DemoContext, cohort: Cohort, scripts: tuple[Script, ...]) -> None:
    if Thread.objects.filter(cohort=cohort).exists():
        return
    posting.ensure_categories(cohort)
    categories = {c.slug: c for c in Category.objects.filter(cohort=cohort)}
    rng = random.Random(f"{RNG_SEED}-{cohort.slug}-forum")
    cast = _cast(ctx, cohort, rng)
    directory = Directory.for_cohort(cohort)
    for script in sorted(scripts, key=lambda s: s.start_day):
        category = categories[script.category]
        first, *rest = script.lines
        thread = posting.start_thread(
            category=category,
            author=cast[first.who],
            title=script.title,
            body=_text(first, cast, directory),
            when=_when(cohort, script.start_day),
        ).post.thread
        previous = thread.posts.get()
        posts = [previous]
        for line in rest:
            body = _text(line, cast, directory)
            if line.quote:
                # Written out in the Markdown, as the reply form's Quote button does.
                body = quote(previous.body, previous.author.display_name) + body
            post = posting.reply(
                thread=thread,
                author=cast[line.who],
                body=body,
                quoted=previous if line.quote else None,
                when=_when(cohort, script.start_day + line.day),
            ).post
            posts.append(post)
            previous = post
        if script.attach_policy_to is not None:
            Attachment.objects.create(
                post=posts[script.attach_policy_to],
                file=_policy_file(),
                original_name="Peer support policy template.pdf",
                content_type="application/pdf",
                size=len(POLICY_PDF),
            )
        if script.flagged_line is not None:
            flagged = posts[script.flagged_line]
            posting.flag_post(
                post=flagged,
                by=cast["A"] if flagged.author != cast["A"] else cast["B"],
                reason="private",
                detail="It describes a colleague's hospitalisation; they may not want it shared.",
            )
        if script.pinned or script.locked:
            posting.moderate_thread(
                thread=thread, by=cast["staff"], pinned=script.pinned, locked=script.locked
            )
    if cohort.status == Cohort.Status.COMPLETED:
        # What happened in a finished cohort is old news, not something to be told about now.
        Notification.objects.filter(cohort=cohort, read_at__isnull=True).update(
            read_at=timezone.now()
        )
    ctx.log(
        f"{cohort.slug}: {Thread.objects.filter(cohort=cohort).count()} forum threads, "
        f"{sum(t.post_count for t in Thread.objects.filter(cohort=cohort))} posts"
    )


# Direct messages -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Said:
    """One direct message: who writes it (a cast key) and when (days after the cohort began)."""

    who: str
    text: str
    day: float


@dataclass(frozen=True)
class Talk:
    people: tuple[str, ...]  # the cast keys in the conversation; the first one starts it
    lines: tuple[Said, ...]
    title: str = ""
    unread_by: tuple[str, ...] = ()  # who has not read the last messages yet


TALKS_2026 = (
    Talk(
        people=("A", "B"),
        unread_by=("B",),
        lines=(
            Said(
                "A",
                "Keisha, thank you for the policy you shared in the forum. Could I call you "
                "about how your clinician contract is set up? We are pricing one for our "
                "budget meeting.",
                10,
            ),
            Said(
                "B",
                "Of course. We pay a monthly retainer plus a per-session rate for group "
                "debriefs. I will dig out the numbers before we talk.",
                10.3,
            ),
            Said("A", "That would help a lot. Is Thursday afternoon good for you?", 11),
            Said(
                "B",
                "Thursday at 2 works. I will bring the sergeant who runs our peer team.",
                11.2,
            ),
            Said(
                "A",
                "Our chief approved a six-month clinician pilot this morning. Thursday made "
                "the difference: **thank you**.",
                24,
            ),
        ),
    ),
    Talk(
        people=("D", "C"),
        unread_by=("C",),
        lines=(
            Said(
                "D",
                "Luis, following up on the debriefs thread: we now invite our dispatchers to "
                "every debrief. Would our invitation template help your team?",
                20,
            ),
            Said("C", "Yes please. Our communications supervisor has been asking for it.", 20.4),
            Said(
                "D",
                "In short: the same invitation, the same room, and the dispatcher speaks first "
                "about what they heard on the call. I will send the full template this week.",
                21,
            ),
        ),
    ),
    Talk(
        people=("E", "B", "C", "F"),
        title="Small agencies: wellness without a coordinator",
        unread_by=("B",),
        lines=(
            Said(
                "E",
                "Starting this for those of us without a full-time wellness coordinator. "
                "What is one thing that worked for you on a small budget?",
                30,
            ),
            Said(
                "F",
                "One free counselling session a quarter, booked for everyone by default. "
                "People only cancel if they have to, and almost nobody does.",
                30.5,
            ),
            Said(
                "B",
                "Peer supporters trained by the state association: the course was free, we "
                "only covered the overtime.",
                31,
            ),
            Said("C", "Taking both ideas to our sergeant. Thank you all.", 31.5),
        ),
    ),
)

ANNOUNCEMENT_2026 = (
    "Direct messages and the peer directory are open",
    "You can now write privately to anyone in the cohort, one to one or in a small group "
    "of up to eight.\n\n"
    "- Find people in the **peer directory**: agency, role, and the contact details each "
    "person chose to share.\n"
    "- Choose what reaches you by email under **Email preferences**: immediately, a daily "
    "digest, or off.\n\n"
    "Several teams have already traded policies this way. Reach out between sessions!",
    35,
)

# The first collaborative's members who reached a peer from another agency on the platform:
# about three in five, a little under the 62.5% of survey respondents who said they had (the
# platform cannot see phone calls or conversations at the meetings).
PLATFORM_CONTACT_SHARE = 0.6

OPENINGS_2021 = (
    (
        "I heard your chief talk about your peer team at the last session. How did you "
        "choose your first peer supporters?",
        "We asked the shifts to nominate people they already trusted, then trained the eight "
        "names that came up most. Happy to share the nomination form.",
    ),
    (
        "Do you have a policy for a wellness check-in after a critical incident? We are "
        "writing ours and would rather not start from nothing.",
        "We do: a check-in within 72 hours, by a peer from another shift. I will send you "
        "the two pages we use.",
    ),
    (
        "Your agency is about our size. How do you cover shifts when people go to the "
        "wellness training?",
        "We schedule it on the training days we already have and pay the overtime from the "
        "grant. It took a year to get it in the budget.",
    ),
    (
        "Who runs your fitness programme: a coordinator, or the officers themselves?",
        "Two officers who are certified trainers, with two hours a month of paid time. It "
        "works because it is theirs.",
    ),
    (
        "Did your union sign off on the annual wellness visit? Ours has questions about "
        "confidentiality.",
        "They did once the clinician's letter said only attended or not attended. I can put "
        "you in touch with our union rep.",
    ),
    (
        "How did you get retirees involved in mentoring? We have three who keep offering.",
        "We pair each retiree with a recruit for their first year, one coffee a month. The "
        "retirees love it as much as the recruits.",
    ),
    (
        "What did you use to measure whether your wellness unit works? Our council wants numbers.",
        "Sick leave, overtime for cover, and a short anonymous survey twice a year. The "
        "survey mattered most to the council.",
    ),
    (
        "Thank you for the financial literacy materials. Did you run them on duty time?",
        "Yes, in two-hour blocks at shift change. Attendance doubled once the chief came to "
        "the first one.",
    ),
)

GROUP_2021 = (
    "Rural agencies: peer support on a shoestring",
    (
        "Starting a group for the rural agencies: what has worked for you without a budget "
        "line for wellness?",
        "A regional peer team shared with two neighbouring agencies. Nobody has to support "
        "their own shift.",
        "Free training from the state association, and a clinician we share with the "
        "county fire service.",
        "We are trying the shared team next year. Thank you for writing this down.",
    ),
)


def _send(
    cohort: Cohort, author, conversation: Conversation | None, recipients, text, when, title=""
):
    if conversation is None:
        conversation, _ = messaging.start_conversation(
            cohort=cohort, author=author, recipients=recipients, body=text, title=title, when=when
        )
        return conversation
    messaging.send_message(conversation=conversation, author=author, body=text, when=when)
    return conversation


def _read_all(conversation: Conversation, *, except_ids: set[int] = frozenset()) -> None:
    """Everyone in the conversation has read it, except ``except_ids``."""
    conversation.refresh_from_db()
    for place in conversation.members.select_related("user"):
        if place.user_id in except_ids:
            continue
        messaging.mark_conversation_read(
            user=place.user, conversation=conversation, message_id=conversation.last_message_id
        )


def seed_talks_2026(ctx: DemoContext, cohort: Cohort) -> None:
    cast = _cast(ctx, cohort, random.Random(f"{RNG_SEED}-{cohort.slug}-forum"))
    for talk in TALKS_2026:
        conversation = None
        for said in talk.lines:
            author = cast[said.who]
            others = [cast[key] for key in talk.people if key != said.who]
            conversation = _send(
                cohort, author, conversation, others, said.text, _when(cohort, said.day), talk.title
            )
        _read_all(conversation, except_ids={cast[key].pk for key in talk.unread_by})
    title, body, day = ANNOUNCEMENT_2026
    post = posting.announce(
        cohort=cohort, author=cast["staff"], title=title, body=body, when=_when(cohort, day)
    ).post
    # Most members have seen it; the command and peer personas have not yet.
    unread = {ctx.personas[key].pk for key in ("command", "peer") if key in ctx.personas}
    Notification.objects.filter(
        kind=Notification.Kind.ANNOUNCEMENT, url=post.get_absolute_url(), read_at__isnull=True
    ).exclude(recipient__in=unread).update(read_at=timezone.now())
    # The personas have read the replies in threads they watch, all but the newest.
    for persona in ctx.personas.values():
        replies = Notification.objects.filter(
            recipient=persona, cohort=cohort, kind=Notification.Kind.REPLY, read_at__isnull=True
        ).order_by("-pk")
        older = list(replies.values_list("pk", flat=True)[1:])
        Notification.objects.filter(pk__in=older).update(read_at=timezone.now())


def _agency_of(cohort: Cohort) -> dict[int, int]:
    agency: dict[int, int] = {}
    for user_id, agency_id in (
        Membership.objects.for_cohort(cohort).order_by("pk").values_list("user_id", "team__agency")
    ):
        agency.setdefault(user_id, agency_id)
    return agency


def seed_talks_2021(ctx: DemoContext, cohort: Cohort) -> None:
    """Cross-agency conversations through the year, until PLATFORM_CONTACT_SHARE of the
    members have reached a peer from another agency (counting the forum's replies too)."""
    rng = random.Random(f"{RNG_SEED}-{cohort.slug}-messages")
    agency = _agency_of(cohort)
    people = {u.pk: u for u in User.objects.filter(pk__in=agency).order_by("email")}
    already = set(contact_makers(cohort).values_list("pk", flat=True))
    target = round(len(people) * PLATFORM_CONTACT_SHARE)
    waiting = sorted(set(people) - already)
    rng.shuffle(waiting)
    chosen = waiting[: max(target - len(already), 0)]

    def day(low: int, high: int) -> datetime:
        return _when(cohort, rng.uniform(low, high))

    # A small group across three agencies or more.
    title, (opening, *replies) = GROUP_2021
    group: list[int] = []
    for user_id in chosen:
        if agency[user_id] not in {agency[g] for g in group}:
            group.append(user_id)
        if len(group) == 4:
            break
    if len(group) >= 2:
        when = day(60, 90)
        conversation = _send(
            cohort, people[group[0]], None, [people[g] for g in group[1:]], opening, when, title
        )
        for offset, (user_id, text) in enumerate(zip(group[1:], replies, strict=False), 1):
            _send(
                cohort, people[user_id], conversation, [], text, when + timedelta(hours=5 * offset)
            )
        chosen = [c for c in chosen if c not in group]

    # Then pairs, each from two agencies; whoever is left writes to someone already counted.
    while chosen:
        first = chosen.pop(0)
        partner = next((c for c in chosen if agency[c] != agency[first]), None)
        if partner is not None:
            chosen.remove(partner)
        opening, answer = OPENINGS_2021[rng.randrange(len(OPENINGS_2021))]
        when = day(20, 330)
        if partner is None:
            counted = sorted(u for u in already or people if agency[u] != agency[first])
            conversation = _send(
                cohort, people[first], None, [people[rng.choice(counted)]], opening, when
            )
            continue
        conversation = _send(cohort, people[first], None, [people[partner]], opening, when)
        _send(
            cohort,
            people[partner],
            conversation,
            [],
            answer,
            when + timedelta(hours=rng.uniform(2, 30)),
        )


def seed_messages(ctx: DemoContext, cohort: Cohort) -> None:
    if Conversation.objects.filter(cohort=cohort).exists():
        return
    if cohort.slug == "osw-2026":
        seed_talks_2026(ctx, cohort)
    elif cohort.slug == "osw-2021":
        seed_talks_2021(ctx, cohort)
    if cohort.status == Cohort.Status.COMPLETED:
        # A finished cohort's conversations are read, and nobody is told about them now.
        last = Conversation.objects.filter(pk=OuterRef("conversation")).values("last_message")
        ConversationMember.objects.filter(conversation__cohort=cohort).update(
            last_read_message_id=Subquery(last[:1])
        )
        Notification.objects.filter(cohort=cohort, read_at__isnull=True).update(
            read_at=timezone.now()
        )
    made = contact_makers(cohort).count()
    ctx.log(
        f"{cohort.slug}: {Conversation.objects.filter(cohort=cohort).count()} conversations; "
        f"{made} of {len(_agency_of(cohort))} members reached a peer from another agency"
    )


# Contact details in the peer directory --------------------------------------------------------

BIOS = (
    "Runs our peer support team; ask me about training new peer supporters.",
    "Wellness coordinator since 2019. Happy to share our fitness and nutrition programme.",
    "Patrol sergeant, night shift. Interested in sleep and shift-work research.",
    "Dispatcher and peer supporter: dispatchers need debriefs too.",
    "Command staff sponsor of our wellness unit. I can talk budgets and buy-in.",
    "Mentorship programme lead; we pair every recruit with a mentor from another shift.",
)


def seed_sharing(ctx: DemoContext) -> None:
    """Some members share their email, a few their phone, and some wrote an "about me"."""
    people = User.objects.filter(email__endswith=".example")
    if people.filter(Q(share_email=True) | Q(share_phone=True)).exists():
        return
    rng = random.Random(f"{RNG_SEED}-sharing")
    for key in ("staff", "command", "peer"):
        persona = ctx.personas.get(key)
        if persona is not None:
            User.objects.filter(pk=persona.pk).update(share_email=True)
    for user in people.exclude(email__endswith=f"@{DEMO_DOMAIN}").order_by("email"):
        changes = {}
        if rng.random() < 0.45:
            changes["share_email"] = True
        if rng.random() < 0.2:
            changes["share_phone"] = True
            changes["phone"] = (
                user.phone or f"({rng.randint(201, 989)}) 555-01{rng.randint(0, 99):02}"
            )
        if not user.bio and rng.random() < 0.3:
            changes["bio"] = rng.choice(BIOS)
        if changes:
            User.objects.filter(pk=user.pk).update(**changes)


def seed(ctx: DemoContext) -> None:
    with emails.held():
        for slug, scripts in SCRIPTS.items():
            cohort = ctx.cohorts.get(slug) or Cohort.objects.filter(slug=slug).first()
            if cohort is not None:
                seed_cohort(ctx, cohort, scripts)
                seed_messages(ctx, cohort)
        seed_sharing(ctx)
