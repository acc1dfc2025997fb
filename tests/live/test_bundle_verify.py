"""verify_bundle, offline: what a bundle proves, and each way one fails, against values made
independently here (hashlib, the chunks as recorded)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from openwitness.core.config import Settings
from openwitness.ledger.note import Signer, Verifier, parse_verifier_key
from openwitness.ledger.verify import CheckpointInvalid, FileMismatch, MalformedReceipt
from openwitness.live.bundle import (
    ChainBroken,
    MalformedBundle,
    describe_numbers,
    verify_bundle,
)
from openwitness.services import Services, initialise
from tests.live.conftest import recorded_chunks, sha


def record(services: Services, chunks: list[bytes], finish: bool) -> dict[str, Any]:
    live = services.live
    started = live.start()
    prev = None
    for seq, data in enumerate(chunks):
        live.add_chunk(started.id, started.token, seq, prev, sha(data), seq * 1000, iter([data]))
        prev = sha(data)
    if finish:
        live.finish(started.id, started.token)
    return live.bundle(started.id)


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, ...]]:
    """One log holding two finished recordings and one cut short (made once: ~1 s)."""
    home = tmp_path_factory.mktemp("bundles")
    settings = Settings(home=home, database_url=f"sqlite:///{home / 'w.db'}")
    services, _ = initialise(settings, "bundle.test/log")
    chunks = recorded_chunks()
    try:
        finished = record(services, chunks, finish=True)
        other = record(services, [chunks[0], *chunks[3:5]], finish=True)
        cut = record(services, chunks[:3], finish=False)
        key = parse_verifier_key(settings.verifier_key_path.read_text())
    finally:
        services.close()
    recording = home / "recording.webm"
    recording.write_bytes(b"".join(chunks))
    yield finished, other, cut, key, recording, chunks


def text(bundle: dict[str, Any]) -> str:
    return json.dumps(bundle)


def test_a_finished_recording_verifies_with_its_file(made: tuple[Any, ...]) -> None:
    finished, _, _, key, recording, chunks = made
    result = verify_bundle(text(finished), key, recording)
    assert [c.entry.sha256 for c in result.chunks] == [sha(c) for c in chunks]
    assert result.whole is not None and result.whole.entry.sha256 == sha(b"".join(chunks))
    assert result.missing == [] and result.file_checked and result.complete


def test_the_order_of_the_list_does_not_matter(made: tuple[Any, ...]) -> None:
    finished, _, _, key, recording, _ = made
    shuffled = dict(finished, chunks=finished["chunks"][::-1])
    assert verify_bundle(text(shuffled), key, recording).complete


def test_a_cut_short_recording_verifies_without_a_whole(
    made: tuple[Any, ...], tmp_path: Path
) -> None:
    _, _, cut, key, _, chunks = made
    part = tmp_path / "part.webm"
    part.write_bytes(b"".join(chunks[:3]))
    result = verify_bundle(text(cut), key, part)
    assert result.whole is None and result.file_checked and result.missing == []
    assert cut["state"] == "recording"  # never ended; "cut_short" once idle


def test_missing_chunks_are_named(made: tuple[Any, ...], tmp_path: Path) -> None:
    finished, _, _, key, recording, _ = made
    gap = dict(finished, chunks=[c for c in finished["chunks"] if c["seq"] not in (1, 2)])
    result = verify_bundle(text(gap), key, recording)
    assert result.missing == [1, 2] and not result.complete and not result.file_checked
    more = dict(finished, recorded_chunks=9)
    assert verify_bundle(text(more), key).missing == [6, 7, 8]


def test_a_chunk_from_another_recording_breaks_the_chain(made: tuple[Any, ...]) -> None:
    finished, other, _, key, _, _ = made
    mixed = dict(finished, chunks=[*finished["chunks"][:1], other["chunks"][1]])
    with pytest.raises(ChainBroken, match="from another recording"):
        verify_bundle(text(mixed), key)
    del mixed["recording"]
    with pytest.raises(ChainBroken, match="from another recording"):
        verify_bundle(text(mixed), key)


def test_a_whole_file_of_other_chunks_is_refused(made: tuple[Any, ...]) -> None:
    finished, other, _, key, _, _ = made
    swapped = dict(finished, whole=other["whole"])
    with pytest.raises(ChainBroken, match="it is not these chunks"):
        verify_bundle(text(swapped), key)


def test_a_changed_byte_names_its_chunk(made: tuple[Any, ...], tmp_path: Path) -> None:
    _, _, cut, key, _, chunks = made
    part = bytearray(b"".join(chunks[:3]))
    part[len(chunks[0]) + 10] ^= 1
    changed = tmp_path / "changed.webm"
    changed.write_bytes(bytes(part))
    with pytest.raises(FileMismatch, match="chunk 1 are not"):
        verify_bundle(text(cut), key, changed)
    longer = tmp_path / "longer.webm"
    longer.write_bytes(b"".join(chunks[:3]) + b"x")
    with pytest.raises(FileMismatch, match="end to end"):
        verify_bundle(text(cut), key, longer)


def test_the_whole_must_match_the_file(made: tuple[Any, ...], tmp_path: Path) -> None:
    finished, _, _, key, _, chunks = made
    other = tmp_path / "other.webm"
    other.write_bytes(b"".join(chunks[:3]))
    with pytest.raises(FileMismatch, match="whole recording's receipt"):
        verify_bundle(text(finished), key, other)


def test_another_key_is_refused(made: tuple[Any, ...]) -> None:
    finished, *_ = made
    stranger: Verifier = Signer.generate("bundle.test/log").verifier
    with pytest.raises(CheckpointInvalid):
        verify_bundle(text(finished), stranger)


@pytest.mark.parametrize(
    ("bundle", "reason"),
    [
        ("not json", "not JSON"),
        ('{"format": "other"}', "not a live recording bundle"),
        ('{"format": "openwitness.org/live-bundle@v1", "chunks": []}', "lists no chunks"),
        (
            '{"format": "openwitness.org/live-bundle@v1", "chunks": [{"seq": 0}]}',
            "needs its receipt",
        ),
    ],
)
def test_malformed_bundles_are_refused(made: tuple[Any, ...], bundle: str, reason: str) -> None:
    with pytest.raises(MalformedBundle, match=reason):
        verify_bundle(bundle, made[3])


def test_an_evidence_receipt_is_not_a_chunk(made: tuple[Any, ...]) -> None:
    finished, *_ = made
    wrong = dict(finished, chunks=[{"seq": 0, "receipt": finished["whole"]["receipt"]}])
    with pytest.raises(MalformedReceipt, match="not a live chunk"):
        verify_bundle(text(wrong), made[3])


def test_numbers_are_described_as_runs() -> None:
    assert describe_numbers([5, 0, 1, 2, 7, 8]) == "0 to 2, 5, 7 to 8"
    assert describe_numbers([3]) == "3"
