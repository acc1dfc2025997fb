"""The public log's entries: canonical JSON (RFC 8785) holding only non-personal facts.

The log is public and can never be erased, so an entry never carries names, contacts, places or
free text: only what identifies the bytes and when the vault received them. See
``docs/log-entries.md`` for the schema and how it is versioned.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime

import rfc8785

SCHEMA_VERSION = 1
KIND_EVIDENCE = "evidence"
#: Version 2 added the live-chunk kind (evidence entries are still written as version 1).
LIVE_SCHEMA_VERSION = 2
KIND_LIVE_CHUNK = "live-chunk"
_FIELDS = {"v", "kind", "sha256", "size", "media_type", "received_at"}
_LIVE_FIELDS = _FIELDS | {"recording", "seq", "prev_sha256"}
#: a recording has at most this many chunks (about 8 hours in chunks of 3 seconds)
MAX_SEQ = 9999
_SHA256 = re.compile(r"[0-9a-f]{64}")
_RECORDING_ID = re.compile(r"[0-9a-f]{32}")
_RFC3339_UTC = "%Y-%m-%dT%H:%M:%SZ"


class EntryError(ValueError):
    """Bytes that are not a log entry this version of OpenWitness understands."""


@dataclass(frozen=True)
class EvidenceEntry:
    sha256: str
    size: int
    media_type: str
    received_at: datetime

    def to_bytes(self) -> bytes:
        """The exact bytes that are hashed into the log."""
        return bytes(
            rfc8785.dumps(
                {
                    "v": SCHEMA_VERSION,
                    "kind": KIND_EVIDENCE,
                    "sha256": self.sha256,
                    "size": self.size,
                    "media_type": self.media_type,
                    "received_at": self.received_at.astimezone(UTC).strftime(_RFC3339_UTC),
                }
            )
        )


@dataclass(frozen=True)
class LiveChunkEntry:
    """A few seconds of a recording logged while it is being made (``docs/log-entries.md``).

    ``recording`` is a random id that names nobody; ``prev_sha256`` (None for the first chunk)
    chains the chunks, so a chunk missing or out of order shows in the log itself."""

    recording: str
    seq: int
    prev_sha256: str | None
    sha256: str
    size: int
    media_type: str
    received_at: datetime

    def to_bytes(self) -> bytes:
        return bytes(
            rfc8785.dumps(
                {
                    "v": LIVE_SCHEMA_VERSION,
                    "kind": KIND_LIVE_CHUNK,
                    "recording": self.recording,
                    "seq": self.seq,
                    "prev_sha256": self.prev_sha256,
                    "sha256": self.sha256,
                    "size": self.size,
                    "media_type": self.media_type,
                    "received_at": self.received_at.astimezone(UTC).strftime(_RFC3339_UTC),
                }
            )
        )


LogEntry = EvidenceEntry | LiveChunkEntry


def is_recording_id(value: object) -> bool:
    return isinstance(value, str) and _RECORDING_ID.fullmatch(value) is not None


def is_sha256(value: object) -> bool:
    return isinstance(value, str) and _SHA256.fullmatch(value) is not None


def parse_entry(data: bytes) -> LogEntry:
    """Parse and validate an entry of any known kind; it must be byte-for-byte canonical."""
    try:
        obj = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise EntryError("entry is not JSON") from exc
    if not isinstance(obj, dict):
        raise EntryError("entry is not a JSON object")
    kind = (obj.get("v"), obj.get("kind"))
    if kind == (LIVE_SCHEMA_VERSION, KIND_LIVE_CHUNK):
        entry: LogEntry = _parse_live_chunk(obj)
    elif kind == (SCHEMA_VERSION, KIND_EVIDENCE):
        entry = _parse_evidence(obj)
    else:
        raise EntryError(f"unsupported entry version or kind: v={kind[0]!r} kind={kind[1]!r}")
    try:
        canonical = entry.to_bytes()
    except rfc8785.CanonicalizationError as exc:  # e.g. sizes past 2^53, lone surrogates
        raise EntryError(f"entry cannot be canonicalised: {exc}") from exc
    if canonical != data:
        raise EntryError("entry is not in canonical form (RFC 8785)")
    return entry


def _parse_live_chunk(obj: dict[str, object]) -> LiveChunkEntry:
    if set(obj) != _LIVE_FIELDS:
        raise EntryError("entry does not have the version 2 live-chunk fields")
    if not is_recording_id(obj["recording"]):
        raise EntryError("entry recording is not 32 lowercase hex digits")
    seq = obj["seq"]
    if not isinstance(seq, int) or isinstance(seq, bool) or not 0 <= seq <= MAX_SEQ:
        raise EntryError(f"entry seq is not a whole number from 0 to {MAX_SEQ}")
    prev = obj["prev_sha256"]
    if (prev is None) != (seq == 0) or (prev is not None and not is_sha256(prev)):
        raise EntryError("entry prev_sha256 must be null for chunk 0 and a SHA-256 after it")
    common = _parse_evidence({k: v for k, v in obj.items() if k in _FIELDS} | {"v": 1})
    return LiveChunkEntry(
        obj["recording"],  # type: ignore[arg-type]  # checked by is_recording_id
        seq,
        prev,  # type: ignore[arg-type]  # checked above
        common.sha256,
        common.size,
        common.media_type,
        common.received_at,
    )


def _parse_evidence(obj: dict[str, object]) -> EvidenceEntry:
    if set(obj) != _FIELDS:
        raise EntryError("entry does not have the version 1 evidence fields")
    if not isinstance(obj["sha256"], str) or not _SHA256.fullmatch(obj["sha256"]):
        raise EntryError("entry sha256 is not 64 lowercase hex digits")
    if not isinstance(obj["size"], int) or isinstance(obj["size"], bool) or obj["size"] < 1:
        raise EntryError("entry size is not a positive integer")
    if not isinstance(obj["media_type"], str):
        raise EntryError("entry media_type is not a string")
    try:
        received = datetime.strptime(str(obj["received_at"]), _RFC3339_UTC).replace(tzinfo=UTC)
    except (TypeError, ValueError) as exc:  # str() of a non-string never parses
        raise EntryError("entry received_at is not an RFC 3339 UTC time") from exc
    return EvidenceEntry(obj["sha256"], obj["size"], obj["media_type"], received)
