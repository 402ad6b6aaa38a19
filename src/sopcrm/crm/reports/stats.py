"""The arithmetic every report shares: shares with their numerator and denominator, and
nearest-rank percentiles (docs/reports.md, "The figures")."""

import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Share:
    """`part` of `whole`; `rate` is None when `whole` is 0 (shown as "—", never 0 %)."""

    part: int
    whole: int

    @property
    def rate(self) -> float | None:
        return None if self.whole == 0 else self.part / self.whole

    @property
    def percent(self) -> float | None:
        """The rate in percent, one decimal."""
        return None if self.whole == 0 else round(100 * self.part / self.whole, 1)

    def as_dict(self) -> dict[str, int | float | None]:
        return {"part": self.part, "whole": self.whole, "percent": self.percent}


def percentile(values: Sequence[float], p: float) -> float | None:
    """The nearest-rank percentile (p in 0..100) of `values`: the smallest value with at least
    p % of the values at or below it. p50 of 1, 2, 3, 4 is 2. None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def rounded(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


def average(total: float, count: int) -> float | None:
    return None if count == 0 else round(total / count, 2)
