"""Judge the classifier on held-out corpora beside two baselines measured the same way.

The test sets (HateCheck, ETHOS, EDOS's test split, Guest's test split) are read only here;
``corpora.training_set`` never returns them. The baselines are a keyword list
(``keywords.py``) and ``alt-profanity-check`` (a linear model shipped inside its PyPI
package); "flag everything" is shown too, because on a set where most texts are hateful it
scores an F1 that looks good and means nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from openwitness.screening import corpora
from openwitness.screening.classifier import ScreeningModel
from openwitness.screening.keywords import keyword_flags

#: what each test set labels, as the category a flag is judged against
TRUTH = {"HateCheck": "hateful", "ETHOS": "hateful", "EDOS test": "sexist", "Guest test": "sexist"}
#: a category is reported on a set only with at least this many positives
MIN_CATEGORY_POSITIVES = 5
BOOTSTRAP_SAMPLES = 1000


def measure(truth: NDArray[np.bool_], flagged: NDArray[np.bool_]) -> dict[str, float | int]:
    """Precision, recall and F1 of a set of flags; 0 where undefined (nothing flagged)."""
    hits = int(np.sum(truth & flagged))
    precision = hits / int(flagged.sum()) if flagged.any() else 0.0
    recall = hits / int(truth.sum()) if truth.any() else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "flagged": int(flagged.sum()),
    }


def _f1(truth: NDArray[np.bool_], flagged: NDArray[np.bool_]) -> NDArray[np.float64]:
    """F1 of each row of a batch of resampled (truth, flagged) pairs."""
    hits = (truth & flagged).sum(axis=-1)
    denominator = truth.sum(axis=-1) + flagged.sum(axis=-1)
    return np.where(denominator > 0, 2 * hits / np.maximum(denominator, 1), 0.0)


def f1_difference_ci(
    truth: NDArray[np.bool_],
    ours: NDArray[np.bool_],
    theirs: NDArray[np.bool_],
    seed: int = 0,
) -> list[float]:
    """95% paired bootstrap interval of F1(ours) - F1(theirs): texts resampled with
    replacement, both methods judged on the same resample."""
    rng = np.random.default_rng(seed)
    differences = []
    for _ in range(BOOTSTRAP_SAMPLES // 100):
        picks = rng.integers(0, len(truth), size=(100, len(truth)))
        differences.append(_f1(truth[picks], ours[picks]) - _f1(truth[picks], theirs[picks]))
    low, high = np.percentile(np.concatenate(differences), [2.5, 97.5])
    return [round(float(low), 4), round(float(high), 4)]


def profanity_check_flags(texts: Sequence[str]) -> NDArray[np.bool_] | None:
    """alt-profanity-check's flags at its own 0.5, or None where it is not installed."""
    try:
        from profanity_check import predict_prob
    except ImportError:
        return None
    return np.asarray(predict_prob(list(texts))) >= 0.5


def evaluate(
    model: ScreeningModel,
    root: Path,
    progress: Callable[[str], None] = lambda _: None,
) -> dict[str, Any]:
    """Every test set: the model's flag, each baseline and "flag everything", judged on the
    set's own label; then each category the set labels; HateCheck per functionality."""
    result: dict[str, Any] = {
        "thresholds": {k: round(v, 4) for k, v in model.thresholds.items()},
        "trained_on": model.trained_on,
        "software": model.software,
        "sets": {},
    }
    categories = model.categories
    for name, rows in corpora.test_sets(root).items():
        progress(f"{name}: scoring {len(rows):,} texts…")
        texts = [row.text for row in rows]
        truth = np.array([row.labels[TRUTH[name]] for row in rows], dtype=bool)
        flags = model.flags(model.scores(texts))
        ours = flags[:, categories.index("hateful")]
        keywords = keyword_flags(texts)
        profanity = profanity_check_flags(texts)
        methods: dict[str, dict[str, Any] | None] = {
            "model": measure(truth, ours),
            "keywords": measure(truth, keywords)
            | {"model_f1_difference_ci95": f1_difference_ci(truth, ours, keywords)},
            "alt-profanity-check": None
            if profanity is None
            else measure(truth, profanity)
            | {"model_f1_difference_ci95": f1_difference_ci(truth, ours, profanity)},
            "flag everything": measure(truth, np.ones(len(rows), dtype=bool)),
        }
        entry: dict[str, Any] = {
            "label": TRUTH[name],
            "n": len(rows),
            "positives": int(truth.sum()),
            "methods": methods,
            "categories": _categories(rows, flags, categories),
        }
        if name == "HateCheck":
            entry["functionalities"] = _functionalities(rows, ours, keywords, profanity)
        result["sets"][name] = entry
    return result


def _categories(
    rows: list[corpora.Example], flags: NDArray[np.bool_], categories: list[str]
) -> dict[str, dict[str, float | int]]:
    found: dict[str, dict[str, float | int]] = {}
    for category in categories[1:]:
        labelled = [i for i, row in enumerate(rows) if category in row.labels]
        truth = np.array([rows[i].labels[category] for i in labelled], dtype=bool)
        if truth.sum() < MIN_CATEGORY_POSITIVES:
            continue
        scores = measure(truth, flags[labelled, categories.index(category)])
        found[category] = {"n": len(labelled), "positives": int(truth.sum()), **scores}
    return found


def _functionalities(
    rows: list[corpora.Example],
    ours: NDArray[np.bool_],
    keywords: NDArray[np.bool_],
    profanity: NDArray[np.bool_] | None,
) -> dict[str, dict[str, Any]]:
    """HateCheck's point: the share of each functional test answered right."""
    table: dict[str, dict[str, Any]] = {}
    for name in sorted({row.extra["functionality"] for row in rows}):
        index = [i for i, row in enumerate(rows) if row.extra["functionality"] == name]
        truth = np.array([rows[i].labels["hateful"] for i in index], dtype=bool)
        table[name] = {
            "n": len(index),
            "hateful": bool(truth[0]),
            "model": round(float(np.mean(ours[index] == truth)), 3),
            "keywords": round(float(np.mean(keywords[index] == truth)), 3),
            "alt-profanity-check": None
            if profanity is None
            else round(float(np.mean(profanity[index] == truth)), 3),
        }
    return table
