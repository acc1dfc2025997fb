"""Stop-and-search statistics as a service: import, coverage, disproportionality, breakdowns.

Interfaces (CLI, API, pages, reports) call this and only translate its plain-dict answers; the
dict keys are the public contract (docs/statistics.md).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import duckdb

from openwitness.core.cache import LruCache
from openwitness.stats import figures
from openwitness.stats.errors import StatsInputError, UnknownPeriodError
from openwitness.stats.sources import DataFile, walk
from openwitness.stats.store import FileReport, StatsStore, refused
from openwitness.stats.vocabulary import HEADERS

Progress = Callable[[FileReport], None]
#: Files imported together (one read, one check pass, one write): enough to amortise a
#: statement's cost over many small files, small enough to stay well inside the memory limit.
BATCH_FILES = 256
BATCH_BYTES = 32 << 20
IMPORT_WORKERS = 2


def month_range(start: str, end: str) -> list[str]:
    """Every YYYY-MM from start to end inclusive; a bad month is refused by name."""
    for value in (start, end):
        if len(value) != 7 or value[4] != "-" or not (value[:4] + value[5:]).isdigit():
            raise UnknownPeriodError(f"'{value}' is not a month (YYYY-MM)")
        if not 1 <= int(value[5:]) <= 12:
            raise UnknownPeriodError(f"'{value}' is not a month (YYYY-MM)")
    year, month = int(start[:4]), int(start[5:])
    months: list[str] = []
    while f"{year:04d}-{month:02d}" <= end:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        if len(months) > 1200:
            raise UnknownPeriodError("a period is at most 100 years")
    if not months:
        raise UnknownPeriodError(f"the period ends ({end}) before it starts ({start})")
    return months


class PoliceStats:
    """The public figures from imported data.police.uk files."""

    def __init__(self, root: Path, cache_size: int = 256) -> None:
        self.store = StatsStore(root)
        self._cache: LruCache[Any] = LruCache(cache_size)

    # -- import ----------------------------------------------------------------------------

    def import_paths(
        self, paths: Iterable[Path], progress: Progress | None = None, **limits: int
    ) -> list[FileReport]:
        """Import every file found; each file lands whole or not at all."""
        reports: list[FileReport] = []

        def record(report: FileReport) -> None:
            reports.append(report)
            if progress:
                progress(report)

        with self.store.importing(), walk(list(paths), **limits) as found:
            for name, why in found.skipped:
                record(FileReport(name, "skipped", reason=why))
            for error in found.refused:
                record(refused(error.file, error))
            for name, path in found.population:
                try:
                    record(self.store.load_population(name, path))
                except StatsInputError as exc:
                    record(refused(name, exc))
            keys = [(data.kind, data.force, data.month) for data, _path in found.data]
            # two batches at once keep both cores busy (much of a batch is single-threaded);
            # the same force-month twice must land in order, so then one at a time
            workers = IMPORT_WORKERS if len(set(keys)) == len(keys) else 1
            local = threading.local()
            connections: list[duckdb.DuckDBPyConnection] = []

            def run(batch: list[tuple[DataFile, Path]]) -> list[FileReport | StatsInputError]:
                if not hasattr(local, "con"):
                    local.con = duckdb.connect(config={
                        "threads": max(1, 2 // workers), "memory_limit": f"{512 // workers}MB",
                    })  # fmt: skip
                    local.con.execute("SET enable_progress_bar = false")  # no output of its own
                    connections.append(local.con)
                return self.store.import_files(local.con, batch)

            try:
                with ThreadPoolExecutor(max_workers=workers) as pool:
                    batches = list(_batches(found.data, workers))
                    for batch, results in zip(batches, pool.map(run, batches), strict=True):
                        for (data, _path), result in zip(batch, results, strict=True):
                            if isinstance(result, StatsInputError):
                                record(refused(data.name, result, data))
                            else:
                                record(result)
            finally:
                for con in connections:
                    con.close()
        return reports

    # -- reading ---------------------------------------------------------------------------

    def _cached(self, key: tuple[Any, ...], compute: Callable[[], Any]) -> Any:
        return self._cache.get((self.store.generation(), *key), compute)

    def forces(self) -> list[str]:
        """Forces with stop-and-search data: the coverage grid's (kept until an import), so a
        page asking several times reads the manifests once."""
        return list(self.coverage()["forces"])

    def coverage(self, kind: str = "stop-and-search") -> dict[str, Any]:
        if kind not in HEADERS:
            raise UnknownPeriodError(f"unknown kind '{kind}'")
        return self._cached(("coverage", kind), lambda: figures.coverage(self.store, kind))  # type: ignore[no-any-return]

    def disproportionality(
        self, force: str, start: str, end: str, ethnicity: str = "officer"
    ) -> dict[str, Any]:
        months = month_range(start, end)
        _check_ethnicity(ethnicity)
        return self._cached(  # type: ignore[no-any-return]
            ("disp", force, start, end, ethnicity),
            lambda: figures.disproportionality(self.store, force, months, ethnicity),
        )

    def by_force(self, month: str, ethnicity: str = "officer") -> list[dict[str, Any]]:
        month_range(month, month)
        _check_ethnicity(ethnicity)
        return self._cached(  # type: ignore[no-any-return]
            ("byforce", month, ethnicity),
            lambda: figures.by_force(self.store, month, ethnicity),
        )

    def breakdowns(self, force: str, start: str, end: str) -> dict[str, Any]:
        months = month_range(start, end)
        return self._cached(  # type: ignore[no-any-return]
            ("breakdowns", force, start, end),
            lambda: figures.breakdowns(self.store, force, months),
        )

    def monthly(self, force: str, start: str, end: str, ethnicity: str = "officer") -> list[Any]:
        months = month_range(start, end)
        _check_ethnicity(ethnicity)
        return self._cached(  # type: ignore[no-any-return]
            ("monthly", force, start, end, ethnicity),
            lambda: figures.monthly(self.store, force, months, ethnicity),
        )

    def points(self, force: str, start: str, end: str) -> list[tuple[float, float]]:
        months = month_range(start, end)
        return self._cached(  # type: ignore[no-any-return]
            ("points", force, start, end), lambda: figures.points(self.store, force, months)
        )


def _batches(
    files: list[tuple[DataFile, Path]], workers: int = IMPORT_WORKERS,
    max_files: int = BATCH_FILES, max_bytes: int = BATCH_BYTES,
) -> Iterator[list[tuple[DataFile, Path]]]:  # fmt: skip
    """Consecutive files in batches small enough to hold in memory at once, as many as a
    multiple of ``workers`` and of about equal size, so no worker waits long for the other."""
    sizes = []
    for _data, path in files:
        try:
            sizes.append(path.stat().st_size)
        except OSError:
            sizes.append(0)
    total = sum(sizes)
    count = max(1, -(-total // max_bytes), -(-len(files) // max_files))
    if total > max_bytes // 4:  # a small import is one batch: one file to write
        count = -(-count // workers) * workers
    batch: list[tuple[DataFile, Path]] = []
    done = emitted = 0
    for item, length in zip(files, sizes, strict=True):
        # cut where the running total passes the next equal share (a file goes to the batch
        # holding most of it)
        if batch and (len(batch) >= max_files or done + length / 2 > total * (emitted + 1) / count):
            yield batch
            batch, emitted = [], emitted + 1
        batch.append(item)
        done += length
    if batch:
        yield batch


def _check_ethnicity(ethnicity: str) -> None:
    if ethnicity not in ("officer", "self"):
        raise UnknownPeriodError(f"ethnicity is 'officer' or 'self', not '{ethnicity}'")
