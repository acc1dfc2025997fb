"""The witness's own Ed25519 key (keys/witness.key, mode 0600), kept apart from the log key:
tlog-cosignature asks for a distinct key per cosigner, and a witness key that leaked must not
let anyone sign the log's checkpoints."""

from __future__ import annotations

import base64
import os
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from openwitness.core.errors import OpenWitnessError
from openwitness.ledger.cosignature import Cosigner


def witness_name(log_origin: str) -> str:
    """The cosigner name a log's own server witnesses under: its origin with ``/witness``."""
    return f"{log_origin}/witness"


def load_or_create(path: Path, name: str) -> Cosigner:
    """The witness key at ``path``, made on first use (O_EXCL, 0600 from the first byte)."""
    if path.exists():
        if path.stat().st_mode & 0o077:
            raise OpenWitnessError(f"witness key {path} is readable by others: chmod 600 it")
        try:
            seed = base64.b64decode(path.read_text().strip(), validate=True)
            return Cosigner(name, Ed25519PrivateKey.from_private_bytes(seed))
        except ValueError as error:
            raise OpenWitnessError(f"witness key {path} is damaged: {error}") from None
    key = Ed25519PrivateKey.generate()
    seed = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return load_or_create(path, name)
    with os.fdopen(fd, "w") as handle:
        handle.write(base64.b64encode(seed).decode() + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    return Cosigner(name, key)
