"""Survey figures: counts, percentages and 95% Wilson intervals, aggregated in SQL."""

from __future__ import annotations

import hashlib
import logging
import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple

from django.core.cache import cache
from django.db.models import (
    BigIntegerField,
    Count,
    DecimalField,
    Exists,
    F,
    JSONField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    Window,
)
from django.db.models.functions import Coalesce, JSONObject, RowNumber
from django.utils import timezone

from cohorts.models import Agency, Cohort, Membership

from .models import Answer, Option, Question, Response, Wave, WaveInvitation
from .periods import Quarter

logger = logging.getLogger(__name__)


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
    """A one-column subquery: how many ``rows`` there are for each ``by``. COUNT(*), not of
    the ids, so that an index on ``by`` (and the filter's columns) is enough to count them."""
    return rows.values(by).annotate(count=Count("*")).values("count")


# What ``with_response_counts()`` annotates: with the wave's own fields, the version of its
# figures (see ``_figures_cache_key``).
_COUNT_FIELDS = ("invited", "submitted", "not_answered")


def response_rate(wave: Wave) -> Share:
    """Submitted responses over invitations: read from the wave when it was fetched through
    ``with_response_counts()``, else one query."""
    if not hasattr(wave, "invited"):
        _add_response_counts(wave)
    return Share.of(min(wave.submitted, wave.invited), wave.invited)


def _add_response_counts(wave: Wave) -> None:
    """Set what ``with_response_counts()`` annotates on a wave fetched without it: one query."""
    counts = with_response_counts(Wave.objects.filter(pk=wave.pk)).values(*_COUNT_FIELDS).get()
    for name, value in counts.items():
        setattr(wave, name, value)


def wave_report(wave: Wave) -> WaveReport:
    """Everything the report page shows: the response rate and ``question_summary(wave,
    with_values=True)``. Three queries whatever the number of questions and responses (two
    when nothing is listed), plus one unless ``wave`` came through ``with_response_counts()``.

    The answers of a closed wave no longer change, so its figures are computed once and kept
    in the cache (see ``_figures_cache_key``): then only the questions are read (one query),
    so that their wording is always the current one.
    """
    if not hasattr(wave, "invited"):
        _add_response_counts(wave)
    questions = survey_questions(wave.survey_id)
    key = _figures_cache_key(wave, questions)
    figures = _cached(key)
    if figures is None:
        figures, summaries = _Figures.of(wave, questions)
        _keep(key, figures)
    else:
        summaries = figures.summaries(wave, questions)
    return WaveReport(wave=wave, rate=response_rate(wave), questions=summaries)


# --- A closed wave's figures, cached ---------------------------------------------------------

# Part of every key: bump it when ``_Figures`` changes shape, so that no process ever reads
# figures cached by an older version of this module.
FIGURES_CACHE_FORMAT = 1
# The key changes whenever the figures could, so this only bounds how long unused ones stay.
FIGURES_CACHE_TIMEOUT = 7 * 24 * 3600


def _figures_cache_key(wave: Wave, questions: list[tuple[Question, list[Option]]]) -> str | None:
    """Where a closed wave's figures are cached; None for a wave still open (or not yet open),
    whose figures are always computed.

    The key holds what the figures depend on, so that whatever changes them gives another
    key and the old entry is never read again (it expires). Nothing is invalidated by hand:

    - The closing time. Reopening a wave makes it open, so uncached; closing it again (now,
      or at a time typed in the form) gives a key of its own.
    - The minimum group size and anonymity: locked once a wave opens, here all the same.
    - The survey's questions, by id and kind: a question added to the survey after the wave
      changes the key. Their wording and option labels are not cached but read on every view.
    - Who answered. A submitted response's answers never change: answers are only written to
      the draft of an open wave, and the administration shows responses read only. What can
      change is which responses there are, and the counts ``with_response_counts()`` already
      reads for the response rate follow every way that happens: deleting a response (in the
      administration, or with its wave) lowers ``submitted``; submitting one, which needs an
      open wave, raises it and uses an invitation, which is never unmarked, so
      ``not_answered`` falls for good; and invitations come and go only with ``invited``.
    - The wave's creation time, so that a wave id that a test database hands out again never
      meets another wave's figures.
    """
    if wave.closes_at > timezone.now():
        return None
    version = (
        wave.created.isoformat(),
        wave.closes_at.isoformat(),
        wave.min_group_size,
        wave.anonymity,
        wave.survey_id,
        TEXT_LIMIT,
        *(getattr(wave, name) for name in _COUNT_FIELDS),
        tuple((question.pk, question.kind) for question, _ in questions),
    )
    digest = hashlib.sha256(repr(version).encode()).hexdigest()[:40]
    return f"surveys:wave-figures:{FIGURES_CACHE_FORMAT}:{wave.pk}:{digest}"


def _cached(key: str | None) -> _Figures | None:
    if key is None:
        return None
    try:
        return cache.get(key)
    except Exception:  # the cache being unreachable must not take the report down with it
        logger.warning("Could not read cached survey figures %s.", key, exc_info=True)
        return None


def _keep(key: str | None, figures: _Figures) -> None:
    if key is None:
        return
    try:
        cache.set(key, figures, FIGURES_CACHE_TIMEOUT)
    except Exception:
        logger.warning("Could not cache survey figures %s.", key, exc_info=True)


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
    if with_values:
        return _Figures.of(wave, questions)[1]
    return _summarise(wave, questions, _Tally.of(wave, multiple=_multiple(questions)))


def _multiple(questions: list[tuple[Question, list[Option]]]) -> list[int]:
    return [q.pk for q, _ in questions if q.kind == Question.Kind.MULTIPLE]


def _summarise(
    wave: Wave, questions: list[tuple[Question, list[Option]]], tally: _Tally
) -> list[QuestionSummary]:
    """The summaries of ``questions`` from their tally, small groups suppressed (no query)."""
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
    # Per group, how many chose each option: each partition's counts added to its group's.
    counts: dict[str, list[int]] = defaultdict(lambda: [0] * len(chosen))
    for i, per_option in enumerate(chosen.values()):
        for partition, count in per_option.items():
            counts[key(*partition)][i] += count
    groups = []
    for group_key, label in labels.items():
        if not n[group_key]:
            continue
        shares = [Share.of(count, n[group_key]) for count in counts[group_key]]
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


@dataclass
class _Values:
    """The free-text answers listed and the middle numbers of each listed question."""

    texts: dict[int, list[tuple[int, str]]] = field(default_factory=dict)
    middle: dict[int, list[Decimal]] = field(default_factory=dict)

    @classmethod
    def of(cls, wave: Wave, summaries: list[QuestionSummary]) -> _Values:
        """One query (none when no question is listed): each listed question's answers ranked
        by a window function, keeping the first ``TEXT_LIMIT`` texts (alphabetical, so the
        order says nothing about who answered when) and the one or two middle numbers."""
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
        values = cls()
        if not listed:
            return values
        ranked = (
            Answer.objects.filter(
                response__wave=wave,
                response__status=Response.Status.SUBMITTED,
                question_id__in=listed,
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
        for question_id, rank, number, text in ranked:
            if number is None:
                values.texts.setdefault(question_id, []).append((rank, text))
            else:
                values.middle.setdefault(question_id, []).append(number)
        return values

    def add_to(self, summaries: list[QuestionSummary]) -> None:
        for s in summaries:
            s.texts = [text for _, text in sorted(self.texts.get(s.question.pk, []))]
            if self.middle.get(s.question.pk):
                s.median = float(sum(self.middle[s.question.pk])) / len(self.middle[s.question.pk])


@dataclass
class _Figures:
    """What a wave's report is computed from, as plain data (a closed wave's is cached): the
    tally of its submitted answers and the values listed."""

    tally: _Tally
    values: _Values

    @classmethod
    def of(
        cls, wave: Wave, questions: list[tuple[Question, list[Option]]]
    ) -> tuple[_Figures, list[QuestionSummary]]:
        """The figures of ``wave`` and the summaries made of them: two queries (one when no
        question lists values)."""
        tally = _Tally.of(wave, multiple=_multiple(questions))
        summaries = _summarise(wave, questions, tally)
        values = _Values.of(wave, summaries)
        values.add_to(summaries)
        return cls(tally, values), summaries

    def summaries(
        self, wave: Wave, questions: list[tuple[Question, list[Option]]]
    ) -> list[QuestionSummary]:
        """The summaries again (no query): the same as ``of`` made them, with the questions'
        wording as it is now."""
        summaries = _summarise(wave, questions, self.tally)
        self.values.add_to(summaries)
        return summaries


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
    counts = Cohort.objects.filter(pk=cohort.pk).values(counts=indicator_counts(cohort, period))
    found = counts.first()
    return indicators_from(found["counts"] if found else None)


def indicator_counts(cohort: Cohort, period: Quarter | None = None) -> Subquery:
    """What ``outcome_indicators`` counts, as one scalar subquery (a JSON object, NULL when
    nothing was answered) that a report can select beside its other figures: for each
    indicator question, its latest wave's id and title and how many answered it there; for
    each indicator, how many chose its option. It reads the answers once."""
    question_codes = sorted({i.question_code for i in INDICATORS})
    submitted = Response.objects.filter(wave=OuterRef("pk"), status=Response.Status.SUBMITTED)
    in_period = Q()
    if period is not None:
        submitted = submitted.filter(submitted_on__range=(period.start, period.end))
        in_period = Q(response__submitted_on__range=(period.start, period.end))
    # Each question's latest wave with submissions is a subquery of the one counting query.
    where = Q()
    counts = {}
    for code in question_codes:
        latest = (
            Wave.objects.filter(cohort=cohort, survey__questions__code=code)
            .filter(Exists(submitted))
            .order_by("-closes_at", "-opens_at", "-pk")
            .values("pk")[:1]
        )
        where |= Q(question__code=code, response__wave_id=Subquery(latest))
        asked = Q(question__code=code)
        counts[f"{code}.wave"] = Max("response__wave_id", filter=asked)
        counts[f"{code}.title"] = Max("response__wave__title", filter=asked)
        counts[f"{code}.n"] = Count("response", distinct=True, filter=asked)
    for i in INDICATORS:
        counts[i.code] = Count(
            "response",
            distinct=True,
            filter=Q(question__code=i.question_code, option__code=i.option_code),
        )
    rows = (
        Answer.objects.filter(where, in_period, response__status=Response.Status.SUBMITTED)
        .order_by()
        # Every answer counted is the cohort's: one group, one row.
        .values("response__wave__cohort")
        .annotate(counts=JSONObject(**counts))
        .values("counts")
    )
    return Subquery(rows, output_field=JSONField())


def indicators_from(counts: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The indicators, from what ``indicator_counts`` selected."""
    counts = counts or {}
    indicators = []
    for indicator in INDICATORS:
        code = indicator.question_code
        share = Share.of(counts.get(indicator.code, 0), counts.get(f"{code}.n", 0))
        # A question nobody answered in its latest wave names no wave.
        wave_id, wave_title = (
            (counts[f"{code}.wave"], counts[f"{code}.title"]) if share.n else (None, "")
        )
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
