"""/api/v1/log: checkpoint, proofs and entries as JSON."""

from __future__ import annotations

import base64
import json
from typing import Annotated, Any

from fastapi import APIRouter, Query

from openwitness.api.deps import ServicesDep
from openwitness.core.errors import InvalidRequestError
from openwitness.ledger.checkpoint import parse_checkpoint_text
from openwitness.ledger.merkle import leaf_hash
from openwitness.ledger.note import parse_note

router = APIRouter(prefix="/api/v1/log", tags=["log"])

MAX_ENTRIES = 1000


def _b64(hashes: list[bytes]) -> list[str]:
    return [base64.b64encode(h).decode() for h in hashes]


@router.get("/checkpoint")
def get_checkpoint(services: ServicesDep) -> dict[str, Any]:
    """The latest signed checkpoint, verbatim in ``note`` and parsed alongside."""
    note = services.log.latest_checkpoint()
    body = parse_checkpoint_text(parse_note(note).text)
    return {
        "origin": body.origin,
        "size": body.size,
        "root_hash": base64.b64encode(body.root_hash).decode(),
        "note": note,
    }


@router.get("/proof/inclusion")
def get_inclusion_proof(
    services: ServicesDep,
    index: Annotated[int, Query(ge=0)],
    size: Annotated[int | None, Query(ge=1, description="Default: latest checkpoint")] = None,
) -> dict[str, Any]:
    """RFC 9162 inclusion proof of entry ``index`` in the tree of ``size``."""
    size = size if size is not None else services.log.latest_size()
    return {"index": index, "size": size, "hashes": _b64(services.log.inclusion_proof(index, size))}


@router.get("/proof/consistency")
def get_consistency_proof(
    services: ServicesDep,
    old: Annotated[int, Query(ge=0)],
    new: Annotated[int | None, Query(ge=0, description="Default: latest checkpoint")] = None,
) -> dict[str, Any]:
    """RFC 9162 consistency proof from tree size ``old`` to ``new``."""
    new = new if new is not None else services.log.latest_size()
    return {"old": old, "new": new, "hashes": _b64(services.log.consistency_proof(old, new))}


@router.get("/entries")
def get_entries(
    services: ServicesDep,
    start: Annotated[int, Query(ge=0)] = 0,
    end: Annotated[int | None, Query(ge=0, description="Exclusive; default start+100")] = None,
) -> dict[str, Any]:
    """Entries [start, end) with their leaf hashes (at most 1,000 a request)."""
    end = end if end is not None else start + 100
    if end < start or end - start > MAX_ENTRIES:
        raise InvalidRequestError(f"need start <= end <= start + {MAX_ENTRIES}")
    entries = services.log.entries(start, end)
    return {
        "start": start,
        "entries": [
            {
                "index": start + offset,
                "entry": json.loads(data),
                "leaf_hash": base64.b64encode(leaf_hash(data)).decode(),
            }
            for offset, data in enumerate(entries)
        ],
    }
