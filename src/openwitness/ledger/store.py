"""The persistent transparency log: appends with group commit, proofs, tiles and checkpoints.

Every perfect subtree hash is stored (``log_node``), so a proof or a tile is one query of
O(log n) rows and an append writes about two rows. Appends from every thread of a process go
through one sequencer thread that commits them in batches (one fsync for many entries); appends
from other processes or servers are serialised by the lock on the ``log_head`` row (SQLite's
write lock, PostgreSQL's ``SELECT … FOR UPDATE``), so the log has one order with no gap.
"""

from __future__ import annotations

import queue
import struct
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Connection, Table, insert, select

from openwitness.core.errors import InvalidRequestError, NotFoundError
from openwitness.ledger import merkle
from openwitness.ledger.append_sql import AppendSql
from openwitness.ledger.checkpoint import Checkpoint, parse_checkpoint_text
from openwitness.ledger.note import Signer, parse_note
from openwitness.ledger.receipt import Receipt
from openwitness.storage.db import Database
from openwitness.storage.models import Checkpoint as CheckpointRow
from openwitness.storage.models import LogEntry, LogHead

TILE_WIDTH = 256
TILE_HEIGHT = 8
MAX_BATCH = 2048
#: the longest a batch waits for appending threads to queue their entries
LINGER_SECONDS = 0.002

_HEAD = LogHead.__table__.c
_CURRENT_SIZE = select(_HEAD.size).where(_HEAD.id == 1)
_INSERT_CHECKPOINT = insert(cast(Table, CheckpointRow.__table__))

#: Returns the index of an entry already logged for the same subject, or None.
ExistingLookup = Callable[[Connection], int | None]
#: Writes rows that must commit atomically with the entry at the given index.
RecordRows = Callable[[Connection, int], None]


class _Append:
    """One queued append and the outcome its caller waits for.

    The caller blocks on a plain lock that the sequencer releases: a batch wakes sixteen or
    more callers every millisecond or two, and a ``concurrent.futures.Future`` (a condition
    variable and a fresh waiter lock per call) cost a measurable share of that cycle.
    """

    __slots__ = ("_done", "_error", "_result", "entry", "existing", "record")

    def __init__(
        self, entry: bytes, existing: ExistingLookup | None, record: RecordRows | None
    ) -> None:
        self.entry = entry
        self.existing = existing
        self.record = record
        self._done = threading.Lock()
        self._done.acquire()
        self._result: AppendResult | None = None
        self._error: BaseException | None = None

    def finish(self, result: AppendResult | None, error: BaseException | None = None) -> None:
        self._result, self._error = result, error
        self._done.release()

    def wait(self) -> AppendResult:
        self._done.acquire()
        if self._error is not None:
            raise self._error
        assert self._result is not None
        return self._result


@dataclass(frozen=True)
class AppendResult:
    index: int
    created: bool  # False when the subject was already in the log


class TransparencyLog:
    """One log, identified by its origin and signed with its key."""

    def __init__(self, db: Database, signer: Signer) -> None:
        self.db = db
        self.signer = signer
        self.origin = signer.name
        self._queue: queue.SimpleQueue[_Append | None] = queue.SimpleQueue()
        self._worker: threading.Thread | None = None
        self._lock = threading.Lock()
        self._frontier_cache: tuple[int, dict[int, bytes]] = (-1, {})  # sequencer thread only
        #: threads inside append() now: how many entries the next batch may wait for
        self._callers = 0

    # -- set-up --------------------------------------------------------------------------

    def initialise(self) -> None:
        """Create the empty log and its first signed checkpoint, unless they exist."""
        with self.db.write() as conn:
            if conn.execute(select(LogHead.size)).first() is not None:
                return
            conn.execute(insert(LogHead).values(id=1, size=0, root=merkle.EMPTY_ROOT))
            self._sign(conn, 0, merkle.EMPTY_ROOT)

    # -- appends -------------------------------------------------------------------------

    def append(
        self,
        entry: bytes,
        existing: ExistingLookup | None = None,
        record: RecordRows | None = None,
    ) -> AppendResult:
        """Append ``entry`` durably (committed, with a signed checkpoint covering it).

        Blocks until the batch holding it is committed. ``existing`` and ``record`` run inside
        that transaction, under the log lock, so deduplication and related rows are atomic
        with the append.
        """
        if len(entry) > 0xFFFF:
            raise InvalidRequestError("log entries are limited to 65,535 bytes (tlog-tiles)")
        request = _Append(entry, existing, record)
        if self._worker is None:
            self._ensure_worker()
        with self._lock:
            self._callers += 1
        try:
            self._queue.put(request)
            return request.wait()
        finally:
            with self._lock:
                self._callers -= 1

    def close(self) -> None:
        with self._lock:
            if self._worker is not None:
                self._queue.put(None)
                self._worker.join()
                self._worker = None

    def _ensure_worker(self) -> None:
        with self._lock:
            if self._worker is None:
                self._worker = threading.Thread(
                    target=self._run, name="openwitness-log-sequencer", daemon=True
                )
                self._worker.start()

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            stop = False
            # Wait a moment for every thread that is appending (those the last commit has just
            # released come back within microseconds), else a batch takes only the half that
            # was queued and the other half waits for the next fsync. A lone writer never waits.
            deadline = time.monotonic() + LINGER_SECONDS
            while len(batch) < MAX_BATCH:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    left = deadline - time.monotonic()
                    if len(batch) >= self._callers or left <= 0:
                        break
                    try:
                        item = self._queue.get(timeout=min(left, 0.0002))
                    except queue.Empty:
                        continue
                if item is None:
                    stop = True
                    break
                batch.append(item)
            self._commit_batch(batch)
            if stop:
                return

    def _commit_batch(self, batch: list[_Append]) -> None:
        try:
            results = self._append_batch(batch)
        except Exception as exc:
            if len(batch) == 1:
                batch[0].finish(None, exc)
                return
            # One bad request must not sink the others: retry each on its own.
            for request in batch:
                self._commit_batch([request])
            return
        for request, result in zip(batch, results, strict=True):
            request.finish(result)

    def _append_batch(self, batch: list[_Append]) -> list[AppendResult]:
        with self.db.write() as conn, closing(conn.connection.cursor()) as cursor:
            sql = AppendSql.of(conn)
            cursor.execute(sql.lock_head)
            size = int(cast(tuple[int], cursor.fetchone())[0])
            cached_size, cached = self._frontier_cache
            # Reuse our own last frontier unless another process appended since.
            frontier = dict(cached) if cached_size == size else self._frontier(conn, size)
            entries: list[tuple[int, bytes]] = []
            nodes: list[tuple[int, int, bytes]] = []
            results: list[AppendResult] = []
            for request in batch:
                found = request.existing(conn) if request.existing else None
                if found is not None:
                    results.append(AppendResult(found, created=False))
                    continue
                index = size
                nodes.extend(_extend_frontier(frontier, index, merkle.leaf_hash(request.entry)))
                entries.append((index, request.entry))
                if request.record:
                    request.record(conn, index)
                results.append(AppendResult(index, created=True))
                size += 1
            if entries:
                root = merkle.fold_blocks([frontier[lv] for lv in sorted(frontier, reverse=True)])
                note = self.signer.sign_text(Checkpoint(self.origin, size, root).text())
                with sql.pipeline(conn):
                    for statement in sql.insert_rows("log_entry (idx, data)", entries):
                        cursor.execute(*statement)
                    for statement in sql.insert_rows("log_node (level, idx, hash)", nodes):
                        cursor.execute(*statement)
                    cursor.execute(sql.update_head, (size, root))
                    cursor.execute(sql.insert_checkpoint, (size, note, sql.timestamp(_now())))
        self._frontier_cache = (size, frontier)
        return results

    def _frontier(self, conn: Connection, size: int) -> dict[int, bytes]:
        """The perfect subtrees along the right edge of the tree: one per set bit of size."""
        keys = {(lv, (size >> lv) - 1) for lv in range(size.bit_length()) if size >> lv & 1}
        return {lv: h for (lv, _), h in self._fetch(conn, keys).items()}

    def _sign(self, conn: Connection, size: int, root: bytes) -> None:
        note = self.signer.sign_text(Checkpoint(self.origin, size, root).text())
        conn.execute(_INSERT_CHECKPOINT, {"size": size, "note": note, "created_at": _now()})

    # -- reads ---------------------------------------------------------------------------

    @staticmethod
    def _fetch(conn: Connection, keys: set[merkle.NodeKey]) -> dict[merkle.NodeKey, bytes]:
        if not keys:
            return {}
        by_level: dict[int, list[int]] = {}
        for level, idx in sorted(keys):
            by_level.setdefault(level, []).append(idx)
        # One primary-key probe per node: (level = ? AND idx IN (…)) OR …; a row-value IN over
        # (level, idx) would make SQLite scan the whole table. Every proof and append runs this,
        # and building it as an SQLAlchemy expression cost more than the query itself, so it is
        # written as driver SQL: placeholders only, every value passed as a parameter.
        mark = _mark(conn)
        clauses, params = [], []
        for level, indices in by_level.items():
            clauses.append(f"(level = {mark} AND idx IN ({', '.join([mark] * len(indices))}))")
            params += [level, *indices]
        sql = "SELECT level, idx, hash FROM log_node WHERE " + " OR ".join(clauses)  # noqa: S608
        rows = _driver_rows(conn, sql, tuple(params))
        found = {(level, idx): bytes(node) for level, idx, node in rows}
        if len(found) != len(keys):
            raise RuntimeError("log is missing stored tree nodes")  # storage corruption
        return found

    def size(self) -> int:
        with self.db.read() as conn:
            return int(conn.execute(_CURRENT_SIZE).scalar_one())

    def latest_checkpoint(self) -> str:
        with self.db.read() as conn:
            note = conn.execute(
                select(CheckpointRow.note).order_by(CheckpointRow.size.desc()).limit(1)
            ).scalar_one_or_none()
        if note is None:
            raise NotFoundError("the log has no checkpoint yet: run 'witness init'")
        return note

    def latest_size(self) -> int:
        """The tree size of the latest signed checkpoint: the default for proofs."""
        return parse_checkpoint_text(parse_note(self.latest_checkpoint()).text).size

    def checkpoint(self, size: int) -> str:
        with self.db.read() as conn:
            note = conn.execute(
                select(CheckpointRow.note).where(CheckpointRow.size == size)
            ).scalar_one_or_none()
        if note is None:
            raise NotFoundError(f"the log signed no checkpoint at size {size}")
        return note

    def _check_size(self, conn: Connection, size: int) -> None:
        current = conn.execute(_CURRENT_SIZE).scalar_one()
        if size > current:
            raise InvalidRequestError(f"size {size} is beyond the log's size {current}")

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        if not 0 <= index < size:
            raise InvalidRequestError(f"index must be in 0..size-1 (index {index}, size {size})")
        with self.db.read() as conn:
            self._check_size(conn, size)
            ranges = merkle.inclusion_ranges(index, size)
            return merkle.hashes_for_ranges(ranges, lambda keys: self._fetch(conn, keys))

    def consistency_proof(self, old: int, new: int) -> list[bytes]:
        if not 0 <= old <= new:
            raise InvalidRequestError(f"need 0 <= old <= new (old {old}, new {new})")
        with self.db.read() as conn:
            self._check_size(conn, new)
            ranges = merkle.consistency_ranges(old, new)
            return merkle.hashes_for_ranges(ranges, lambda keys: self._fetch(conn, keys))

    def root(self, size: int) -> bytes:
        if size < 0:
            raise InvalidRequestError(f"size must not be negative (size {size})")
        with self.db.read() as conn:
            self._check_size(conn, size)
            if size == 0:
                return merkle.EMPTY_ROOT
            return merkle.hashes_for_ranges([(0, size)], lambda keys: self._fetch(conn, keys))[0]

    def entries(self, start: int, end: int) -> list[bytes]:
        """Entries [start, end) in log order (fewer if the log ends before ``end``)."""
        with self.db.read() as conn:
            end = min(end, conn.execute(_CURRENT_SIZE).scalar_one())
            if start >= end:
                return []
            rows = conn.execute(
                select(LogEntry.data)
                .where(LogEntry.idx >= start, LogEntry.idx < end)
                .order_by(LogEntry.idx)
            )
            return [row.data for row in rows]

    def receipt(self, index: int) -> Receipt:
        """A tlog-proof for entry ``index`` against the latest signed checkpoint."""
        note = self.latest_checkpoint()
        size = parse_checkpoint_text(parse_note(note).text).size  # the size of *this* note
        entry = self.entries(index, index + 1)
        if not entry or index >= size:
            raise NotFoundError(f"no log entry at index {index}")
        proof = self.inclusion_proof(index, size)
        return Receipt(entry[0], index, tuple(proof), note)

    # -- tlog-tiles ----------------------------------------------------------------------

    def tile(self, level: int, index: int, width: int = TILE_WIDTH) -> bytes:
        """Tile ``index`` at tile level ``level``: hashes of tree level 8*level."""
        tree_level = level * TILE_HEIGHT
        start = index * TILE_WIDTH
        with self.db.read() as conn:
            size = conn.execute(_CURRENT_SIZE).scalar_one()
            if not _valid_tile(level, index, width) or start + width > size >> tree_level:
                raise NotFoundError("no such tile in the log yet")
            return b"".join(_node_hashes(conn, tree_level, start, start + width))

    def entry_bundle(self, index: int, width: int = TILE_WIDTH) -> bytes:
        """Entries of tile ``index``, each prefixed by its big-endian uint16 length."""
        start = index * TILE_WIDTH
        with self.db.read() as conn:
            size = conn.execute(_CURRENT_SIZE).scalar_one()
            if not _valid_tile(0, index, width) or start + width > size:
                raise NotFoundError("no such entry bundle in the log yet")
            return _bundle(_entry_data(conn, start, start + width))

    def tiles_from(self, level: int, first: int, size: int) -> Iterator[tuple[int, int, bytes]]:
        """(index, width, tile) for tiles ``first``, ``first + 1``, ... of tile level
        ``level`` in the tree of ``size`` entries, the last one partial if the tree ends
        inside it. Publishing reads every tile once, so they are read 64 at a time (one
        query each), not one query per tile."""
        tree_level = level * TILE_HEIGHT

        def read(conn: Connection, start: int, stop: int) -> list[bytes]:
            return _node_hashes(conn, tree_level, start, stop)

        for index, hashes in self._per_tile(first, size >> tree_level, read):
            yield index, len(hashes), b"".join(hashes)

    def bundles_from(self, first: int, size: int) -> Iterator[tuple[int, int, bytes]]:
        """(index, width, entry bundle) from bundle ``first`` to the end of ``size``, read
        as :meth:`tiles_from` reads tiles."""
        for index, entries in self._per_tile(first, size, _entry_data):
            yield index, len(entries), _bundle(entries)

    def _per_tile(
        self, first: int, count: int, read: Callable[[Connection, int, int], list[bytes]]
    ) -> Iterator[tuple[int, list[bytes]]]:
        """Rows ``first * 256`` to ``count - 1``, read 64 tiles' worth at a time and handed
        out a tile's worth (256, or fewer at the end) at a time: (tile index, rows)."""
        start = first * TILE_WIDTH
        while start < count:
            stop = min(count, start + _TILES_PER_READ * TILE_WIDTH)
            with self.db.read() as conn:
                rows = read(conn, start, stop)
            for offset in range(0, len(rows), TILE_WIDTH):
                yield (start + offset) // TILE_WIDTH, rows[offset : offset + TILE_WIDTH]
            start = stop


def _node_hashes(conn: Connection, tree_level: int, start: int, stop: int) -> list[bytes]:
    """The stored hashes of tree level ``tree_level``, indices ``start`` to ``stop - 1``."""
    mark = _mark(conn)
    rows = _driver_rows(
        conn,
        f"SELECT hash FROM log_node WHERE level = {mark} AND idx >= {mark} AND idx < {mark} "  # noqa: S608
        "ORDER BY idx",
        (tree_level, start, stop),
    )
    if len(rows) != stop - start:
        raise RuntimeError("log is missing stored tree nodes")  # storage corruption
    return [bytes(row[0]) for row in rows]


def _entry_data(conn: Connection, start: int, stop: int) -> list[bytes]:
    """Entries ``start`` to ``stop - 1``, in order."""
    mark = _mark(conn)
    rows = _driver_rows(
        conn,
        f"SELECT data FROM log_entry WHERE idx >= {mark} AND idx < {mark} ORDER BY idx",  # noqa: S608
        (start, stop),
    )
    if len(rows) != stop - start:
        raise RuntimeError("log is missing stored entries")  # storage corruption
    return [bytes(row[0]) for row in rows]


def _driver_rows(conn: Connection, sql: str, params: tuple[int, ...]) -> list[Any]:
    """Rows of driver SQL from the driver's own cursor: SQLAlchemy's result wrapping cost
    more than the query for the thousands of rows a proof batch or a run of tiles reads."""
    with closing(conn.connection.cursor()) as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def _mark(conn: Connection) -> str:
    """The driver's placeholder: driver SQL on the hot paths passes every value as one."""
    return "?" if conn.dialect.paramstyle == "qmark" else "%s"


def _bundle(entries: list[bytes]) -> bytes:
    """tlog-tiles entry bundle: each entry prefixed by its big-endian uint16 length."""
    return b"".join(struct.pack(">H", len(e)) + e for e in entries)


#: tiles (or entry bundles) read in one query when publishing
_TILES_PER_READ = 64


def _valid_tile(level: int, index: int, width: int) -> bool:
    return 0 <= level < 8 and index >= 0 and 1 <= width <= TILE_WIDTH


def _extend_frontier(
    frontier: dict[int, bytes], index: int, leaf: bytes
) -> list[tuple[int, int, bytes]]:
    """Add leaf ``index`` to the right edge; return every node it completes (leaf included),
    as (level, idx, hash) rows."""
    nodes = [(0, index, leaf)]
    level, position, current = 0, index, leaf
    while position & 1:
        current = merkle.node_hash(frontier.pop(level), current)
        level, position = level + 1, position >> 1
        nodes.append((level, position, current))
    frontier[level] = current
    return nodes


def _now() -> datetime:
    return datetime.now(UTC)
