"""Demo self-assessments, action plans and community partners for the first collaborative.

Every team of osw-2021 assesses itself three times (January, June and December 2021). Ratings
follow rules: a starting capacity set by the agency's kind and size, domain by domain offsets
that reflect what agencies commonly report (critical incident response ahead, financial
wellness, retirement and family support behind), and improvement concentrated in the domains a
team planned for. The plans tell the survey's story: about a quarter of the teams (5 of 18,
the 28% of the midpoint survey) have an action step done by the midpoint, two-thirds by the
end. The teams that changed first are the ones whose members said so in the midpoint survey.

Runs after cohorts.demo and surveys.demo. Seeded generators only; what exists is left alone,
so a second run adds nothing.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, datetime, timedelta

from cohorts.demo import DemoContext
from cohorts.models import Agency, Cohort, Membership, Team

from .instrument import ensure_starter_instrument
from .models import (
    ActionPlan,
    ActionStep,
    Assessment,
    CommunityPartner,
    Domain,
    InstrumentVersion,
    Item,
    ProgressNote,
    Rating,
    Round,
)

COHORT = "osw-2021"
ROUND_DATES = {
    Round.BASELINE: date(2021, 1, 26),
    Round.MIDPOINT: date(2021, 6, 15),
    Round.END: date(2021, 12, 7),
}
CHANGED_BY_MIDPOINT = round(18 * 0.28)  # 5 teams: the midpoint survey's 28%
CHANGED_BY_END = 12  # two-thirds of the teams

CAPACITY = {
    Agency.Kind.STATE: 2.3,
    Agency.Kind.MUNICIPAL: 1.9,
    Agency.Kind.CAMPUS: 1.7,
    Agency.Kind.SHERIFF: 1.6,
    Agency.Kind.TRIBAL: 1.3,
    Agency.Kind.OTHER: 1.6,
}
SIZE = {"1-24": -0.4, "25-99": -0.15, "100-249": 0.1, "250-999": 0.3, "1000+": 0.5}
DOMAIN_OFFSET = {
    "critical_incident": 0.5,
    "physical_health": 0.1,
    "mental_health": 0.0,
    "resilience": -0.1,
    "peer_support": 0.2,
    "financial": -0.6,
    "retirement": -0.5,
    "family": -0.5,
    "leadership": 0.3,
    "community_partners": -0.3,
}
# How far ratings move by each round: (planned domains, other domains).
GAIN = {
    "early": {Round.MIDPOINT: (1.2, 0.3), Round.END: (2.0, 0.6)},
    "late": {Round.MIDPOINT: (0.4, 0.1), Round.END: (1.5, 0.4)},
    "none": {Round.MIDPOINT: (0.1, 0.0), Round.END: (0.4, 0.1)},
}

NOTES = [
    "Met with the chief; agreed to bring a proposal to the next command staff meeting.",
    "Asked two agencies in the collaborative for their policies; both sent templates.",
    "Draft shared with the union representative for comments.",
    "Budget request submitted with the quarterly report.",
    "Held a first meeting with the provider; they will send a proposal.",
    "Overtime demands slowed this down; picking it up again next month.",
    "Announced at roll call on every shift.",
    "First officers have used the service; feedback is positive so far.",
]
GENERIC_STEPS = [
    ("Present the collaborative's plan to command staff and the union", "buy_in", "leadership"),
    ("Name a wellness program lead and a team across ranks and shifts", "program_team", None),
    ("Repeat the self-assessment and share the results with the agency", "evaluate", None),
]
PARTNERS = [
    ("{city} Meal Prep Co.", CommunityPartner.Kind.NUTRITION, "orders@mealprep.example",
     "Prepares healthy meals delivered to the station twice a week; officers order through "
     "the wellness coordinator."),
    ("Riverbend Yoga Studio", CommunityPartner.Kind.WELLNESS, "(555) 014-2231",
     "Free first-responder classes on Tuesday mornings and Thursday evenings."),
    ("First Responder Counseling Associates", CommunityPartner.Kind.CLINICAL,
     "intake@frca.example", "Clinicians with police experience; confidential appointments "
     "within a week."),
    ("{city} Community Acupuncture", CommunityPartner.Kind.WELLNESS, "(555) 017-4410",
     "Part of the wellness pilot: acupuncture and massage at a reduced rate."),
    ("County Chaplain Corps", CommunityPartner.Kind.CHAPLAINCY, "chaplains@county.example",
     "On call around the clock for critical incidents and death notifications."),
    ("{city} Federal Credit Union", CommunityPartner.Kind.FINANCIAL, "(555) 013-9082",
     "Monthly budgeting workshop and one-to-one financial counselling."),
    ("Iron Shift Fitness", CommunityPartner.Kind.FITNESS, "frontdesk@ironshift.example",
     "24-hour gym access for personnel on any shift."),
    ("Heartland Family Services", CommunityPartner.Kind.FAMILY, "(555) 012-7765",
     "Spouse and family orientation evenings twice a year."),
    ("Regional Peer Support Network", CommunityPartner.Kind.PEER_SUPPORT,
     "coordinator@peers.example", "Trained our peer supporters; backs them up after "
     "critical incidents."),
]  # fmt: skip


def _moment(cohort: Cohort, day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=cohort.tz)


def _day_between(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randint(0, max((end - start).days, 0)))


def change_order(cohort: Cohort, teams: list[Team]) -> list[Team]:
    """Teams in the order they made changes: most members saying so in the midpoint survey
    first (then most planning to), then by name. Falls back to names alone without surveys."""
    made: Counter = Counter()
    planned: Counter = Counter()
    try:
        from surveys.models import Answer
    except ImportError:  # pragma: no cover - surveys is always installed with cohorts
        Answer = None
    if Answer is not None:
        team_of = dict(
            Membership.objects.filter(team__cohort=cohort).values_list("user_id", "team_id")
        )
        answers = Answer.objects.filter(
            question__code="osw_changes",
            response__wave__cohort=cohort,
            response__status="submitted",
            response__user__isnull=False,
        ).values_list("response__user_id", "option__code")
        for user_id, code in answers:
            team_id = team_of.get(user_id)
            if team_id is None:
                continue
            if code == "made":
                made[team_id] += 1
            elif code == "planned":
                planned[team_id] += 1
    return sorted(teams, key=lambda t: (-made[t.pk], -planned[t.pk], t.name))


def _latent(team: Team, code: str, rng: random.Random) -> float:
    agency = team.agency
    return (
        CAPACITY.get(agency.kind, 1.2)
        + SIZE.get(agency.sworn_size, 0.0)
        + DOMAIN_OFFSET.get(code, 0.0)
        + rng.gauss(0, 0.35)
    )


def _level(value: float) -> int:
    return max(0, min(4, round(value)))


def seed_team(
    ctx: DemoContext,
    cohort: Cohort,
    team: Team,
    *,
    version: InstrumentVersion,
    domains: list[Domain],
    story: str,
) -> None:
    rng = random.Random(f"2021-assessments-{team.agency.name}")
    latent = {d.code: _latent(team, d.code, rng) for d in domains}
    planned = sorted(domains, key=lambda d: (latent[d.code], d.position))[:3]
    planned_codes = {d.code for d in planned}
    items = {d.code: list(d.items.all()) for d in domains}
    item_noise = {i.pk: rng.gauss(0, 0.45) for d in domains for i in items[d.code]}
    members = list(
        Membership.objects.filter(team=team).select_related("user").order_by("-is_lead", "pk")
    )
    lead = next((m.user for m in members if m.is_lead), members[0].user)

    for round_, day in ROUND_DATES.items():
        if Assessment.objects.filter(team=team, round=round_).exists():
            continue
        at = _moment(cohort, day)
        assessment = Assessment.objects.create(
            team=team,
            round=round_,
            version=version,
            status=Assessment.Status.SUBMITTED,
            started_by=members[-1].user,
            created=at - timedelta(days=9),
            updated=at,
            submitted_by=lead,
            submitted_at=at,
        )
        gain = GAIN[story].get(round_, (0.0, 0.0))
        ratings = []
        for domain in domains:
            lift = gain[0] if domain.code in planned_codes else gain[1]
            for item in items[domain.code]:
                ratings.append(
                    Rating(
                        assessment=assessment,
                        item=item,
                        level=_level(latent[domain.code] + item_noise[item.pk] + lift),
                        updated_by=lead,
                        updated=at,
                    )
                )
        Rating.objects.bulk_create(ratings)

    plan, _ = ActionPlan.objects.get_or_create(
        team=team,
        defaults={
            "mission": f"{team.agency.name} supports the health of every officer, dispatcher "
            "and civilian employee, and of their families, through the whole career and into "
            "retirement.",
            "created": _moment(cohort, date(2021, 2, 9)),
            "updated": _moment(cohort, date(2021, 12, 10)),
        },
    )
    if not plan.steps.exists():
        _seed_steps(
            cohort, plan, rng, planned=planned, domains=domains, members=members, story=story
        )


def _seed_steps(cohort, plan, rng, *, planned, domains, members, story) -> None:
    by_code = {d.code: d for d in domains}
    owners = [m.user for m in members]
    midpoint, end = ROUND_DATES[Round.MIDPOINT], ROUND_DATES[Round.END]
    specs = []
    for index, domain in enumerate(planned):
        term = ActionStep.Term.LONG if index == 2 else ActionStep.Term.SHORT
        due = (
            _day_between(rng, date(2021, 4, 15), date(2021, 7, 30))
            if term == ActionStep.Term.SHORT
            else _day_between(rng, date(2021, 11, 1), date(2022, 6, 30))
        )
        specs.append((domain.step_title, domain.roadmap_step, domain, term, due))
    for title, roadmap_step, code in GENERIC_STEPS:
        term = ActionStep.Term.LONG if roadmap_step == "evaluate" else ActionStep.Term.SHORT
        due = date(2021, 12, 15) if roadmap_step == "evaluate" else date(2021, 3, 31)
        specs.append((title, roadmap_step, by_code.get(code) if code else None, term, due))

    for index, (title, roadmap_step, domain, term, due) in enumerate(specs):
        created = _moment(cohort, _day_between(rng, date(2021, 2, 2), date(2021, 2, 26)))
        status, done_on = _status(rng, story, index=index, roadmap_step=roadmap_step)
        step = ActionStep.objects.create(
            plan=plan,
            title=title,
            term=term,
            roadmap_step=roadmap_step,
            domain=domain,
            owner=owners[index % len(owners)],
            due_date=due,
            status=status,
            created_by=owners[0],
            created=created,
            updated=_moment(cohort, done_on) if done_on else created,
            done_at=_moment(cohort, done_on, 16) if done_on else None,
        )
        if status == ActionStep.Status.NOT_STARTED:
            continue
        last = done_on or (end if story != "none" else midpoint)
        days = sorted(
            _day_between(rng, created.date() + timedelta(days=7), last)
            for _ in range(rng.randint(1, 3))
        )
        ProgressNote.objects.bulk_create(
            ProgressNote(
                step=step,
                author=owners[(index + n) % len(owners)],
                text=rng.choice(NOTES),
                created=_moment(cohort, day, 15),
            )
            for n, day in enumerate(days)
        )


def _status(rng: random.Random, story: str, *, index: int, roadmap_step: str):
    """(status, day done). ``index`` 0 is the step for the team's weakest domain."""
    Status = ActionStep.Status
    if story == "early":
        if index == 0:
            return Status.DONE, _day_between(rng, date(2021, 4, 12), date(2021, 6, 8))
        if roadmap_step == "buy_in":
            return Status.DONE, _day_between(rng, date(2021, 3, 8), date(2021, 5, 28))
        if index == 1:
            return Status.DONE, _day_between(rng, date(2021, 9, 1), date(2021, 11, 30))
        return Status.IN_PROGRESS, None
    if story == "late":
        if index == 0:
            return Status.DONE, _day_between(rng, date(2021, 7, 12), date(2021, 11, 19))
        if roadmap_step == "evaluate":
            return Status.NOT_STARTED, None
        return (Status.IN_PROGRESS, None) if rng.random() < 0.7 else (Status.NOT_STARTED, None)
    if index == 2 and rng.random() < 0.5:
        return Status.DROPPED, None
    return (Status.IN_PROGRESS, None) if rng.random() < 0.5 else (Status.NOT_STARTED, None)


def seed_partners(team: Team, rng: random.Random, count: int) -> None:
    if count == 0 or CommunityPartner.objects.filter(team=team).exists():
        return
    city = team.agency.city or team.agency.name.split()[0]
    for name, kind, contact, notes in rng.sample(PARTNERS, count):
        CommunityPartner.objects.create(
            team=team, name=name.format(city=city), kind=kind, contact=contact, notes=notes
        )


def seed_current_draft(ctx: DemoContext, version: InstrumentVersion) -> None:
    """The current cohort's demo team has its baseline half filled in by the officer, for
    the command-staff persona to finish and submit."""
    cohort = ctx.cohorts.get("osw-2026")
    officer = ctx.personas.get("officer")
    if cohort is None or officer is None:
        return
    team = cohort.teams.filter(memberships__user=officer).first()
    if team is None or Assessment.objects.filter(team=team, round=Round.BASELINE).exists():
        return
    assessment = Assessment.objects.create(
        team=team, round=Round.BASELINE, version=version, started_by=officer
    )
    rng = random.Random("2026-baseline-draft")
    items = Item.objects.filter(domain__version=version).order_by("domain__position", "position")
    Rating.objects.bulk_create(
        Rating(
            assessment=assessment, item=item, level=rng.choice([1, 1, 2, 2, 3]), updated_by=officer
        )
        for item in list(items)[:14]
    )


def seed(ctx: DemoContext) -> None:
    ensure_starter_instrument()
    version = InstrumentVersion.objects.current()
    cohort = ctx.cohorts.get(COHORT)
    if version is None or cohort is None:
        return
    domains = list(version.domains.prefetch_related("items").order_by("position"))
    teams = list(cohort.teams.select_related("agency").order_by("name"))
    ordered = change_order(cohort, teams)
    for rank, team in enumerate(ordered):
        story = (
            "early" if rank < CHANGED_BY_MIDPOINT else "late" if rank < CHANGED_BY_END else "none"
        )
        seed_team(ctx, cohort, team, version=version, domains=domains, story=story)
        rng = random.Random(f"2021-partners-{team.agency.name}")
        seed_partners(team, rng, {"early": 3, "late": 2, "none": rng.choice([0, 1])}[story])
    seed_current_draft(ctx, version)
    ctx.log(
        f"{cohort.slug}: {Assessment.objects.filter(team__cohort=cohort).count()} assessments, "
        f"{ActionStep.objects.filter(plan__team__cohort=cohort).count()} action steps, "
        f"{CommunityPartner.objects.filter(team__cohort=cohort).count()} community partners"
    )
