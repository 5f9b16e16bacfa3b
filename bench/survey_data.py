"""A cohort with survey answers at scale, for the survey report benchmark.

``generate(answers)`` stores one cohort whose waves hold exactly that many answers: agencies of
several kinds, each fielding a team led by command staff, every member invited to two waves of
the midpoint pulse (confidential) and to the end-of-collaborative survey (anonymous); most
submit, a few leave a draft, the rest never answer. It works on any database, and writes the
answers with COPY on PostgreSQL. The same seed gives the same data.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

COHORT_SLUG = "bench-cohort"
STAFF_EMAIL = "staff@bench.example"
TEAM_SIZE = 30


class BenchError(Exception):
    """Something the person running the benchmark must fix; printed without a traceback."""


ROLES = [("command_staff", 12), ("sworn", 63), ("dispatcher", 15), ("civilian", 10)]
AGENCY_KINDS = [
    ("municipal", 50, "Police Department"),
    ("sheriff", 25, "County Sheriff's Office"),
    ("state", 8, "State Police Troop"),
    ("tribal", 5, "Tribal Police"),
    ("campus", 7, "University Police"),
    ("other", 5, "Transit Police"),
]
STATES = ["VA", "MD", "NC", "OH", "PA", "GA", "TN", "KY", "WV", "SC", "AZ", "NM", "OK", "MN"]
TOWNS = [
    "Ashford", "Brookfield", "Cedar Falls", "Dover", "Eastlake", "Fairview", "Glenwood",
    "Harrison", "Iron Ridge", "Jasper", "Kingsport", "Lakeside", "Marion", "Newport",
    "Oakdale", "Pine Bluff", "Quincy", "Riverton", "Salem", "Troy", "Union", "Vernon",
    "Westfield", "Yorktown",
]  # fmt: skip
BARRIERS = ["staffing", "funding", "buy_in", "stigma", "time"]
NEXT_TOPICS = [
    "More on funding and sustaining programmes after a grant ends.",
    "Family support and spouses' programmes.",
    "How to measure whether the wellness unit is working.",
    "Dispatcher-specific stress and burnout.",
    "Retirement transition for senior officers.",
    "Peer support team training and supervision.",
]
MOST_USEFUL = [
    "Hearing how other agencies got command staff to back a wellness unit.",
    "The critical incident session: we rewrote our debriefing protocol afterwards.",
    "Talking to a sheriff's office our size between meetings.",
    "The peer support policy templates people shared in the forum.",
    "Having a deadline every month kept our action plan moving.",
    "Learning that we were not the only agency struggling with buy-in.",
]

# One answer before it is stored: (question code, option code, number, text).
Planned = tuple[str, str | None, int | None, str]


def _pick(rng: random.Random, weighted: list[tuple[str, float]]) -> str:
    return rng.choices([w[0] for w in weighted], weights=[w[1] for w in weighted])[0]


def _likert(rng: random.Random, weights: tuple[int, ...]) -> str:
    return str(rng.choices([1, 2, 3, 4, 5], weights=weights)[0])


def pulse_answers(rng: random.Random, role: str) -> list[Planned]:
    """A midpoint-pulse response: single choice, Likert, multiple choice, sometimes text."""
    changes = (
        [("made", 40), ("planned", 45), ("none", 15)]
        if role == "command_staff"
        else [("made", 25), ("planned", 50), ("none", 25)]
    )
    rows: list[Planned] = [
        ("osw_changes", _pick(rng, changes), None, ""),
        ("sessions_useful", _likert(rng, (1, 2, 5, 14, 10)), None, ""),
    ]
    rows += [("barriers", b, None, "") for b in rng.sample(BARRIERS, rng.randint(1, 3))]
    if rng.random() < 0.4:
        rows.append(("next_topics", None, None, rng.choice(NEXT_TOPICS)))
    return rows


def end_answers(rng: random.Random, role: str) -> list[Planned]:
    """An end-of-collaborative response: yes/no, single choice, Likert, number, text."""
    outreach = 0.75 if role == "command_staff" else 0.6
    rows: list[Planned] = [
        ("peer_outreach", "yes" if rng.random() < outreach else "no", None, ""),
        (
            "knowledge_sharing",
            _pick(rng, [("internal_external", 50), ("in_group", 25), ("not_yet", 25)]),
            None,
            "",
        ),
        ("satisfaction", _likert(rng, (1, 1, 4, 15, 14)), None, ""),
        ("recommend", "yes" if rng.random() < 0.9 else "no", None, ""),
    ]
    if rng.random() < 0.8:
        rows.append(("peer_contacts", None, rng.choice([0, 1, 2, 2, 3, 3, 4, 5, 6, 8]), ""))
    if rng.random() < 0.6:
        rows.append(("most_useful", None, None, rng.choice(MOST_USEFUL)))
    return rows


def _top_up(rows: list[Planned], survey: str, rng: random.Random) -> bool:
    """Add one optional answer the response does not have yet; False when it has them all."""
    codes = {r[0] for r in rows}
    if survey == "midpoint-pulse":
        chosen = {r[1] for r in rows if r[0] == "barriers"}
        missing = [b for b in BARRIERS if b not in chosen]
        if missing:
            rows.append(("barriers", missing[0], None, ""))
            return True
        if "next_topics" not in codes:
            rows.append(("next_topics", None, None, rng.choice(NEXT_TOPICS)))
            return True
    else:
        if "peer_contacts" not in codes:
            rows.append(("peer_contacts", None, rng.choice([1, 2, 3]), ""))
            return True
        if "most_useful" not in codes:
            rows.append(("most_useful", None, None, rng.choice(MOST_USEFUL)))
            return True
    return False


@dataclass(frozen=True)
class WaveSpec:
    key: str
    survey: str
    title: str
    anonymity: str
    opens_days_ago: int
    days_open: int
    submit: float  # share of invited people who submit
    draft: float  # share who leave a draft without submitting
    answers: Callable[[random.Random, str], list[Planned]]


# Two pulse waves (so a question can be followed from one wave to the next) and the end survey,
# which carries the other outcome questions. All three are closed.
WAVES = [
    WaveSpec(
        "spring", "midpoint-pulse", "Pulse survey, spring", "confidential", 300, 21, 0.86,
        0.03, pulse_answers,
    ),
    WaveSpec(
        "autumn", "midpoint-pulse", "Pulse survey, autumn", "confidential", 120, 21, 0.84,
        0.04, pulse_answers,
    ),
    WaveSpec(
        "end", "end-survey", "End-of-collaborative survey", "anonymous", 30, 21, 0.80, 0.03,
        end_answers,
    ),
]  # fmt: skip
REPORTED_WAVES = ("autumn", "end")


@dataclass
class PlannedResponse:
    person: int
    wave: str
    submitted: bool
    rows: list[Planned]


@dataclass
class Generated:
    """What the generator stored, counted back from the database."""

    cohort_id: int
    staff_id: int
    wave_ids: dict[str, int]
    teams: int
    members: int
    invitations: int
    submitted_responses: int
    draft_responses: int
    answers: int
    submitted_answers: int
    per_wave: dict[str, dict[str, int]] = field(default_factory=dict)


def plan(target: int, rng: random.Random) -> tuple[list[str], list[PlannedResponse]]:
    """People (their roles) and their responses, with exactly ``target`` answers in all."""
    roles: list[str] = []
    responses: list[PlannedResponse] = []
    total = 0
    while True:
        person = len(roles)
        # The first two people lead the first two teams: every team needs command staff.
        role = "command_staff" if person < 2 else _pick(rng, ROLES)
        mine = []
        for spec in WAVES:
            draw = rng.random()
            if draw < spec.submit:
                mine.append(PlannedResponse(person, spec.key, True, spec.answers(rng, role)))
            elif draw < spec.submit + spec.draft:
                started = spec.answers(rng, role)[: rng.randint(1, 2)]
                mine.append(PlannedResponse(person, spec.key, False, started))
        size = sum(len(r.rows) for r in mine)
        if total + size > target:
            break
        roles.append(role)
        responses.extend(mine)
        total += size
    surveys = {spec.key: spec.survey for spec in WAVES}
    submitted = [r for r in responses if r.submitted]
    while total < target:
        grown = False
        for response in submitted:
            if total == target:
                break
            if _top_up(response.rows, surveys[response.wave], rng):
                total += 1
                grown = True
        if not grown:
            raise BenchError(f"Cannot spread {target} answers over so few people; ask for more.")
    return roles, responses


def _teams_for(roles: list[str]) -> list[list[int]]:
    """People per team: each team is led by one command-staff member, the rest round-robin."""
    command = [i for i, role in enumerate(roles) if role == "command_staff"]
    count = max(1, min(max(2, len(roles) // TEAM_SIZE), len(command)))
    teams: list[list[int]] = [[lead] for lead in command[:count]]
    leads = set(command[:count])
    others = [i for i in range(len(roles)) if i not in leads]
    for n, person in enumerate(others):
        teams[n % count].append(person)
    return teams


def _copy_answers(rows: list[tuple]) -> None:
    from django.db import connection

    from surveys.models import Answer

    columns = ", ".join(
        Answer._meta.get_field(name).column
        for name in ("response", "question", "option", "number", "text")
    )
    with (
        connection.cursor() as cursor,
        cursor.copy(f"COPY {Answer._meta.db_table} ({columns}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row)


@dataclass
class Roster:
    """The stored people: users[i] has roles[i] on a team of an agency of kind agency_kinds[i]."""

    users: list
    roles: list[str]
    agency_kinds: list[str]
    teams: int


def _store_roster(cohort, roles: list[str], rng: random.Random) -> Roster:
    """Agencies of several kinds, each fielding one team led by command staff."""
    from django.contrib.auth.hashers import make_password

    from accounts.models import User
    from cohorts.models import Agency, Membership, Team

    teams = _teams_for(roles)
    agencies = []
    for t in range(len(teams)):
        kind, _, suffix = rng.choices(AGENCY_KINDS, weights=[k[1] for k in AGENCY_KINDS])[0]
        town = TOWNS[t % len(TOWNS)] + (f" {t // len(TOWNS) + 1}" if t >= len(TOWNS) else "")
        agencies.append(
            Agency(
                name=f"{town} {suffix}",
                kind=kind,
                city=town,
                state=STATES[t % len(STATES)],
                sworn_size=rng.choice(Agency.SizeBand.values),
                setting=rng.choice(Agency.Setting.values),
            )
        )
    agencies = Agency.objects.bulk_create(agencies)
    team_rows = Team.objects.bulk_create(
        Team(cohort=cohort, agency=agency, name=agency.name) for agency in agencies
    )
    unusable = make_password(None)
    users = User.objects.bulk_create(
        (
            User(
                email=f"member{i:06d}@bench.example",
                first_name=f"Member{i}",
                last_name=TOWNS[i % len(TOWNS)],
                password=unusable,
            )
            for i in range(len(roles))
        ),
        batch_size=2000,
    )
    agency_kinds = [""] * len(roles)
    memberships = []
    for t, people in enumerate(teams):
        for position, person in enumerate(people):
            agency_kinds[person] = agencies[t].kind
            memberships.append(
                Membership(
                    team=team_rows[t], user=users[person], role=roles[person], is_lead=position == 0
                )
            )
    Membership.objects.bulk_create(memberships, batch_size=2000)
    return Roster(users=users, roles=roles, agency_kinds=agency_kinds, teams=len(teams))


def _store_wave(
    spec: WaveSpec,
    *,
    survey,
    cohort,
    staff,
    roster: Roster,
    planned: dict[int, PlannedResponse],
    now: datetime,
    rng: random.Random,
) -> tuple[int, list[tuple[PlannedResponse, object]]]:
    """One closed wave: everyone invited, the planned responses stored (answers not yet).

    Returns the wave's id and each planned response with its stored row. Submitted responses
    of an anonymous wave have no user or invitation, their invitation keeps only the day, and
    they are stored in an order unrelated to the invitations', as submitting does.
    """
    from django.utils import timezone

    from surveys.models import Response, Wave, WaveInvitation

    opens_at = now - timedelta(days=spec.opens_days_ago)
    closes_at = opens_at + timedelta(days=spec.days_open)
    wave = Wave.objects.create(
        survey=survey,
        cohort=cohort,
        title=spec.title,
        opens_at=opens_at,
        closes_at=closes_at,
        anonymity=spec.anonymity,
        created_by=staff,
    )
    anonymous = spec.anonymity == Wave.Anonymity.ANONYMOUS
    submitted_at: dict[int, datetime] = {}
    invitations = []
    for person, user in enumerate(roster.users):
        response = planned.get(person)
        used_at = None
        if response is not None and response.submitted:
            moment = opens_at + timedelta(seconds=rng.uniform(0.02, 0.95) * spec.days_open * 86400)
            submitted_at[person] = moment
            day = timezone.localdate(moment, timezone=cohort.tz)
            used_at = (
                datetime.combine(day, datetime.min.time(), tzinfo=cohort.tz)
                if anonymous
                else moment
            )
        invitations.append(WaveInvitation(wave=wave, user=user, sent_at=opens_at, used_at=used_at))
    invitations = WaveInvitation.objects.bulk_create(invitations, batch_size=2000)

    pairs = []
    for person, response in sorted(planned.items()):
        linked = not (anonymous and response.submitted)
        row = Response(
            wave=wave,
            invitation=invitations[person] if linked else None,
            # A draft in an anonymous wave keeps its invitation (to be resumed), never a user.
            user=None if anonymous else roster.users[person],
            status=Response.Status.SUBMITTED if response.submitted else Response.Status.DRAFT,
            submitted_on=(
                timezone.localdate(submitted_at[person], timezone=cohort.tz)
                if response.submitted
                else None
            ),
            role=roster.roles[person],
            agency_kind=roster.agency_kinds[person],
        )
        pairs.append((response, row))
    if anonymous:
        rng.shuffle(pairs)
    Response.objects.bulk_create([row for _, row in pairs], batch_size=2000)
    return wave.pk, pairs


def _store_answers(rows: list[tuple], *, use_copy: bool) -> None:
    from surveys.models import Answer

    if use_copy:
        _copy_answers(rows)
        return
    Answer.objects.bulk_create(
        (
            Answer(response_id=r, question_id=q, option_id=o, number=n, text=t)
            for r, q, o, n, t in rows
        ),
        batch_size=2000,
    )


def generate(answers: int, *, seed: int = 2026, use_copy: bool | None = None) -> Generated:
    """Store one cohort whose survey waves hold exactly ``answers`` answers.

    Agencies of several kinds each field one team led by command staff; every member is
    invited to three closed waves (two of the midpoint pulse, confidential, and the end
    survey, anonymous). Most submit, a few leave a draft, the rest never answer. Answers go in
    with COPY on PostgreSQL and ``bulk_create`` elsewhere.
    """
    from django.db import connection, transaction
    from django.utils import timezone

    from accounts.mfa import enrol_totp
    from accounts.models import User
    from cohorts.models import Cohort
    from surveys.catalogue import ensure_templates

    if answers < 20:
        raise BenchError("Ask for at least 20 answers.")
    if use_copy is None:
        use_copy = connection.vendor == "postgresql"
    rng = random.Random(seed)
    roles, planned = plan(answers, rng)
    now = timezone.now()

    with transaction.atomic():
        surveys = ensure_templates()
        question_ids: dict[tuple[str, str], int] = {}
        option_ids: dict[tuple[str, str, str], int] = {}
        for survey in surveys.values():
            for question in survey.questions.prefetch_related("options"):
                question_ids[survey.code, question.code] = question.pk
                for option in question.options.all():
                    option_ids[survey.code, question.code, option.code] = option.pk

        cohort = Cohort.objects.create(
            slug=COHORT_SLUG,
            name="Benchmark cohort",
            start_date=(now - timedelta(days=330)).date(),
            end_date=(now + timedelta(days=30)).date(),
            status=Cohort.Status.ACTIVE,
            max_teams=max(30, len(roles) // TEAM_SIZE + 1),
        )
        staff = User.objects.create_user(
            email=STAFF_EMAIL, first_name="Bench", last_name="Staff", is_staff=True
        )
        enrol_totp(staff)  # staff pages require two-factor authentication
        roster = _store_roster(cohort, roles, rng)

        wave_ids: dict[str, int] = {}
        answer_rows: list[tuple] = []
        for spec in WAVES:
            mine = {r.person: r for r in planned if r.wave == spec.key}
            wave_ids[spec.key], pairs = _store_wave(
                spec,
                survey=surveys[spec.survey],
                cohort=cohort,
                staff=staff,
                roster=roster,
                planned=mine,
                now=now,
                rng=rng,
            )
            for response, row in pairs:
                answer_rows.extend(
                    (
                        row.pk,
                        question_ids[spec.survey, question],
                        option_ids[spec.survey, question, option] if option else None,
                        Decimal(number) if number is not None else None,
                        text,
                    )
                    for question, option, number, text in response.rows
                )
        _store_answers(answer_rows, use_copy=use_copy)

    return count_generated(cohort, staff, wave_ids, teams=roster.teams)


def count_generated(cohort, staff, wave_ids: dict[str, int], *, teams: int) -> Generated:
    from django.db.models import Count, Q

    from cohorts.models import Membership
    from surveys.models import Answer, Response, WaveInvitation

    submitted = Q(response__status=Response.Status.SUBMITTED)
    per_wave = {}
    for key, wave_id in wave_ids.items():
        per_wave[key] = {
            "invitations": WaveInvitation.objects.filter(wave_id=wave_id).count(),
            "submitted_responses": Response.objects.submitted().filter(wave_id=wave_id).count(),
            "answers": Answer.objects.filter(response__wave_id=wave_id).count(),
            "submitted_answers": Answer.objects.filter(
                submitted, response__wave_id=wave_id
            ).count(),
        }
    answers = Answer.objects.filter(response__wave__cohort=cohort).aggregate(
        all=Count("pk"), submitted=Count("pk", filter=submitted)
    )
    responses = Response.objects.filter(wave__cohort=cohort)
    return Generated(
        cohort_id=cohort.pk,
        staff_id=staff.pk,
        wave_ids=wave_ids,
        teams=teams,
        members=Membership.objects.filter(team__cohort=cohort).count(),
        invitations=WaveInvitation.objects.filter(wave__cohort=cohort).count(),
        submitted_responses=responses.filter(status=Response.Status.SUBMITTED).count(),
        draft_responses=responses.filter(status=Response.Status.DRAFT).count(),
        answers=answers["all"],
        submitted_answers=answers["submitted"],
        per_wave=per_wave,
    )


def load_generated(answers: int) -> Generated:
    """The data a previous run left in the bench database, when it has the size asked for."""
    from accounts.models import User
    from cohorts.models import Cohort

    cohort = Cohort.objects.filter(slug=COHORT_SLUG).first()
    staff = User.objects.filter(email=STAFF_EMAIL).first()
    if cohort is None or staff is None:
        raise BenchError("The bench database holds no benchmark cohort: run without --reuse.")
    titles = {spec.title: spec.key for spec in WAVES}
    wave_ids = {
        titles[title]: pk
        for pk, title in cohort.survey_waves.values_list("pk", "title")
        if title in titles
    }
    generated = count_generated(cohort, staff, wave_ids, teams=cohort.teams.count())
    if generated.answers != answers or len(wave_ids) != len(WAVES):
        raise BenchError(
            f"The bench database holds {generated.answers} answers, not {answers}: run without "
            "--reuse to generate them again."
        )
    return generated
