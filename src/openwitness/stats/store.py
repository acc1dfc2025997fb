"""The statistics store: one Parquet file per force-month and kind, read by DuckDB.

Layout under ``$OPENWITNESS_HOME/stats``: ``<kind>/<force>/<YYYY-MM>.json`` (the manifest: what
was imported, from which file, rows read and refused, columns blank at source) names its data
file ``<YYYY-MM>.<token>.parquet``. A file is imported into a new Parquet file first; renaming
its manifest into place is the one step that makes it visible, so a crash leaves either the old
force-month or the new one, never half of either, and a re-import replaces a month whole (a
later data.police.uk release revises months). Files instead of one database file also mean the
server can read while an import runs, with no lock between processes.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from openwitness.stats import population as population_tables
from openwitness.stats.errors import StatsInputError
from openwitness.stats.ingest import Checked, Loaded, check_file, load_batch
from openwitness.stats.sources import DataFile
from openwitness.stats.vocabulary import HEADERS

KINDS = tuple(HEADERS)
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

    @classmethod
    def read(cls, path: Path) -> Manifest:
        return cls(**json.loads(path.read_text()))


def _write_atomically(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


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
        return self.root / manifest.kind / manifest.force / manifest.data

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
        _write_atomically(self.root / "generation", secrets.token_hex(8).encode())

    def load_population(self, name: str, path: Path) -> FileReport:
        table = population_tables.parse_population(path, name)
        self.root.mkdir(parents=True, exist_ok=True)
        _write_atomically(self.root / "population.json", table.to_json().encode())
        self._bump()
        forces = len(table.counts["officer"]) or len(table.counts["self"])
        return FileReport(name, "population", rows_read=forces, rows_imported=forces)

    def import_file(self, con: duckdb.DuckDBPyConnection, data: DataFile, path: Path) -> FileReport:
        """Import one file whole or not at all; raises StatsInputError when it is refused."""
        result = self.import_files(con, [(data, path)])[0]
        if isinstance(result, StatsInputError):
            raise result
        return result

    def import_files(
        self, con: duckdb.DuckDBPyConnection, files: list[tuple[DataFile, Path]]
    ) -> list[FileReport | StatsInputError]:
        """Import files (of any kinds), each whole or not at all; results in the same order.

        Each file still gets its own Parquet file and manifest, and its manifest's rename is
        still the one step that makes it visible; only the work around it is shared: files are
        checked in a batch per kind, fsyncs run side by side (the file system commits them
        together), and the generation is bumped once."""
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
                    folder = staging / kind
                    folder.mkdir()
                    loaded = load_batch(con, [c for _, c in batch], folder)
                    ready = []
                    for position, ((index, item), result) in enumerate(
                        zip(batch, loaded, strict=True)
                    ):
                        if isinstance(result, StatsInputError):
                            results[index] = result
                        else:
                            ready.append((index, item, result, folder / f"{position}.parquet"))
                    for index, report in self._land(pool, ready):
                        results[index] = report
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        if any(isinstance(r, FileReport) for r in results):
            self._bump()
        return [r for r in results if r is not None]

    def _land(
        self, pool: ThreadPoolExecutor, ready: list[tuple[int, Checked, Loaded, Path]]
    ) -> list[tuple[int, FileReport]]:
        """Make loaded files visible: data durable and in place first, then each manifest."""
        if not ready:
            return []
        now = datetime.now(UTC).isoformat(timespec="seconds")
        list(pool.map(_fsync_file, [staged for *_, staged in ready]))
        placed = []
        for index, item, loaded, staged in ready:
            folder = self.root / item.data.kind / item.data.force
            folder.mkdir(parents=True, exist_ok=True)
            parquet = folder / f"{item.data.month}.{secrets.token_hex(6)}.parquet"
            os.replace(staged, parquet)
            placed.append((index, item, loaded, parquet))
        folders = sorted({parquet.parent for *_, parquet in placed})
        list(pool.map(_fsync_file, [*folders, *{f.parent for f in folders}]))
        manifests = []
        for _index, item, loaded, parquet in placed:
            data = item.data
            manifest = Manifest(
                kind=data.kind, force=data.force, month=data.month, source=data.name,
                sha256=item.sha256, rows_read=loaded.rows_read,
                rows_imported=loaded.rows_read - loaded.rows_refused,
                rows_refused=loaded.rows_refused, refusals=loaded.refusals,
                blank_columns=loaded.blank_columns, blank_counts=loaded.blank_counts,
                imported_at=now, data=parquet.name, group_counts=loaded.group_counts,
            )  # fmt: skip
            manifests.append(manifest)
        written = list(pool.map(self._write_manifest, manifests))
        keep: dict[Path, dict[str, str]] = {}
        for *_, parquet in placed:
            keep.setdefault(parquet.parent, {})[parquet.name.split(".", 1)[0]] = parquet.name
        list(pool.map(self._sweep_months, keep.items()))
        reports = []
        for (index, item, _loaded, _parquet), manifest, replaced in zip(
            placed, manifests, written, strict=True
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
        _write_atomically(path, json.dumps(asdict(manifest), indent=1).encode())
        return replaced

    @staticmethod
    def _sweep_months(folder_keep: tuple[Path, dict[str, str]]) -> None:
        """:meth:`_sweep` for several months of one folder, listing it once."""
        folder, keep = folder_keep
        for name in os.listdir(folder):
            month = name.lstrip(".").split(".", 1)[0]
            if month not in keep or name == keep[month] or name.endswith(".json"):
                continue
            if name.endswith(".parquet") or name.endswith(".tmp"):
                (folder / name).unlink(missing_ok=True)

    @staticmethod
    def _sweep(folder: Path, month: str, keep: str) -> None:
        """Remove the month's older data files (and any a crash left behind)."""
        for stale in folder.glob(f"{month}.*.parquet"):
            if stale.name != keep:
                stale.unlink(missing_ok=True)
        for partial in folder.glob(f".{month}.*.tmp"):
            partial.unlink(missing_ok=True)


def refused(name: str, error: StatsInputError, data: DataFile | None = None) -> FileReport:
    return FileReport(
        name, "refused", data.kind if data else None, data.force if data else None,
        data.month if data else None, reason=str(error),
    )  # fmt: skip
