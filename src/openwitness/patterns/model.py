"""The early-warning model: gradient-boosted trees (scikit-learn) over the features, calibrated
on time, not on a random fold.

Calibration: a first model is trained on every training snapshot but the last and scores the
last; an isotonic map from those scores to what happened is fitted; the final model, trained on
every training snapshot, is read through that map. The settings are fixed here, chosen before
any evaluation and never tuned on a test year.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.inspection import permutation_importance
from sklearn.isotonic import IsotonicRegression

from openwitness.patterns.features import Snapshot

#: rows scored for permutation importance (a sample keeps it quick on big forces)
IMPORTANCE_ROWS = 5000


def _trees(seed: int) -> HistGradientBoostingClassifier:
    return HistGradientBoostingClassifier(
        max_iter=200,
        learning_rate=0.05,
        max_leaf_nodes=15,
        min_samples_leaf=50,
        l2_regularization=1.0,
        random_state=seed,
    )


class CalibratedModel:
    def __init__(
        self,
        trees: HistGradientBoostingClassifier,
        calibration: IsotonicRegression,
        names: tuple[str, ...],
        seed: int,
    ) -> None:
        self.trees = trees
        self.calibration = calibration
        self.names = names
        self.seed = seed

    def columns(self, snapshot: Snapshot) -> NDArray[np.float64]:
        """The snapshot's features in this model's order. Records that changed since training
        may hold a category group the model never saw (left out: it learnt nothing of it) or
        lack one it saw (no allegations of it: zero)."""
        if snapshot.names == self.names:
            return snapshot.features
        out = np.zeros((len(snapshot.officers), len(self.names)))
        for j, name in enumerate(self.names):
            if name in snapshot.names:
                out[:, j] = snapshot.column(name)
        return out

    def raw(self, features: NDArray[np.float64]) -> NDArray[np.float64]:
        """The trees' own probabilities: the calibration is a monotone map of these, so they
        rank the same, and they are not flat where the calibration is (at the very top)."""
        return np.asarray(self.trees.predict_proba(features)[:, 1], dtype=np.float64)

    def predict(self, features: NDArray[np.float64]) -> NDArray[np.float64]:
        """Calibrated probabilities of the label in the next 12 months."""
        return np.asarray(self.calibration.predict(self.raw(features)), dtype=np.float64)

    def importance(
        self, features: NDArray[np.float64], labels: NDArray[np.bool_]
    ) -> list[tuple[str, float]]:
        """How much average precision drops when each feature is shuffled (reported, never
        used to choose anything)."""
        rng = np.random.default_rng(self.seed)
        rows = rng.permutation(len(labels))[:IMPORTANCE_ROWS]
        sample = labels[rows].astype(np.int64)
        if sample.min() == sample.max():  # all one answer: nothing to rank
            return []
        result = permutation_importance(
            self.trees, features[rows], sample, scoring="average_precision",
            n_repeats=3, random_state=self.seed,
        )  # fmt: skip
        return [
            (name, max(0.0, float(weight)))
            for name, weight in zip(self.names, result.importances_mean, strict=True)
        ]


def fit_model(
    snapshots: Sequence[Snapshot], labels: Sequence[NDArray[np.bool_]], seed: int = 0
) -> CalibratedModel:
    """Train on these snapshots (all before the year it will be tested on)."""
    x = np.concatenate([s.features for s in snapshots])
    y = np.concatenate(labels)
    earlier = _trees(seed).fit(
        np.concatenate([s.features for s in snapshots[:-1]]), np.concatenate(labels[:-1])
    )
    calibration = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0)
    calibration.fit(earlier.predict_proba(snapshots[-1].features)[:, 1], labels[-1])
    return CalibratedModel(_trees(seed).fit(x, y), calibration, snapshots[0].names, seed)
