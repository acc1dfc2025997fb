"""The version 2 live-chunk entry: canonical bytes, and every malformed variant refused."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
import rfc8785

from openwitness.ledger.entry import EntryError, EvidenceEntry, LiveChunkEntry, parse_entry

SHA_A = "a" * 64
SHA_B = "b" * 64
WHEN = datetime(2026, 12, 2, 15, 33, 37, tzinfo=UTC)


def chunk(seq: int = 1, prev: str | None = SHA_A) -> LiveChunkEntry:
    return LiveChunkEntry(
        "0123456789abcdef0123456789abcdef", seq, prev, SHA_B, 21397, "video/webm", WHEN
    )


def test_the_bytes_are_exactly_the_documented_ones() -> None:
    assert chunk().to_bytes() == (
        b'{"kind":"live-chunk","media_type":"video/webm","prev_sha256":"' + SHA_A.encode()
        + b'","received_at":"2026-12-02T15:33:37Z","recording":"0123456789abcdef0123456789abcdef"'
        b',"seq":1,"sha256":"' + SHA_B.encode() + b'","size":21397,"v":2}'
    )  # fmt: skip
    first = chunk(0, None).to_bytes()
    assert b'"prev_sha256":null' in first


@pytest.mark.parametrize("entry", [chunk(), chunk(0, None), chunk(9999)])
def test_entries_round_trip(entry: LiveChunkEntry) -> None:
    assert parse_entry(entry.to_bytes()) == entry


def test_an_evidence_entry_still_parses_as_evidence() -> None:
    evidence = EvidenceEntry(SHA_A, 5, "image/jpeg", WHEN)
    assert parse_entry(evidence.to_bytes()) == evidence


def with_changes(**changes: Any) -> bytes:
    obj = json.loads(chunk().to_bytes())
    obj.update(changes)
    for key in [k for k, v in changes.items() if v is ...]:
        del obj[key]
    return bytes(rfc8785.dumps(obj))


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"v": 1}, "unsupported entry version or kind: v=1 kind=.live-chunk."),
        ({"v": 3}, "unsupported entry version or kind"),
        ({"kind": "evidence"}, "unsupported entry version or kind"),
        ({"recording": "0123456789ABCDEF0123456789ABCDEF"}, "recording is not 32"),
        ({"recording": "0123"}, "recording is not 32"),
        ({"seq": -1}, "seq is not a whole number"),
        ({"seq": 10000}, "seq is not a whole number"),
        ({"seq": True}, "seq is not a whole number"),
        ({"seq": 1.5}, "seq is not a whole number"),
        ({"seq": 0}, "prev_sha256 must be null for chunk 0"),
        ({"prev_sha256": None}, "prev_sha256 must be null for chunk 0"),
        ({"prev_sha256": "A" * 64}, "prev_sha256 must be null for chunk 0"),
        ({"sha256": "x"}, "sha256 is not 64 lowercase hex"),
        ({"size": 0}, "size is not a positive integer"),
        ({"received_at": "2026-12-02 15:33:37"}, "received_at is not an RFC 3339"),
        ({"received_at": 5}, "received_at is not an RFC 3339"),
        ({"prev_sha256": ...}, "does not have the version 2 live-chunk fields"),
        ({"extra": "name"}, "does not have the version 2 live-chunk fields"),
    ],
)
def test_malformed_chunk_entries_are_refused(changes: dict[str, Any], reason: str) -> None:
    with pytest.raises(EntryError, match=reason):
        parse_entry(with_changes(**changes))


def test_a_chunk_entry_must_be_canonical() -> None:
    spaced = json.dumps(json.loads(chunk().to_bytes()), indent=1).encode()
    with pytest.raises(EntryError, match="canonical"):
        parse_entry(spaced)
