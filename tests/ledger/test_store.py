"""The persistent transparency log on SQLite and PostgreSQL, against the in-memory functions.

Everything the log serves (roots, proofs, checkpoints, tiles, bundles, receipts) is compared with
:mod:`openwitness.ledger.merkle` computed over the log's own ``entries(0, size)``, and the
entries themselves with what the appenders were told.
"""

from __future__ import annotations

import hashlib
import random
import struct
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from openwitness.core.errors import InvalidRequestError, NotFoundError
from openwitness.ledger import merkle
from openwitness.ledger.checkpoint import open_checkpoint
from openwitness.ledger.entry import EvidenceEntry, parse_entry
from openwitness.ledger.receipt import parse_receipt
from openwitness.ledger.store import AppendResult, TransparencyLog, _Append
from openwitness.ledger.verify import verify_receipt
from openwitness.services import Services, open_services
from openwitness.storage.models import Checkpoint as CheckpointRow


def entry_bytes(i: int, tag: str = "e") -> bytes:
    return f"{tag}-{i:05d}".encode()


def evidence(i: int) -> bytes:
    return EvidenceEntry(
        hashlib.sha256(b"file %d" % i).hexdigest(),
        1000 + i,
        "image/jpeg",
        datetime(2024, 5, 1, tzinfo=UTC) + timedelta(seconds=i),
    ).to_bytes()


def append_concurrently(
    log: TransparencyLog, entries: list[bytes], workers: int = 16
) -> list[AppendResult]:
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(log.append, entries))


def assert_checkpoint(log: TransparencyLog, size: int, entries: list[bytes]) -> None:
    note = log.checkpoint(size)
    checkpoint = open_checkpoint(note, log.signer.verifier)
    assert checkpoint.origin == log.origin == "test.openwitness.local/log"
    assert checkpoint.size == size
    assert checkpoint.root_hash == log.root(size) == merkle.root(entries[:size])


def stored_checkpoint_sizes(log: TransparencyLog, up_to: int) -> list[int]:
    sizes = []
    for size in range(up_to + 1):
        try:
            log.checkpoint(size)
        except NotFoundError:
            continue
        sizes.append(size)
    return sizes


# -- an empty log ------------------------------------------------------------------------------


def test_new_log_is_empty_with_a_signed_checkpoint(services: Services) -> None:
    log = services.log
    assert log.size() == 0
    assert log.root(0) == merkle.EMPTY_ROOT
    assert log.entries(0, 10) == []
    assert log.latest_checkpoint() == log.checkpoint(0)
    assert_checkpoint(log, 0, [])
    assert log.consistency_proof(0, 0) == []


def test_initialise_twice_keeps_the_log(services: Services) -> None:
    log = services.log
    log.append(b"first")
    note = log.latest_checkpoint()
    log.initialise()
    assert log.size() == 1
    assert log.latest_checkpoint() == note


# -- sequential appends ------------------------------------------------------------------------


@pytest.fixture
def log40(services: Services) -> tuple[TransparencyLog, list[bytes]]:
    """40 entries appended one at a time: a checkpoint for every size 0..40."""
    log = services.log
    entries = [entry_bytes(i) for i in range(40)]
    for i, entry in enumerate(entries):
        assert log.append(entry) == AppendResult(i, created=True)
    assert log.size() == 40
    return log, entries


def test_sequential_appends_store_entries_in_order(
    log40: tuple[TransparencyLog, list[bytes]],
) -> None:
    log, entries = log40
    assert log.entries(0, 40) == entries
    assert log.entries(10, 13) == entries[10:13]
    assert log.entries(38, 100) == entries[38:]
    assert log.entries(40, 50) == []


def test_every_root_and_checkpoint_matches(log40: tuple[TransparencyLog, list[bytes]]) -> None:
    log, entries = log40
    assert stored_checkpoint_sizes(log, 45) == list(range(41))
    for size in range(41):
        assert_checkpoint(log, size, entries)
    assert log.latest_checkpoint() == log.checkpoint(40)


def test_every_inclusion_proof_matches(log40: tuple[TransparencyLog, list[bytes]]) -> None:
    log, entries = log40
    stored = log.entries(0, 40)
    for size in range(1, 41):
        root = merkle.root(stored[:size])
        for index in range(size):
            proof = log.inclusion_proof(index, size)
            assert proof == merkle.inclusion_proof(stored[:size], index), (index, size)
            leaf = merkle.leaf_hash(entries[index])
            assert merkle.verify_inclusion(leaf, index, size, proof, root)


def test_every_consistency_proof_matches(log40: tuple[TransparencyLog, list[bytes]]) -> None:
    log, _ = log40
    stored = log.entries(0, 40)
    for new in range(41):
        for old in range(new + 1):
            proof = log.consistency_proof(old, new)
            assert proof == merkle.consistency_proof(stored[:new], old), (old, new)
            assert merkle.verify_consistency(
                old, new, merkle.root(stored[:old]), merkle.root(stored[:new]), proof
            )


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda log: log.inclusion_proof(0, 41), InvalidRequestError),
        (lambda log: log.inclusion_proof(40, 40), InvalidRequestError),
        (lambda log: log.inclusion_proof(5, 3), InvalidRequestError),
        (lambda log: log.inclusion_proof(-1, 10), InvalidRequestError),
        (lambda log: log.inclusion_proof(0, 0), InvalidRequestError),
        (lambda log: log.consistency_proof(0, 41), InvalidRequestError),
        (lambda log: log.consistency_proof(41, 41), InvalidRequestError),
        (lambda log: log.consistency_proof(10, 9), InvalidRequestError),
        (lambda log: log.consistency_proof(-1, 9), InvalidRequestError),
        (lambda log: log.root(41), InvalidRequestError),
        (lambda log: log.root(10**12), InvalidRequestError),
        (lambda log: log.checkpoint(41), NotFoundError),
        (lambda log: log.receipt(40), NotFoundError),
        (lambda log: log.receipt(-1), NotFoundError),
        (lambda log: log.tile(0, 0), NotFoundError),  # a full tile needs 256 entries
        (lambda log: log.tile(0, 0, 41), NotFoundError),
        (lambda log: log.tile(1, 0, 1), NotFoundError),
        (lambda log: log.tile(63, 0, 1), NotFoundError),
        (lambda log: log.entry_bundle(0), NotFoundError),
        (lambda log: log.entry_bundle(0, 41), NotFoundError),
        (lambda log: log.entry_bundle(1, 1), NotFoundError),
    ],
    ids=[
        "inclusion-size-beyond-log",
        "inclusion-index-equals-size",
        "inclusion-index-beyond-size",
        "inclusion-negative-index",
        "inclusion-size-zero",
        "consistency-new-beyond-log",
        "consistency-both-beyond-log",
        "consistency-old-after-new",
        "consistency-negative-old",
        "root-beyond-log",
        "root-far-beyond-log",
        "checkpoint-beyond-log",
        "receipt-at-size",
        "receipt-negative",
        "full-tile-of-partial-log",
        "partial-tile-too-wide",
        "level1-tile-too-early",
        "level63-tile",
        "full-bundle-of-partial-log",
        "partial-bundle-too-wide",
        "bundle-beyond-log",
    ],
)
def test_requests_beyond_the_log_are_refused(
    log40: tuple[TransparencyLog, list[bytes]],
    call: Callable[[TransparencyLog], Any],
    error: type[Exception],
) -> None:
    log, _ = log40
    with pytest.raises(error):
        call(log)


@pytest.mark.parametrize(
    "call",
    [
        lambda log: log.root(-1),
        lambda log: log.tile(0, -1, 256),
        lambda log: log.tile(0, 0, 0),
        lambda log: log.entry_bundle(-1),
        lambda log: log.entry_bundle(0, 0),
    ],
    ids=[
        "root-negative",
        "tile-negative-index",
        "tile-zero-width",
        "bundle-negative-index",
        "bundle-zero-width",
    ],
)
def test_nonsense_requests_are_refused(
    log40: tuple[TransparencyLog, list[bytes]], call: Callable[[TransparencyLog], Any]
) -> None:
    log, _ = log40
    with pytest.raises((InvalidRequestError, NotFoundError)):
        call(log)


def test_partial_tiles_and_bundles_of_a_small_log(
    log40: tuple[TransparencyLog, list[bytes]],
) -> None:
    log, entries = log40
    for width in (1, 2, 17, 39, 40):
        assert log.tile(0, 0, width) == b"".join(merkle.leaf_hash(e) for e in entries[:width])
        bundle = log.entry_bundle(0, width)
        assert bundle == b"".join(struct.pack(">H", len(e)) + e for e in entries[:width])


# -- concurrent appends ------------------------------------------------------------------------


@pytest.fixture
def log300(services: Services) -> tuple[TransparencyLog, list[bytes]]:
    """300 entries appended from 16 threads; returns the log and its entries in log order."""
    log = services.log
    entries = [entry_bytes(i, "c") for i in range(300)]
    results = append_concurrently(log, entries)
    assert all(r.created for r in results)
    assert sorted(r.index for r in results) == list(range(300))
    in_order = [b""] * 300
    for entry, result in zip(entries, results, strict=True):
        in_order[result.index] = entry
    assert log.entries(0, 300) == in_order  # each appender was told where its entry went
    return log, in_order


def test_concurrent_appends_have_no_gap_or_duplicate(
    log300: tuple[TransparencyLog, list[bytes]],
) -> None:
    log, entries = log300
    assert log.size() == 300
    assert log.root(300) == merkle.root(entries)
    assert len(set(entries)) == 300


def test_batched_checkpoints_verify(log300: tuple[TransparencyLog, list[bytes]]) -> None:
    log, entries = log300
    sizes = stored_checkpoint_sizes(log, 310)
    assert sizes[0] == 0 and sizes[-1] == 300
    assert len(sizes) < 301  # concurrent appends were committed (and signed) in batches
    for size in sizes:
        assert_checkpoint(log, size, entries)
    assert open_checkpoint(log.latest_checkpoint(), log.signer.verifier).size == 300


def test_many_proofs_match_after_concurrent_appends(
    log300: tuple[TransparencyLog, list[bytes]],
) -> None:
    log, entries = log300
    rng = random.Random(9162)
    sizes = [1, 2, 3, 255, 256, 257, 299, 300]
    pairs = [(rng.randrange(n), n) for n in sizes] + [(n - 1, n) for n in sizes]
    pairs += [(0, n) for n in sizes]
    for _ in range(150):
        size = rng.randint(1, 300)
        pairs.append((rng.randrange(size), size))
    for index, size in pairs:
        expected = merkle.inclusion_proof(entries[:size], index)
        assert log.inclusion_proof(index, size) == expected, (index, size)
    olds = [0, 1, 2, 3, 128, 255, 256, 257, 299, 300]
    pairs = [(old, new) for new in (256, 257, 300) for old in olds if old <= new]
    for _ in range(150):
        new = rng.randint(0, 300)
        pairs.append((rng.randint(0, new), new))
    for old, new in pairs:
        expected = merkle.consistency_proof(entries[:new], old)
        assert log.consistency_proof(old, new) == expected, (old, new)
    for size in [*sizes, *rng.sample(range(301), 30)]:
        assert log.root(size) == merkle.root(entries[:size]), size


def test_tiles_and_bundles(log300: tuple[TransparencyLog, list[bytes]]) -> None:
    log, entries = log300
    leaves = [merkle.leaf_hash(e) for e in entries]
    assert log.tile(0, 0) == b"".join(leaves[:256])
    assert len(log.tile(0, 0)) == 256 * 32
    for width in (1, 100, 255, 256):
        assert log.tile(0, 0, width) == b"".join(leaves[:width])
    for width in (1, 43, 44):
        assert log.tile(0, 1, width) == b"".join(leaves[256 : 256 + width])
    assert log.tile(1, 0, 1) == merkle.root(entries[:256])

    bundle = log.entry_bundle(0)
    decoded, offset = [], 0
    while offset < len(bundle):
        (length,) = struct.unpack_from(">H", bundle, offset)
        decoded.append(bundle[offset + 2 : offset + 2 + length])
        offset += 2 + length
    assert offset == len(bundle)
    assert decoded == entries[:256]
    assert log.entry_bundle(1, 44) == b"".join(
        struct.pack(">H", len(e)) + e for e in entries[256:300]
    )

    for call in (
        lambda: log.tile(0, 1),
        lambda: log.tile(0, 1, 45),
        lambda: log.tile(0, 2, 1),
        lambda: log.tile(1, 0, 2),
        lambda: log.tile(2, 0, 1),
        lambda: log.entry_bundle(1),
        lambda: log.entry_bundle(1, 45),
        lambda: log.entry_bundle(2, 1),
    ):
        with pytest.raises(NotFoundError):
            call()


def test_entries_of_the_largest_size_round_trip(services: Services) -> None:
    log = services.log
    biggest = bytes(range(256)) * 255 + bytes(range(255))
    assert len(biggest) == 0xFFFF
    assert log.append(biggest).index == 0
    assert log.entries(0, 1) == [biggest]
    assert log.entry_bundle(0, 1) == b"\xff\xff" + biggest
    with pytest.raises(InvalidRequestError):
        log.append(biggest + b"!")
    assert log.size() == 1


def test_one_batch_larger_than_an_insert_statement(services: Services) -> None:
    """A batch's rows go to the database in multi-row INSERTs of at most 1,000 rows (SQLite
    takes at most 32,766 parameters in one statement): 4,100 entries (8,000+ nodes) in one
    transaction must still give the right tree, entries and checkpoint."""
    log = services.log
    entries = [entry_bytes(i, "big") for i in range(4100)]
    results = log._append_batch([_Append(e, None, None) for e in entries])
    assert [r.index for r in results] == list(range(4100))
    assert log.entries(0, 5000) == entries
    assert stored_checkpoint_sizes(log, 4100)[-1] == 4100
    assert_checkpoint(log, 4100, entries)
    for index in (0, 999, 1000, 2047, 4099):
        assert log.inclusion_proof(index, 4100) == merkle.inclusion_proof(entries, index)


def test_checkpoint_times_read_back_the_same_way_on_every_path(services: Services) -> None:
    """The first checkpoint is written through SQLAlchemy and later ones through driver SQL:
    both must read back as the same kind of timezone-aware time."""
    before = datetime.now(UTC) - timedelta(seconds=5)
    services.log.append(b"timed")
    with services.db.read() as conn:
        times = conn.execute(select(CheckpointRow.created_at).order_by(CheckpointRow.size))
        created = [row.created_at for row in times]
    assert len(created) == 2
    for moment in created:
        aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        assert before <= aware <= datetime.now(UTC) + timedelta(seconds=5)
    assert created[0].tzinfo == created[1].tzinfo
    assert created[0] <= created[1]


def test_log_survives_reopening(services: Services) -> None:
    entries = [entry_bytes(i, "r") for i in range(13)]
    for entry in entries[:7]:
        services.log.append(entry)
    services.close()
    reopened = open_services(services.settings)
    try:
        log = reopened.log
        assert log.size() == 7
        assert log.root(7) == merkle.root(entries[:7])
        for i, entry in enumerate(entries[7:], start=7):
            assert log.append(entry).index == i  # the frontier is reloaded from storage
        assert log.root(13) == merkle.root(entries)
        assert log.inclusion_proof(9, 13) == merkle.inclusion_proof(entries, 9)
        assert log.consistency_proof(7, 13) == merkle.consistency_proof(entries, 7)
        assert_checkpoint(log, 13, entries)
    finally:
        reopened.close()


# -- receipts ----------------------------------------------------------------------------------


def test_receipts_verify_with_the_log_key(services: Services) -> None:
    log = services.log
    entries = [evidence(i) for i in range(20)]
    for entry in entries[:12]:
        log.append(entry)
    early = log.receipt(5)
    append_concurrently(log, entries[12:], workers=4)
    entries = log.entries(0, 20)
    verifier = log.signer.verifier

    verified = verify_receipt(early, verifier)
    assert (verified.index, verified.checkpoint.size) == (5, 12)
    assert verified.entry == parse_entry(entries[5])

    for index in range(20):
        receipt = log.receipt(index)
        assert receipt.entry == entries[index]
        assert receipt.index == index
        assert receipt.checkpoint == log.latest_checkpoint()
        assert list(receipt.proof) == merkle.inclusion_proof(entries, index)
        for candidate in (receipt, parse_receipt(receipt.to_text())):
            result = verify_receipt(candidate, verifier)
            assert result.index == index
            assert result.checkpoint.size == 20
            assert result.checkpoint.root_hash == merkle.root(entries)
            assert result.entry == parse_entry(entries[index])
            assert result.key == verifier


# -- dedup and atomic side effects -------------------------------------------------------------


def test_existing_lookup_short_circuits_the_append(services: Services) -> None:
    log = services.log
    log.append(b"zero")
    note = log.latest_checkpoint()
    seen: list[Any] = []

    def lookup(conn: Any) -> int:
        seen.append(conn)
        return 7

    assert log.append(b"duplicate", existing=lookup) == AppendResult(7, created=False)
    assert len(seen) == 1
    assert log.size() == 1
    assert log.entries(0, 5) == [b"zero"]
    assert log.latest_checkpoint() == note
    # A lookup that finds nothing appends as usual.
    assert log.append(b"one", existing=lambda conn: None) == AppendResult(1, created=True)
    assert log.size() == 2


def test_record_runs_with_the_index_it_gets(services: Services) -> None:
    log = services.log
    calls: list[int] = []
    results = [
        log.append(entry_bytes(i), record=lambda conn, index: calls.append(index)) for i in range(3)
    ]
    assert [r.index for r in results] == [0, 1, 2]
    assert calls == [0, 1, 2]


def test_failing_record_fails_only_its_own_append(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = services.log
    release = threading.Event()
    batches: list[list[bytes]] = []
    append_batch = log._append_batch

    def spy(batch: list[Any]) -> list[AppendResult]:
        batches.append([request.entry for request in batch])
        return append_batch(batch)

    monkeypatch.setattr(log, "_append_batch", spy)

    def hold(conn: Any, index: int) -> None:
        # Keep the sequencer busy so the requests below queue up into one batch.
        assert release.wait(10)

    class Boom(Exception):
        pass

    def explode(conn: Any, index: int) -> None:
        raise Boom(f"refused at {index}")

    last_index: dict[bytes, int] = {}

    def remember(entry: bytes) -> Callable[[Any, int], None]:
        def record(conn: Any, index: int) -> None:
            last_index[entry] = index  # a retried batch calls this again: keep the last one

        return record

    good = [entry_bytes(i, "ok") for i in range(20)]
    bad = b"bad-entry"
    with ThreadPoolExecutor(max_workers=24) as pool:
        first = pool.submit(log.append, b"holder", None, hold)
        time.sleep(0.2)
        futures = [pool.submit(log.append, e, None, remember(e)) for e in good[:10]]
        failing = pool.submit(log.append, bad, None, explode)
        futures += [pool.submit(log.append, e, None, remember(e)) for e in good[10:]]
        time.sleep(0.3)
        release.set()
        assert first.result(timeout=30) == AppendResult(0, created=True)
        results = [f.result(timeout=30) for f in futures]
        with pytest.raises(Boom, match="refused"):
            failing.result(timeout=30)

    # The bad request really shared a batch with good ones (then each was retried alone).
    assert any(bad in batch and len(batch) > 1 for batch in batches)
    assert [bad] in batches
    assert sorted(r.index for r in results) == list(range(1, 21))
    assert all(r.created for r in results)
    for entry, result in zip(good, results, strict=True):
        assert last_index[entry] == result.index
    stored = log.entries(0, 100)
    assert len(stored) == 21 == log.size()
    assert bad not in stored
    assert {stored[r.index] for r in results} == set(good)
    assert log.root(21) == merkle.root(stored)
    assert_checkpoint(log, 21, stored)


def test_failing_existing_lookup_fails_only_its_own_append(services: Services) -> None:
    log = services.log

    def broken(conn: Any) -> int | None:
        raise LookupError("lookup failed")

    with ThreadPoolExecutor(max_workers=8) as pool:
        futures = [pool.submit(log.append, entry_bytes(i)) for i in range(10)]
        failing = pool.submit(log.append, b"broken", broken)
        results = [f.result(timeout=30) for f in futures]
        with pytest.raises(LookupError):
            failing.result(timeout=30)
    assert sorted(r.index for r in results) == list(range(10))
    assert b"broken" not in log.entries(0, 20)
    assert log.size() == 10


def test_two_writers_on_one_database_keep_one_tree(services: Services) -> None:
    """Like the server and the CLI at once: each writer must notice the other's appends."""
    other = TransparencyLog(services.db, services.log.signer)
    try:
        for i in range(40):
            (services.log if i % 3 else other).append(b"interleaved-%d" % i)
        entries = services.log.entries(0, 40)
        assert entries == [b"interleaved-%d" % i for i in range(40)]
        assert services.log.root(40) == merkle.root(entries)
        for index in (0, 7, 39):
            assert other.inclusion_proof(index, 40) == merkle.inclusion_proof(entries, index)
    finally:
        other.close()


def test_bulk_tile_reads_match_tile_by_tile(sqlite_services: Services) -> None:
    """Publishing reads tiles and entry bundles 64 at a time: across a run boundary, for an
    older tree size whose last tile is partial, and from a later first tile, every one is
    what the one-tile reads (the server's tile routes) give."""
    log = sqlite_services.log
    n = 64 * 256 + 300
    log._append_batch([_Append(entry_bytes(i, "t"), None, None) for i in range(n)])
    for size in (n, 5000, 256 * 64, 1):
        for level in (0, 1):
            count = size >> (8 * level)
            expected = [
                (i, min(256, count - i * 256), log.tile(level, i, min(256, count - i * 256)))
                for i in range(-(-count // 256))
            ]
            assert list(log.tiles_from(level, 0, size)) == expected, (size, level)
            assert list(log.tiles_from(level, 3, size)) == expected[3:], (size, level)
        bundles = [
            (i, min(256, size - i * 256), log.entry_bundle(i, min(256, size - i * 256)))
            for i in range(-(-size // 256))
        ]
        assert list(log.bundles_from(0, size)) == bundles, size
    assert [w for _, w, _ in log.tiles_from(0, 63, n)] == [256, 256, 44]  # over a run boundary
    assert sum(len(b) for _, _, b in log.bundles_from(0, n)) == sum(
        2 + len(entry_bytes(i, "t")) for i in range(n)
    )
