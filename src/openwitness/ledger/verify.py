"""Offline verification of receipts: no database, no network, only the files and a pinned key.

Each failure is its own error type whose message is the one-line reason shown to the person.
"Verified" is only ever returned after *both* the inclusion proof and the checkpoint signature
have been checked: an inclusion proof against an unsigned root proves nothing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from openwitness.ledger import merkle
from openwitness.ledger.checkpoint import Checkpoint, CheckpointError, open_checkpoint
from openwitness.ledger.entry import EntryError, LogEntry, parse_entry
from openwitness.ledger.note import Verifier
from openwitness.ledger.receipt import Receipt, ReceiptFormatError, parse_receipt


class VerificationError(Exception):
    """The receipt does not prove what it claims; ``str()`` is the reason."""


class MalformedReceipt(VerificationError):
    pass


class FileMismatch(VerificationError):
    pass


class CheckpointInvalid(VerificationError):
    pass


class InclusionProofInvalid(VerificationError):
    pass


class ConsistencyProofInvalid(VerificationError):
    pass


class ProofForOtherSizes(ConsistencyProofInvalid):
    pass


class LogRolledBack(VerificationError):
    pass


@dataclass(frozen=True)
class VerifiedReceipt:
    entry: LogEntry
    index: int
    checkpoint: Checkpoint
    key: Verifier


def load_receipt(data: str | bytes) -> Receipt:
    try:
        return parse_receipt(data)
    except ReceiptFormatError as exc:
        raise MalformedReceipt(str(exc)) from exc


def _entry(receipt: Receipt) -> LogEntry:
    try:
        return parse_entry(receipt.entry)
    except EntryError as exc:
        raise MalformedReceipt(f"receipt entry is not valid: {exc}") from exc


def _checkpoint(note: str, key: Verifier) -> Checkpoint:
    try:
        return open_checkpoint(note, key)
    except CheckpointError as exc:
        raise CheckpointInvalid(str(exc)) from exc


def file_sha256(path: Path) -> tuple[str, int]:
    """Hash a file in streaming fashion; returns (hex digest, size)."""
    with path.open("rb") as handle:
        digest = hashlib.file_digest(handle, "sha256")
        return digest.hexdigest(), handle.tell()


def verify_receipt(receipt: Receipt, key: Verifier, file: Path | None = None) -> VerifiedReceipt:
    """Check the file against the entry, the entry into the tree, and the tree's signature."""
    entry = _entry(receipt)
    if file is not None:
        sha256, size = file_sha256(file)
        if sha256 != entry.sha256:
            raise FileMismatch("file does not match receipt: sha256 differs")
        if size != entry.size:
            raise FileMismatch("file does not match receipt: size differs")
    checkpoint = _checkpoint(receipt.checkpoint, key)
    leaf = merkle.leaf_hash(receipt.entry)
    if not merkle.verify_inclusion(
        leaf, receipt.index, checkpoint.size, receipt.proof, checkpoint.root_hash
    ):
        raise InclusionProofInvalid(
            f"inclusion proof does not lead to the signed root of size {checkpoint.size}"
        )
    return VerifiedReceipt(entry, receipt.index, checkpoint, key)


def _check_proof_sizes(
    old: Checkpoint, new: Checkpoint, proof: list[bytes], sizes: tuple[int, int] | None
) -> None:
    """A proof fetched for other sizes is a mistake to name, not a sign of a rewritten log."""
    if sizes is not None:
        proof_old, proof_new = sizes
        if proof_old != old.size:
            raise ProofForOtherSizes(
                f"the proof is for size {proof_old}, the receipt's checkpoint is size {old.size}"
            )
        if proof_new != new.size:
            raise ProofForOtherSizes(
                f"the proof is to size {proof_new}, the later checkpoint is size {new.size}"
            )
    expected = len(merkle.consistency_ranges(old.size, new.size))
    if len(proof) != expected:
        raise ProofForOtherSizes(
            f"the proof is not for the receipt's checkpoint, size {old.size}, to size "
            f"{new.size}: it has {len(proof)} hash{'es' if len(proof) != 1 else ''} where that "
            f"proof has {expected}"
        )


def verify_consistency(
    receipt: Receipt,
    later_note: str,
    proof: list[bytes],
    key: Verifier,
    proof_sizes: tuple[int, int] | None = None,
) -> tuple[Checkpoint, Checkpoint]:
    """Check that the log of a later checkpoint only appended to the receipt's checkpoint.

    ``proof_sizes`` are the (old, new) sizes the proof says it is for, when it says so (the
    API's and `witness log proof --json`'s answers do)."""
    verified = verify_receipt(receipt, key)
    old = verified.checkpoint
    new = _checkpoint(later_note, key)
    if new.size < old.size:
        raise LogRolledBack(
            f"later checkpoint has size {new.size}, smaller than the receipt's {old.size}: "
            "the log was rolled back or the checkpoint is older"
        )
    _check_proof_sizes(old, new, proof, proof_sizes)
    if not merkle.verify_consistency(old.size, new.size, old.root_hash, new.root_hash, proof):
        raise ConsistencyProofInvalid(
            f"consistency proof from size {old.size} to {new.size} is invalid: "
            "the log may have been rewritten"
        )
    return old, new
