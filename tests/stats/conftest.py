"""The real shared police files, imported once per test session into a temporary store."""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from openwitness.stats.service import PoliceStats
from tests.support import SHARED, require_shared

POLICE = SHARED / "data" / "police-uk"
CENSUS = POLICE / "population" / "census-2011-ethnic-group-by-police-force-area.csv"


@pytest.fixture(scope="session")
def police_stats(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PoliceStats]:
    require_shared(POLICE)
    stats = PoliceStats(tmp_path_factory.mktemp("stats-home") / "stats")
    reports = stats.import_paths([POLICE])
    assert not [r for r in reports if r.status == "refused"]
    yield stats


def search_rows(force: str, months: list[str]) -> list[dict[str, str]]:
    """Rows of the published files, read with the standard csv module (the independent check)."""
    rows: list[dict[str, str]] = []
    for month in months:
        path = POLICE / month / f"{month}-{force}-stop-and-search.csv"
        if path.exists():
            with path.open(newline="", encoding="utf-8") as handle:
                rows.extend(csv.DictReader(handle))
    return rows


def census(force_name: str) -> dict[str, dict[str, int]]:
    """Residents of a force (named as in the census table) in the police and ONS groupings."""
    with CENSUS.open(newline="", encoding="utf-8-sig") as handle:
        for row in csv.DictReader(handle):
            if row["PFA16NM"] == force_name:
                value = {k: int(v) for k, v in row.items() if k != "PFA16NM"}
                break
        else:
            raise KeyError(force_name)

    def col(name: str) -> int:
        return value[f"Ethnic Group: {name}; measures: Value"]

    chinese = col("Asian/Asian British: Chinese")
    ons = {g: col(g) for g in ("White", "Black", "Asian", "Mixed", "Other")}
    police = dict(ons, Asian=ons["Asian"] - chinese, Other=ons["Other"] + chinese)
    return {"officer": police, "self": ons}


def months_of(start: str, end: str) -> list[str]:
    out, (year, month) = [], (int(start[:4]), int(start[5:]))
    while f"{year:04d}-{month:02d}" <= end:
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def tally(rows: list[dict[str, str]], column: str) -> Counter[str]:
    return Counter(row[column] for row in rows)


def files_of(pattern: str) -> list[Path]:
    return sorted(POLICE.glob(pattern))
