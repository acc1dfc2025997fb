"""The offline message classifier: TF-IDF word and character n-grams under one logistic
regression per category (``scikit-learn``), trained from the corpora in the repo's reach.

Why this and not a transformer: it must run offline on a laptop CPU over 100,000 messages in
seconds, ship in a few megabytes, and be retrained by anyone with one command; character
n-grams also catch the spellings people use to dodge word lists ("f4ggot", "n1gger").
Thresholds are chosen on a part of the training data held back from fitting, never on a
test set.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from openwitness.core.errors import OpenWitnessError
from openwitness.screening.corpora import CATEGORIES, Example

#: the model that ships inside the package, made by ``witness screening train`` from the
#: corpora in ../shared/data/abuse-text, so a fresh install screens without any download
BUNDLED = Path(__file__).with_name("model") / "screening-model.joblib.xz"

#: a category needs this many positive examples to be learned at all
MIN_POSITIVES = 50
HOLDOUT = 0.15

_URL = re.compile(r"https?://\S+|www\.\S+|\[url\]", re.IGNORECASE)
_MENTION = re.compile(r"@\w+|\[user\]", re.IGNORECASE)
_RETWEET = re.compile(r"^rt\b[: ]*", re.IGNORECASE)
_REPEAT = re.compile(r"(.)\1{2,}")
_SPACE = re.compile(r"\s+")


def normalise(text: str) -> str:
    """The same text whatever platform it came from: entities decoded, links and @names made
    placeholders (tweets, Gab and WhatsApp write them differently), runs of one letter cut
    to two ("fuuuuck" and "fuuck" are one word), lower case."""
    text = html.unescape(html.unescape(text))
    text = _URL.sub(" url ", text)
    text = _MENTION.sub(" @user ", text)
    text = _RETWEET.sub("", text.strip())
    text = _REPEAT.sub(r"\1\1", text)
    return _SPACE.sub(" ", text).strip().lower()


@dataclass
class ScreeningModel:
    """A fitted vectoriser; a head for hate with the threshold it flags at; a target model
    saying at whom hate is aimed, so a target's score is P(hateful) x P(that target | text);
    and a head for violence learned from hateful texts only (the corpora label threats only
    there), so its score is P(hateful) x P(violent | hateful text) too."""

    vectoriser: Any
    heads: dict[str, Any]
    thresholds: dict[str, float]
    target_model: Any
    trained_on: dict[str, dict[str, int]] = field(default_factory=dict)
    seed: int = 0
    software: dict[str, str] = field(default_factory=dict)

    @property
    def targets(self) -> list[str]:
        return [str(t) for t in self.target_model.classes_]

    @property
    def categories(self) -> list[str]:
        """The score columns, in ``CATEGORIES`` order; a category with no labelled corpus
        (sexual, mocking victims) is not among them."""
        present = {"hateful", *self.targets, *self.heads}
        return [c for c in CATEGORIES if c in present]

    def counts(self, texts: Sequence[str]) -> list[Any]:
        """The n-gram counts of each text, one sparse matrix per feature family. Counts of
        texts read together are the sums of their rows (character n-grams never cross a
        word, and a word pair across two messages is not a phrase anyone wrote), which is how
        context is scored without counting any text twice."""
        normalised = [normalise(t) for t in texts]
        return [part.named_steps["count"].transform(normalised) for _, part in self.families]

    def weigh(self, counts: list[Any]) -> list[Any]:
        """TF-IDF rows from counts (``counts``, or sums of them), one matrix per family."""
        return [
            part.named_steps["tfidf"].transform(c)
            for (_, part), c in zip(self.families, counts, strict=True)
        ]

    @property
    def families(self) -> list[tuple[str, Any]]:
        """The feature families (words, characters): each a count step and a TF-IDF step."""
        return list(self.vectoriser.transformer_list)

    def scores(self, texts: Sequence[str]) -> NDArray[np.float64]:
        """Probabilities, one column per category in ``categories``."""
        if not texts:
            return np.zeros((0, len(self.categories)))
        return self.scores_of(self.weigh(self.counts(texts)))

    def scores_of(self, families: list[Any]) -> NDArray[np.float64]:
        """Probabilities for TF-IDF rows (``weigh``). The logistic regressions are applied
        family by family (the same sums ``predict_proba`` makes on the joined matrix, which
        copying 100,000 rows into one matrix would cost seconds for)."""
        from scipy.special import expit, softmax

        if families[0].shape[0] == 0:
            return np.zeros((0, len(self.categories)))
        hateful = expit(self._decision(self.heads["hateful"], families))[:, 0]
        aimed = softmax(self._decision(self.target_model, families), axis=1)
        columns = {"hateful": hateful}
        for index, target in enumerate(self.targets):
            columns[target] = hateful * aimed[:, index]
        if "violent" in self.heads:
            violent = expit(self._decision(self.heads["violent"], families))[:, 0]
            columns["violent"] = hateful * violent
        return np.column_stack([columns[c] for c in self.categories])

    def _decision(self, model: Any, families: list[Any]) -> NDArray[np.float64]:
        total = np.tile(model.intercept_, (families[0].shape[0], 1)).astype(np.float64)
        start = 0
        for family in families:
            end = start + family.shape[1]
            total += np.asarray(family @ model.coef_[:, start:end].T)
            start = end
        return total

    def flags(self, scores: NDArray[np.float64]) -> NDArray[np.bool_]:
        """Which categories each scored text is flagged for: hate over its threshold, then
        the most likely target; violence over its own threshold."""
        categories = self.categories
        flagged = np.zeros(scores.shape, dtype=bool)
        hateful = scores[:, categories.index("hateful")] >= self.thresholds["hateful"]
        flagged[:, categories.index("hateful")] = hateful
        target_columns = [categories.index(t) for t in self.targets]
        best = np.array(target_columns)[np.argmax(scores[:, target_columns], axis=1)]
        flagged[np.flatnonzero(hateful), best[hateful]] = True
        if "violent" in self.heads:
            column = categories.index("violent")
            given_hate = scores[:, column] / np.maximum(
                scores[:, categories.index("hateful")], 1e-12
            )
            flagged[:, column] = hateful & (given_hate >= self.thresholds["violent"])
        return flagged


def build_vectoriser() -> Any:
    """Word (1-2) and character (2-5, within words) n-grams, each counted then weighted by
    TF-IDF: the same as ``TfidfVectorizer``, kept as two steps so counts can be summed."""
    from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer
    from sklearn.pipeline import FeatureUnion, Pipeline

    def family(counter: Any) -> Any:
        return Pipeline([("count", counter), ("tfidf", TfidfTransformer(sublinear_tf=True))])

    return FeatureUnion(
        [
            (
                "words",
                family(
                    CountVectorizer(
                        ngram_range=(1, 2), min_df=2, max_features=50_000, dtype=np.float32
                    )
                ),
            ),
            (
                "chars",
                family(
                    CountVectorizer(
                        analyzer="char_wb",
                        ngram_range=(2, 5),
                        min_df=3,
                        max_features=100_000,
                        dtype=np.float32,
                    )
                ),
            ),
        ]
    )


def _logistic(seed: int, binary: bool = True) -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(
        C=4.0,
        solver="liblinear" if binary else "lbfgs",
        class_weight="balanced",
        max_iter=1000,
        random_state=seed,
    )


def train(
    examples: Sequence[Example],
    seed: int = 0,
    progress: Callable[[str], None] = lambda _: None,
) -> ScreeningModel:
    """Fit the vectoriser on every training text; each binary head on the texts whose
    corpus labels it, its threshold the one that maximises F1 on a held-back part; the
    target model on the hateful texts whose corpus says at whom."""
    texts = [normalise(e.text) for e in examples]
    progress(f"vectorising {len(texts):,} texts…")
    vectoriser = build_vectoriser()
    matrix = vectoriser.fit_transform(texts)
    for _, part in vectoriser.transformer_list:
        part.named_steps["count"].stop_words_ = None  # only for inspection; megabytes saved
    rng = np.random.default_rng(seed)
    heads: dict[str, Any] = {}
    thresholds: dict[str, float] = {}
    trained_on: dict[str, dict[str, int]] = {}
    for category in ("hateful", "violent"):
        rows = np.array([i for i, e in enumerate(examples) if category in e.labels])
        truth = np.array([examples[i].labels[category] for i in rows])
        if truth.sum() < MIN_POSITIVES:
            progress(f"{category}: {int(truth.sum())} labelled examples; not learned")
            continue
        progress(f"{category}: {len(rows):,} examples, {int(truth.sum()):,} positive")
        held = rng.random(len(rows)) < HOLDOUT
        trial = _logistic(seed).fit(matrix[rows[~held]], truth[~held])
        held_scores = trial.predict_proba(matrix[rows[held]])[:, 1]
        thresholds[category] = best_threshold(truth[held], held_scores)
        heads[category] = _logistic(seed).fit(matrix[rows], truth)
        trained_on[category] = _count_sources(examples, rows)
    aimed = np.array([i for i, e in enumerate(examples) if e.target is not None])
    target_names = np.array([examples[i].target for i in aimed])
    progress(
        "targets: "
        + ", ".join(f"{t} {int((target_names == t).sum()):,}" for t in sorted(set(target_names)))
    )
    target_model = _logistic(seed, binary=False).fit(matrix[aimed], target_names)
    trained_on["targets"] = _count_sources(examples, aimed)
    software = {"scikit-learn": version("scikit-learn"), "numpy": version("numpy")}
    return ScreeningModel(vectoriser, heads, thresholds, target_model, trained_on, seed, software)


class ScreeningModelError(OpenWitnessError):
    """The model file cannot be used here; ``witness screening train`` makes a new one."""


def save(model: ScreeningModel, path: Path) -> Path:
    """Write the model (xz-compressed joblib) atomically: a crash leaves the old one."""
    import joblib

    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    joblib.dump(model, partial, compress=("xz", 6))
    partial.replace(path)
    return path


def model_path(home: Path) -> Path:
    """The model screening uses: one trained here (``witness screening train``), else the
    one shipped inside the package."""
    trained = home / "screening-model.joblib.xz"
    return trained if trained.is_file() else BUNDLED


def load(path: Path | None = None) -> ScreeningModel:
    """A model written by ``save`` (the bundled one by default). Pickles are bound to the
    scikit-learn version that wrote them, so another version is refused, not half-read.
    Only files this installation wrote or shipped are loaded: a pickle runs code."""
    import joblib

    path = path or BUNDLED
    if not path.is_file():
        raise ScreeningModelError(
            f"no screening model at {path}: run 'witness screening train --corpora DIR'"
        )
    model = joblib.load(path)
    if not isinstance(model, ScreeningModel):
        raise ScreeningModelError(f"{path} is not a screening model")
    here = version("scikit-learn")
    if model.software.get("scikit-learn") != here:
        raise ScreeningModelError(
            f"{path} was trained with scikit-learn {model.software.get('scikit-learn')}, "
            f"this is {here}: run 'witness screening train --corpora DIR' to train it again"
        )
    return model


def _count_sources(examples: Sequence[Example], rows: NDArray[np.int64]) -> dict[str, int]:
    sources: dict[str, int] = {}
    for i in rows:
        sources[examples[i].source] = sources.get(examples[i].source, 0) + 1
    return sources


def best_threshold(truth: NDArray[np.bool_], scores: NDArray[np.float64]) -> float:
    """The score above which flagging gives the highest F1 on these examples."""
    from sklearn.metrics import precision_recall_curve

    precision, recall, cuts = precision_recall_curve(truth, scores)
    f1 = 2 * precision * recall / np.maximum(precision + recall, 1e-12)
    return float(cuts[int(np.argmax(f1[:-1]))])
