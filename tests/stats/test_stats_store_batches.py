"""The store keeps one data file per import batch: a month re-imported into a newer batch is
counted once (from its new file, though the old file still holds its old rows), a batch file no
manifest names is swept at the end of an import, and a crashed import's staging folder is
removed by the next. Every expectation is computed here with the ``csv`` module."""

from __future__ import annotations

import csv
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import duckdb
import pytest

from openwitness.stats.service import PoliceStats
from tests.support import SHARED, require_shared

DATA = SHARED / "data" / "police-uk"
KEPT = 20  # rows of durham's revised 2019-01


def _source(force: str) -> Path:
    return require_shared(DATA / "2019-01" / f"2019-01-{force}-stop-and-search.csv")


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def _points(rows: list[dict[str, str]]) -> list[tuple[float, float]]:
    return sorted(
        (float(r["Longitude"]), float(r["Latitude"])) for r in rows
        if r["Latitude"] and r["Longitude"]
    )  # fmt: skip


def _rows_in(path: Path, force: str) -> int:
    with duckdb.connect() as con:
        found = con.execute(
            "SELECT count(*) FROM read_parquet(?) WHERE force = ? AND month = '2019-01'",
            [str(path), force],
        ).fetchone()
    assert found is not None
    return int(found[0])


@pytest.fixture(scope="module")
def reimported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Durham and Cumbria 2019-01 imported in one batch, then Durham alone revised (20 rows)."""
    base = tmp_path_factory.mktemp("reimport")
    first, revised = base / "first", base / "revised"
    first.mkdir()
    revised.mkdir()
    for force in ("durham", "cumbria"):
        shutil.copy(_source(force), first)
    text = _source("durham").read_text().splitlines(keepends=True)
    revised_file = revised / _source("durham").name
    revised_file.write_text("".join(text[: KEPT + 1]))
    stats = PoliceStats(base / "store")
    stats.import_paths([first])
    reports = stats.import_paths([revised])
    return {"stats": stats, "reports": reports, "revised": _rows(revised_file), "base": base}


def _data(stats: PoliceStats, force: str) -> Path:
    manifest = stats.store.manifest("stop-and-search", force, "2019-01")
    assert manifest is not None
    return stats.store.data_path(manifest)


def test_the_older_batch_still_holds_the_replaced_month(reimported: dict[str, Any]) -> None:
    """The situation the readers must handle: Cumbria's manifest keeps the first batch file
    alive, and that file still has all of Durham's first rows."""
    stats: PoliceStats = reimported["stats"]
    old, new = _data(stats, "cumbria"), _data(stats, "durham")
    assert old != new and old.exists() and new.exists()
    assert [(r.status, r.replaced, r.rows_imported) for r in reimported["reports"]] == [
        ("imported", True, KEPT)
    ]
    assert _rows_in(old, "durham") == len(_rows(_source("durham"))) > KEPT
    assert _rows_in(new, "durham") == KEPT


def test_a_reimported_month_is_not_counted_twice(reimported: dict[str, Any]) -> None:
    stats: PoliceStats = reimported["stats"]
    rows = reimported["revised"]
    answer = stats.disproportionality("durham", "2019-01", "2019-01")
    officer = Counter(r["Officer-defined ethnicity"] or None for r in rows)
    assert answer["searches"] == KEPT
    assert {g: answer["groups"][g]["searches"] for g in ("White", "Black", "Asian")} == {
        g: officer.get(g, 0) for g in ("White", "Black", "Asian")
    }
    assert stats.breakdowns("durham", "2019-01", "2019-01")["searches"] == KEPT
    # the map reads the rows: only those of the file Durham's manifest names
    assert sorted(stats.points("durham", "2019-01", "2019-01")) == _points(rows)
    cumbria = _rows(_source("cumbria"))
    assert sorted(stats.points("cumbria", "2019-01", "2019-01")) == _points(cumbria)


def test_sweeping_removes_a_batch_file_no_manifest_names(tmp_path: Path) -> None:
    stats = PoliceStats(tmp_path / "store")
    stats.import_paths([_source("durham")])
    named = _data(stats, "durham")
    stray = named.parent / "0123456789abcdef.parquet"  # e.g. a batch whose months were replaced
    shutil.copy(named, stray)
    older = tmp_path / "store" / "stop-and-search" / "durham" / "2019-01.0123abcd.parquet"
    shutil.copy(named, older)  # an older store's own file for the month, since replaced
    stats.import_paths([_source("cumbria")])  # sweeps at its end
    assert not stray.exists() and not older.exists()
    assert named.exists() and _data(stats, "cumbria").exists()
    durham = _rows(_source("durham"))
    assert stats.disproportionality("durham", "2019-01", "2019-01")["searches"] == len(durham)


def test_a_crashed_imports_leftovers_are_removed_by_the_next(tmp_path: Path) -> None:
    root = tmp_path / "store"
    staging = root / ".staging-0123456789ab"
    staging.mkdir(parents=True)
    (staging / "stop-and-search.parquet").write_bytes(b"PAR1 half written")
    unnamed = root / "stop-and-search" / "_batches" / "feedfacefeedface.parquet"
    unnamed.parent.mkdir(parents=True)  # moved into place, but no manifest was renamed
    unnamed.write_bytes(b"PAR1")
    stats = PoliceStats(root)
    reports = stats.import_paths([_source("durham")])
    assert [r.status for r in reports] == ["imported"]
    assert not staging.exists() and not unnamed.exists()
    assert [p.name for p in root.iterdir() if p.name.startswith(".")] == []
    batches = [p.name for p in (root / "stop-and-search" / "_batches").iterdir()]
    assert batches == [_data(stats, "durham").name]
