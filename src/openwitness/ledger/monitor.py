"""Following another log: each new checkpoint it serves must be signed by its key and be an
append-only extension of the last one seen here. A checkpoint that is not (a smaller tree, the
same size with another root, or no consistency proof that links them) is a fork: the log has
shown someone a different history. The last good checkpoint is kept in a state file, never
replaced by a forked one; the forked checkpoint is kept beside it as evidence."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from openwitness.core.errors import OpenWitnessError
from openwitness.core.files import write_atomically
from openwitness.ledger import merkle
from openwitness.ledger.checkpoint import Checkpoint, CheckpointError, open_checkpoint
from openwitness.ledger.note import Verifier

TIMEOUT_SECONDS = 15
MAX_ANSWER = 1024 * 1024


class MonitorError(OpenWitnessError):
    """The log could not be read, or answered something that is not a checkpoint or proof."""


@dataclass(frozen=True)
class Observation:
    size: int
    previous_size: int | None
    fork: str | None  # None: consistent; otherwise what is wrong, in words


def _get(url: str) -> bytes:
    if not url.startswith(("https://", "http://")):
        raise MonitorError(f"a log URL must be http(s), not {url!r}")
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as answer:  # noqa: S310 (checked above)
            return bytes(answer.read(MAX_ANSWER))
    except (urllib.error.URLError, OSError) as error:
        raise MonitorError(f"cannot read {url}: {getattr(error, 'reason', error)}") from None


def observe(base_url: str, verifier: Verifier, state: Path) -> Observation:
    """Fetch the log's checkpoint, compare it with the state file, update the state if it
    is consistent."""
    base = base_url.rstrip("/")
    note = _get(f"{base}/checkpoint").decode("utf-8", "replace")
    try:
        current = open_checkpoint(note, verifier)
    except CheckpointError as error:
        raise MonitorError(f"the log's checkpoint {error}") from None
    previous = _read_state(state, verifier)
    if previous is None:
        _save(state, note)
        return Observation(current.size, None, None)
    fork = _fork(base, previous, current)
    if fork is not None:
        write_atomically(state.with_name(state.name + f".fork-{current.size}"), note)
        return Observation(current.size, previous.size, fork)
    _save(state, note)
    return Observation(current.size, previous.size, None)


def _fork(base: str, previous: Checkpoint, current: Checkpoint) -> str | None:
    if current.size < previous.size:
        return f"the log went back from size {previous.size} to {current.size}"
    if current.size == previous.size:
        if current.root_hash != previous.root_hash:
            return f"two different roots for size {current.size}"
        return None
    answer = _get(f"{base}/api/v1/log/proof/consistency?old={previous.size}&new={current.size}")
    try:
        hashes = [base64.b64decode(h, validate=True) for h in json.loads(answer)["hashes"]]
    except (ValueError, KeyError, TypeError):
        raise MonitorError("the log's consistency proof is not a list of base64 hashes") from None
    if not merkle.verify_consistency(
        previous.size, current.size, previous.root_hash, current.root_hash, hashes
    ):
        return (
            f"the checkpoint of size {current.size} does not extend the one of size "
            f"{previous.size} seen before"
        )
    return None


def _read_state(state: Path, verifier: Verifier) -> Checkpoint | None:
    if not state.exists():
        return None
    try:
        return open_checkpoint(state.read_text(encoding="utf-8"), verifier)
    except (CheckpointError, OSError, UnicodeDecodeError) as error:
        raise MonitorError(
            f"the state file {state} holds no checkpoint of this log: {error}"
        ) from None


def _save(state: Path, note: str) -> None:
    write_atomically(state, note)
