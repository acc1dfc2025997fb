"""Rates, rate ratios and their uncertainty: the arithmetic behind every figure.

Hand-written because each is one line of textbook arithmetic whose exact form docs/statistics.md
states; the tests check them against ``scipy.stats.contingency.relative_risk`` on the same counts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

Z95 = 1.959963984540054  # the 97.5th percentile of the standard normal distribution


@dataclass(frozen=True)
class RateRatio:
    ratio: float | None
    ci95: tuple[float, float] | None
    bounds: tuple[float | None, float | None] | None
    reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        answer: dict[str, Any] = {
            "ratio": _round(self.ratio),
            "ci95": [_round(v) for v in self.ci95] if self.ci95 else None,
            "bounds": [_round(v) for v in self.bounds] if self.bounds else None,
        }
        if self.reason:
            answer["reason"] = self.reason
        return answer


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def rate_per_1000(count: int, population: int | None) -> float | None:
    if not population:
        return None
    return 1000.0 * count / population


def katz_interval(a: int, n1: int, b: int, n2: int) -> tuple[float, float]:
    """95% interval of (a/n1)/(b/n2) by the log method of Katz et al. (1978)."""
    ratio = (a / n1) / (b / n2)
    se = math.sqrt(1 / a - 1 / n1 + 1 / b - 1 / n2)
    return ratio * math.exp(-Z95 * se), ratio * math.exp(Z95 * se)


def rate_ratio(
    group: str, a: int, n1: int | None, b: int, n2: int | None, unknown: int
) -> RateRatio:
    """The group's rate over White's: ``a`` searches of ``n1`` residents against ``b`` of
    ``n2``; ``unknown`` searches with no ethnicity give the bounds (all the group's, or all
    White's)."""
    if not n1 or not n2:
        return RateRatio(None, None, None, "no resident population for this force or group")
    if a > n1 or b > n2:
        return RateRatio(
            None, None, None, "more searches than residents: a per-resident rate means nothing"
        )
    if b == 0:
        return RateRatio(None, None, None, "no searches of White people recorded")
    if a == 0:
        return RateRatio(None, None, None, f"no searches of {group} people recorded")
    ratio = (a / n1) / (b / n2)
    low = (a / n1) / ((b + unknown) / n2)
    high = ((a + unknown) / n1) / (b / n2)
    return RateRatio(ratio, katz_interval(a, n1, b, n2), (low, high))


def share(numerator: int, denominator: int) -> float | None:
    return None if denominator == 0 else numerator / denominator
