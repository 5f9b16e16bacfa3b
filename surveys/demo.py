"""Demo survey waves whose answers reproduce the first collaborative's reported figures.

The outcome answers are not random: for each option, round(share × respondents) people give
it, assigned down a seeded shuffle of the respondents. Only the extra questions are random.
Runs after cohorts.demo; a wave that already exists is left alone, so a second run changes
nothing.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from cohorts.demo import DemoContext
from cohorts.models import Cohort, Membership

from .catalogue import ensure_templates
from .funder import FunderReport, funder_report
from .models import Answer, ReportingNarrative, Survey, Wave, WaveInvitation
from .periods import cohort_quarters
from .services import Answers, create_wave, submit_response

# The figures the first collaborative reported to its funder.
MIDPOINT = {
    "respondents": 50,
    "osw_changes": [("made", 0.28), ("planned", 0.50)],  # the rest: none
    "rest": {"osw_changes": "none"},
}
END = {
    "respondents": 48,
    "peer_outreach": [("yes", 0.625)],
    "knowledge_sharing": [("internal_external", 0.50), ("in_group", 0.25)],
    "rest": {"peer_outreach": "no", "knowledge_sharing": "not_yet"},
}

MOST_USEFUL = [
    "Hearing how other agencies got command staff to back a wellness unit.",
    "The critical incident session: we rewrote our debriefing protocol afterwards.",
    "Talking to a sheriff's office our size between meetings.",
    "The peer support policy templates people shared in the forum.",
    "Having a deadline every month kept our action plan moving.",
    "The financial literacy material; several officers asked for it.",
    "Learning that we were not the only agency struggling with buy-in.",
]
NEXT_TOPICS = [
    "More on funding and sustaining programmes after a grant ends.",
    "Family support and spouses' programmes.",
    "How to measure whether the wellness unit is working.",
    "Dispatcher-specific stress and burnout.",
    "Retirement transition for senior officers.",
]


def by_rule(respondents: list, rules: list[tuple[str, float]], rest: str) -> dict[int, str]:
    """Give round(share × n) respondents each option, in the order given; the rest ``rest``."""
    n = len(respondents)
    chosen: dict[int, str] = {}
    start = 0
    for code, share in rules:
        count = round(share * n)
        for user in respondents[start : start + count]:
            chosen[user.pk] = code
        start += count
    for user in respondents[start:]:
        chosen[user.pk] = rest
    return chosen


def _aware(cohort: Cohort, *args: int) -> datetime:
    return datetime(*args, tzinfo=cohort.tz)


def _seed_wave(
    ctx: DemoContext,
    *,
    cohort: Cohort,
    survey: Survey,
    title: str,
    opens_at: datetime,
    closes_at: datetime,
    plan: dict,
    extras,
    rng: random.Random,
) -> None:
    if Wave.objects.filter(cohort=cohort, survey=survey, title=title).exists():
        return
    wave = create_wave(
        survey=survey,
        cohort=cohort,
        title=title,
        opens_at=opens_at,
        closes_at=closes_at,
        anonymity=Wave.Anonymity.CONFIDENTIAL,
        created_by=ctx.personas.get("staff"),
        notify=False,  # a 2021 wave: nobody should get email about it today
    )
    WaveInvitation.objects.filter(wave=wave).update(sent_at=opens_at)
    members = sorted(
        {m.user for m in Membership.objects.for_cohort(cohort).select_related("user")},
        key=lambda user: user.email,
    )
    respondents = rng.sample(members, plan["respondents"])
    rng.shuffle(respondents)
    rules = {code: by_rule(respondents, plan[code], plan["rest"][code]) for code in plan["rest"]}
    invitations = {i.user_id: i for i in wave.invitations.all()}
    window = (closes_at - opens_at).total_seconds()
    for user in sorted(respondents, key=lambda u: u.email):
        answers: Answers = {code: chosen[user.pk] for code, chosen in rules.items()}
        answers.update(extras(rng))
        at = opens_at + timedelta(seconds=int(rng.uniform(0.02, 0.95) * window))
        submit_response(invitation=invitations[user.pk], answers=answers, at=at)
    ctx.log(f"{cohort.slug}: {title}, {wave.responses.submitted().count()} responses")


def _likert(rng: random.Random, weights=(1, 2, 5, 14, 10)) -> str:
    return str(rng.choices([1, 2, 3, 4, 5], weights=weights)[0])


def midpoint_extras(rng: random.Random) -> Answers:
    answers: Answers = {
        "sessions_useful": _likert(rng),
        "barriers": rng.sample(
            ["staffing", "funding", "buy_in", "stigma", "time"], rng.randint(1, 3)
        ),
    }
    if rng.random() < 0.4:
        answers["next_topics"] = rng.choice(NEXT_TOPICS)
    return answers


def end_extras(rng: random.Random) -> Answers:
    answers: Answers = {
        "sessions_useful": _likert(rng, weights=(1, 1, 3, 14, 14)),
        "satisfaction": _likert(rng, weights=(1, 1, 4, 15, 14)),
        "recommend": "yes" if rng.random() < 0.9 else "no",
    }
    if rng.random() < 0.8:
        answers["peer_contacts"] = rng.choice([0, 1, 2, 2, 3, 3, 4, 5, 6, 8])
    if rng.random() < 0.6:
        answers["most_useful"] = rng.choice(MOST_USEFUL)
    return answers


def seed(ctx: DemoContext) -> None:
    surveys = ensure_templates()
    cohort = ctx.cohorts["osw-2021"]
    rng = random.Random(f"2021-{cohort.slug}-surveys")
    _seed_wave(
        ctx,
        cohort=cohort,
        survey=surveys["midpoint-pulse"],
        title="Midpoint pulse 2021",
        opens_at=_aware(cohort, 2021, 6, 21, 9),
        closes_at=_aware(cohort, 2021, 7, 16, 17),
        plan=MIDPOINT,
        extras=midpoint_extras,
        rng=rng,
    )
    _seed_wave(
        ctx,
        cohort=cohort,
        survey=surveys["end-survey"],
        title="End-of-collaborative survey 2021",
        opens_at=_aware(cohort, 2021, 12, 1, 9),
        closes_at=_aware(cohort, 2021, 12, 22, 17),
        plan=END,
        extras=end_extras,
        rng=rng,
    )
    _seed_narratives(ctx, cohort)
    # The current cohort has a rolling feedback survey open, so the personas can answer one.
    current = ctx.cohorts.get("osw-2026")
    if current is not None:
        title = "Post-session feedback 2026–27"
        if not Wave.objects.filter(cohort=current, title=title).exists():
            create_wave(
                survey=surveys["post-session"],
                cohort=current,
                title=title,
                opens_at=_aware(current, 2026, 9, 1, 0),
                closes_at=_aware(current, 2027, 8, 31, 23),
                anonymity=Wave.Anonymity.ANONYMOUS,
                created_by=ctx.personas.get("staff"),
                notify=False,
            )


# --- Narratives for the funder, written from each quarter's own figures -------------------


def _seed_narratives(ctx: DemoContext, cohort: Cohort) -> None:
    """One narrative per quarter of the cohort, composed from that quarter's report: what was
    held and measured, what the answers say stands in the way, and what comes next."""
    if ReportingNarrative.objects.filter(cohort=cohort).exists():
        return
    barrier_labels = dict(
        Answer.objects.filter(question__code="barriers").values_list(
            "option__code", "option__label"
        )
    )
    for quarter in cohort_quarters(cohort):
        report = funder_report(cohort, quarter)
        if not report.attendance.sessions and not any(i["denominator"] for i in report.indicators):
            continue
        start, end = quarter.bounds(cohort.tz)
        barriers = Answer.objects.filter(
            question__code="barriers",
            response__wave__cohort=cohort,
            response__status="submitted",
            response__submitted_on__gte=quarter.start,
            response__submitted_on__lte=quarter.end,
        ).values_list("option__code", flat=True)
        counts: dict[str, int] = {}
        for code in barriers:
            counts[code] = counts.get(code, 0) + 1
        upcoming = list(
            cohort.sessions.scheduled()
            .filter(starts_at__gte=end)
            .order_by("starts_at")
            .values_list("number", "title")[:3]
        )
        ReportingNarrative.objects.create(
            cohort=cohort,
            year=quarter.year,
            quarter=quarter.quarter,
            accomplishments=_accomplishments(report),
            barriers=_barriers(report, counts, barrier_labels),
            next_period_plans=_plans(upcoming),
            updated_by=ctx.personas.get("staff"),
        )
        ctx.log(f"{cohort.slug}: narrative for {quarter.label}")


def _accomplishments(report: FunderReport) -> str:
    lines = []
    held = report.attendance.sessions
    if held:
        numbers = ", ".join(str(s.session.number) for s in held)
        lines.append(
            f"Held {len(held)} monthly session{'s' if len(held) != 1 else ''} ({numbers}); "
            f"attendance {report.attendance.share}."
        )
    for indicator in report.indicators:
        if indicator["denominator"]:
            lines.append(f"{indicator['label']}: {indicator['text']}.")
    return "\n".join(lines)


def _barriers(report: FunderReport, counts: dict[str, int], labels: dict[str, str]) -> str:
    if counts:
        top = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:2]
        named = " and ".join(f"{labels[code].lower()} ({n} mentions)" for code, n in top)
        return f"Teams named {named} as what makes change hardest."
    low = [s for s in report.attendance.sessions if s.recorded and s.rate is not None]
    if low:
        worst = min(low, key=lambda s: (s.rate, s.session.number))
        return (
            f"Attendance was lowest at session {worst.session.number} ({worst.present} of "
            f"{worst.recorded} present); staff followed up with the teams that missed it."
        )
    return ""


def _plans(upcoming: list[tuple[int, str]]) -> str:
    if not upcoming:
        return "Close the collaborative: report the end-of-collaborative survey to the funder."
    return "Next sessions: " + "; ".join(f"{n}. {title}" for n, title in upcoming) + "."
