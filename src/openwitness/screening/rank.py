"""Score every message of a chat and put the ones that matter first.

A message can be harmless alone and hateful as the answer to the one before it ("Who's
worse than the lot from the estate?" / "the Pakis"). So each message is scored alone and
again together with the messages just before it; what the message *adds* to its context
counts (the window's score less the context's own), so an innocent reply to an abusive
message is not flagged for its neighbour's words. The higher of the two is the score.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from openwitness.screening import ChatMessage
from openwitness.screening.classifier import ScreeningModel

#: how many of a person's messages before one are read with it
CONTEXT = 2


@dataclass(frozen=True, slots=True)
class ScoredMessage:
    """One person's message with its scores per category, the categories it is flagged for,
    and whether the messages before it are why."""

    index: int
    score: float
    scores: dict[str, float]
    flagged: list[str]
    by_context: bool


def score_chat(model: ScreeningModel, messages: Sequence[ChatMessage]) -> list[ScoredMessage]:
    """Every message a person wrote (not media or system lines), highest score first; the
    score is the hateful column, the one a reviewer's queue is sorted by."""
    people = [i for i, m in enumerate(messages) if m.kind == "message" and m.text.strip()]
    if not people:
        return []
    texts = [messages[i].text for i in people]
    contexts = [_before(messages, people, k) for k in range(len(people))]
    alone = model.scores(texts)
    windowed = np.array([k for k, context in enumerate(contexts) if context])
    combined = alone.copy()
    by_context = np.zeros(len(people), dtype=bool)
    if len(windowed):
        together = model.scores([f"{contexts[k]}\n{texts[k]}" for k in windowed])
        hate = model.categories.index("hateful")
        # the context alone is scored only where the window could raise the score
        rising = np.flatnonzero(together[:, hate] > alone[windowed, hate])
        if len(rising):
            earlier = model.scores([contexts[windowed[r]] for r in rising])
            added = np.clip(together[rising] - earlier, 0.0, None)
            rows = windowed[rising]
            raised = added[:, hate] > alone[rows, hate]
            combined[rows[raised]] = np.maximum(alone[rows[raised]], added[raised])
            by_context[rows[raised]] = True
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


def _before(messages: Sequence[ChatMessage], people: list[int], k: int) -> str:
    """The text of up to CONTEXT messages of the same chat just before message k."""
    chat = messages[people[k]].chat
    earlier = [
        messages[i].text for i in people[max(0, k - CONTEXT) : k] if messages[i].chat == chat
    ]
    return "\n".join(earlier)
