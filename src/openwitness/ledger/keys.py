"""The log's Ed25519 key pair on disk: private key mode 0600, verifier key published beside it."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from openwitness.core.config import Settings
from openwitness.core.errors import NotInitialisedError, OpenWitnessError
from openwitness.ledger.note import Signer, parse_signer_key


def default_origin() -> str:
    """A unique, schema-less origin for a log that has no public URL yet."""
    return f"openwitness.local/{secrets.token_hex(6)}"


def create_key(settings: Settings, origin: str) -> Signer:
    """Generate the log key; never overwrites one (that would fork the log's identity)."""
    path = settings.signer_key_path
    if path.exists():
        raise OpenWitnessError(f"a log key already exists at {path}; refusing to replace it")
    try:
        signer = Signer.generate(origin)
    except ValueError as exc:
        raise OpenWitnessError(f"invalid log origin {origin!r}: {exc}") from exc
    settings.key_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    # O_EXCL + 0600 from the first byte: the private key is never readable by others.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(signer.to_skey() + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    settings.verifier_key_path.write_text(signer.verifier.vkey + "\n")
    return signer


def load_signer(settings: Settings) -> Signer:
    path = settings.signer_key_path
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise NotInitialisedError(
            f"no log key in {settings.home}: run 'witness init' first"
        ) from None
    if path.stat().st_mode & 0o077:
        raise OpenWitnessError(f"log key {path} is readable by others: run 'chmod 600 {path}'")
    try:
        return parse_signer_key(text)
    except ValueError as exc:
        raise OpenWitnessError(f"log key {path} is damaged: {exc}") from exc


def published_verifier_key(settings: Settings) -> str:
    """The verifier key this installation publishes (what `witness log key` prints)."""
    path: Path = settings.verifier_key_path
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        raise NotInitialisedError(
            f"no log key in {settings.home}: run 'witness init' first"
        ) from None
