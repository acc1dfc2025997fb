"""Batched import: good and bad files read together must each land or be refused on their own.

Several real files and several broken copies go into one folder, so they are read in one batch
(one ``read_csv`` over all of them); every expectation is computed here with the ``csv`` module.
"""

from __future__ import annotations

import csv
import json
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import duckdb
import pytest

from openwitness.stats.service import PoliceStats
from openwitness.stats.vocabulary import SELF_DEFINED
from tests.support import SHARED, require_shared

DATA = SHARED / "data" / "police-uk"
GOOD = ("durham", "cumbria", "dorset")


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def _source(force: str) -> Path:
    return require_shared(DATA / "2019-01" / f"2019-01-{force}-stop-and-search.csv")


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("batch") / "in"
    folder.mkdir()
    for force in GOOD:
        shutil.copy(_source(force), folder)
    text = _source("durham").read_text()
    lines = text.splitlines(keepends=True)
    # a field count wrong on line 5 (a comma dropped)
    bad = [*lines[:4], lines[4].replace(",", "", 1), *lines[5:]]
    (folder / "2019-01-kent-stop-and-search.csv").write_text("".join(bad))
    # an Excel-mangled date on line 7
    row = lines[6].split(",")
    row[1] = "01/01/2019 10:00"
    (folder / "2019-01-essex-stop-and-search.csv").write_text(
        "".join([*lines[:6], ",".join(row), *lines[7:]])
    )
    # a date in the right shape that is not a date, line 3
    row = lines[2].split(",")
    row[1] = "2019-02-30T10:00:00+00:00"
    (folder / "2019-01-surrey-stop-and-search.csv").write_text(
        "".join([*lines[:2], ",".join(row), *lines[3:]])
    )
    # a longitude that is not a number, line 4
    row = lines[3].split(",")
    row[5] = "north"
    (folder / "2019-01-sussex-stop-and-search.csv").write_text(
        "".join([*lines[:3], ",".join(row), *lines[4:]])
    )
    # truncated: no line end
    (folder / "2019-01-norfolk-stop-and-search.csv").write_text(text[: len(text) - 30])
    # unknown words on two rows: refused alone
    row4, row9 = lines[3].split(","), lines[8].split(",")
    row4[9] = "Purple"
    row9[0] = "Boat search"
    (folder / "2019-01-suffolk-stop-and-search.csv").write_text(
        "".join([*lines[:3], ",".join(row4), *lines[4:8], ",".join(row9), *lines[9:]])
    )
    # a header only
    (folder / "2019-01-gwent-stop-and-search.csv").write_text(lines[0])
    home = tmp_path_factory.mktemp("store")
    stats = PoliceStats(home)
    reports = {r.file.split("/")[-1]: r for r in stats.import_paths([folder])}
    return {"stats": stats, "reports": reports, "home": home, "lines": lines}


def _report(imported: dict[str, Any], force: str) -> Any:
    return imported["reports"][f"2019-01-{force}-stop-and-search.csv"]


def _stored(imported: dict[str, Any], force: str) -> list[tuple[Any, ...]]:
    """The force's 2019-01 rows in the data file its manifest names (a whole batch's file)."""
    folder = imported["home"] / "stop-and-search" / force
    manifest = json.loads((folder / "2019-01.json").read_text())
    with duckdb.connect() as con:
        return con.execute(
            "SELECT line, type, officer_defined, self_defined FROM read_parquet(?) "
            "WHERE force = ? AND month = '2019-01' ORDER BY line",
            [str(folder / manifest["data"]), force],
        ).fetchall()


def test_good_files_in_a_batch_are_stored_row_for_row(imported: dict[str, Any]) -> None:
    for force in GOOD:
        rows = _rows(_source(force))
        report = _report(imported, force)
        assert (report.status, report.rows_read, report.rows_imported) == (
            "imported", len(rows), len(rows),
        )  # fmt: skip
        expected = [
            (i + 2, r["Type"] or None, r["Officer-defined ethnicity"] or None,
             r["Self-defined ethnicity"] or None)
            for i, r in enumerate(rows)
        ]  # fmt: skip
        assert _stored(imported, force) == expected


@pytest.mark.parametrize(
    ("force", "line", "field", "words"),
    [
        ("kent", 5, None, "comma-separated fields"),
        ("essex", 7, "Date", "'01/01/2019 10:00' is not in the published format"),
        ("surrey", 3, "Date", "'2019-02-30T10:00:00+00:00'"),
        ("sussex", 4, "Longitude", "'north'"),
        ("norfolk", None, None, "truncated"),
    ],
)
def test_a_broken_file_is_refused_whole_naming_line_and_field(
    imported: dict[str, Any], force: str, line: int | None, field: str | None, words: str
) -> None:
    report = _report(imported, force)
    assert report.status == "refused"
    assert words in report.reason
    if line is not None:
        assert f"line {line}" in report.reason
    if field is not None:
        assert f"field '{field}'" in report.reason
    assert not (imported["home"] / "stop-and-search" / force).exists()


def test_unknown_words_refuse_only_their_rows(imported: dict[str, Any]) -> None:
    report = _report(imported, "suffolk")
    total = len(imported["lines"]) - 1
    assert (report.status, report.rows_read, report.rows_refused, report.rows_imported) == (
        "imported", total, 2, total - 2,
    )  # fmt: skip
    assert report.refusals == [
        {"reason": "unknown officer-defined ethnicity 'Purple'", "rows": 1, "first_line": 4},
        {"reason": "unknown type 'Boat search'", "rows": 1, "first_line": 9},
    ]
    assert [line for line, *_ in _stored(imported, "suffolk")] == [
        n for n in range(2, total + 2) if n not in (4, 9)
    ]


def test_a_header_only_file_is_an_empty_month(imported: dict[str, Any]) -> None:
    report = _report(imported, "gwent")
    assert (report.status, report.rows_read) == ("imported", 0)
    assert _stored(imported, "gwent") == []


def test_counts_kept_at_import_match_the_rows(imported: dict[str, Any]) -> None:
    stats: PoliceStats = imported["stats"]
    for force in GOOD:
        rows = _rows(_source(force))
        for ethnicity, column in (("officer", "Officer-defined ethnicity"),
                                  ("self", "Self-defined ethnicity")):  # fmt: skip
            answer = stats.disproportionality(force, "2019-01", "2019-01", ethnicity)
            values = [r[column] or None for r in rows]
            if ethnicity == "self":
                values = [SELF_DEFINED.get(v) if v else None for v in values]
            expected = Counter(values)
            got = {g: answer["groups"][g]["searches"] for g in ("White", "Black", "Asian")}
            assert got == {g: expected.get(g, 0) for g in got}
            assert answer["groups"]["missing"]["searches"] == expected.get(None, 0)
            assert answer["searches"] == len(rows)


def test_the_same_month_twice_in_one_import_keeps_the_later(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    for folder in (first, second):
        folder.mkdir()
    name = "2019-01-durham-stop-and-search.csv"
    shutil.copy(_source("durham"), first / name)
    lines = _source("durham").read_text().splitlines(keepends=True)
    (second / name).write_text("".join(lines[:11]))
    stats = PoliceStats(tmp_path / "store")
    reports = stats.import_paths([first, second])
    assert [(r.status, r.rows_read, r.replaced) for r in reports] == [
        ("imported", len(lines) - 1, False), ("imported", 10, True),
    ]  # fmt: skip
    kind = tmp_path / "store" / "stop-and-search"
    assert [p.name for p in (kind / "durham").iterdir()] == ["2019-01.json"]
    assert len(list((kind / "_batches").iterdir())) == 1  # the first file's batch was swept
    assert stats.disproportionality("durham", "2019-01", "2019-01")["searches"] == 10


def test_a_batch_lands_in_one_data_file(imported: dict[str, Any]) -> None:
    kind = imported["home"] / "stop-and-search"
    named = {json.loads(p.read_text())["data"] for p in kind.glob("*/2019-01.json")}
    assert len(named) == 1
    assert [p.name for p in (kind / "_batches").iterdir()] == [Path(next(iter(named))).name]
