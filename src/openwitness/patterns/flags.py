"""The officers to look at now: a model trained on every year whose outcome is known, scoring
the officers as of a day, with each flag's facts (``explain``)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

import numpy as np

from openwitness.core.errors import InvalidRequestError
from openwitness.patterns import EPOCH, YEAR, check_label
from openwitness.patterns.evaluate import MIN_TRAINING_YEARS, rule_flags, snapshot_days, top
from openwitness.patterns.explain import Fact, explain, percent_down
from openwitness.patterns.features import FeatureBuilder, Snapshot
from openwitness.patterns.model import CalibratedModel, fit_model
from openwitness.patterns.records import AllegationRecords, day_number


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
            "facts": [fact_dict(fact) for fact in self.facts],
        }


def fact_dict(fact: Fact) -> dict[str, Any]:
    return {
        "feature": fact.feature, "value": fact.value, "contribution": fact.contribution,
        "words": fact.words,
        "partners": [{"officer": officer, "complaints": n} for officer, n in fact.partners],
    }  # fmt: skip


def train(builder: FeatureBuilder, label: str, t: int, seed: int = 0) -> CalibratedModel:
    """A model trained on every snapshot whose label was known by day t."""
    check_label(label)
    wait = YEAR if label == "any" else 2 * YEAR
    days = [d for d in snapshot_days(builder.records, label) if d + wait <= t]
    if len(days) < MIN_TRAINING_YEARS:
        raise InvalidRequestError(
            "too few years of records before that day to train on: "
            f"{MIN_TRAINING_YEARS} whole years are needed"
        )
    training = [builder.snapshot(d) for d in days]
    labels = [s.any_next_year if label == "any" else s.sustained_next_year for s in training]
    return fit_model(training, labels, seed)


def score(
    model: CalibratedModel, builder: FeatureBuilder, now: Snapshot, count: int | None = None
) -> list[Flag]:
    """The officers of snapshot ``now`` the model ranks highest, best first: as many as
    "≥ 3 in 12 months" flags that day, or ``count``; each with its facts."""
    features = model.columns(now)
    scores = model.predict(features)
    k = count if count is not None else int(rule_flags(now, 3, 12).sum())
    rows = np.flatnonzero(top(scores, k))
    rows = rows[np.argsort(-scores[rows], kind="stable")]
    percentile = now.column("peer_percentile")
    facts = explain(model, features, rows)
    records = builder.records
    return [
        Flag(
            int(records.officer_ids[now.officers[row]]), float(scores[row]),
            None if percentile[row] < 0 else percent_down(float(percentile[row])),
            [_with_partners(fact, builder, int(now.officers[row]), now.t) for fact in facts[i]],
        )
        for i, row in enumerate(rows)
    ]  # fmt: skip


def flag(
    records: AllegationRecords,
    label: str = "sustained",
    as_of: date | None = None,
    count: int | None = None,
    seed: int = 0,
) -> tuple[date, list[Flag]]:
    """Officers flagged as of ``as_of`` (default: the last day of the records) by a model
    trained for that day."""
    t = day_number(as_of) if as_of else records.last_day
    builder = FeatureBuilder(records)
    model = train(builder, label, t, seed)
    return EPOCH + timedelta(days=t), score(model, builder, builder.snapshot(t), count)


def _with_partners(fact: Fact, builder: FeatureBuilder, officer: int, t: int) -> Fact:
    """ "Accused with 2 other officers in 2 or more complaints" becomes "accused with officer
    1234 in 3 complaints and officer 5678 in 2" (the three most shared), the partners kept."""
    if fact.feature != "coaccused_partners":
        return fact
    ids = builder.records.officer_ids
    every = [(int(ids[p]), n) for p, n in builder.partners_of(officer, t)]
    if not every:
        return fact
    named = " and ".join(f"officer {p} in {n} complaints" for p, n in every[:3])
    more = len(every) - 3
    words = f"accused with {named}" + (f", and {more} more officers twice or more" if more > 0
                                        else "")  # fmt: skip
    return replace(fact, words=words, partners=tuple(every[:3]))
