"""Survey figures: counts, percentages and 95% Wilson intervals, aggregated in SQL."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from django.db.models import Avg, Count, Exists, OuterRef, Prefetch, Q

from cohorts.models import Cohort

from .models import Answer, Option, Question, Response, Wave


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


@dataclass
class OptionSummary:
    option: Option
    share: Share


@dataclass
class QuestionSummary:
    question: Question
    n: int
    suppressed: bool
    options: list[OptionSummary] = field(default_factory=list)
    mean: float | None = None


def _submitted_in(wave: Wave, prefix: str) -> Q:
    return Q(**{f"{prefix}response__wave": wave, f"{prefix}response__status": "submitted"})


def question_summary(wave: Wave) -> list[QuestionSummary]:
    """Each question's item n, and per option the count, percent and Wilson interval.

    Two queries whatever the number of questions or responses. Questions answered by fewer
    people than the wave's minimum group size show no figures at all.
    """
    answered = _submitted_in(wave, "answers__")
    options = Option.objects.annotate(count=Count("answers", filter=answered)).order_by(
        "position", "pk"
    )
    questions = (
        wave.survey.questions.annotate(
            n=Count("answers__response", filter=answered, distinct=True),
            mean=Avg("answers__number", filter=answered),
        )
        .prefetch_related(Prefetch("options", queryset=options))
        .order_by("position", "pk")
    )
    summaries = []
    for question in questions:
        suppressed = 0 < question.n < wave.min_group_size
        summary = QuestionSummary(question=question, n=question.n, suppressed=suppressed)
        if not suppressed:
            summary.options = [
                OptionSummary(option=o, share=Share.of(o.count, question.n))
                for o in question.options.all()
            ]
            summary.mean = float(question.mean) if question.mean is not None else None
        summaries.append(summary)
    return summaries


def response_rate(wave: Wave) -> Share:
    """Submitted responses over invitations (one query)."""
    counts = Wave.objects.filter(pk=wave.pk).aggregate(
        invited=Count("invitations", distinct=True),
        submitted=Count("responses", filter=Q(responses__status="submitted"), distinct=True),
    )
    return Share.of(min(counts["submitted"], counts["invited"]), counts["invited"])


@dataclass
class GroupRow:
    key: str
    label: str
    n: int
    suppressed: bool
    shares: list[Share]


def breakdown(wave: Wave, question: Question, *, by: str) -> list[GroupRow]:
    """Option shares of ``question`` per respondent role or agency kind (one query).

    A group smaller than the minimum group size is suppressed; when exactly one group is, the
    next smallest is suppressed too, or subtracting the others from the total would reveal it.
    """
    if by not in {"role", "agency_kind"}:
        raise ValueError(f"Cannot break down by {by!r}.")
    from cohorts.models import Agency, Membership

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
            label=labels.get(row[by], row[by] or "Not recorded"),
            n=row["n"],
            suppressed=row["n"] < wave.min_group_size,
            shares=[Share.of(row[f"o{o.pk}"], row["n"]) for o in options],
        )
        for row in rows
    ]
    hidden = [g for g in groups if g.suppressed]
    shown = sorted((g for g in groups if not g.suppressed), key=lambda g: g.n)
    if len(hidden) == 1 and shown:
        shown[0].suppressed = True
    for group in groups:
        if group.suppressed:
            group.shares = []
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


def outcome_indicators(cohort: Cohort) -> list[dict[str, Any]]:
    """The five indicators, each from the latest wave of the cohort with submitted responses
    that asks its question. Two queries whatever the size of the cohort."""
    question_codes = sorted({i.question_code for i in INDICATORS})
    submitted = Response.objects.filter(wave=OuterRef("pk"), status=Response.Status.SUBMITTED)
    sources = (
        Wave.objects.filter(cohort=cohort, survey__questions__code__in=question_codes)
        .filter(Exists(submitted))
        .order_by("-closes_at", "-opens_at", "-pk")
        .values_list("pk", "title", "survey__questions__code")
    )
    latest: dict[str, tuple[int, str]] = {}
    for wave_id, title, code in sources:
        latest.setdefault(code, (wave_id, title))

    counts: dict[tuple[int, str], dict[str, int]] = {}
    if latest:
        where = Q()
        for code, (wave_id, _) in latest.items():
            where |= Q(response__wave_id=wave_id, question__code=code)
        per_indicator = {
            i.code: Count(
                "response",
                distinct=True,
                filter=Q(question__code=i.question_code, option__code=i.option_code),
            )
            for i in INDICATORS
        }
        rows = (
            Answer.objects.filter(where, response__status=Response.Status.SUBMITTED)
            .values("response__wave_id", "question__code")
            .annotate(n=Count("response", distinct=True), **per_indicator)
            .order_by()
        )
        counts = {(r["response__wave_id"], r["question__code"]): r for r in rows}

    indicators = []
    for indicator in INDICATORS:
        wave_id, wave_title = latest.get(indicator.question_code, (None, ""))
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
                "text": str(share),
            }
        )
    return indicators


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 2)
