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
import hashlib
import json
import os
import secrets
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from openwitness.stats import population as population_tables
from openwitness.stats.errors import StatsInputError
from openwitness.stats.ingest import check_text, load_rows
from openwitness.stats.sources import DataFile
from openwitness.stats.vocabulary import HEADERS

KINDS = tuple(HEADERS)


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


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


class StatsStore:
    """Imports files into the store and lists what it holds."""

    def __init__(self, root: Path) -> None:
        self.root = root

    # -- reading ---------------------------------------------------------------------------

    def manifests(self, kind: str = "stop-and-search") -> Iterator[Manifest]:
        folder = self.root / kind
        if folder.is_dir():
            for path in sorted(folder.glob("*/*.json")):
                with contextlib.suppress(FileNotFoundError, ValueError, TypeError):
                    yield Manifest.read(path)

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
        return population_tables.load(self.root / "population.json")

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
        lines = check_text(data, path)
        folder = self.root / data.kind / data.force
        folder.mkdir(parents=True, exist_ok=True)
        token = secrets.token_hex(6)
        parquet = folder / f"{data.month}.{token}.parquet"
        partial = folder / f".{data.month}.{token}.parquet.tmp"
        try:
            loaded = load_rows(con, data, path, lines, partial)
            _fsync_file(partial)
            os.replace(partial, parquet)
            previous = self.manifest(data.kind, data.force, data.month)
            manifest = Manifest(
                kind=data.kind, force=data.force, month=data.month, source=data.name,
                sha256=_sha256(path), rows_read=loaded.rows_read,
                rows_imported=loaded.rows_read - loaded.rows_refused,
                rows_refused=loaded.rows_refused, refusals=loaded.refusals,
                blank_columns=loaded.blank_columns, blank_counts=loaded.blank_counts,
                imported_at=datetime.now(UTC).isoformat(timespec="seconds"), data=parquet.name,
            )  # fmt: skip
            _write_atomically(
                folder / f"{data.month}.json", json.dumps(asdict(manifest), indent=1).encode()
            )
        except BaseException:
            partial.unlink(missing_ok=True)
            parquet.unlink(missing_ok=True)
            raise
        self._sweep(folder, data.month, keep=parquet.name)
        self._bump()
        return FileReport(
            data.name, "imported", data.kind, data.force, data.month, manifest.rows_read,
            manifest.rows_imported, manifest.rows_refused, manifest.refusals,
            manifest.blank_columns, replaced=previous is not None,
        )  # fmt: skip

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
