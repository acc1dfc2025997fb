"""Counting n-grams for a long chat on every core.

Counting is most of the cost of screening (scikit-learn's analyzers are Python loops), and
it parallelises cleanly: each worker process holds only the vocabularies and counts batches
of texts; the main process weighs and scores them as they arrive, in order. Workers start
from a fresh interpreter (``forkserver``), never a fork of a server with threads in it.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from multiprocessing import get_context
from typing import Any

from openwitness.screening.classifier import ScreeningModel, normalise

#: below this many texts a pool costs more than it saves (a worker starts in about a second)
PARALLEL_FROM = 20_000

Counter = Callable[[Iterable[list[str]]], Iterator[list[Any]]]

_counters: list[Any] = []


def _start(counters: bytes) -> None:
    global _counters  # the worker's one piece of state, set once
    _counters = pickle.loads(counters)  # noqa: S301 - pickled by this process's parent


def _count(texts: list[str]) -> list[Any]:
    normalised = [normalise(t) for t in texts]
    return [counter.transform(normalised) for counter in _counters]


@contextmanager
def counter(model: ScreeningModel, texts: int, workers: int | None = None) -> Iterator[Counter]:
    """A function from batches of texts to their counts (``ScreeningModel.counts``), in
    order. With enough texts, ``workers`` processes count (default: one per core, at most 4),
    the calling process being one of them; at most one batch per worker waits to be used, so
    memory stays flat."""
    workers = workers if workers is not None else min(os.cpu_count() or 1, 4)
    if workers <= 1 or texts < PARALLEL_FROM:
        yield lambda batches: (model.counts(batch) for batch in batches)
        return
    vocabularies = pickle.dumps([part.named_steps["count"] for _, part in model.families])
    with ProcessPoolExecutor(
        workers - 1,
        mp_context=get_context("forkserver"),
        initializer=_start,
        initargs=(vocabularies,),
    ) as pool:

        def count(batches: Iterable[list[str]]) -> Iterator[list[Any]]:
            listed = list(batches)
            pending: dict[int, Future[list[Any]]] = {}
            submitted = 0
            for index, batch in enumerate(listed):
                # every workers-th batch is counted here, the rest in the pool, which is
                # kept at most one batch per worker ahead
                submitted = max(submitted, index)
                while submitted < len(listed) and len(pending) < workers - 1:
                    if submitted % workers:
                        pending[submitted] = pool.submit(_count, listed[submitted])
                    submitted += 1
                yield pending.pop(index).result() if index % workers else model.counts(batch)

        yield count
