"""Demo data for the cohorts app: agencies, people, cohorts, teams, topics and invitations.

Everything is generated from fixed rules and a seeded random generator, so two runs produce
the same data, and a second run on a seeded database changes nothing.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, time

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.utils import timezone
from django.utils.text import slugify

from accounts.mfa import enrol_totp
from accounts.models import User

from .models import (
    Agency,
    Attendance,
    Cohort,
    Invitation,
    Membership,
    Rsvp,
    SessionMaterial,
    Team,
    Topic,
    TopicVote,
)
from .sessions import SeriesRule, create_series, mark_attendance, rank_topics

DEMO_PASSWORD = "demo-pass-2026"
DEMO_DOMAIN = "demo.collaborative.example"
# The staff persona's authenticator-app secret (base32). Staff must use two-factor
# authentication, so the demo publishes this one: add it to any authenticator app (or use the
# printed otpauth:// address) to get the codes. Demo data only; never a real account's.
DEMO_STAFF_TOTP_SECRET = "COLLABORATIVEDEMOSTAFFTOTP234567"
RNG_SEED = 2021

TOPICS = [
    (
        "Critical Incident Stress Response",
        "Preparing for, responding to and recovering from critical incidents: defusing, "
        "debriefing and follow-up care for officers and dispatchers.",
    ),
    (
        "Nutrition and Physical Health",
        "Shift-work nutrition, sleep, fitness programmes and partnerships that make healthy "
        "choices easy on duty.",
    ),
    (
        "Resilience and Burnout",
        "Recognising burnout early and building everyday resilience skills across ranks.",
    ),
    (
        "Mental Health and Suicide Prevention",
        "Reducing stigma, screening, clinician partnerships and suicide-prevention protocols.",
    ),
    (
        "Mentorship",
        "Formal and informal mentoring for new officers, supervisors and command staff.",
    ),
    (
        "Financial Literacy",
        "Debt, overtime dependence, budgeting and the financial stress that follows officers home.",
    ),
    (
        "Preparing for Retirement",
        "Planning the transition out of the profession: identity, finances and health.",
    ),
    (
        "Sustainability of Efforts",
        "Keeping wellness programmes funded, staffed and valued after the launch.",
    ),
]

# Fictional agencies in real states. Kind decides the name's pattern.
MUNICIPAL_PLACES = [
    ("Riverton", "VA"), ("Fairview", "OR"), ("Georgetown", "KY"), ("Milford", "CT"),
    ("Brookhaven", "GA"), ("Lakewood", "CO"), ("Cedar Falls", "IA"), ("Westbrook", "ME"),
    ("Harrisonburg", "VA"), ("Summerville", "SC"), ("Kingsport", "TN"), ("Ashland", "OH"),
    ("Bristol", "RI"), ("Glendale", "AZ"), ("Pinecrest", "FL"), ("Oak Ridge", "TN"),
    ("Marshall", "TX"), ("Salem", "NH"), ("Burlington", "NC"), ("Greenfield", "WI"),
    ("Elmira", "NY"), ("Bethel", "AK"), ("Laramie", "WY"), ("Bozeman", "MT"),
    ("Rockford", "IL"), ("Dover", "DE"), ("Norwood", "MA"), ("Clarksville", "IN"),
    ("Wheaton", "MD"), ("Santa Rosa", "NM"), ("Provo", "UT"), ("Reno", "NV"),
    ("Spokane Valley", "WA"), ("Duluth", "MN"), ("Lawrence", "KS"), ("Columbia", "MO"),
]  # fmt: skip
COUNTIES = [
    ("Marion County", "OR"), ("Jefferson County", "AL"), ("Washington County", "PA"),
    ("Lake County", "FL"), ("Douglas County", "NE"), ("Franklin County", "OH"),
    ("Polk County", "IA"), ("Madison County", "MS"), ("Clay County", "MO"),
    ("Greene County", "NC"), ("Bell County", "TX"), ("Shelby County", "KY"),
]  # fmt: skip
STATE_AGENCIES = [
    ("Vermont State Police", "VT"),
    ("South Dakota Highway Patrol", "SD"),
    ("West Virginia State Police", "WV"),
]
TRIBAL_AGENCIES = [
    ("Red Lake Nation Police Department", "MN"),
    ("Cherokee Nation Marshal Service", "OK"),
]
CAMPUS_AGENCIES = [
    ("State University Police Department", "MI"),
    ("Valley Community College Police", "CA"),
    ("Coastal University Police Department", "LA"),
]

FIRST_NAMES = [
    "James", "Maria", "Robert", "Jennifer", "Michael", "Linda", "David", "Patricia", "John",
    "Elizabeth", "Daniel", "Angela", "Marcus", "Keisha", "Luis", "Tamara", "Kevin", "Rachel",
    "Anthony", "Monica", "Brian", "Denise", "Jose", "Heather", "Eric", "Nicole", "Steven",
    "Andrea", "Raymond", "Crystal", "Thomas", "Vanessa", "Gregory", "Lauren", "Derrick", "Erin",
    "Samuel", "Tiffany", "Victor", "Megan", "Andre", "Dana", "Paul", "Kimberly", "Jamal",
    "Christina", "Scott", "Alicia", "Frank", "Jasmine",
]  # fmt: skip
LAST_NAMES = [
    "Alvarez", "Bennett", "Carter", "Diaz", "Edwards", "Foster", "Garcia", "Hughes", "Iverson",
    "Jackson", "Kowalski", "Lopez", "Mitchell", "Nguyen", "Okafor", "Patel", "Quinn", "Reyes",
    "Sullivan", "Thompson", "Underwood", "Vasquez", "Washington", "Xu", "Young", "Zimmerman",
    "Brooks", "Castillo", "Dawson", "Ellis", "Fleming", "Grant", "Holloway", "Jimenez", "Keller",
    "Lambert", "Morales", "Nash", "Ortiz", "Price", "Ramirez", "Sanders", "Turner", "Vaughn",
    "Walsh", "Yates", "Henderson", "Coleman", "Bishop", "Reed",
]  # fmt: skip

COMMAND_RANKS = {
    Agency.Kind.MUNICIPAL: ["Chief of Police", "Deputy Chief", "Captain", "Lieutenant"],
    Agency.Kind.SHERIFF: ["Sheriff", "Undersheriff", "Chief Deputy", "Captain"],
    Agency.Kind.STATE: ["Major", "Captain", "Lieutenant"],
    Agency.Kind.TRIBAL: ["Chief of Police", "Captain", "Lieutenant"],
    Agency.Kind.CAMPUS: ["Chief of Police", "Assistant Chief", "Lieutenant"],
}
SWORN_RANKS = ["Sergeant", "Corporal", "Officer", "Detective", "Senior Officer", "Trooper"]
CIVILIAN_TITLES = [
    "Wellness Coordinator",
    "Peer Support Coordinator",
    "Employee Assistance Liaison",
]
DISPATCH_TITLES = ["Dispatcher", "Communications Supervisor", "Telecommunicator"]


@dataclass(frozen=True)
class Persona:
    key: str
    label: str
    first_name: str
    last_name: str
    is_staff: bool = False
    is_sme: bool = False

    @property
    def email(self) -> str:
        return f"{self.key}@{DEMO_DOMAIN}"


PERSONAS = [
    Persona("staff", "Program staff (also /admin/)", "Alex", "Morgan", is_staff=True),
    Persona("sme", "Subject-matter expert", "Dr. Renee", "Castellano", is_sme=True),
    Persona("command", "Command staff, team lead", "Dana", "Whitfield"),
    Persona("officer", "Sworn officer on the same team", "Luis", "Ortega"),
    Persona("peer", "Member of another agency's team", "Keisha", "Holloway"),
]


@dataclass(frozen=True)
class CohortPlan:
    slug: str
    name: str
    start: date
    end: date
    status: str
    teams: int
    description: str
    time_zone: str = "America/New_York"


COHORT_PLANS = [
    CohortPlan(
        slug="osw-2021",
        name="OSW Learning Collaborative 2021",
        start=date(2021, 1, 1),
        end=date(2021, 12, 31),
        status=Cohort.Status.COMPLETED,
        teams=18,
        description="The first Officer Safety and Wellness learning collaborative: agency "
        "teams, each with command staff, meeting monthly with a subject-matter expert.",
    ),
    CohortPlan(
        slug="osw-2022",
        name="OSW Learning Collaborative 2022",
        start=date(2022, 1, 1),
        end=date(2022, 12, 31),
        status=Cohort.Status.COMPLETED,
        teams=30,
        description="The second learning collaborative, running through 2022 with 30 agencies.",
    ),
    CohortPlan(
        slug="osw-2026",
        name="OSW Learning Collaborative 2026–27",
        start=date(2026, 9, 1),
        end=date(2027, 8, 31),
        status=Cohort.Status.ACTIVE,
        teams=12,
        description="The current learning collaborative.",
    ),
]


@dataclass
class DemoContext:
    """What the seeding steps share: the generator, the output and what earlier steps made."""

    rng: random.Random
    log: callable
    personas: dict[str, User] = field(default_factory=dict)
    cohorts: dict[str, Cohort] = field(default_factory=dict)
    password_hash: str = ""


def agency_catalogue() -> list[tuple[str, str, str]]:
    """Every demo agency as (name, state, kind), in a fixed order."""
    rows = [
        (f"{place} Police Department", st, Agency.Kind.MUNICIPAL) for place, st in MUNICIPAL_PLACES
    ]
    rows += [(f"{county} Sheriff's Office", st, Agency.Kind.SHERIFF) for county, st in COUNTIES]
    rows += [(name, st, Agency.Kind.STATE) for name, st in STATE_AGENCIES]
    rows += [(name, st, Agency.Kind.TRIBAL) for name, st in TRIBAL_AGENCIES]
    rows += [(name, st, Agency.Kind.CAMPUS) for name, st in CAMPUS_AGENCIES]
    return rows


def _agency_profile(rng: random.Random, kind: str) -> tuple[str, str]:
    if kind == Agency.Kind.STATE:
        return Agency.SizeBand.S250_999, rng.choice([Agency.Setting.RURAL, Agency.Setting.SUBURBAN])
    if kind == Agency.Kind.TRIBAL:
        return Agency.SizeBand.UNDER_25, Agency.Setting.TRIBAL
    if kind == Agency.Kind.CAMPUS:
        return Agency.SizeBand.S25_99, Agency.Setting.URBAN
    if kind == Agency.Kind.SHERIFF:
        return (
            rng.choice(
                [Agency.SizeBand.S25_99, Agency.SizeBand.S100_249, Agency.SizeBand.S250_999]
            ),
            rng.choice([Agency.Setting.RURAL, Agency.Setting.SUBURBAN]),
        )
    return (
        rng.choice(
            [Agency.SizeBand.UNDER_25, Agency.SizeBand.S25_99, Agency.SizeBand.S25_99,
             Agency.SizeBand.S100_249, Agency.SizeBand.S250_999]
        ),
        rng.choice([Agency.Setting.URBAN, Agency.Setting.SUBURBAN, Agency.Setting.SUBURBAN,
                    Agency.Setting.RURAL]),
    )  # fmt: skip


def _email_domain(agency_name: str) -> str:
    words = slugify(agency_name.replace("'", "")).split("-")
    short = {"police": "pd", "department": "", "sheriffs": "so", "office": "", "county": "co"}
    parts = [short.get(w, w) for w in words]
    return "-".join(p for p in parts if p)[:40] + ".example"


def seed_topics(ctx: DemoContext) -> None:
    for position, (name, description) in enumerate(TOPICS, start=1):
        Topic.objects.update_or_create(
            slug=slugify(name),
            defaults={"name": name, "description": description, "position": position},
        )
    ctx.log(f"Topics: {Topic.objects.count()}")


def _user(ctx: DemoContext, *, email: str, first: str, last: str, **flags) -> User:
    user, created = User.objects.get_or_create(
        email=email,
        defaults={
            "first_name": first,
            "last_name": last,
            "password": ctx.password_hash,
            **flags,
        },
    )
    if created:
        EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


def seed_personas(ctx: DemoContext) -> None:
    for persona in PERSONAS:
        flags = {
            "is_staff": persona.is_staff,
            "is_superuser": persona.is_staff,
            "is_sme": persona.is_sme,
        }
        if persona.is_sme:
            flags["bio"] = (
                "Clinical psychologist who has worked with police and fire agencies for fifteen "
                "years on critical-incident response and peer support."
            )
        ctx.personas[persona.key] = _user(
            ctx, email=persona.email, first=persona.first_name, last=persona.last_name, **flags
        )
        if persona.is_staff:
            enrol_totp(ctx.personas[persona.key], DEMO_STAFF_TOTP_SECRET)


def _team_roster(ctx: DemoContext, agency: Agency, size: int) -> list[tuple[str, str]]:
    """Roles and ranks for a team of ``size``: command staff first, always."""
    rng = ctx.rng
    command_ranks = COMMAND_RANKS.get(agency.kind, COMMAND_RANKS[Agency.Kind.MUNICIPAL])
    roster = [(Membership.Role.COMMAND_STAFF, rng.choice(command_ranks))]
    for _ in range(size - 1):
        role = rng.choices(
            [Membership.Role.SWORN, Membership.Role.COMMAND_STAFF, Membership.Role.CIVILIAN,
             Membership.Role.DISPATCHER],
            weights=[5, 2, 2, 1],
        )[0]  # fmt: skip
        if role == Membership.Role.SWORN:
            rank = rng.choice(SWORN_RANKS if agency.kind == Agency.Kind.STATE else SWORN_RANKS[:5])
        elif role == Membership.Role.COMMAND_STAFF:
            rank = rng.choice(command_ranks[1:] or command_ranks)
        elif role == Membership.Role.CIVILIAN:
            rank = rng.choice(CIVILIAN_TITLES)
        else:
            rank = rng.choice(DISPATCH_TITLES)
        roster.append((role, rank))
    return roster


def seed_cohorts(ctx: DemoContext) -> None:
    rng = ctx.rng
    catalogue = agency_catalogue()
    agencies = {}
    for name, state, kind in catalogue:
        size, setting = _agency_profile(rng, kind)
        agency, _ = Agency.objects.get_or_create(
            name=name,
            state=state,
            defaults={"kind": kind, "sworn_size": size, "setting": setting,
                      "city": name.split(" Police")[0].split(" County")[0]},
        )  # fmt: skip
        agencies[name] = agency

    persona_agency = agencies["Riverton Police Department"]
    peer_agency = agencies["Marion County Sheriff's Office"]
    used_names: set[tuple[str, str]] = set(
        User.objects.filter(email__endswith=".example").values_list("first_name", "last_name")
    )

    for plan in COHORT_PLANS:
        cohort, _ = Cohort.objects.get_or_create(
            slug=plan.slug,
            defaults={
                "name": plan.name,
                "description": plan.description,
                "start_date": plan.start,
                "end_date": plan.end,
                "max_teams": max(plan.teams, 18),
                "time_zone": plan.time_zone,
            },
        )
        ctx.cohorts[plan.slug] = cohort
        others = [a for n, a in agencies.items() if a not in (persona_agency, peer_agency)]
        cohort_rng = random.Random(f"{RNG_SEED}-{plan.slug}")
        chosen = [persona_agency, peer_agency] + cohort_rng.sample(others, plan.teams - 2)
        if plan.slug == "osw-2021":
            chosen = [persona_agency] + cohort_rng.sample(others, plan.teams - 1)
        for agency in chosen:
            team, created = Team.objects.get_or_create(
                cohort=cohort, agency=agency, defaults={"name": agency.name}
            )
            if not created:
                continue
            _fill_team(ctx, team, cohort_rng, used_names, plan.slug)
        if cohort.status != plan.status:
            cohort.set_status(plan.status)
        ctx.log(
            f"{cohort.slug}: {cohort.teams.count()} teams, "
            f"{Membership.objects.filter(team__cohort=cohort).count()} members, {cohort.status}"
        )


def _fill_team(ctx, team: Team, rng: random.Random, used_names: set, slug: str) -> None:
    personas = ctx.personas
    agency = team.agency
    persona_slots: list[tuple[User, str, str]] = []
    if agency.name == "Riverton Police Department":
        persona_slots.append((personas["command"], Membership.Role.COMMAND_STAFF, "Captain"))
        if slug != "osw-2021":
            persona_slots.append((personas["officer"], Membership.Role.SWORN, "Sergeant"))
    elif agency.name == "Marion County Sheriff's Office":
        persona_slots.append((personas["peer"], Membership.Role.COMMAND_STAFF, "Lieutenant"))

    size = rng.choices([2, 3, 4], weights=[2, 5, 3])[0]
    lead = None
    for user, role, rank in persona_slots:
        membership = Membership.objects.create(team=team, user=user, role=role, rank=rank)
        if lead is None and role == Membership.Role.COMMAND_STAFF:
            lead = membership
    wanted = max(size - len(persona_slots), 0)
    if lead is None:
        generated = _team_roster(ctx, agency, max(wanted, 1))
    else:
        # The personas already give the team its command staff; the rest are mixed roles.
        generated = _team_roster(ctx, agency, wanted + 1)[1:]
    domain = _email_domain(agency.name)
    for role, rank in generated:
        first, last = _unique_name(rng, used_names)
        email = f"{first.lower()}.{last.lower()}@{domain}".replace(" ", "")
        user = _user(ctx, email=email, first=first, last=last)
        membership = Membership.objects.create(team=team, user=user, role=role, rank=rank)
        if lead is None and role == Membership.Role.COMMAND_STAFF:
            lead = membership
    team.set_lead(lead)


def _unique_name(rng: random.Random, used: set) -> tuple[str, str]:
    while True:
        name = (rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES))
        if name not in used:
            used.add(name)
            return name


def seed_invitations(ctx: DemoContext) -> None:
    cohort = ctx.cohorts["osw-2026"]
    team = cohort.teams.get(agency__name="Riverton Police Department")
    email = "new.officer@riverton-pd.example"
    if not Invitation.objects.filter(team=team, email=email).exists():
        Invitation.objects.create(
            team=team,
            email=email,
            role=Membership.Role.SWORN,
            rank="Officer",
            invited_by=ctx.personas["staff"],
        )
    ctx.log(f"Pending invitations: {Invitation.objects.pending().count()}")


EXPERTS = [
    ("Marcus", "Bell", "Financial counsellor who built the budgeting course used by several state "
     "police academies."),
    ("Sandra", "Kim", "Retired lieutenant who founded her agency's peer-support team and now "
     "trains peer supporters nationwide."),
    ("Tony", "Rivera", "Sports dietitian and strength coach for public-safety agencies on rotating "
     "shifts."),
]  # fmt: skip

# Which experts present which topic (by position in TOPICS, 1-based).
TOPIC_EXPERTS = {1: ["sme"], 2: ["rivera"], 3: ["sme", "kim"], 4: ["sme"], 5: ["kim"],
                 6: ["bell"], 7: ["bell"], 8: ["kim"]}  # fmt: skip


def seed_experts(ctx: DemoContext) -> dict[str, User]:
    experts = {"sme": ctx.personas["sme"]}
    for first, last, bio in EXPERTS:
        experts[last.lower()] = _user(
            ctx,
            email=f"{first.lower()}.{last.lower()}@experts.example",
            first=first,
            last=last,
            is_sme=True,
            bio=bio,
        )
    return experts


def seed_topic_votes(ctx: DemoContext, cohort: Cohort, rng: random.Random) -> None:
    """Most members rank four or five topics; what they pick leans on what agencies report
    needing most (critical incidents, mental health, resilience) without being uniform."""
    if TopicVote.objects.filter(cohort=cohort).exists():
        return
    topics = list(Topic.objects.order_by("position"))
    weights = [9, 5, 8, 9, 4, 3, 2, 5][: len(topics)] + [3] * max(0, len(topics) - 8)
    for membership in Membership.objects.filter(team__cohort=cohort).order_by("pk"):
        if rng.random() < 0.2:
            continue  # not everyone votes
        picks: list[Topic] = []
        pool, pool_weights = topics[:], weights[:]
        for _ in range(rng.choice([3, 4, 5])):
            choice = rng.choices(range(len(pool)), weights=pool_weights)[0]
            picks.append(pool.pop(choice))
            pool_weights.pop(choice)
        rank_topics(cohort=cohort, user=membership.user, topic_ids=[t.pk for t in picks])


def seed_sessions(ctx: DemoContext, cohort: Cohort, experts: dict[str, User], rng) -> None:
    if cohort.sessions.exists():
        return
    rule = SeriesRule(
        weekday=1,  # Tuesday
        ordinal=2,
        start_time=time(14, 0),
        end_time=time(15, 30),
        first_month=cohort.start_date,
        months=12,
    )
    created = create_series(cohort=cohort, rule=rule)
    now = timezone.now()
    for session in created:
        topic = session.topic
        session.agenda = (
            f"1. Welcome and check-in (10 min)\n"
            f"2. {topic.name if topic else 'Presentation'}: presentation and questions (45 min)\n"
            "3. Agency round-table: what is working, what is stuck (25 min)\n"
            "4. Action-plan commitments before next month (10 min)"
        )
        session.meeting_url = f"https://meet.example.org/{cohort.slug}/session-{session.number}"
        if session.ends_at < now:
            session.recording_url = (
                f"https://video.example.org/{cohort.slug}/session-{session.number}"
            )
        session.save()
        keys = TOPIC_EXPERTS.get(topic.position if topic else 0, ["sme"])
        session.presenters.set([experts[k] for k in keys])
        SessionMaterial.objects.create(
            session=session,
            title=f"{topic.name if topic else 'Session'} resource list",
            url=f"https://resources.example.org/osw/{topic.slug if topic else 'general'}",
            added_by=ctx.personas["staff"],
        )


def seed_rsvps_and_attendance(ctx: DemoContext, cohort: Cohort, rng: random.Random) -> None:
    """Each person has a steady likelihood of attending; RSVPs follow it, attendance mostly
    follows the RSVP. Only sessions already held get attendance."""
    members = list(
        Membership.objects.filter(team__cohort=cohort).select_related("user").order_by("pk")
    )
    propensity = {m.user_id: rng.uniform(0.45, 0.97) for m in members}
    roster = {m.user_id for m in members}
    now = timezone.now()
    for session in cohort.sessions.order_by("number"):
        if session.rsvps.exists() or session.attendance.exists():
            continue
        rsvps, present = [], set()
        for user_id in sorted(roster):
            p = propensity[user_id]
            roll = rng.random()
            response = (
                Rsvp.Response.GOING if roll < p
                else Rsvp.Response.MAYBE if roll < p + 0.1
                else Rsvp.Response.NOT_GOING if roll < p + 0.2
                else None
            )  # fmt: skip
            if response:
                rsvps.append(Rsvp(session=session, user_id=user_id, response=response))
            attends = rng.random() < (0.93 if response == Rsvp.Response.GOING else p * 0.5)
            if attends:
                present.add(user_id)
        Rsvp.objects.bulk_create(rsvps)
        if session.starts_at <= now:
            mark_attendance(
                session=session,
                present_user_ids=present,
                marked_by=ctx.personas["staff"],
                roster_user_ids=roster,
            )


def seed_calendar(ctx: DemoContext) -> None:
    experts = seed_experts(ctx)
    for slug, cohort in ctx.cohorts.items():
        rng = random.Random(f"{RNG_SEED}-{slug}-calendar")
        seed_topic_votes(ctx, cohort, rng)
        seed_sessions(ctx, cohort, experts, rng)
        seed_rsvps_and_attendance(ctx, cohort, rng)
        ctx.log(
            f"{slug}: {cohort.sessions.count()} sessions, "
            f"{Attendance.objects.filter(session__cohort=cohort, present=True).count()} attendances"
        )


def seed(ctx: DemoContext) -> None:
    ctx.password_hash = ctx.password_hash or make_password(DEMO_PASSWORD)
    seed_topics(ctx)
    seed_personas(ctx)
    seed_cohorts(ctx)
    seed_invitations(ctx)
    seed_calendar(ctx)
