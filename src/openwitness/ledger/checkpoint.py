"""C2SP tlog-checkpoint bodies (https://c2sp.org/tlog-checkpoint) and their verification."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass

from openwitness.ledger.merkle import HASH_SIZE
from openwitness.ledger.note import NoteVerificationError, Verifier, b64decode_strict, open_note

_SIZE = re.compile(r"^(0|[1-9][0-9]*)$")


class CheckpointError(ValueError):
    """A checkpoint is malformed, unsigned by the trusted key, or from another log."""


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def text(self) -> str:
        """The note text that gets signed."""
        lines = [self.origin, str(self.size), base64.b64encode(self.root_hash).decode()]
        return "\n".join([*lines, *self.extensions]) + "\n"


def parse_checkpoint_text(text: str) -> Checkpoint:
    """Parse a checkpoint body; the root is any base64 here (see :func:`open_checkpoint`)."""
    if not text.endswith("\n"):
        raise CheckpointError("checkpoint text must end with a newline")
    lines = text[:-1].split("\n")
    if len(lines) < 3 or any(not line for line in lines):
        raise CheckpointError("checkpoint needs origin, size and root hash lines")
    origin, size, root_b64, *extensions = lines
    if not _SIZE.match(size):
        raise CheckpointError("checkpoint tree size is not a decimal number")
    try:
        root_hash = b64decode_strict(root_b64)
    except ValueError as exc:
        raise CheckpointError("checkpoint root hash is not base64") from exc
    return Checkpoint(origin, int(size), root_hash, tuple(extensions))


def open_checkpoint(note: str | bytes, verifier: Verifier, origin: str | None = None) -> Checkpoint:
    """Verify a signed checkpoint against a pinned key and return its body.

    The origin must match ``origin`` (by default the key's name): a valid signature over another
    log's checkpoint must not pass as this log's.
    """
    try:
        text, _ = open_note(note, [verifier])
    except NoteVerificationError as exc:
        raise CheckpointError(f"checkpoint {exc}") from exc
    checkpoint = parse_checkpoint_text(text)
    expected = verifier.name if origin is None else origin
    if checkpoint.origin != expected:
        raise CheckpointError(
            f"checkpoint origin {checkpoint.origin!r} does not match the expected log {expected!r}"
        )
    if len(checkpoint.root_hash) != HASH_SIZE:
        raise CheckpointError("checkpoint root hash is not a SHA-256 hash")
    return checkpoint
