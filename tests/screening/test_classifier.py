"""The classifier, its evaluation and the context rule: metrics checked against scikit-learn,
corpora checked never to leak a test set into training, the shipped model checked to be the
one the docs describe."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest
from scipy.sparse import csr_matrix
from sklearn.metrics import precision_recall_fscore_support

from openwitness.screening import ChatMessage, corpora
from openwitness.screening.classifier import (
    BUNDLED,
    ScreeningModel,
    ScreeningModelError,
    load,
    normalise,
    save,
    train,
)
from openwitness.screening.evaluate import f1_difference_ci, measure
from openwitness.screening.rank import score_chat
from tests.support import REPO, SHARED, require_shared

CORPORA = SHARED / "data" / "abuse-text"


def test_measure_agrees_with_scikit_learn() -> None:
    rng = np.random.default_rng(3)
    for _ in range(20):
        truth = rng.random(300) < rng.random()
        flagged = rng.random(300) < rng.random()
        precision, recall, f1, _ = precision_recall_fscore_support(
            truth, flagged, average="binary", zero_division=0
        )
        got = measure(truth, flagged)
        assert got["precision"] == pytest.approx(precision, abs=1e-4)
        assert got["recall"] == pytest.approx(recall, abs=1e-4)
        assert got["f1"] == pytest.approx(f1, abs=1e-4)


def test_bootstrap_interval_of_a_difference() -> None:
    rng = np.random.default_rng(1)
    truth = rng.random(800) < 0.4
    same = f1_difference_ci(truth, truth.copy(), truth.copy())
    assert same == [0.0, 0.0]
    noisy = truth ^ (rng.random(800) < 0.3)
    low, high = f1_difference_ci(truth, truth.copy(), noisy)
    assert 0 < low < high  # perfect flags beat noisy ones on every resample's F1


def test_normalise_makes_platforms_alike() -> None:
    assert normalise("RT @bob: Fuuuuck &amp; https://t.co/x [URL]") == "@user : fuuck & url url"


def test_no_test_set_reaches_training() -> None:
    root = require_shared(CORPORA)
    training = corpora.training_set(root)
    assert {e.source for e in training} == {
        "davidson",
        "olid",
        "edos-train",
        "guest-train",
        "toxigen",
    }
    held_out = {e.text for rows in corpora.test_sets(root).values() for e in rows}
    hatecheck = {e.text for e in corpora.hatecheck(root)}
    trained_texts = {e.text.strip() for e in training}
    # the same short sentence turns up in two corpora by chance ("I hate women." is both a
    # HateCheck template and an EDOS post); nothing more than that
    assert len(hatecheck & trained_texts) <= 3
    assert len(held_out & trained_texts) < 0.005 * len(held_out)


def test_labels_of_the_test_sets_are_read_as_published() -> None:
    """Counts from the corpora README, itself counted from the files."""
    root = require_shared(CORPORA)
    sets = corpora.test_sets(root)
    assert sum(e.labels["hateful"] for e in sets["HateCheck"]) == 2563
    assert len(sets["HateCheck"]) == 3728
    assert sum(e.labels["hateful"] for e in sets["ETHOS"]) == 433
    assert len(sets["EDOS test"]) == 4000
    assert sum(e.labels["sexist"] for e in sets["EDOS test"]) == 970
    assert sum(e.labels["sexist"] for e in sets["Guest test"]) == 129


def toy_examples() -> list[corpora.Example]:
    """A tiny labelled corpus: enough for every head, small enough to train in a second."""
    rng = np.random.default_rng(0)
    hateful = {
        "racist": ["go back to your country {x}", "those immigrants are vermin {x}"],
        "sexist": ["women belong in the kitchen {x}", "she is just a stupid woman {x}"],
        "homophobic": ["gay people are disgusting {x}", "no fags in this station {x}"],
    }
    benign = ["lunch at noon {x}", "see you on shift {x}", "the van is parked outside {x}"]
    examples = []
    for n in range(120):
        x = f"w{rng.integers(1000)}"
        for target, templates in hateful.items():
            text = templates[n % 2].format(x=x)
            labels = {"hateful": True, "violent": n % 3 == 0}
            examples.append(corpora.Example(text, labels, "toy", target))
        for template in benign:
            examples.append(corpora.Example(template.format(x=x), {"hateful": False}, "toy"))
    return examples


@pytest.fixture(scope="module")
def toy_model() -> ScreeningModel:
    return train(toy_examples(), seed=0)


def test_training_is_reproducible(toy_model: ScreeningModel) -> None:
    again = train(toy_examples(), seed=0)
    texts = ["women belong in the kitchen", "lunch at noon", "gay people are disgusting"]
    assert np.array_equal(toy_model.scores(texts), again.scores(texts))
    assert toy_model.thresholds == again.thresholds


def test_flags_name_the_target_of_the_hate(toy_model: ScreeningModel) -> None:
    texts = ["women belong in the kitchen", "see you on shift", "go back to your country"]
    flags = toy_model.flags(toy_model.scores(texts))
    named = [[c for c, f in zip(toy_model.categories, row, strict=True) if f] for row in flags]
    assert "hateful" in named[0] and "sexist" in named[0] and "racist" not in named[0]
    assert named[1] == []
    assert "racist" in named[2]
    # a target is never flagged without the hate it qualifies
    hate = toy_model.categories.index("hateful")
    targets = [toy_model.categories.index(t) for t in toy_model.targets]
    assert not np.any(flags[:, targets].any(axis=1) & ~flags[:, hate])


def test_save_load_and_a_version_mismatch_is_refused(
    toy_model: ScreeningModel, tmp_path: Path
) -> None:
    path = save(toy_model, tmp_path / "m.joblib.xz")
    assert np.array_equal(load(path).scores(["hi"]), toy_model.scores(["hi"]))
    save(replace(toy_model, software={"scikit-learn": "0.1"}), path)
    with pytest.raises(ScreeningModelError, match=r"trained with scikit-learn 0\.1"):
        load(path)
    with pytest.raises(ScreeningModelError, match="witness screening train"):
        load(tmp_path / "missing.joblib.xz")


class ContextModel:
    """A stand-in with a rule anyone can check: a text is hateful when it holds both
    'estate' and 'pakis' (the question and its answer), or 'scum'. Its "counts" are the
    number of times each of those words occurs."""

    categories: ClassVar = ["hateful", "racist"]
    targets: ClassVar = ["racist"]
    words = ("estate", "pakis", "scum")

    def counts(self, texts: list[str]) -> list[csr_matrix]:
        rows = [[text.lower().count(w) for w in self.words] for text in texts]
        return [csr_matrix(np.array(rows, dtype=float).reshape(len(texts), 3))]

    def weigh(self, counts: list[csr_matrix]) -> csr_matrix:
        return counts[0]

    def scores_of(self, matrix: csr_matrix) -> np.ndarray:
        dense = matrix.toarray()
        hateful = ((dense[:, 0] > 0) & (dense[:, 1] > 0)) | (dense[:, 2] > 0)
        hate = np.where(hateful, 0.9, 0.1)
        return np.column_stack([hate, hate])

    def flags(self, scores: np.ndarray) -> np.ndarray:
        return scores >= 0.5


def chat(*texts: str) -> list[ChatMessage]:
    return [ChatMessage(f"2024-01-01T10:0{i}:00", "A", t, "message") for i, t in enumerate(texts)]


def test_a_reply_is_scored_with_the_messages_before_it() -> None:
    model = ContextModel()
    ranked = score_chat(model, chat("who is worse than the lot from the estate?", "the pakis"))  # type: ignore[arg-type]
    top = ranked[0]
    assert top.index == 1 and top.by_context and top.flagged == ["hateful", "racist"]
    assert not ranked[1].flagged


def test_an_innocent_reply_to_abuse_is_not_flagged_for_its_neighbour() -> None:
    model = ContextModel()
    ranked = score_chat(model, chat("they are scum", "ok, see you at nine"))  # type: ignore[arg-type]
    by_index = {s.index: s for s in ranked}
    assert by_index[0].flagged and not by_index[1].flagged
    assert not by_index[1].by_context


def test_a_long_chat_is_scored_in_batches_with_context_across_their_edges(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import openwitness.screening.rank as rank

    monkeypatch.setattr(rank, "BATCH", 3)
    texts = ["hello", "who is worse than the lot from the estate?", "the pakis", "fine"] * 3
    ranked = score_chat(ContextModel(), chat(*texts))  # type: ignore[arg-type]
    flagged = sorted(s.index for s in ranked if s.flagged)
    assert flagged == [2, 6, 10]  # every answer, whichever batch its question fell in
    assert all(s.by_context for s in ranked if s.flagged)


def test_media_and_system_lines_are_not_screened() -> None:
    messages = [
        ChatMessage("2024-01-01T10:00:00", None, "they are scum", "system"),
        ChatMessage("2024-01-01T10:01:00", "A", "<Media omitted>", "media"),
        ChatMessage("2024-01-01T10:02:00", "A", "hello", "message"),
    ]
    assert [s.index for s in score_chat(ContextModel(), messages)] == [2]  # type: ignore[arg-type]


# --- the shipped model -------------------------------------------------------------------


@pytest.fixture(scope="module")
def bundled() -> ScreeningModel:
    return load(BUNDLED)


def test_family_by_family_scores_are_scikit_learns(bundled: ScreeningModel) -> None:
    from scipy.sparse import hstack

    texts = ["all muslims are terrorists", "see you at nine", "women belong in the kitchen"]
    families = bundled.weigh(bundled.counts(texts))
    joined = hstack(families, format="csr")
    hateful = bundled.heads["hateful"].predict_proba(joined)[:, 1]
    aimed = bundled.target_model.predict_proba(joined)
    violent = bundled.heads["violent"].predict_proba(joined)[:, 1]
    expected = {"hateful": hateful, "violent": hateful * violent}
    expected |= {t: hateful * aimed[:, i] for i, t in enumerate(bundled.targets)}
    columns = np.column_stack([expected[c] for c in bundled.categories])
    assert np.allclose(bundled.scores_of(families), columns, atol=1e-6)


def test_counting_in_worker_processes_gives_the_same_counts_in_order(
    bundled: ScreeningModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    from openwitness.screening import counting

    monkeypatch.setattr(counting, "PARALLEL_FROM", 0)
    batches = [[f"batch {i} line {j}: all muslims, women" for j in range(40)] for i in range(7)]
    with counting.counter(bundled, 280, workers=3) as count:
        parallel = list(count(batches))
    serial = [bundled.counts(batch) for batch in batches]
    assert len(parallel) == len(serial)
    for ours, theirs in zip(parallel, serial, strict=True):
        assert all((a != b).nnz == 0 for a, b in zip(ours, theirs, strict=True))


def test_the_shipped_model_screens_a_chat_through_the_cli(tmp_path: Path) -> None:
    export = tmp_path / "chat.txt"
    export.write_text(
        "13/01/2024, 10:00 - PC Hill: anyone got the keys to the van?\n"
        "13/01/2024, 10:01 - PC Rowe: all muslims are terrorists and should be deported\n"
        "13/01/2024, 10:02 - PC Hill: see you at the briefing\n"
        "13/01/2024, 10:03 - PC Rowe: <Media omitted>\n",
        encoding="utf-8",
    )
    witness = Path(sys.executable).with_name("witness")
    result = subprocess.run(
        [str(witness), "screening", "score", str(export), "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "OPENWITNESS_HOME": str(tmp_path / "home")},
    )
    assert result.returncode == 0, result.stderr
    ranked = json.loads(result.stdout)
    assert len(ranked) == 3  # the media line is not screened
    assert ranked[0]["author"] == "PC Rowe" and "hateful" in ranked[0]["flagged"]
    assert "racist" in ranked[0]["flagged"]
    assert all(not r["flagged"] for r in ranked[1:])


def test_the_docs_tables_are_what_the_shipped_model_measures() -> None:
    """docs/screening.md gives F1 per test set; the model in the package must reproduce them
    (the command the docs name trains the same model from the same corpora and seed)."""
    root = require_shared(CORPORA)
    witness = Path(sys.executable).with_name("witness")
    result = subprocess.run(
        [
            str(witness),
            "screening",
            "evaluate",
            "--corpora",
            str(root),
            "--model",
            str(BUNDLED),
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    measured = json.loads(result.stdout)["sets"]
    docs = (REPO / "docs" / "screening.md").read_text(encoding="utf-8")
    checked = 0
    for line in docs.splitlines():
        cells = [cell.strip().strip("*") for cell in line.strip().strip("|").split("|")]
        if len(cells) < 6 or cells[0] not in measured:
            continue
        entry = measured[cells[0]]
        if "(" in cells[2]:  # the categories table: set, category, n (positive), P, R, F1
            got, figures = entry["categories"][cells[1]], cells[3:6]
        else:  # the flags table: set, method, P, R, F1, difference
            got, figures = entry["methods"][cells[1]], cells[2:5]
        for key, figure in zip(("precision", "recall", "f1"), figures, strict=True):
            assert got[key] == pytest.approx(float(figure), abs=6e-4), (line, key)
        checked += 1
    assert checked == 16 + 11
