"""Trends across a cohort's waves, joined by question and option codes.

The same code in different surveys is the same measure: ``peer_outreach``/``yes`` asked in a
midpoint survey and again in the end survey is one line of a trend. One query whatever the
number of waves and responses (see ``_figures``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from django.db.models import (
    BigIntegerField,
    CharField,
    Count,
    DateTimeField,
    F,
    IntegerField,
    QuerySet,
    Value,
)

from cohorts.models import Cohort

from .models import Answer, Option, Question, Response
from .reports import Share


@dataclass(frozen=True)
class TrendWave:
    id: int
    title: str
    opens_at: datetime
    closes_at: datetime
    min_group_size: int


@dataclass(frozen=True)
class TrendColumn:
    """One wave that asked the question, and how many answered it there."""

    wave: TrendWave
    n: int

    @property
    def suppressed(self) -> bool:
        return 0 < self.n < self.wave.min_group_size


@dataclass(frozen=True)
class TrendCell:
    column: TrendColumn
    share: Share | None  # None when the wave did not offer this answer or shows no figures
    asked: bool = True  # False when the wave's survey did not offer this answer

    @property
    def suppressed(self) -> bool:
        return self.asked and self.column.suppressed

    @property
    def chart_value(self) -> Share | str:
        """What the chart draws: the share, or why there is no bar."""
        if not self.asked:
            return "not asked"
        if self.suppressed:
            return "not shown"
        return self.share


@dataclass
class TrendRow:
    code: str
    label: str
    cells: list[TrendCell] = field(default_factory=list)


@dataclass
class QuestionTrend:
    code: str
    text: str
    columns: list[TrendColumn]
    rows: list[TrendRow]


@dataclass
class CohortTrends:
    waves: list[TrendWave]  # the waves with answers, in time order
    questions: list[QuestionTrend]

    @property
    def enough_waves(self) -> bool:
        return len(self.waves) >= 2

    @property
    def repeated(self) -> list[QuestionTrend]:
        """The questions asked in two waves or more: those with a trend to show."""
        return [q for q in self.questions if len(q.columns) >= 2]

    @property
    def asked_once(self) -> list[QuestionTrend]:
        return [q for q in self.questions if len(q.columns) < 2]

    def question(self, code: str) -> QuestionTrend | None:
        return next((q for q in self.questions if q.code == code), None)


def cohort_trends(cohort: Cohort) -> CohortTrends:
    """Every choice question the cohort's waves asked, by code, across the waves that asked it
    and have answers, oldest first. Cells of a wave where fewer people answered the question
    than the wave's minimum group size are suppressed. One query (see ``_figures``)."""
    waves: dict[int, TrendWave] = {}
    offered: list[_Offered] = []
    chosen: dict[tuple[int, int], int] = {}
    answered: dict[tuple[int, int], int] = {}
    for row in _figures(cohort):
        part, wave_id, question_id, option_id, count, *described = row
        if part == "chosen":
            chosen[wave_id, option_id] = count
        elif part == "answered":
            answered[wave_id, question_id] = count
        else:
            title, opens, closes, min_size, *words = described
            wave = waves.setdefault(wave_id, TrendWave(wave_id, title, opens, closes, min_size))
            offered.append(_Offered(wave, question_id, option_id, *words))
    offered.sort(key=_Offered.order)

    # Per wave and question code: the question's n, and each option code's count.
    asked: dict[int, dict[str, tuple[int, dict[str, int]]]] = defaultdict(dict)
    n: dict[tuple[int, int], int] = defaultdict(int)
    texts: dict[str, str] = {}
    labels: dict[str, dict[str, str]] = {}
    for o in offered:
        wave_id, question_id = o.wave.id, o.question_id
        count = chosen.get((wave_id, o.option_id), 0)
        # A response chooses one option of a single-choice question: its options add up to n.
        if o.question_kind == Question.Kind.MULTIPLE:
            n[wave_id, question_id] = answered.get((wave_id, question_id), 0)
        else:
            n[wave_id, question_id] += count
        asked[wave_id].setdefault(o.question_code, (question_id, {}))[1][o.option_code] = count
        # Oldest wave first: the latest wording wins, the order is that of first appearance.
        texts[o.question_code] = o.question_text
        labels.setdefault(o.question_code, {})[o.option_code] = o.option_label

    def n_of(wave: TrendWave, code: str) -> int:
        return n[wave.id, asked[wave.id][code][0]]

    answered_waves = sorted(
        (w for w in waves.values() if any(n_of(w, code) for code in asked[w.id])),
        key=lambda w: (w.opens_at, w.id),
    )
    questions = []
    for q_code, q_text in texts.items():
        columns = [
            TrendColumn(wave=wave, n=n_of(wave, q_code))
            for wave in answered_waves
            if q_code in asked[wave.id]
        ]
        if not columns:
            continue
        trend = QuestionTrend(code=q_code, text=q_text, columns=columns, rows=[])
        for o_code, label in labels[q_code].items():
            row = TrendRow(code=o_code, label=label)
            for column in columns:
                counts = asked[column.wave.id][q_code][1]
                if o_code not in counts:
                    cell = TrendCell(column=column, share=None, asked=False)
                elif column.suppressed:
                    cell = TrendCell(column=column, share=None)
                else:
                    cell = TrendCell(column=column, share=Share.of(counts[o_code], column.n))
                row.cells.append(cell)
            trend.rows.append(row)
        questions.append(trend)
    return CohortTrends(waves=answered_waves, questions=questions)


class _Offered(NamedTuple):
    """An option of a wave's survey, as the query's ``offered`` part gives it."""

    wave: TrendWave
    question_id: int
    option_id: int
    question_code: str
    question_position: int
    question_text: str
    question_kind: str
    option_code: str
    option_position: int
    option_label: str

    def order(self) -> tuple:
        return (
            self.wave.opens_at,
            self.wave.id,
            self.question_position,
            self.question_id,
            self.option_position,
            self.option_id,
        )


# Every row of the query has these columns, whichever of its three parts it comes from.
_IDS = ("part", "wave_ref", "question_ref", "option_ref", "count")
_WORDS = {
    "wave_title": CharField(),
    "wave_opens_at": DateTimeField(),
    "wave_closes_at": DateTimeField(),
    "wave_min_group_size": IntegerField(),
    "question_code": CharField(),
    "question_position": IntegerField(),
    "question_text": CharField(),
    "question_kind": CharField(),
    "option_code": CharField(),
    "option_position": IntegerField(),
    "option_label": CharField(),
}
_COLUMNS = (*_IDS, *_WORDS)


def _figures(cohort: Cohort) -> QuerySet:
    """One query, a UNION ALL of three parts with the same columns:

    - ``offered``: each option of each wave's survey, with the wave, the question and the
      option as worded there;
    - ``chosen``: per wave, how many submitted responses chose each option;
    - ``answered``: per wave, how many answered each multiple-choice question (a response
      answers a single-choice question with one option, so those add up their options).

    The counts are GROUP BYs over the cohort's answers, read once; correlated subqueries per
    option would read the answers again for every option of every wave.
    """
    wave = "question__survey__waves__"
    # Annotated once and filtered on by name, so that every reference uses the same join.
    offered = (
        Option.objects.annotate(
            part=Value("offered"),
            wave_ref=F(f"{wave}pk"),
            wave_cohort=F(f"{wave}cohort_id"),
            question_ref=F("question_id"),
            option_ref=F("pk"),
            count=Value(None, output_field=IntegerField()),
            wave_title=F(f"{wave}title"),
            wave_opens_at=F(f"{wave}opens_at"),
            wave_closes_at=F(f"{wave}closes_at"),
            wave_min_group_size=F(f"{wave}min_group_size"),
            question_code=F("question__code"),
            question_position=F("question__position"),
            question_text=F("question__text"),
            question_kind=F("question__kind"),
            option_code=F("code"),
            option_position=F("position"),
            option_label=F("label"),
        )
        .filter(wave_cohort=cohort.pk)
        .order_by()
        .values_list(*_COLUMNS)
    )
    answers = Answer.objects.filter(
        response__wave__cohort=cohort, response__status=Response.Status.SUBMITTED
    ).order_by()
    no_words = {name: Value(None, output_field=field) for name, field in _WORDS.items()}
    chosen = (
        answers.filter(option__isnull=False)
        .annotate(
            part=Value("chosen"),
            wave_ref=F("response__wave_id"),
            question_ref=F("question_id"),
            option_ref=F("option_id"),
            **no_words,
        )
        .values("part", "wave_ref", "question_ref", "option_ref", *no_words)
        .annotate(count=Count("pk"))
        .values_list(*_COLUMNS)
    )
    multiple_choice = (
        answers.filter(question__kind=Question.Kind.MULTIPLE)
        .annotate(
            part=Value("answered"),
            wave_ref=F("response__wave_id"),
            question_ref=F("question_id"),
            option_ref=Value(None, output_field=BigIntegerField()),
            **no_words,
        )
        .values("part", "wave_ref", "question_ref", "option_ref", *no_words)
        .annotate(count=Count("response_id", distinct=True))
        .values_list(*_COLUMNS)
    )
    return offered.union(chosen, multiple_choice, all=True).order_by()
