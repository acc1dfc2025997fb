"""Why an officer is flagged: the few features that moved their score most, in plain words.

Attribution by occlusion: each feature in turn is set to the population's median and the
officer is scored again; the fall in the score is that feature's contribution. The score here
is the trees' own probability, before calibration: calibration maps it monotonically (so the
ranking is the same) but is flat in steps, and at the very top, where flags are, a change
would often not move the calibrated score at all. It is computed
from the very model and features that produced the score (not a separate surrogate), needs no
library the trees do not already need, and reads plainly: "without this, the score would be
lower by so much". Features that move together share credit unevenly; the words say what the
record holds, never a judgement.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:  # the words (``describe``) are needed without the modelling libraries
    from openwitness.patterns.model import CalibratedModel

#: facts listed per flag
FACTS = 3


@dataclass(frozen=True)
class Fact:
    feature: str
    value: float
    #: how much lower the (uncalibrated) score would be with a typical value here
    contribution: float
    words: str
    #: for the co-accusal fact: (officer id, complaints together), the most shared first
    partners: tuple[tuple[int, int], ...] = ()


def percent_down(value: float) -> float:
    """A percentile to one decimal, rounded down: "more than 99.9%" is never shown as "more
    than 100%" of the officers (one of whom is this one)."""
    return math.floor(round(value * 10, 6)) / 10  # 30.000000000000004 and 29.999… are 30


def _n(value: float, one: str, many: str | None = None) -> str:
    count = round(value)
    return f"{count} {one if count == 1 else (many or one + 's')}"


def describe(feature: str, value: float) -> str:
    """A feature's value in plain words."""
    windows = {"90d": "90 days", "1y": "12 months", "2y": "2 years", "5y": "5 years"}
    if feature.startswith("allegations_"):
        span = feature.removeprefix("allegations_")
        where = "in all" if span == "all" else f"in {windows[span]}"
        return f"{_n(value, 'allegation')} {where}"
    if feature.startswith("complaints_"):
        return f"{_n(value, 'complaint')} in {windows[feature.removeprefix('complaints_')]}"
    fixed = {
        "proven_known_5y": lambda v: f"{_n(v, 'allegation')} found proven in 5 years",
        "proven_known_all": lambda v: f"{_n(v, 'allegation')} found proven in all",
        "downgraded_known_5y": lambda v: f"{_n(v, 'allegation')} recommended as proven but "
        "not finally found so, in 5 years",
        "sanctioned_known_5y": lambda v: f"{_n(v, 'sanction')} in 5 years",
        "unresolved": lambda v: f"{_n(v, 'allegation')} still unresolved",
        "days_since_last": lambda v: f"the last allegation {int(v)} days before",
        "acceleration": lambda v: f"{int(v):+d} allegations in the last 12 months against the "
        "12 months before",
        "years_of_service": lambda v: f"{v:.0f} years of service" if v >= 0 else
        "no start date on record",
        # rounded down: more than 99.6% of them is not more than 100%
        "peer_percentile": lambda v: f"more allegations per year of service than {int(v)}% of "
        "officers of the same force" if v >= 0 else "no peer comparison (under a year's service)",
        "coaccused_partners": lambda v: f"accused with {_n(v, 'other officer')} in 2 or more "
        "complaints",
        "partners_proven_5y": lambda v: "the officers accused with this one in 2 or more "
        f"complaints: {_n(v, 'allegation')} found proven in "
        "5 years",
        "partners_max_1y": lambda v: "an officer accused with this one in 2 or more complaints: "
        f"{_n(v, 'allegation')} in 12 months",
    }  # fmt: skip
    if feature in fixed:
        return fixed[feature](value)
    group = feature.removesuffix("_5y").replace("-", " ")
    return f"{_n(value, 'allegation')} of {group} in 5 years"


def explain(
    model: CalibratedModel, features: NDArray[np.float64], rows: NDArray[np.int64]
) -> list[list[Fact]]:
    """For each of ``rows`` (indices into ``features``), the facts that raised its score most."""
    if not len(rows):
        return []
    typical = np.median(features, axis=0)
    base = model.raw(features[rows])
    contributions = np.zeros((len(rows), features.shape[1]))
    for j in range(features.shape[1]):
        changed = features[rows].copy()
        changed[:, j] = typical[j]
        contributions[:, j] = base - model.raw(changed)
    out = []
    for i, row in enumerate(rows):
        order = np.argsort(-contributions[i], kind="stable")[:FACTS]
        out.append([
            Fact(model.names[j], float(features[row, j]), round(float(contributions[i, j]), 4),
                 describe(model.names[j], float(features[row, j])))
            for j in order if contributions[i, j] > 0
        ])  # fmt: skip
    return out
