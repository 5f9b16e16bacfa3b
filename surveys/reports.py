"""Survey figures: counts, percentages and 95% Wilson intervals, aggregated in SQL."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple

from django.db.models import (
    BigIntegerField,
    Count,
    DecimalField,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    Window,
)
from django.db.models.functions import Coalesce, RowNumber

from cohorts.models import Agency, Cohort, Membership

from .models import Answer, Option, Question, Response, Wave, WaveInvitation
from .periods import Quarter


def wilson_interval(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """The Wilson score interval for ``k`` successes in ``n`` trials, in percent."""
    if n <= 0:
        raise ValueError("The Wilson interval needs at least one observation.")
    if not 0 <= k <= n:
        raise ValueError(f"{k} successes out of {n} is impossible.")
    p = k / n
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denominator
    # At k = 0 and k = n the bounds are exactly 0 and 100; floating point would miss them.
    low = 0.0 if k == 0 else max(0.0, (centre - half) * 100)
    high = 100.0 if k == n else min(100.0, (centre + half) * 100)
    return low, high


def percent(k: int, n: int) -> float:
    # 100 * k / n, not k / n * 100: 14 of 50 is 28.0, not 28.000000000000004.
    return 100 * k / n


def format_percent(value: float) -> str:
    """62.5 → "62.5", 28.0 → "28": one decimal, none when it is zero."""
    return f"{value:.1f}".removesuffix(".0")


class Share(NamedTuple):
    count: int
    n: int
    percent: float | None
    ci_low: float | None
    ci_high: float | None

    @classmethod
    def of(cls, count: int, n: int) -> Share:
        if n == 0:
            return cls(count, n, None, None, None)
        low, high = wilson_interval(count, n)
        return cls(count, n, percent(count, n), low, high)

    def __str__(self) -> str:
        if self.percent is None:
            return "no answers"
        return (
            f"{format_percent(self.percent)}% ({self.count} of {self.n}; "
            f"95% CI {self.ci_low:.0f}–{self.ci_high:.0f}%)"
        )


# --- One wave, question by question ------------------------------------------------------

# Free-text answers listed per question on the report page; the export has every one.
TEXT_LIMIT = 50

# Breakdowns compare command staff with everyone else: finer role groups would be too small.
ROLE_GROUPS = [("command_staff", "Command staff"), ("other", "Other members")]
NOT_RECORDED = "Not recorded"


@dataclass
class OptionSummary:
    option: Option
    share: Share


@dataclass
class GroupRow:
    key: str
    label: str
    n: int
    suppressed: bool
    shares: list[Share]
    # Large enough, but hidden all the same: the total minus the groups shown would reveal a
    # smaller group.
    reveals_smaller: bool = False


@dataclass
class QuestionSummary:
    question: Question
    n: int
    suppressed: bool
    options: list[OptionSummary] = field(default_factory=list)
    mean: float | None = None
    median: float | None = None
    # Filled only when asked for (see ``question_summary(..., with_values=True)``).
    texts: list[str] = field(default_factory=list)
    by_role: list[GroupRow] = field(default_factory=list)
    by_agency_kind: list[GroupRow] = field(default_factory=list)

    @property
    def texts_not_listed(self) -> int:
        return max(self.n - len(self.texts), 0) if self.texts else 0

    @property
    def breakdowns(self) -> list[tuple[str, list[GroupRow]]]:
        return [("By role", self.by_role), ("By agency kind", self.by_agency_kind)]


@dataclass
class WaveReport:
    wave: Wave
    rate: Share
    questions: list[QuestionSummary]


def with_response_counts(waves: QuerySet[Wave]) -> QuerySet[Wave]:
    """Annotate ``invited``, ``submitted`` and ``not_answered``. Subqueries, not joins: joining invitations and
    responses together would count every invitation once per response."""
    invited = WaveInvitation.objects.filter(wave=OuterRef("pk")).order_by()
    submitted = Response.objects.submitted().filter(wave=OuterRef("pk")).order_by()
    return waves.annotate(
        invited=Coalesce(Subquery(_count_of(invited, "wave")), 0),
        submitted=Coalesce(Subquery(_count_of(submitted, "wave")), 0),
        not_answered=Coalesce(Subquery(_count_of(invited.filter(used_at__isnull=True), "wave")), 0),
    )


def _count_of(rows: QuerySet, by: str) -> QuerySet:
    """A one-column subquery: how many ``rows`` there are for each ``by``."""
    return rows.values(by).annotate(count=Count("pk")).values("count")


def response_rate(wave: Wave) -> Share:
    """Submitted responses over invitations: read from the wave when it was fetched through
    ``with_response_counts()``, else one query."""
    if not hasattr(wave, "invited"):
        wave = with_response_counts(Wave.objects.filter(pk=wave.pk)).get()
    return Share.of(min(wave.submitted, wave.invited), wave.invited)


def wave_report(wave: Wave) -> WaveReport:
    """Everything the report page shows. Three queries whatever the number of questions and
    responses (two when nothing is listed), plus one for the response rate unless ``wave``
    came through ``with_response_counts()``."""
    return WaveReport(
        wave=wave, rate=response_rate(wave), questions=question_summary(wave, with_values=True)
    )


_QUESTION_FIELDS = [f.attname for f in Question._meta.concrete_fields]
_OPTION_FIELDS = [f.attname for f in Option._meta.concrete_fields]


def survey_questions(survey_id: int) -> list[tuple[Question, list[Option]]]:
    """A survey's questions with their options, in order: one query (a left join, where a
    prefetch would take two)."""
    rows = (
        Question.objects.filter(survey_id=survey_id)
        .order_by("position", "pk", "options__position", "options__pk")
        .values_list(*_QUESTION_FIELDS, *(f"options__{name}" for name in _OPTION_FIELDS))
    )
    split = len(_QUESTION_FIELDS)
    questions: dict[int, tuple[Question, list[Option]]] = {}
    for row in rows:
        if row[0] not in questions:
            questions[row[0]] = (Question.from_db(rows.db, _QUESTION_FIELDS, row[:split]), [])
        if row[split] is not None:
            questions[row[0]][1].append(Option.from_db(rows.db, _OPTION_FIELDS, row[split:]))
    return list(questions.values())


Partition = tuple[str, str]  # a respondent's (role, agency kind)


@dataclass
class _Tally:
    """Submitted answers counted per question (or option) and per (role, agency kind)."""

    answered: dict[int, dict[Partition, int]] = field(default_factory=dict)
    chosen: dict[int, dict[Partition, int]] = field(default_factory=dict)
    totals: dict[int, Decimal] = field(default_factory=dict)

    @classmethod
    def of(cls, wave: Wave, *, multiple: list[int]) -> _Tally:
        """One query, grouped by role and agency kind: how many chose each option, and how
        many answered each number or text question (with the sum of their numbers).

        A response answers a single-choice question once, so the option counts add up to its
        n; the multiple-choice questions (``multiple``, their ids) need their respondents
        counted apart, in a UNION ALL that reads only their answers. Each response has one
        role and one agency kind, so the groups add up to the question's totals too."""
        answers = Answer.objects.filter(
            response__wave=wave, response__status=Response.Status.SUBMITTED
        ).order_by()
        partition = ("response__role", "response__agency_kind")
        rows = answers.values_list("question_id", "option_id", *partition).annotate(
            count=Count("pk"), total=Sum("number")
        )
        if multiple:
            respondents = (
                answers.filter(question_id__in=multiple)
                .values_list("question_id", Value(None, output_field=BigIntegerField()), *partition)
                .annotate(
                    count=Count("response_id", distinct=True),
                    total=Value(None, output_field=DecimalField()),
                )
            )
            rows = rows.union(respondents, all=True).order_by()
        tally = cls()
        for question_id, option_id, role, kind, count, total in rows:
            if option_id is None:  # number or text answers, or multiple-choice respondents
                tally.answered.setdefault(question_id, {})[role, kind] = count
                if total is not None:
                    tally.totals[question_id] = tally.totals.get(question_id, 0) + total
                continue
            tally.chosen.setdefault(option_id, {})[role, kind] = count
            if question_id not in multiple:
                answered = tally.answered.setdefault(question_id, {})
                answered[role, kind] = answered.get((role, kind), 0) + count
        return tally


def question_summary(wave: Wave, *, with_values: bool = False) -> list[QuestionSummary]:
    """Each question's item n, per option the count, percent and Wilson interval, the mean of
    number answers, and breakdowns by role and agency kind.

    Two queries whatever the number of questions or responses; ``with_values`` adds one for
    the free-text answers (up to ``TEXT_LIMIT`` a question) and the medians of numbers.
    Questions answered by fewer people than the wave's minimum group size show no figures.
    """
    questions = survey_questions(wave.survey_id)
    multiple = [q.pk for q, _ in questions if q.kind == Question.Kind.MULTIPLE]
    tally = _Tally.of(wave, multiple=multiple)
    summaries = []
    for question, options in questions:
        answered = tally.answered.get(question.pk, {})
        n = sum(answered.values())
        summary = QuestionSummary(question=question, n=n, suppressed=0 < n < wave.min_group_size)
        summaries.append(summary)
        if summary.suppressed or not n:
            continue
        chosen = {o.pk: tally.chosen.get(o.pk, {}) for o in options}
        summary.options = [
            OptionSummary(option=o, share=Share.of(sum(chosen[o.pk].values()), n)) for o in options
        ]
        if question.pk in tally.totals:
            summary.mean = float(tally.totals[question.pk]) / n
        if options:
            summary.by_role = _groups(
                answered, chosen, wave.min_group_size, key=_role_group, order=ROLE_GROUPS
            )
            summary.by_agency_kind = _groups(
                answered,
                chosen,
                wave.min_group_size,
                key=lambda role, kind: kind,
                order=[*Agency.Kind.choices, ("", NOT_RECORDED)],
            )
    if with_values:
        _add_texts_and_medians(wave, summaries)
    return summaries


def _role_group(role: str, kind: str) -> str:
    return "command_staff" if role == Membership.Role.COMMAND_STAFF else "other"


def _groups(
    answered: dict[Partition, int],
    chosen: dict[int, dict[Partition, int]],
    min_size: int,
    *,
    key: Callable[[str, str], str],
    order: list[tuple[str, str]],
) -> list[GroupRow]:
    """Add the (role, agency kind) partitions up into groups, then suppress small ones."""
    n: dict[str, int] = defaultdict(int)
    for partition, count in answered.items():
        n[key(*partition)] += count
    # A value missing from ``order`` (an agency kind since retired) is still a group: left
    # out, the others subtracted from the total would reveal it.
    labels = dict(order)
    labels.update((k, k) for k in list(n) if k not in labels)
    groups = []
    for group_key, label in labels.items():
        if not n[group_key]:
            continue
        counts = [
            sum(c for partition, c in per_option.items() if key(*partition) == group_key)
            for per_option in chosen.values()
        ]
        shares = [Share.of(count, n[group_key]) for count in counts]
        groups.append(GroupRow(group_key, label, n[group_key], False, shares))
    _suppress_small_groups(groups, min_size)
    return groups


def _suppress_small_groups(groups: list[GroupRow], min_size: int) -> None:
    """Hide groups smaller than ``min_size``. The question's total is shown, so the groups
    shown are subtracted from it: while what remains hidden adds up to fewer than
    ``min_size`` people, the smallest group still shown is hidden too."""
    for group in groups:
        group.suppressed = group.n < min_size
    shown = sorted((g for g in groups if not g.suppressed), key=lambda g: g.n)
    hidden = sum(g.n for g in groups if g.suppressed)
    while shown and 0 < hidden < min_size:
        group = shown.pop(0)
        group.suppressed = group.reveals_smaller = True
        hidden += group.n
    for group in groups:
        if group.suppressed:
            group.shares = []


def _add_texts_and_medians(wave: Wave, summaries: list[QuestionSummary]) -> None:
    """One query: each listed question's answers ranked by a window function, keeping the
    first ``TEXT_LIMIT`` texts (alphabetical, so the order says nothing about who answered
    when) and the one or two middle numbers."""
    wanted, listed = Q(), []
    for s in summaries:
        if s.suppressed or not s.n:
            continue
        if s.question.kind == Question.Kind.TEXT:
            wanted |= Q(question_id=s.question.pk, rank__lte=TEXT_LIMIT)
        elif s.question.kind == Question.Kind.NUMBER:
            wanted |= Q(question_id=s.question.pk, rank__in={(s.n + 1) // 2, s.n // 2 + 1})
        else:
            continue
        listed.append(s.question.pk)
    if not listed:
        return
    ranked = (
        Answer.objects.filter(
            response__wave=wave, response__status=Response.Status.SUBMITTED, question_id__in=listed
        )
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("question_id")],
                order_by=[F("number").asc(), F("text").asc(), F("pk").asc()],
            )
        )
        .filter(wanted)
        .order_by()
        .values_list("question_id", "rank", "number", "text")
    )
    texts: dict[int, list[tuple[int, str]]] = defaultdict(list)
    middle: dict[int, list[Decimal]] = defaultdict(list)
    for question_id, rank, number, text in ranked:
        if number is None:
            texts[question_id].append((rank, text))
        else:
            middle[question_id].append(number)
    for s in summaries:
        s.texts = [text for _, text in sorted(texts.get(s.question.pk, []))]
        if middle.get(s.question.pk):
            s.median = float(sum(middle[s.question.pk])) / len(middle[s.question.pk])


def breakdown(wave: Wave, question: Question, *, by: str) -> list[GroupRow]:
    """Option shares of ``question`` per respondent role or agency kind, roles not grouped
    (one query). Small groups are suppressed, and so are groups that would reveal them."""
    if by not in {"role", "agency_kind"}:
        raise ValueError(f"Cannot break down by {by!r}.")
    labels = dict(Membership.Role.choices if by == "role" else Agency.Kind.choices)
    options = list(question.options.all())
    per_option = {
        f"o{o.pk}": Count("pk", filter=Q(answers__option=o), distinct=True) for o in options
    }
    rows = (
        Response.objects.submitted()
        .filter(wave=wave, answers__question=question)
        .values(by)
        .annotate(n=Count("pk", distinct=True), **per_option)
        .order_by(by)
    )
    groups = [
        GroupRow(
            key=row[by],
            label=labels.get(row[by], row[by] or NOT_RECORDED),
            n=row["n"],
            suppressed=False,
            shares=[Share.of(row[f"o{o.pk}"], row["n"]) for o in options],
        )
        for row in rows
    ]
    _suppress_small_groups(groups, wave.min_group_size)
    return groups


# --- The outcome indicators reported to the funder ----------------------------------------


class Indicator(NamedTuple):
    code: str
    label: str
    question_code: str
    option_code: str


INDICATORS = [
    Indicator(
        "changes_made",
        "Already made changes to their agency's OSW programming as a direct result",
        "osw_changes",
        "made",
    ),
    Indicator(
        "changes_planned",
        "Plan to make changes to their agency's OSW programming",
        "osw_changes",
        "planned",
    ),
    Indicator(
        "peer_outreach",
        "Reached out to a peer from the group outside meeting times",
        "peer_outreach",
        "yes",
    ),
    Indicator(
        "shared_internal_external",
        "Shared knowledge with both internal and external members",
        "knowledge_sharing",
        "internal_external",
    ),
    Indicator(
        "shared_in_group",
        "Sharing knowledge with others in the group",
        "knowledge_sharing",
        "in_group",
    ),
]


def outcome_indicators(cohort: Cohort, period: Quarter | None = None) -> list[dict[str, Any]]:
    """The five indicators, each from the latest wave of the cohort with submitted responses
    that asks its question. One query whatever the size of the cohort.

    With a ``period`` (a quarter), only responses submitted within it count, and each
    indicator comes from the latest wave with submissions in that quarter.
    """
    question_codes = sorted({i.question_code for i in INDICATORS})
    submitted = Response.objects.filter(wave=OuterRef("pk"), status=Response.Status.SUBMITTED)
    in_period = Q()
    if period is not None:
        submitted = submitted.filter(submitted_on__range=(period.start, period.end))
        in_period = Q(response__submitted_on__range=(period.start, period.end))
    # Each question's latest wave with submissions is a subquery of the one counting query.
    where = Q()
    for code in question_codes:
        latest = (
            Wave.objects.filter(cohort=cohort, survey__questions__code=code)
            .filter(Exists(submitted))
            .order_by("-closes_at", "-opens_at", "-pk")
            .values("pk")[:1]
        )
        where |= Q(question__code=code, response__wave_id=Subquery(latest))
    per_indicator = {
        i.code: Count(
            "response",
            distinct=True,
            filter=Q(question__code=i.question_code, option__code=i.option_code),
        )
        for i in INDICATORS
    }
    rows = (
        Answer.objects.filter(where, in_period, response__status=Response.Status.SUBMITTED)
        .values("response__wave_id", "response__wave__title", "question__code")
        .annotate(n=Count("response", distinct=True), **per_indicator)
        .order_by()
    )
    found = {r["question__code"]: r for r in rows}
    latest_by_code = {
        code: (r["response__wave_id"], r["response__wave__title"]) for code, r in found.items()
    }
    counts = {(r["response__wave_id"], code): r for code, r in found.items()}

    indicators = []
    for indicator in INDICATORS:
        wave_id, wave_title = latest_by_code.get(indicator.question_code, (None, ""))
        row = counts.get((wave_id, indicator.question_code), {})
        share = Share.of(row.get(indicator.code, 0), row.get("n", 0))
        indicators.append(
            {
                "code": indicator.code,
                "label": indicator.label,
                "numerator": share.count,
                "denominator": share.n,
                "percent": _rounded(share.percent),
                "ci_low": _rounded(share.ci_low),
                "ci_high": _rounded(share.ci_high),
                "wave": wave_title,
                "wave_id": wave_id,
                "text": str(share),
            }
        )
    return indicators


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 2)
