"""The statistics store: one Parquet file per import batch and kind, read by DuckDB.

Layout under ``$OPENWITNESS_HOME/stats``: ``<kind>/<force>/<YYYY-MM>.json`` (the manifest: what
was imported, from which file, rows read and refused, columns blank at source, the month's
counts) names its data file, ``../_batches/<token>.parquet``: one file holds a whole import
batch (up to a few hundred force-months; DuckDB costs milliseconds per file written, however
small), with ``force`` and ``month`` columns, and a month's rows are the rows of its manifest's
file with its force and month. A batch is written in full first; renaming each month's manifest
into place is the one step that makes that month visible, so a crash leaves either the old
force-month or the new one, never half of either, and a re-import replaces a month whole (a
later data.police.uk release revises months): the older file may still hold the month's old
rows, but no manifest points a reader at them. A batch file no manifest names any more is
deleted at the end of the next import. Files instead of one database file also mean the server
can read while an import runs, with no lock for readers; imports take turns (a lock on the
store's folder), so one never deletes what another is about to name.
"""

from __future__ import annotations

import contextlib
import fcntl
import glob
import json
import os
import secrets
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from openwitness.core.files import write_atomically
from openwitness.stats import population as population_tables
from openwitness.stats.errors import StatsInputError
from openwitness.stats.ingest import Checked, Loaded, check_file, load_batch
from openwitness.stats.sources import DataFile
from openwitness.stats.vocabulary import HEADERS

KINDS = tuple(HEADERS)
#: The folder of a kind's batch files (not a force: force names have no underscore).
_BATCHES = "_batches"
#: fsyncs and file checks run side by side: ext4 commits concurrent fsyncs in one journal
#: transaction, and reading/hashing releases the GIL.
_IO_THREADS = 8


def _check(file: tuple[DataFile, Path]) -> Checked | StatsInputError:
    try:
        return check_file(*file)
    except StatsInputError as exc:
        return exc


@dataclass
class FileReport:
    """What happened to one file; the JSON shape of ``witness stats import --json``."""

    file: str
    status: str  # imported | refused | skipped | population
    kind: str | None = None
    force: str | None = None
    month: str | None = None
    rows_read: int = 0
    rows_imported: int = 0
    rows_refused: int = 0
    refusals: list[dict[str, Any]] = field(default_factory=list)
    blank_columns: list[str] = field(default_factory=list)
    replaced: bool = False
    reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Manifest:
    kind: str
    force: str
    month: str
    source: str
    sha256: str
    rows_read: int
    rows_imported: int
    rows_refused: int
    refusals: list[dict[str, Any]]
    blank_columns: list[str]
    blank_counts: dict[str, int]
    imported_at: str
    data: str  # the Parquet file's name, beside the manifest
    #: accepted searches by ethnicity, [group, count] pairs (empty in older manifests)
    group_counts: dict[str, list[list[Any]]] = field(default_factory=dict)
    #: accepted searches by outcome, find, clothing, legislation, age range and gender,
    #: [value, count] pairs (empty in older manifests)
    tallies: dict[str, list[list[Any]]] = field(default_factory=dict)

    @classmethod
    def read(cls, path: Path) -> Manifest:
        return cls(**json.loads(path.read_text()))


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class StatsStore:
    """Imports files into the store and lists what it holds."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._population: tuple[tuple[int, int, int], population_tables.Population | None] | None
        self._population = None

    # -- reading ---------------------------------------------------------------------------

    def manifests(self, kind: str = "stop-and-search") -> Iterator[Manifest]:
        folder = self.root / kind
        if folder.is_dir():
            for path in sorted(folder.glob("*/*.json")):
                with contextlib.suppress(FileNotFoundError, ValueError, TypeError):
                    yield Manifest.read(path)

    def manifests_in_month(self, month: str, kind: str = "stop-and-search") -> list[Manifest]:
        """Every force's manifest for one month, without reading the other months'."""
        found = []
        for path in sorted((self.root / kind).glob(f"*/{glob.escape(month)}.json")):
            with contextlib.suppress(FileNotFoundError, ValueError, TypeError):
                found.append(Manifest.read(path))
        return found

    def manifest(self, kind: str, force: str, month: str) -> Manifest | None:
        path = self.root / kind / force / f"{month}.json"
        try:
            return Manifest.read(path)
        except (FileNotFoundError, ValueError, TypeError):
            return None

    def data_path(self, manifest: Manifest) -> Path:
        """The month's data file (a batch's, or in older stores the month's own)."""
        return Path(os.path.normpath(self.root / manifest.kind / manifest.force / manifest.data))

    def generation(self) -> str:
        """Changes whenever an import lands: the key of every cache over the store."""
        stamp = self.root / "generation"
        return stamp.read_text().strip() if stamp.exists() else "0"

    def population(self) -> population_tables.Population | None:
        """The population table, parsed once per version of its file (every answer needs it)."""
        path = self.root / "population.json"
        try:
            stat = path.stat()
        except FileNotFoundError:
            return None
        key = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
        cached = self._population
        if cached is None or cached[0] != key:
            cached = (key, population_tables.load(path))
            self._population = cached
        return cached[1]

    # -- writing ---------------------------------------------------------------------------

    def _bump(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        write_atomically(self.root / "generation", secrets.token_hex(8).encode())

    def load_population(self, name: str, path: Path) -> FileReport:
        table = population_tables.parse_population(path, name)
        self.root.mkdir(parents=True, exist_ok=True)
        write_atomically(self.root / "population.json", table.to_json().encode())
        self._bump()
        forces = len(table.counts["officer"]) or len(table.counts["self"])
        return FileReport(name, "population", rows_read=forces, rows_imported=forces)

    @contextlib.contextmanager
    def importing(self) -> Iterator[None]:
        """Hold the store for one import: imports take turns, so the staging folders of a
        crashed import can be removed first, and unnamed batch files swept at the end."""
        self.root.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.root, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            for leftover in self.root.glob(".staging-*"):
                shutil.rmtree(leftover, ignore_errors=True)
            yield
            self.sweep()
        finally:
            os.close(fd)  # releases the lock

    def sweep(self) -> list[Path]:
        """Delete data files no manifest names (replaced batches, a crash's leftovers) and
        half-written manifests; returns what went. Run under :meth:`importing`; a reader that
        finds a file gone reads the manifests again (``figures._query``)."""
        named: set[str] = set()
        for kind in KINDS:
            for path in (self.root / kind).glob("*/*.json"):
                try:
                    data = json.loads(path.read_bytes())["data"]
                except FileNotFoundError:
                    continue
                except (ValueError, KeyError, TypeError):
                    return []  # a manifest we cannot read: keep every file rather than guess
                named.add(os.path.normpath(path.parent / data))
        gone = []
        for kind in KINDS:
            folder = self.root / kind
            for stale in [*folder.glob("*/*.parquet"), *folder.glob("*/.*.tmp")]:
                if stale.suffix == ".tmp" or os.path.normpath(stale) not in named:
                    stale.unlink(missing_ok=True)
                    gone.append(stale)
        for partial in self.root.glob(".*.tmp"):  # generation or population, half-written
            partial.unlink(missing_ok=True)
            gone.append(partial)
        return gone

    def import_files(
        self, con: duckdb.DuckDBPyConnection, files: list[tuple[DataFile, Path]]
    ) -> list[FileReport | StatsInputError]:
        """Import files (of any kinds), each whole or not at all; results in the same order.

        All the files of a kind land in one Parquet file; each still gets its own manifest,
        whose rename is the one step that makes it visible. Call under :meth:`importing`."""
        keys: set[tuple[str, str, str]] = set()
        for cut, (data, _path) in enumerate(files):
            key = (data.kind, data.force, data.month)
            if key in keys:  # the same force-month twice: the later one lands after
                return [*self.import_files(con, files[:cut]), *self.import_files(con, files[cut:])]
            keys.add(key)
        results: list[FileReport | StatsInputError | None] = [None] * len(files)
        staging = self.root / f".staging-{secrets.token_hex(6)}"
        staging.mkdir(parents=True)
        try:
            with ThreadPoolExecutor(max_workers=_IO_THREADS) as pool:
                checked = list(pool.map(_check, files))
                batches: dict[str, list[tuple[int, Checked]]] = {}
                for index, outcome in enumerate(checked):
                    if isinstance(outcome, StatsInputError):
                        results[index] = outcome
                    else:
                        batches.setdefault(outcome.data.kind, []).append((index, outcome))
                for kind, batch in batches.items():
                    staged = staging / f"{kind}.parquet"
                    loaded = load_batch(con, [c for _, c in batch], staged)
                    ready = []
                    for (index, item), result in zip(batch, loaded, strict=True):
                        if isinstance(result, StatsInputError):
                            results[index] = result
                        else:
                            ready.append((index, item, result))
                    for index, report in self._land(pool, kind, staged, ready):
                        results[index] = report
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        if any(isinstance(r, FileReport) for r in results):
            self._bump()
        return [r for r in results if r is not None]

    def _land(
        self, pool: ThreadPoolExecutor, kind: str, staged: Path,
        ready: list[tuple[int, Checked, Loaded]],
    ) -> list[tuple[int, FileReport]]:  # fmt: skip
        """Make a loaded batch visible: its data file durable and in place, then each month's
        manifest."""
        if not ready:
            return []
        now = datetime.now(UTC).isoformat(timespec="seconds")
        _fsync_file(staged)
        batches = self.root / kind / _BATCHES
        batches.mkdir(parents=True, exist_ok=True)
        parquet = batches / f"{secrets.token_hex(8)}.parquet"
        os.replace(staged, parquet)
        folders = sorted({self.root / kind / item.data.force for _, item, _ in ready})
        for folder in folders:
            folder.mkdir(exist_ok=True)
        list(pool.map(_fsync_file, [batches, batches.parent, self.root]))
        manifests = []
        for _index, item, loaded in ready:
            data = item.data
            manifest = Manifest(
                kind=data.kind, force=data.force, month=data.month, source=data.name,
                sha256=item.sha256, rows_read=loaded.rows_read,
                rows_imported=loaded.rows_read - loaded.rows_refused,
                rows_refused=loaded.rows_refused, refusals=loaded.refusals,
                blank_columns=loaded.blank_columns, blank_counts=loaded.blank_counts,
                imported_at=now, data=f"../{_BATCHES}/{parquet.name}",
                group_counts=loaded.group_counts, tallies=loaded.tallies,
            )  # fmt: skip
            manifests.append(manifest)
        written = list(pool.map(self._write_manifest, manifests))
        reports = []
        for (index, item, _loaded), manifest, replaced in zip(
            ready, manifests, written, strict=True
        ):
            reports.append((index, FileReport(
                item.data.name, "imported", item.data.kind, item.data.force, item.data.month,
                manifest.rows_read, manifest.rows_imported, manifest.rows_refused,
                manifest.refusals, manifest.blank_columns, replaced=replaced,
            )))  # fmt: skip
        list(pool.map(_fsync_file, folders))
        return reports

    def _write_manifest(self, manifest: Manifest) -> bool:
        """Write and rename one manifest into place; says whether it replaced an older one."""
        path = self.root / manifest.kind / manifest.force / f"{manifest.month}.json"
        replaced = path.exists()
        write_atomically(path, json.dumps(asdict(manifest), indent=1).encode())
        return replaced


def refused(name: str, error: StatsInputError, data: DataFile | None = None) -> FileReport:
    return FileReport(
        name, "refused", data.kind if data else None, data.force if data else None,
        data.month if data else None, reason=str(error),
    )  # fmt: skip
