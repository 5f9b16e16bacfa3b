"""Reporting periods: calendar quarters, as the funder's quarterly reports count them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

MONTH_ABBREVIATIONS = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
]  # fmt: skip
# "2021Q2", "2021-Q2", "2021 q2": a year, an optional separator, Q and the quarter.
_PATTERN = re.compile(r"^\s*(\d{4})\s*[-/ ]?\s*[Qq]([1-4])\s*$")


@dataclass(frozen=True, order=True)
class Quarter:
    """One calendar quarter: 2021 Q2 runs from April 1 to June 30, 2021."""

    year: int
    quarter: int

    def __post_init__(self) -> None:
        if not 1 <= self.quarter <= 4:
            raise ValueError(f"A quarter is 1 to 4, not {self.quarter}.")
        if not 1 <= self.year <= 9999:
            raise ValueError(f"{self.year} is not a year a quarter can be in.")

    @classmethod
    def containing(cls, day: date) -> Quarter:
        """The quarter ``day`` falls in (for a datetime, its own calendar date)."""
        return cls(day.year, (day.month - 1) // 3 + 1)

    @classmethod
    def parse(cls, text: str) -> Quarter:
        """ "2021Q2", "2021-Q2" or "2021 Q2" → Quarter(2021, 2); anything else is a ValueError."""
        match = _PATTERN.match(text or "")
        if match is None:
            raise ValueError(f"“{text}” is not a quarter: write it like 2021Q2.")
        return cls(int(match[1]), int(match[2]))

    @property
    def code(self) -> str:
        """ "2021Q2": the form used in URLs, exports and on the command line."""
        return f"{self.year}Q{self.quarter}"

    @property
    def first_month(self) -> int:
        return 3 * (self.quarter - 1) + 1

    @property
    def start(self) -> date:
        """The quarter's first day."""
        return date(self.year, self.first_month, 1)

    @property
    def end(self) -> date:
        """The quarter's last day (inclusive)."""
        return self.next().start - timedelta(days=1)

    @property
    def months(self) -> str:
        """ "Apr–Jun"."""
        return (
            f"{MONTH_ABBREVIATIONS[self.first_month - 1]}–"
            f"{MONTH_ABBREVIATIONS[self.first_month + 1]}"
        )

    @property
    def label(self) -> str:
        """ "2021 Q2 (Apr–Jun)"."""
        return f"{self.year} Q{self.quarter} ({self.months})"

    def next(self) -> Quarter:
        return (
            Quarter(self.year + 1, 1) if self.quarter == 4 else Quarter(self.year, self.quarter + 1)
        )

    def previous(self) -> Quarter:
        return (
            Quarter(self.year - 1, 4) if self.quarter == 1 else Quarter(self.year, self.quarter - 1)
        )

    def __contains__(self, day: date) -> bool:
        if isinstance(day, datetime):
            day = day.date()
        return self.start <= day <= self.end

    def bounds(self, tz: tzinfo) -> tuple[datetime, datetime]:
        """The quarter as instants in ``tz``: from its first midnight up to, not including,
        the next quarter's first midnight."""
        return (
            datetime.combine(self.start, time.min, tzinfo=tz),
            datetime.combine(self.next().start, time.min, tzinfo=tz),
        )

    def __str__(self) -> str:
        return self.code


def quarters_between(first: date, last: date) -> list[Quarter]:
    """Every quarter from the one containing ``first`` to the one containing ``last``."""
    if last < first:
        return []
    quarter, final = Quarter.containing(first), Quarter.containing(last)
    quarters = [quarter]
    while quarter < final:
        quarter = quarter.next()
        quarters.append(quarter)
    return quarters


def cohort_quarters(cohort) -> list[Quarter]:
    """The quarters a cohort's start and end dates span, in order."""
    return quarters_between(cohort.start_date, cohort.end_date)
