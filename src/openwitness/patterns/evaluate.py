"""The rolling evaluation: for each test year, train on the years before it only, flag as many
officers as each threshold rule flags, and compare who goes on to get an allegation (or a proven
one) in the next 12 months.

Never a random split: snapshot t's labels need the year after t, so a model tested at t is
trained only on snapshots whose year ended by t. Intervals come from a paired bootstrap over
officers (an officer's rows in every test year are resampled together).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.metrics import average_precision_score

from openwitness.core.errors import InvalidRequestError
from openwitness.patterns import EPOCH, LABELS, YEAR
from openwitness.patterns.features import FeatureBuilder, Snapshot
from openwitness.patterns.model import fit_model
from openwitness.patterns.records import AllegationRecords

#: the threshold rules compared against: (allegations, months)
RULES = ((3, 12), (2, 12))
BOOTSTRAP_SAMPLES = 1000
#: years of snapshots a model must be trained on before it is tested
MIN_TRAINING_YEARS = 3
#: the first snapshot is this long after the first record, so every 5-year count is whole
HISTORY_YEARS = 5
#: a year counts as covered by the records when it holds this share of the busiest year's
COVERAGE_SHARE = 0.10


def rule_name(count: int, months: int) -> str:
    return f"rule>={count}/{months}m"


def rule_flags(snapshot: Snapshot, count: int, months: int) -> NDArray[np.bool_]:
    """≥ count allegations in the last ``months`` months (12 months: the 1-year count)."""
    if months != 12:
        raise InvalidRequestError("threshold rules are over 12 months")
    return snapshot.column("allegations_1y") >= count


def top(scores: NDArray[np.float64], k: int) -> NDArray[np.bool_]:
    """The k highest scores flagged (ties broken by position, as a list is cut)."""
    flags = np.zeros(len(scores), np.bool_)
    flags[np.argsort(-scores, kind="stable")[:k]] = True
    return flags


def covered_years(records: AllegationRecords) -> tuple[int, int]:
    """The first and last years the records really cover: those with at least
    COVERAGE_SHARE of the busiest year's allegations. A release often holds a few stray old
    records (Chicago's go back to 1967, thinly) and a last year only partly entered; counting
    from those would measure the release, not the officers."""
    years = np.array([(EPOCH + timedelta(days=int(d))).year for d in records.day])
    counts = np.bincount(years - years.min())
    covered = np.flatnonzero(counts >= COVERAGE_SHARE * counts.max()) + years.min()
    return int(covered.min()), int(covered.max())


def snapshot_days(records: AllegationRecords, label: str = "any") -> list[int]:
    """1 January of every covered year with 5 covered years before it and a whole covered year
    after; for the sustained label, a further year, since the last year's complaints are mostly
    still undecided when the records end (a label that would read "not proven" only for want of
    time)."""
    if not len(records.day):
        return []
    first, last = covered_years(records)
    end = min(records.last_day, (date(last, 12, 31) - EPOCH).days)
    after = YEAR if label == "any" else 2 * YEAR
    days = []
    for year in range(first + HISTORY_YEARS, last + 1):
        t = (date(year, 1, 1) - EPOCH).days
        if t + after <= end:
            days.append(t)
    return days


@dataclass
class YearResult:
    year: int
    officers: int
    positives: int
    average_precision: float
    precision_top_1pct: float
    precision_top_5pct: float
    brier: float
    rules: dict[str, dict[str, float]] = field(default_factory=dict)
    calibration: list[dict[str, float]] = field(default_factory=list)
    flag_rates: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)


@dataclass
class Evaluation:
    label: str
    years: list[YearResult]
    pooled: dict[str, dict[str, Any]]
    importance: list[tuple[str, float]]
    #: each test year's scores and labels, for the report's charts (not in the JSON)
    scored: list[tuple[NDArray[np.float64], NDArray[np.bool_]]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "years": [vars(year) for year in self.years],
            **self.pooled,
            "feature_importance": [{"feature": f, "weight": w} for f, w in self.importance],
        }


def _precision_at(labels: NDArray[np.bool_], scores: NDArray[np.float64], share: float) -> float:
    k = max(1, round(share * len(scores)))
    return float(labels[top(scores, k)].mean())


def calibration_bins(
    labels: NDArray[np.bool_], scores: NDArray[np.float64]
) -> list[dict[str, float]]:
    """Ten bins by predicted probability: mean prediction against the share that happened."""
    bins = np.clip((scores * 10).astype(int), 0, 9)
    return [
        {"predicted": float(scores[bins == b].mean()), "observed": float(labels[bins == b].mean()),
         "officers": int((bins == b).sum())}
        for b in range(10) if (bins == b).any()
    ]  # fmt: skip


def _flag_rates(
    records: AllegationRecords, snapshot: Snapshot, flags: dict[str, NDArray[np.bool_]]
) -> dict[str, dict[str, dict[str, float]]]:
    """Share of each officer group flagged by each method, where the records say sex or race."""
    out: dict[str, dict[str, dict[str, float]]] = {}
    for attribute, values in (("gender", records.gender), ("race", records.race)):
        groups = np.array([values[o] or "" for o in snapshot.officers])
        named = sorted({g for g in groups if g})
        if not named:
            continue
        out[attribute] = {
            group: {"officers": float((groups == group).sum())}
            | {method: float(f[groups == group].mean()) for method, f in flags.items()}
            for group in named
            if (groups == group).sum() >= 20  # a smaller group's rate says nothing
        }
    return out


def _bootstrap(
    officer: NDArray[np.int64],
    labels: NDArray[np.bool_],
    model_flags: NDArray[np.bool_],
    rule: NDArray[np.bool_],
    seed: int,
) -> tuple[float, float]:
    """95% interval of the hits difference (model - rule) as a % of the rule's hits,
    resampling officers (with all their rows) with replacement."""
    unique, position = np.unique(officer, return_inverse=True)
    model_hits = np.bincount(position, labels & model_flags, len(unique))
    rule_hits = np.bincount(position, labels & rule, len(unique))
    rng = np.random.default_rng(seed)
    diffs = np.empty(BOOTSTRAP_SAMPLES)
    for i in range(BOOTSTRAP_SAMPLES):
        weights = np.bincount(rng.integers(0, len(unique), len(unique)), minlength=len(unique))
        base = float(weights @ rule_hits)
        diffs[i] = 100.0 * (weights @ model_hits - base) / base if base else np.nan
    low, high = np.nanpercentile(diffs, [2.5, 97.5])
    return round(float(low), 2), round(float(high), 2)


def evaluate(records: AllegationRecords, label: str = "any", seed: int = 0) -> Evaluation:
    """The whole rolling evaluation on these records."""
    if label not in LABELS:
        raise InvalidRequestError(f"--label must be one of {', '.join(LABELS)}, not {label!r}")
    builder = FeatureBuilder(records)
    days = snapshot_days(records, label)
    if len(days) <= MIN_TRAINING_YEARS:
        raise InvalidRequestError(
            f"the records span too few years: a rolling evaluation needs {HISTORY_YEARS} years "
            f"of history and then at least {MIN_TRAINING_YEARS + 1} whole years"
        )
    snapshots = [builder.snapshot(t) for t in days]

    def target(s: Snapshot) -> NDArray[np.bool_]:
        return s.any_next_year if label == "any" else s.sustained_next_year

    years: list[YearResult] = []
    pooled_rows: dict[str, list[NDArray[Any]]] = {}
    importance: dict[str, float] = {}
    scored: list[tuple[NDArray[np.float64], NDArray[np.bool_]]] = []
    for i in range(MIN_TRAINING_YEARS, len(snapshots)):
        test = snapshots[i]
        model = fit_model(snapshots[:i], [target(s) for s in snapshots[:i]], seed)
        scores = model.predict(test.features)
        for name, weight in model.importance(test.features, target(test)):
            importance[name] = importance.get(name, 0.0) + weight
        y = target(test)
        scored.append((scores, y))
        year = EPOCH + timedelta(days=test.t)
        result = YearResult(
            year=year.year, officers=len(y), positives=int(y.sum()),
            average_precision=round(float(average_precision_score(y, scores)), 4) if y.any()
            else 0.0,
            precision_top_1pct=round(_precision_at(y, scores, 0.01), 4),
            precision_top_5pct=round(_precision_at(y, scores, 0.05), 4),
            brier=round(float(np.mean((scores - y) ** 2)), 5),
            calibration=calibration_bins(y, scores),
        )  # fmt: skip
        flags: dict[str, NDArray[np.bool_]] = {}
        for count, months in RULES:
            name = rule_name(count, months)
            rule = rule_flags(test, count, months)
            model_flags = top(scores, int(rule.sum()))
            flags[name], flags[f"model at {name}"] = rule, model_flags
            hits_rule, hits_model = int((y & rule).sum()), int((y & model_flags).sum())
            result.rules[name] = {
                "budget": int(rule.sum()),
                "rule_hits": hits_rule,
                "model_hits": hits_model,
                "rule_precision": round(hits_rule / max(1, rule.sum()), 4),
                "model_precision": round(hits_model / max(1, rule.sum()), 4),
                "rule_recall": round(hits_rule / max(1, y.sum()), 4),
                "model_recall": round(hits_model / max(1, y.sum()), 4),
            }
            rows = pooled_rows.setdefault(name, [])
            rows.append(np.stack([records.officer_ids[test.officers], y, rule, model_flags]))
        result.flag_rates = _flag_rates(records, test, flags)
        years.append(result)
    pooled = {"rules": {name: _pooled(np.concatenate(rows, axis=1), seed)
                        for name, rows in pooled_rows.items()}}  # fmt: skip
    ranked = sorted(importance.items(), key=lambda item: -item[1])
    total = sum(w for _, w in ranked) or 1.0
    return Evaluation(label, years, pooled, [(f, round(w / total, 4)) for f, w in ranked], scored)


def _pooled(rows: NDArray[np.int64], seed: int) -> dict[str, Any]:
    officer, y, rule, model_flags = rows[0], rows[1] > 0, rows[2] > 0, rows[3] > 0
    budget, hits_rule, hits_model = (
        int(rule.sum()),
        int((y & rule).sum()),
        int((y & model_flags).sum()),
    )
    return {
        "budget": budget,
        "rule_hits": hits_rule,
        "model_hits": hits_model,
        "rule_precision": round(hits_rule / max(1, budget), 4),
        "model_precision": round(hits_model / max(1, budget), 4),
        "hits_difference_pct": round(100.0 * (hits_model - hits_rule) / max(1, hits_rule), 2),
        "hits_difference_ci95": list(_bootstrap(officer, y, model_flags, rule, seed)),
    }
