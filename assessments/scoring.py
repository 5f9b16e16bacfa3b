"""Domain scores, strengths, gaps, change between rounds and the cohort benchmark.

A domain's score is the mean of its items' levels as a percent of the scale's range: on the
starter's 0–4 scale, the mean divided by 4. Rounds are compared by domain code, so a team's
midpoint on a revised version still lines up with its baseline. Only submitted assessments
count. Every figure comes from two queries per cohort (ratings averaged in SQL by assessment
and domain, and each version's scale bounds), whatever the number of teams.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Avg, Max, Min

from .models import ROUND_ORDER, Assessment, Domain, Rating, Round, ScaleLevel

STRENGTH_AT = 75.0  # a domain scoring this much or more is a strength
GAP_BELOW = 50.0  # a domain scoring less than this is a gap
BENCHMARK_MIN_TEAMS = 5  # the cohort average is shown only over at least this many teams

Key = tuple[int, str]  # (team id, round)


def percent_of_scale(mean: float, low: int, high: int) -> float:
    if high <= low:
        return 0.0
    return (mean - low) / (high - low) * 100


def scale_bounds(version_ids) -> dict[int, tuple[int, int]]:
    rows = (
        ScaleLevel.objects.filter(version_id__in=set(version_ids))
        .values("version_id")
        .annotate(low=Min("value"), high=Max("value"))
        .values_list("version_id", "low", "high")
    )
    return {version_id: (low, high) for version_id, low, high in rows}


def domain_scores(ratings) -> dict[Key, dict[str, float]]:
    """Domain percentages per (team, round) for the given ratings queryset. Two queries."""
    rows = list(
        ratings.filter(level__isnull=False)
        .values(
            "assessment__team_id",
            "assessment__round",
            "assessment__version_id",
            "item__domain__code",
        )
        .annotate(mean=Avg("level"))
        .values_list(
            "assessment__team_id",
            "assessment__round",
            "assessment__version_id",
            "item__domain__code",
            "mean",
        )
        .order_by()
    )
    bounds = scale_bounds(row[2] for row in rows) if rows else {}
    scores: dict[Key, dict[str, float]] = defaultdict(dict)
    for team_id, round_, version_id, code, mean in rows:
        low, high = bounds.get(version_id, (0, 0))
        scores[(team_id, round_)][code] = percent_of_scale(float(mean), low, high)
    return dict(scores)


def cohort_scores(cohort) -> dict[Key, dict[str, float]]:
    """Every submitted assessment of the cohort, scored by domain."""
    return domain_scores(
        Rating.objects.filter(
            assessment__team__cohort=cohort, assessment__status=Assessment.Status.SUBMITTED
        )
    )


def overall(scores: dict[str, float] | None) -> float | None:
    """The mean of the domain scores: each domain counts the same, however many items."""
    if not scores:
        return None
    return sum(scores.values()) / len(scores)


@dataclass(frozen=True)
class Benchmark:
    round: str
    teams: int
    averages: dict[str, float]

    @property
    def shown(self) -> bool:
        return self.teams >= BENCHMARK_MIN_TEAMS


def benchmarks(scores: dict[Key, dict[str, float]]) -> dict[str, Benchmark]:
    """The cohort average by domain for each round, over the teams that submitted it. Teams
    are never named; ``shown`` is false under the minimum number of teams."""
    by_round: dict[str, list[dict[str, float]]] = defaultdict(list)
    for (_, round_), domains in scores.items():
        by_round[round_].append(domains)
    result = {}
    for round_ in ROUND_ORDER:
        teams = by_round.get(round_, [])
        sums: dict[str, list[float]] = defaultdict(list)
        for domains in teams:
            for code, value in domains.items():
                sums[code].append(value)
        averages = {code: sum(values) / len(values) for code, values in sums.items()}
        result[round_] = Benchmark(round=round_, teams=len(teams), averages=averages)
    return result


def format_change(value: float | None) -> str:
    """+12 points, −5 points, no change; empty when there is nothing to compare."""
    if value is None:
        return ""
    rounded = round(value)
    if rounded == 0:
        return "no change"
    sign = "+" if rounded > 0 else "−"
    return f"{sign}{abs(rounded)} point{'s' if abs(rounded) != 1 else ''}"


# --- One team's results -----------------------------------------------------------------------


@dataclass
class DomainRow:
    code: str
    title: str
    description: str
    domain: Domain | None  # in the latest version the team used, for "Add an action step"
    scores: dict[str, float | None]  # by round
    benchmark: float | None = None  # cohort average in the latest round, when shown
    steps: int = 0  # action steps already planned for this domain
    rounds: list[str] = field(default_factory=list)  # the team's submitted rounds, in order

    @property
    def cells(self) -> list[float | None]:
        return [self.scores.get(r) for r in self.rounds]

    @property
    def change_label(self) -> str:
        return format_change(self.change)

    @property
    def latest(self) -> float | None:
        values = [self.scores.get(r) for r in ROUND_ORDER if self.scores.get(r) is not None]
        return values[-1] if values else None

    @property
    def change(self) -> float | None:
        """From the first round the team submitted to the latest."""
        values = [self.scores.get(r) for r in ROUND_ORDER if self.scores.get(r) is not None]
        return values[-1] - values[0] if len(values) >= 2 else None

    def change_between(self, earlier: str, later: str) -> float | None:
        a, b = self.scores.get(earlier), self.scores.get(later)
        return None if a is None or b is None else b - a


@dataclass
class TeamResults:
    rounds: list[str]  # the rounds the team has submitted, in order
    rows: list[DomainRow] = field(default_factory=list)
    benchmark: Benchmark | None = None  # for the latest submitted round
    overall: dict[str, float | None] = field(default_factory=dict)

    @property
    def overall_cells(self) -> list[float | None]:
        return [self.overall.get(r) for r in self.rounds]

    @property
    def overall_change_label(self) -> str:
        values = self.overall_cells
        return format_change(values[-1] - values[0] if len(values) >= 2 else None)

    @property
    def round_labels(self) -> list[str]:
        return [Round(r).label for r in self.rounds]

    @property
    def latest_round(self) -> str | None:
        return self.rounds[-1] if self.rounds else None

    @property
    def latest_round_label(self) -> str:
        return Round(self.rounds[-1]).label if self.rounds else ""

    @property
    def strengths(self) -> list[DomainRow]:
        rows = [r for r in self.rows if r.latest is not None and r.latest >= STRENGTH_AT]
        return sorted(rows, key=lambda r: (-r.latest, r.title))

    @property
    def gaps(self) -> list[DomainRow]:
        rows = [r for r in self.rows if r.latest is not None and r.latest < GAP_BELOW]
        return sorted(rows, key=lambda r: (r.latest, r.title))


def team_results(team) -> TeamResults:
    """A team's domain scores in each submitted round, with the cohort benchmark of its latest
    round. Domains are listed in the order of the latest version the team used."""
    scores = cohort_scores(team.cohort)
    mine = {round_: scores.get((team.pk, round_)) for round_ in ROUND_ORDER}
    rounds = [r for r in ROUND_ORDER if mine[r] is not None]
    results = TeamResults(rounds=rounds)
    if not rounds:
        return results
    latest_assessment = (
        Assessment.objects.filter(team=team, round=rounds[-1]).values_list("version_id").get()
    )
    domains = list(Domain.objects.filter(version_id=latest_assessment[0]).order_by("position"))
    known = {d.code for d in domains}
    # Domains only an earlier version had are still shown, after the current ones.
    older = sorted({code for r in rounds for code in mine[r] if code not in known})
    older_titles = dict(
        Domain.objects.filter(code__in=older, version__assessments__team=team)
        .values_list("code", "title")
        .distinct()
    )
    bench = benchmarks(scores)[rounds[-1]]
    results.benchmark = bench
    for domain in domains:
        results.rows.append(
            DomainRow(
                code=domain.code,
                title=domain.title,
                description=domain.description,
                domain=domain,
                scores={r: mine[r].get(domain.code) for r in rounds},
                rounds=rounds,
                benchmark=bench.averages.get(domain.code) if bench.shown else None,
            )
        )
    for code in older:
        results.rows.append(
            DomainRow(
                code=code,
                title=older_titles.get(code, code),
                description="",
                domain=None,
                scores={r: mine[r].get(code) for r in rounds},
                rounds=rounds,
                benchmark=bench.averages.get(code) if bench.shown else None,
            )
        )
    results.overall = {r: overall(mine[r]) for r in rounds}
    return results
