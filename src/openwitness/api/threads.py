"""Blocking work off the event loop.

Services are synchronous (SQLite's write lock, fsync, hashing); an ``async`` route that called
them directly would stall every other request while it waited (a held write lock once made an
unrelated ``GET /checkpoint`` take 4.9 s). Routes run them through these helpers instead.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractContextManager, asynccontextmanager
from typing import TypeVar

from starlette.concurrency import run_in_threadpool

T = TypeVar("T")


@asynccontextmanager
async def entered_in_thread(manager: AbstractContextManager[T]) -> AsyncIterator[T]:
    """A synchronous context manager whose enter and exit run in the thread pool."""
    value = await run_in_threadpool(manager.__enter__)
    try:
        yield value
    except BaseException as error:
        if not await run_in_threadpool(manager.__exit__, type(error), error, error.__traceback__):
            raise
    else:
        await run_in_threadpool(manager.__exit__, None, None, None)
