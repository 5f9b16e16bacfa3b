"""Demo forum activity: threads between agencies, with replies, quotes, mentions, a shared
policy, a pinned welcome, a locked thread and a post waiting for staff review.

Runs after cohorts.demo. Everything comes from the scripts below and a seeded generator, so
two runs make the same conversations; a cohort whose forum already has threads is left alone,
so a second run adds nothing.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from cohorts.demo import RNG_SEED, DemoContext
from cohorts.models import Cohort, Membership

from . import posting
from .mentions import Directory
from .models import Attachment, Category, Notification, Thread
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


def seed(ctx: DemoContext) -> None:
    for slug, scripts in SCRIPTS.items():
        cohort = ctx.cohorts.get(slug) or Cohort.objects.filter(slug=slug).first()
        if cohort is not None:
            seed_cohort(ctx, cohort, scripts)
