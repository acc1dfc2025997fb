"""Resumable uploads over the tus protocol (``tuspyserver``), for large videos on poor
connections: a dropped upload resumes from the last byte the server has.

A finished upload goes through the vault's usual ingest (hashing, type sniffing, the log) and
its partial file is deleted; the page then fetches the receipt by the SHA-256 it computed
itself, so a server that stored other bytes cannot answer with a matching receipt.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from tuspyserver import create_tus_router

from openwitness.api.deps import public_rate_limit
from openwitness.services import Services

PREFIX = "/uploads"
DAYS_TO_KEEP = 2  # an unfinished upload can be resumed for this long


def _forget_abandoned(folder: Path) -> None:
    """Partial uploads nobody resumed within DAYS_TO_KEEP are deleted (at start-up)."""
    cutoff = time.time() - DAYS_TO_KEEP * 86400
    for partial in folder.iterdir():
        if partial.is_file() and partial.stat().st_mtime < cutoff:
            partial.unlink(missing_ok=True)


def uploads_router(services: Services) -> APIRouter:
    folder = services.settings.home / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    _forget_abandoned(folder)

    async def lodge(path: str, _metadata: dict[str, Any]) -> None:
        partial = Path(path)
        try:
            await run_in_threadpool(services.vault.ingest_file, partial)
        finally:
            partial.unlink(missing_ok=True)
            partial.with_name(partial.name + ".info").unlink(missing_ok=True)

    def rate_limited(request: Request) -> Callable[[dict[Any, Any], dict[Any, Any]], None]:
        """Only starting an upload counts against the public rate, not each resumed chunk."""
        public_rate_limit(request)
        return lambda _metadata, _headers: None

    router: APIRouter = create_tus_router(
        prefix=PREFIX,
        files_dir=str(folder),
        max_size=services.vault.max_upload_bytes,
        days_to_keep=DAYS_TO_KEEP,
        # tuspyserver awaits a coroutine hook, though its annotation names only plain functions.
        on_upload_complete=cast(Callable[[str, dict[Any, Any]], None], lodge),
        pre_create_dep=rate_limited,
    )
    for route in router.routes:  # a protocol, documented in docs/web.md, not a REST resource
        route.include_in_schema = False  # type: ignore[attr-defined]
    return router
