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
_FIELDS = {"v", "kind", "sha256", "size", "media_type", "received_at"}
_SHA256 = re.compile(r"[0-9a-f]{64}")
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


def parse_entry(data: bytes) -> EvidenceEntry:
    """Parse and validate an entry; it must be byte-for-byte canonical."""
    try:
        obj = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise EntryError("entry is not JSON") from exc
    if not isinstance(obj, dict) or set(obj) != _FIELDS:
        raise EntryError("entry does not have the version 1 evidence fields")
    if obj["v"] != SCHEMA_VERSION or obj["kind"] != KIND_EVIDENCE:
        raise EntryError(f"unsupported entry version or kind: v={obj['v']!r} kind={obj['kind']!r}")
    if not isinstance(obj["sha256"], str) or not _SHA256.fullmatch(obj["sha256"]):
        raise EntryError("entry sha256 is not 64 lowercase hex digits")
    if not isinstance(obj["size"], int) or isinstance(obj["size"], bool) or obj["size"] < 1:
        raise EntryError("entry size is not a positive integer")
    if not isinstance(obj["media_type"], str):
        raise EntryError("entry media_type is not a string")
    try:
        received = datetime.strptime(obj["received_at"], _RFC3339_UTC).replace(tzinfo=UTC)
    except (TypeError, ValueError) as exc:
        raise EntryError("entry received_at is not an RFC 3339 UTC time") from exc
    entry = EvidenceEntry(obj["sha256"], obj["size"], obj["media_type"], received)
    try:
        canonical = entry.to_bytes()
    except rfc8785.CanonicalizationError as exc:  # e.g. sizes past 2^53, lone surrogates
        raise EntryError(f"entry cannot be canonicalised: {exc}") from exc
    if canonical != data:
        raise EntryError("entry is not in canonical form (RFC 8785)")
    return entry
