"""Log entries (canonical RFC 8785 JSON) and receipts (c2sp.org/tlog-proof) in and out of text."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openwitness.ledger import merkle
from openwitness.ledger.checkpoint import Checkpoint
from openwitness.ledger.entry import EntryError, EvidenceEntry, parse_entry
from openwitness.ledger.note import Signer
from openwitness.ledger.receipt import HEADER, Receipt, ReceiptFormatError, parse_receipt
from openwitness.ledger.verify import (
    CheckpointInvalid,
    FileMismatch,
    InclusionProofInvalid,
    MalformedReceipt,
    verify_receipt,
)

SHA = hashlib.sha256(b"evidence").hexdigest()
WHEN = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
ENTRY = EvidenceEntry(SHA, 123, "image/jpeg", WHEN)
CANONICAL = (
    b'{"kind":"evidence","media_type":"image/jpeg","received_at":"2024-05-01T12:00:00Z",'
    b'"sha256":"' + SHA.encode() + b'","size":123,"v":1}'
)


def fields(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "v": 1,
        "kind": "evidence",
        "sha256": SHA,
        "size": 123,
        "media_type": "image/jpeg",
        "received_at": "2024-05-01T12:00:00Z",
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not _DROP}


_DROP = object()


def canonical(obj: dict[str, Any]) -> bytes:
    """Sorted keys, no whitespace: what RFC 8785 gives for these simple values."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


# -- entries -----------------------------------------------------------------------------------


def test_entry_canonical_bytes_are_exact() -> None:
    assert ENTRY.to_bytes() == CANONICAL
    assert canonical(fields()) == CANONICAL
    assert b" " not in ENTRY.to_bytes()


def test_entry_round_trips() -> None:
    assert parse_entry(CANONICAL) == ENTRY


def test_entry_time_is_written_in_utc_without_fraction() -> None:
    local = datetime(2024, 5, 1, 14, 0, 0, 987654, tzinfo=timezone(timedelta(hours=2)))
    data = EvidenceEntry(SHA, 123, "image/jpeg", local).to_bytes()
    assert b'"received_at":"2024-05-01T12:00:00Z"' in data
    assert parse_entry(data).received_at == WHEN


@settings(max_examples=150, deadline=None)
@given(
    digest=st.binary(min_size=32, max_size=32),
    size=st.integers(1, 2**53 - 1),
    media_type=st.text(max_size=40),
    when=st.datetimes(
        min_value=datetime(1970, 1, 1), max_value=datetime(9999, 12, 31), timezones=st.just(UTC)
    ).map(lambda d: d.replace(microsecond=0)),
)
def test_entry_round_trip_property(
    digest: bytes, size: int, media_type: str, when: datetime
) -> None:
    entry = EvidenceEntry(digest.hex(), size, media_type, when)
    data = entry.to_bytes()
    assert parse_entry(data) == entry
    obj = json.loads(data)
    assert list(obj) == sorted(obj)  # keys sorted
    assert data == canonical(obj)  # no insignificant whitespace


@pytest.mark.parametrize(
    "data",
    [
        canonical(fields()).replace(b",", b", "),
        canonical(fields()).replace(b":", b": "),
        canonical(fields()) + b"\n",
        b" " + canonical(fields()),
        json.dumps(fields()).encode(),  # insertion order, spaces
        json.dumps(fields(), separators=(",", ":")).encode(),  # key order only
        json.dumps(dict(reversed(list(fields().items()))), separators=(",", ":")).encode(),
        canonical(fields()).replace(b'"v":1', b'"v":1.0'),
        canonical(fields()).replace(b'"size":123', b'"size":1.23e2'),
        canonical(fields()).replace(b"image/jpeg", b"image\\/jpeg"),  # needless escape
        canonical(fields()).replace(b'{"kind"', b'{"v":1,"kind"'),  # duplicate key
    ],
    ids=[
        "space-after-comma",
        "space-after-colon",
        "trailing-newline",
        "leading-space",
        "python-default",
        "unsorted-keys",
        "reversed-keys",
        "float-version",
        "exponent-size",
        "escaped-slash",
        "duplicate-key",
    ],
)
def test_non_canonical_entry_is_rejected(data: bytes) -> None:
    assert data != CANONICAL
    with pytest.raises(EntryError):
        parse_entry(data)


@pytest.mark.parametrize(
    "obj",
    [
        fields(v=_DROP),
        fields(kind=_DROP),
        fields(sha256=_DROP),
        fields(size=_DROP),
        fields(media_type=_DROP),
        fields(received_at=_DROP),
        fields(extra="x"),
        fields(name="Jane Doe"),
        fields(v=2),
        fields(v=0),
        fields(v="1"),
        fields(v=True),
        fields(kind="other"),
        fields(kind="Evidence"),
        fields(sha256=SHA.upper()),
        fields(sha256=SHA[:-1]),
        fields(sha256=SHA + "0"),
        fields(sha256="g" * 64),
        fields(sha256=int("1" * 20)),
        fields(sha256=None),
        fields(size=0),
        fields(size=-1),
        fields(size=True),
        fields(size="123"),
        fields(size=None),
        fields(media_type=None),
        fields(media_type=5),
        fields(received_at="2024-05-01 12:00:00Z"),
        fields(received_at="2024-05-01T12:00:00"),
        fields(received_at="2024-05-01T12:00:00+00:00"),
        fields(received_at="2024-05-01T12:00:00.5Z"),
        fields(received_at="2024-5-1T12:00:00Z"),
        fields(received_at="2024-02-30T12:00:00Z"),
        fields(received_at="2024-05-01T24:00:00Z"),
        fields(received_at="2024-05-01t12:00:00z"),
        fields(received_at=1714564800),
        fields(received_at=None),
    ],
    ids=lambda o: (
        "-".join(
            f"{k}={v!r}"[:40]
            for k, v in o.items()
            if k not in fields() or fields()[k] != v or type(fields()[k]) is not type(v)
        )
        or "missing-" + "-".join(sorted(set(fields()) - set(o)))
    ),
)
def test_entry_with_wrong_fields_is_rejected(obj: dict[str, Any]) -> None:
    with pytest.raises(EntryError):
        parse_entry(canonical(obj))


@pytest.mark.parametrize(
    "data",
    [b"", b"not json", b"[]", b"null", b'"x"', b"\xff\xfe", b"{}", canonical({"v": 1})],
    ids=["empty", "text", "list", "null", "string", "not-utf8", "empty-object", "only-version"],
)
def test_entry_that_is_not_an_evidence_object_is_rejected(data: bytes) -> None:
    with pytest.raises(EntryError):
        parse_entry(data)


def test_entry_sha256_with_trailing_newline_is_rejected() -> None:
    data = canonical(fields(sha256=SHA + "\n"))
    with pytest.raises(EntryError):
        parse_entry(data)


@pytest.mark.parametrize(
    "data",
    [
        canonical(fields(size=2**53 + 1)),
        canonical(fields()).replace(b"image/jpeg", b"\\ud800"),
    ],
    ids=["size-beyond-2^53", "lone-surrogate-media-type"],
)
def test_entry_outside_the_json_domain_is_an_entry_error(data: bytes) -> None:
    with pytest.raises(EntryError):
        parse_entry(data)


# -- receipts ----------------------------------------------------------------------------------

SIGNER = Signer.generate("receipt.test/log")
PROOF = (hashlib.sha256(b"a").digest(), hashlib.sha256(b"b").digest())
CHECKPOINT = SIGNER.sign_text(Checkpoint(SIGNER.name, 3, hashlib.sha256(b"r").digest()).text())
RECEIPT = Receipt(CANONICAL, 2, PROOF, CHECKPOINT)


def test_receipt_text_layout() -> None:
    text = RECEIPT.to_text()
    expected = (
        "\n".join(
            [
                "c2sp.org/tlog-proof@v1",
                "extra " + base64.b64encode(CANONICAL).decode(),
                "index 2",
                base64.b64encode(PROOF[0]).decode(),
                base64.b64encode(PROOF[1]).decode(),
            ]
        )
        + "\n\n"
        + CHECKPOINT
    )
    assert text == expected
    assert HEADER == "c2sp.org/tlog-proof@v1"


def test_receipt_round_trips_from_text_and_bytes() -> None:
    assert parse_receipt(RECEIPT.to_text()) == RECEIPT
    assert parse_receipt(RECEIPT.to_text().encode()) == RECEIPT


def test_receipt_with_empty_proof_round_trips() -> None:
    receipt = Receipt(CANONICAL, 0, (), CHECKPOINT)
    assert "index 0\n\n" in receipt.to_text()
    assert parse_receipt(receipt.to_text()) == receipt


@settings(max_examples=150, deadline=None)
@given(
    entry=st.binary(max_size=300),
    index=st.integers(0, 2**64),
    proof=st.lists(st.binary(min_size=32, max_size=32), max_size=64),
)
def test_receipt_round_trip_property(entry: bytes, index: int, proof: list[bytes]) -> None:
    receipt = Receipt(entry, index, tuple(proof), CHECKPOINT)
    assert parse_receipt(receipt.to_text()) == receipt


def _lines(text: str) -> tuple[list[str], str]:
    head, _, checkpoint = text.partition("\n\n")
    return head.split("\n"), checkpoint


def _rebuild(lines: list[str], checkpoint: str) -> str:
    return "\n".join(lines) + "\n\n" + checkpoint


GOOD_LINES, GOOD_CHECKPOINT = _lines(RECEIPT.to_text())

MALFORMED = {
    "wrong-header": _rebuild(["c2sp.org/tlog-proof@v2", *GOOD_LINES[1:]], GOOD_CHECKPOINT),
    "header-with-cr": _rebuild([HEADER + "\r", *GOOD_LINES[1:]], GOOD_CHECKPOINT),
    "no-header": _rebuild(GOOD_LINES[1:], GOOD_CHECKPOINT),
    "missing-extra": _rebuild([GOOD_LINES[0], *GOOD_LINES[2:]], GOOD_CHECKPOINT),
    "extra-after-index": _rebuild(
        [GOOD_LINES[0], GOOD_LINES[2], GOOD_LINES[1], *GOOD_LINES[3:]], GOOD_CHECKPOINT
    ),
    "extra-not-base64": _rebuild(
        [GOOD_LINES[0], "extra {not base64}", *GOOD_LINES[2:]], GOOD_CHECKPOINT
    ),
    "extra-unpadded": _rebuild(
        [GOOD_LINES[0], GOOD_LINES[1].rstrip("="), *GOOD_LINES[2:]], GOOD_CHECKPOINT
    )
    if GOOD_LINES[1].endswith("=")
    else _rebuild([GOOD_LINES[0], GOOD_LINES[1] + "A", *GOOD_LINES[2:]], GOOD_CHECKPOINT),
    "missing-index": _rebuild([*GOOD_LINES[:2], *GOOD_LINES[3:]], GOOD_CHECKPOINT),
    "missing-index-and-proof": _rebuild(GOOD_LINES[:2], GOOD_CHECKPOINT),
    "leading-zero-index": _rebuild([*GOOD_LINES[:2], "index 02", *GOOD_LINES[3:]], GOOD_CHECKPOINT),
    "negative-index": _rebuild([*GOOD_LINES[:2], "index -2", *GOOD_LINES[3:]], GOOD_CHECKPOINT),
    "index-with-two-spaces": _rebuild(
        [*GOOD_LINES[:2], "index  2", *GOOD_LINES[3:]], GOOD_CHECKPOINT
    ),
    "index-hex": _rebuild([*GOOD_LINES[:2], "index 0x2", *GOOD_LINES[3:]], GOOD_CHECKPOINT),
    "index-empty": _rebuild([*GOOD_LINES[:2], "index ", *GOOD_LINES[3:]], GOOD_CHECKPOINT),
    "bad-base64-proof-line": _rebuild(
        [*GOOD_LINES[:3], "not*base64!", *GOOD_LINES[4:]], GOOD_CHECKPOINT
    ),
    "unpadded-proof-line": _rebuild(
        [*GOOD_LINES[:3], GOOD_LINES[3].rstrip("="), *GOOD_LINES[4:]], GOOD_CHECKPOINT
    ),
    "proof-line-with-space": _rebuild(
        [*GOOD_LINES[:3], " " + GOOD_LINES[3], *GOOD_LINES[4:]], GOOD_CHECKPOINT
    ),
    "no-checkpoint": _rebuild(GOOD_LINES, ""),
    "no-blank-line": "\n".join(GOOD_LINES) + "\n" + GOOD_CHECKPOINT,
    "empty": "",
}


@pytest.mark.parametrize("text", list(MALFORMED.values()), ids=list(MALFORMED))
def test_malformed_receipt_is_rejected(text: str) -> None:
    with pytest.raises(ReceiptFormatError):
        parse_receipt(text)
    with pytest.raises(ReceiptFormatError):
        parse_receipt(text.encode())


def test_proof_line_unpadded_case_really_is_unpadded() -> None:
    assert GOOD_LINES[3].endswith("=")  # a 32-byte hash always pads with one '='


def test_receipt_that_is_not_utf8_is_rejected() -> None:
    with pytest.raises(ReceiptFormatError):
        parse_receipt(RECEIPT.to_text().encode() + b"\xff")


# -- verifying a receipt, end to end without a database ----------------------------------------


def _entries(count: int) -> list[bytes]:
    return [
        EvidenceEntry(
            hashlib.sha256(b"%d" % i).hexdigest(), i + 1, "image/png", WHEN + timedelta(seconds=i)
        ).to_bytes()
        for i in range(count)
    ]


def _receipt(entries: list[bytes], index: int, signer: Signer = SIGNER) -> Receipt:
    note = signer.sign_text(Checkpoint(signer.name, len(entries), merkle.root(entries)).text())
    return Receipt(entries[index], index, tuple(merkle.inclusion_proof(entries, index)), note)


def test_receipt_verifies_offline() -> None:
    entries = _entries(7)
    for index in range(7):
        receipt = parse_receipt(_receipt(entries, index).to_text())
        verified = verify_receipt(receipt, SIGNER.verifier)
        assert verified.index == index
        assert verified.entry == parse_entry(entries[index])
        assert verified.checkpoint.size == 7
        assert verified.checkpoint.root_hash == merkle.root(entries)


def test_receipt_with_file_checks_hash_and_size(tmp_path: Path) -> None:
    content = b"the evidence itself"
    entry = EvidenceEntry(hashlib.sha256(content).hexdigest(), len(content), "image/png", WHEN)
    entries = [*_entries(2), entry.to_bytes()]
    receipt = _receipt(entries, 2)
    good = tmp_path / "good"
    good.write_bytes(content)
    assert verify_receipt(receipt, SIGNER.verifier, good).entry == entry
    bad = tmp_path / "bad"
    bad.write_bytes(content + b"!")
    with pytest.raises(FileMismatch):
        verify_receipt(receipt, SIGNER.verifier, bad)


def test_receipt_failures_have_their_own_errors() -> None:
    entries = _entries(5)
    receipt = _receipt(entries, 3)
    with pytest.raises(CheckpointInvalid):
        verify_receipt(receipt, Signer.generate(SIGNER.name).verifier)
    with pytest.raises(InclusionProofInvalid):
        verify_receipt(
            Receipt(receipt.entry, 2, receipt.proof, receipt.checkpoint), SIGNER.verifier
        )
    with pytest.raises(InclusionProofInvalid):
        verify_receipt(Receipt(entries[4], 3, receipt.proof, receipt.checkpoint), SIGNER.verifier)
    with pytest.raises(MalformedReceipt):
        verify_receipt(
            Receipt(b"not an entry", 3, receipt.proof, receipt.checkpoint), SIGNER.verifier
        )
