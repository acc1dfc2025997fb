"""Score every message of a chat and put the ones that matter first.

A message can be harmless alone and hateful as the answer to the one before it ("Who's
worse than the lot from the estate?" / "the Pakis"). So each message is scored alone and
again together with the messages just before it; what the message *adds* to its context
counts (the window's score less the context's own), so an innocent reply to an abusive
message is not flagged for its neighbour's words. The higher of the two is the score.

Each text is counted once: a window's n-gram counts are the sums of its messages' counts
(``ScreeningModel.counts``), and the chat is scored in batches so memory stays flat however
long it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from openwitness.screening import ChatMessage
from openwitness.screening.classifier import ScreeningModel
from openwitness.screening.counting import counter

#: how many of the chat's messages before one are read with it
CONTEXT = 2
#: messages counted at once; bounds memory (about 25 MB of counts per 5,000 messages)
BATCH = 5_000


@dataclass(frozen=True, slots=True)
class ScoredMessage:
    """One person's message with its scores per category, the categories it is flagged for,
    and whether the messages before it are why."""

    index: int
    score: float
    scores: dict[str, float]
    flagged: list[str]
    by_context: bool


def score_chat(
    model: ScreeningModel, messages: Sequence[ChatMessage], workers: int | None = None
) -> list[ScoredMessage]:
    """Every message a person wrote (not media or system lines), highest score first; the
    score is the hateful column, the one a reviewer's queue is sorted by. ``workers``: how
    many processes count n-grams (default: the cores, for a long chat)."""
    people = [i for i, m in enumerate(messages) if m.kind == "message" and m.text.strip()]
    combined = np.zeros((len(people), len(model.categories)))
    by_context = np.zeros(len(people), dtype=bool)
    # each batch starts CONTEXT messages early: its first messages need their context
    starts = list(range(0, len(people), BATCH))
    batches = [[messages[i] for i in people[max(0, s - CONTEXT) : s + BATCH]] for s in starts]
    with counter(model, len(people), workers) as count:
        counted = count([[m.text for m in batch] for batch in batches])
        for start, batch, counts in zip(starts, batches, counted, strict=True):
            scores, raised = _score_batch(model, batch, counts)
            keep = slice(start - max(0, start - CONTEXT), None)
            combined[start : start + BATCH] = scores[keep]
            by_context[start : start + BATCH] = raised[keep]
    flags = model.flags(combined)
    categories = model.categories
    hate = categories.index("hateful")
    scored = [
        ScoredMessage(
            index=people[k],
            score=round(float(combined[k, hate]), 4),
            scores={c: round(float(combined[k, j]), 4) for j, c in enumerate(categories)},
            flagged=[c for j, c in enumerate(categories) if flags[k, j]],
            by_context=bool(by_context[k] and flags[k, hate]),
        )
        for k in range(len(people))
    ]
    return sorted(scored, key=lambda s: (-s.score, s.index))


def _score_batch(
    model: ScreeningModel, batch: list[ChatMessage], counts: list[Any]
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    from scipy.sparse import csr_matrix

    alone = model.scores_of(model.weigh(counts))
    # before[k, j] = 1 when message j is one of the CONTEXT messages of the same chat
    # just before message k
    pairs = [
        (k, j)
        for k in range(len(batch))
        for j in range(max(0, k - CONTEXT), k)
        if batch[j].chat == batch[k].chat
    ]
    windowed = np.array(sorted({k for k, _ in pairs}), dtype=int)
    combined = alone.copy()
    raised = np.zeros(len(batch), dtype=bool)
    if not len(windowed):
        return combined, raised
    ks, js = zip(*pairs, strict=True)
    before = csr_matrix((np.ones(len(pairs)), (ks, js)), shape=(len(batch), len(batch)))
    earlier: list[Any] = [(before @ c)[windowed] for c in counts]
    together = model.scores_of(
        model.weigh([e + c[windowed] for e, c in zip(earlier, counts, strict=True)])
    )
    hate = model.categories.index("hateful")
    # the context alone is scored only where the window could raise the score
    rising = np.flatnonzero(together[:, hate] > alone[windowed, hate])
    if len(rising):
        context_only = model.scores_of(model.weigh([e[rising] for e in earlier]))
        added = np.clip(together[rising] - context_only, 0.0, None)
        rows = windowed[rising]
        up = added[:, hate] > alone[rows, hate]
        combined[rows[up]] = np.maximum(alone[rows[up]], added[up])
        raised[rows[up]] = True
    return combined, raised
