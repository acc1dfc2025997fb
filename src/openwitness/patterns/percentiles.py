"""Every officer's place among their peers, as shown on their profile.

CPDP's method where the records give years of service: allegations per year of service over
the last 5 years, against the officers of the same force serving that day with a year's
service or more. Where they give no start date (New York's release gives none), the same
comparison on the 5-year count alone, and the profile says so. Per category group too, for the
groups the officer has allegations in.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from openwitness.patterns import YEAR
from openwitness.patterns.explain import percent_down
from openwitness.patterns.features import UNKNOWN, FeatureBuilder

#: how a percentile was computed
PER_YEAR_OF_SERVICE = "per-year-of-service"
COUNT = "count"


def officer_percentiles(builder: FeatureBuilder, t: int) -> list[dict[str, Any]]:
    """Per officer (the records' order): ``method`` (None when the officer had left by t or
    has under a year's service), ``allegations_5y``, ``percentile`` and ``by_category``."""
    n = builder.n
    serving = builder.serving(t)
    years = builder.years_of_service(t)
    counts = builder.all.within(n, t, 5 * YEAR)
    known = years != UNKNOWN
    group_counts = [counter.within(n, t, 5 * YEAR) for counter in builder.by_group]

    def ranked(values: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        by_service = builder.peer_percentile(t, values, years)
        by_count = builder.rank_in_force(values.astype(np.float64), serving & ~known)
        return np.where(known, by_service, by_count)

    overall = ranked(counts)
    groups = [ranked(c) for c in group_counts]
    out: list[dict[str, Any]] = []
    for i in range(n):
        if overall[i] == UNKNOWN:
            reason = "left" if not serving[i] else "under a year's service"
            out.append({"method": None, "reason": reason, "allegations_5y": int(counts[i])})
            continue
        out.append({
            "method": PER_YEAR_OF_SERVICE if known[i] else COUNT,
            "years_of_service": round(float(years[i]), 1) if known[i] else None,
            "allegations_5y": int(counts[i]),
            "percentile": percent_down(float(overall[i])),
            "by_category": {
                name: percent_down(float(groups[g][i]))
                for g, name in enumerate(builder.records.groups) if group_counts[g][i]
            },
        })  # fmt: skip
    return out
