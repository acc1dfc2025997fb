"""A live recording's receipt bundle, and its offline check: every chunk, the chain between
them, and the whole file. Like :mod:`openwitness.ledger.verify` it needs no database and no
network, only the bundle, a pinned key and (optionally) the recording.

The bundle is JSON (``format`` = :data:`BUNDLE_FORMAT`) holding ordinary tlog-proof receipts,
so each one is also checkable alone by any tlog-proof verifier; what this adds is the chain:
chunk ``n``'s entry names chunk ``n - 1``'s SHA-256, and the whole file is the chunks end to
end, so a chunk missing, reordered or from another recording is found and named.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openwitness.ledger.entry import MAX_SEQ, EvidenceEntry, LiveChunkEntry
from openwitness.ledger.note import Verifier
from openwitness.ledger.verify import (
    FileMismatch,
    MalformedReceipt,
    VerificationError,
    VerifiedReceipt,
    load_receipt,
    verify_receipt,
)

BUNDLE_FORMAT = "openwitness.org/live-bundle@v1"
BUNDLE_SUFFIX = ".bundle.json"
#: a bundle is receipts only (about 1 KB a chunk): this bounds what is read before parsing
MAX_BUNDLE_BYTES = 64 * 1024 * 1024


class MalformedBundle(VerificationError):
    pass


class ChainBroken(VerificationError):
    pass


@dataclass(frozen=True)
class VerifiedChunk:
    entry: LiveChunkEntry
    index: int


@dataclass
class VerifiedBundle:
    recording: str
    chunks: list[VerifiedChunk]
    #: chunk numbers not in the bundle: gaps, and any the recorder made that never arrived
    missing: list[int]
    whole: VerifiedReceipt | None
    checkpoint_size: int
    file_checked: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.missing

    @property
    def size(self) -> int:
        return sum(chunk.entry.size for chunk in self.chunks)


def describe_numbers(numbers: list[int]) -> str:
    """[0, 1, 2, 5, 7, 8] -> "0 to 2, 5, 7 to 8": chunk numbers for a person to read."""
    runs: list[list[int]] = []
    for n in sorted(numbers):
        if runs and n == runs[-1][1] + 1:
            runs[-1][1] = n
        else:
            runs.append([n, n])
    return ", ".join(str(a) if a == b else f"{a} to {b}" for a, b in runs)


def parse_bundle(data: str | bytes) -> dict[str, Any]:
    if len(data) > MAX_BUNDLE_BYTES:
        raise MalformedBundle("the bundle is larger than any recording's bundle can be")
    try:
        bundle = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedBundle("the bundle is not JSON") from exc
    if not isinstance(bundle, dict) or bundle.get("format") != BUNDLE_FORMAT:
        raise MalformedBundle(f"not a live recording bundle ({BUNDLE_FORMAT})")
    chunks = bundle.get("chunks")
    if not isinstance(chunks, list) or not chunks:
        raise MalformedBundle("the bundle lists no chunks")
    for item in chunks:
        if not isinstance(item, dict) or not isinstance(item.get("receipt"), str):
            raise MalformedBundle("each chunk in the bundle needs its receipt")
    whole = bundle.get("whole")
    if whole is not None and not (
        isinstance(whole, dict) and isinstance(whole.get("receipt"), str)
    ):
        raise MalformedBundle("the bundle's whole file has no receipt")
    recorded = bundle.get("recorded_chunks")
    if recorded is not None and (
        not isinstance(recorded, int)
        or isinstance(recorded, bool)
        or not 0 <= recorded <= MAX_SEQ + 1
    ):  # bounded: every number below it is looked for
        raise MalformedBundle(f"recorded_chunks must be a whole number from 0 to {MAX_SEQ + 1}")
    return bundle


def _verify_chunks(bundle: dict[str, Any], key: Verifier) -> tuple[list[VerifiedChunk], int]:
    verified: dict[int, VerifiedChunk] = {}
    recording = None
    size = 0
    for item in bundle["chunks"]:
        result = verify_receipt(load_receipt(item["receipt"]), key)
        entry = result.entry
        if not isinstance(entry, LiveChunkEntry):
            raise MalformedReceipt(f"entry {result.index} in the bundle is not a live chunk")
        if recording is None:
            recording = entry.recording
        if entry.recording != recording or entry.recording != bundle.get("recording", recording):
            raise ChainBroken(
                f"chunk {entry.seq} (log entry {result.index}) is from another recording, "
                f"{entry.recording}"
            )
        if entry.seq in verified:
            if verified[entry.seq].entry != entry:
                raise ChainBroken(f"the bundle has two different chunks numbered {entry.seq}")
            continue
        verified[entry.seq] = VerifiedChunk(entry, result.index)
        size = max(size, result.checkpoint.size)
    chunks = [verified[seq] for seq in sorted(verified)]
    for before, after in itertools.pairwise(chunks):
        follows = after.entry.prev_sha256 == before.entry.sha256
        if after.entry.seq == before.entry.seq + 1 and not follows:
            raise ChainBroken(
                f"chunk {after.entry.seq} does not follow chunk {before.entry.seq}: it names "
                "another previous chunk"
            )
        if after.entry.media_type != before.entry.media_type:
            raise ChainBroken(f"chunk {after.entry.seq} has another media type than the rest")
    return chunks, size


def _check_file(file: Path, chunks: list[VerifiedChunk]) -> str:
    """The recording must be exactly the chunks end to end: each slice hashes to its chunk (so
    a changed byte is named by its chunk). Returns the whole file's SHA-256, read in the same
    pass."""
    expected = sum(chunk.entry.size for chunk in chunks)
    actual = file.stat().st_size
    if actual != expected:
        raise FileMismatch(
            f"the file is {actual:,} bytes, the logged chunks are {expected:,} bytes end to end"
        )
    whole = hashlib.sha256()
    with file.open("rb") as handle:
        for chunk in chunks:
            digest = hashlib.sha256()
            left = chunk.entry.size
            while left:
                data = handle.read(min(left, 1024 * 1024))
                if not data:
                    break
                digest.update(data)
                whole.update(data)
                left -= len(data)
            if digest.hexdigest() != chunk.entry.sha256:
                raise FileMismatch(
                    f"file does not match: its bytes for chunk {chunk.entry.seq} are not the "
                    "logged chunk's"
                )
    return whole.hexdigest()


def verify_bundle(data: str | bytes, key: Verifier, file: Path | None = None) -> VerifiedBundle:
    """Check every receipt, the chain and the whole file; with ``file``, that the recording
    is the chunks end to end (and the whole file, if the bundle has it)."""
    bundle = parse_bundle(data)
    chunks, checkpoint_size = _verify_chunks(bundle, key)
    present = {chunk.entry.seq for chunk in chunks}
    last = max(present)
    recorded = bundle.get("recorded_chunks") or 0
    missing = sorted(set(range(max(last + 1, recorded))) - present)
    result = VerifiedBundle(chunks[0].entry.recording, chunks, missing, None, checkpoint_size)
    if bundle.get("whole") is not None:
        whole = verify_receipt(load_receipt(bundle["whole"]["receipt"]), key)
        if not isinstance(whole.entry, EvidenceEntry):
            raise MalformedReceipt("the whole file's receipt is not for an evidence entry")
        if not missing and whole.entry.size != result.size:
            raise ChainBroken(
                f"the whole file is {whole.entry.size:,} bytes, its chunks end to end are "
                f"{result.size:,} bytes: it is not these chunks"
            )
        result.whole = whole
    if file is not None:
        if missing:
            result.notes.append("the file was not compared: chunks are missing")
        else:
            lodged = result.whole
            if lodged is not None and file.stat().st_size != lodged.entry.size:
                raise FileMismatch("file does not match the whole recording's receipt")
            sha256 = _check_file(file, chunks)  # names the chunk a changed byte is in
            if lodged is not None and sha256 != lodged.entry.sha256:
                raise FileMismatch("file does not match the whole recording's receipt")
            result.file_checked = True
    return result
