"""The officers to look at now: a model trained on every year whose outcome is known, scoring
the officers as of a day, with each flag's facts (``explain``)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

import numpy as np

from openwitness.core.errors import InvalidRequestError
from openwitness.patterns.evaluate import LABELS, MIN_TRAINING_YEARS, rule_flags, snapshot_days, top
from openwitness.patterns.explain import Fact, explain
from openwitness.patterns.features import YEAR, FeatureBuilder
from openwitness.patterns.model import fit_model
from openwitness.patterns.records import EPOCH, AllegationRecords, day_number


@dataclass(frozen=True)
class Flag:
    officer_id: int
    score: float
    peer_percentile: float | None
    facts: list[Fact]

    def to_dict(self) -> dict[str, Any]:
        return {
            "officer": self.officer_id,
            "score": round(self.score, 4),
            "peer_percentile": self.peer_percentile,
            "facts": [vars(fact) for fact in self.facts],
        }


def flag(
    records: AllegationRecords,
    label: str = "sustained",
    as_of: date | None = None,
    count: int | None = None,
    seed: int = 0,
) -> tuple[date, list[Flag]]:
    """Officers flagged as of ``as_of`` (default: the last day of the records): as many as
    "≥ 3 in 12 months" flags that day, or ``count``."""
    if label not in LABELS:
        raise InvalidRequestError(f"--label must be one of {', '.join(LABELS)}, not {label!r}")
    t = day_number(as_of) if as_of else records.last_day
    builder = FeatureBuilder(records)
    # trained on every snapshot whose labels were known by t
    days = [
        d for d in snapshot_days(records, label) if d + (YEAR if label == "any" else 2 * YEAR) <= t
    ]
    if len(days) < MIN_TRAINING_YEARS:
        raise InvalidRequestError(
            "too few years of records before that day to train on: "
            f"{MIN_TRAINING_YEARS} whole years are needed"
        )
    training = [builder.snapshot(d) for d in days]
    model = fit_model(
        training, [s.any_next_year if label == "any" else s.sustained_next_year for s in training],
        seed,
    )  # fmt: skip
    now = builder.snapshot(t)
    scores = model.predict(now.features)
    k = count if count is not None else int(rule_flags(now, 3, 12).sum())
    rows = np.flatnonzero(top(scores, k))
    rows = rows[np.argsort(-scores[rows], kind="stable")]
    percentile = now.column("peer_percentile")
    facts = explain(model, now.features, rows)
    for i, row in enumerate(rows):  # name the partners, as a caseworker would look them up
        facts[i] = [_with_partners(fact, builder, records, int(now.officers[row]), t)
                    for fact in facts[i]]  # fmt: skip
    flags = [
        Flag(
            int(records.officer_ids[now.officers[row]]), float(scores[row]),
            None if percentile[row] < 0 else round(float(percentile[row]), 1), facts[i],
        )
        for i, row in enumerate(rows)
    ]  # fmt: skip
    return EPOCH + timedelta(days=t), flags


def _with_partners(
    fact: Fact, builder: FeatureBuilder, records: AllegationRecords, officer: int, t: int
) -> Fact:
    """ "Accused with 2 other officers in 2 or more complaints" becomes "accused with officer
    1234 in 3 complaints and officer 5678 in 2" (the three most shared)."""
    if fact.feature != "coaccused_partners":
        return fact
    every = builder.partners_of(officer, t)
    partners = every[:3]
    if not partners:
        return fact
    named = " and ".join(
        f"officer {int(records.officer_ids[p])} in {n} complaints" for p, n in partners
    )
    more = len(every) - len(partners)
    words = f"accused with {named}" + (f", and {more} more officers twice or more" if more else "")
    return replace(fact, words=words)
