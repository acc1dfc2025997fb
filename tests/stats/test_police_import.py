"""Importing: bad files are refused whole, naming file, line and field, leaving nothing behind;
re-imports replace a month; zips are checked before anything is read from them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from openwitness.stats.service import PoliceStats
from tests.stats.conftest import POLICE
from tests.support import require_shared

SOURCE = POLICE / "2019-01" / "2019-01-cumbria-stop-and-search.csv"  # 119 rows, LF
NAME = "2019-01-cumbria-stop-and-search.csv"


@pytest.fixture
def stats(tmp_path: Path) -> PoliceStats:
    require_shared(SOURCE)
    return PoliceStats(tmp_path / "home" / "stats")


def lines() -> list[str]:
    return SOURCE.read_text().splitlines(keepends=True)


def write(folder: Path, text: str, name: str = NAME) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(text.encode())
    return path


def stored_files(stats: PoliceStats) -> list[str]:
    root = stats.store.root
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def only_refusal(stats: PoliceStats, path: Path) -> str:
    reports = stats.import_paths([path])
    assert [r.status for r in reports] == ["refused"], reports
    assert reports[0].reason
    return reports[0].reason


def mangled(index: int, column: int, value: str) -> str:
    rows = lines()
    fields = rows[index].rstrip("\n").split(",")
    fields[column] = value
    rows[index] = ",".join(fields) + "\n"
    return "".join(rows)


BAD_FILES = {
    "truncated": (
        lambda: "".join(lines())[:-25],
        ("truncated", "line 120"),
    ),
    "semicolons": (
        lambda: "".join(line.replace(",", ";") for line in lines()),
        ("separated by ';'", "line 1"),
    ),
    "unknown header": (
        lambda: "".join(lines()).replace("Legislation", "Power used", 1),
        ("unknown column 'Power used'", "line 1", "field 'Power used'"),
    ),
    "excel dates": (
        lambda: mangled(17, 1, "01/01/2019 22:34"),
        ("line 18", "field 'Date'", "'01/01/2019 22:34'"),
    ),
    "a short row": (
        lambda: (
            "".join(lines()[:40])
            + "Person search,2019-01-05T10:00:00+00:00\n"
            + "".join(lines()[40:])
        ),
        ("line 41", "15 comma-separated fields"),
    ),
    "coordinates": (
        lambda: mangled(5, 4, "54.8N"),
        ("line 6", "field 'Latitude'"),
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_a_bad_file_is_refused_whole_and_leaves_nothing(
    stats: PoliceStats, tmp_path: Path, case: str
) -> None:
    make, expected = BAD_FILES[case]
    path = write(tmp_path / "in", make())
    reason = only_refusal(stats, path)
    assert reason.startswith(NAME)
    for words in expected:
        assert words in reason, reason
    assert stored_files(stats) == []


def test_a_bad_file_leaves_the_earlier_import_of_its_month_in_place(
    stats: PoliceStats, tmp_path: Path
) -> None:
    stats.import_paths([SOURCE])
    before = stored_files(stats)
    only_refusal(stats, write(tmp_path / "in", mangled(3, 1, "2019-01-03 10:00")))
    assert stored_files(stats) == before
    assert stats.disproportionality("cumbria", "2019-01", "2019-01")["searches"] == 119


def test_a_file_whose_name_does_not_parse_is_refused(stats: PoliceStats, tmp_path: Path) -> None:
    text = "".join(lines())
    for name, words in (
        ("cumbria-stop-and-search.csv", "not a data.police.uk file name"),
        ("2019-13-cumbria-stop-and-search.csv", "'2019-13' in the name is not a month"),
        ("2019-01-Cumbria Police-stop-and-search.csv", "not a data.police.uk file name"),
    ):
        reason = only_refusal(stats, write(tmp_path / "in", text, name))
        assert reason.startswith(name) and words in reason
    assert stored_files(stats) == []


def test_unknown_words_refuse_their_rows_by_name(stats: PoliceStats, tmp_path: Path) -> None:
    text = mangled(10, 8, "Martian - Olympus Mons")
    text = text.replace("Male", "Mail", 1)  # an unknown gender, further down
    report = stats.import_paths([write(tmp_path / "in", text)])[0]
    assert report.status == "imported"
    reasons = {r["reason"]: r for r in report.refusals}
    assert reasons["unknown self-defined ethnicity 'Martian - Olympus Mons'"]["first_line"] == 11
    assert any(r.startswith("unknown gender 'Mail'") for r in reasons)
    assert report.rows_refused == 2 and report.rows_imported == 117
    assert stats.disproportionality("cumbria", "2019-01", "2019-01")["searches"] == 117


def test_reimporting_a_month_replaces_it(stats: PoliceStats, tmp_path: Path) -> None:
    first = stats.import_paths([SOURCE])[0]
    assert not first.replaced
    revised = write(tmp_path / "revised", "".join(lines()[:51]))  # a later release: 50 rows
    report = stats.import_paths([revised])[0]
    assert report.replaced and report.rows_imported == 50
    assert stats.disproportionality("cumbria", "2019-01", "2019-01")["searches"] == 50
    parquet = [f for f in stored_files(stats) if f.endswith(".parquet")]
    assert len(parquet) == 1  # the old month's data is gone, not added to


def test_crlf_and_lf_files_give_the_same_figures(stats: PoliceStats, tmp_path: Path) -> None:
    crlf = write(tmp_path / "crlf", "".join(line.replace("\n", "\r\n") for line in lines()))
    stats.import_paths([crlf])
    from_crlf = stats.disproportionality("cumbria", "2019-01", "2019-01")
    stats.import_paths([SOURCE])
    from_lf = stats.disproportionality("cumbria", "2019-01", "2019-01")
    assert from_crlf["groups"] == from_lf["groups"] and from_lf["searches"] == 119


def zip_of(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def test_the_monthly_zip_is_imported_streamed(stats: PoliceStats, tmp_path: Path) -> None:
    archive = zip_of(tmp_path / "2019-01.zip", {
        f"2019-01/{NAME}": SOURCE.read_bytes(),
        "2019-01/README.txt": b"hello",
    })  # fmt: skip
    reports = stats.import_paths([archive])
    assert sorted((r.status, r.file) for r in reports) == [
        ("imported", f"2019-01.zip:2019-01/{NAME}"),
        ("skipped", "2019-01.zip:2019-01/README.txt"),
    ]
    assert stats.disproportionality("cumbria", "2019-01", "2019-01")["searches"] == 119


def test_a_zip_with_an_escaping_path_is_refused_before_anything_is_read(
    stats: PoliceStats, tmp_path: Path
) -> None:
    archive = zip_of(tmp_path / "evil.zip", {
        f"2019-01/{NAME}": SOURCE.read_bytes(),
        "../../2019-02-cumbria-stop-and-search.csv": SOURCE.read_bytes(),
    })  # fmt: skip
    reason = only_refusal(stats, archive)
    assert reason.startswith("evil.zip") and "escapes" in reason and "nothing" in reason
    assert stored_files(stats) == []
    assert not (tmp_path.parent / "2019-02-cumbria-stop-and-search.csv").exists()


def test_a_zip_that_inflates_beyond_the_limit_is_refused(
    stats: PoliceStats, tmp_path: Path
) -> None:
    bomb = zip_of(tmp_path / "bomb.zip", {
        f"2019-01/{NAME}": SOURCE.read_bytes(),
        "2019-02/2019-02-cumbria-stop-and-search.csv": b"\n" * 5_000_000,
    })  # fmt: skip
    assert bomb.stat().st_size < 100_000
    reports = stats.import_paths([bomb], member_max_bytes=1_000_000, total_max_bytes=4_000_000)
    assert [r.status for r in reports] == ["refused"]
    assert "inflates" in (reports[0].reason or "") and "bomb.zip" in (reports[0].reason or "")
    assert stored_files(stats) == []


def test_a_folder_lists_what_it_skipped_and_loads_population(
    stats: PoliceStats, tmp_path: Path
) -> None:
    folder = tmp_path / "download"
    write(folder / "2019-01", SOURCE.read_text())
    (folder / "SHA256SUMS").write_text("abc  x\n")
    (folder / "notes.csv").write_text("a,b\n1,2\n")
    population = POLICE / "population" / "census-2011-ethnic-group-by-police-force-area.csv"
    (folder / "population").mkdir()
    (folder / "population" / population.name).write_bytes(population.read_bytes())
    reports = {r.file: r for r in stats.import_paths([folder])}
    assert reports["download/SHA256SUMS"].status == "skipped"
    assert reports["download/notes.csv"].status == "skipped"
    assert reports[f"download/population/{population.name}"].status == "population"
    assert reports[f"download/2019-01/{NAME}"].status == "imported"
    answer = stats.disproportionality("cumbria", "2019-01", "2019-01")
    assert answer["groups"]["White"]["population"] > 400_000


def witness(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, OPENWITNESS_HOME=str(home))
    return subprocess.run(
        [str(Path(sys.executable).parent / "witness"), "stats", *args],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip


def test_the_cli_answers_with_the_documented_keys(tmp_path: Path) -> None:
    require_shared(POLICE)
    home = tmp_path / "home"
    files = [str(POLICE / "2019-01"), str(POLICE / "population")]
    imported = witness(home, "import", *files, "--json")
    assert imported.returncode == 0, imported.stderr
    reports = json.loads(imported.stdout)
    assert {r["status"] for r in reports} == {"imported", "population", "skipped"}
    assert {"file", "rows_read", "rows_refused", "refusals", "reason"} <= set(reports[0])
    one = witness(home, "disproportionality", "--force", "essex", "--from", "2019-01", "--to",
                  "2019-01", "--ethnicity", "officer", "--json")  # fmt: skip
    answer = json.loads(one.stdout)
    assert {"force", "months", "missing_months", "searches", "groups", "rate_ratios"} <= set(answer)
    assert set(answer["groups"]["White"]) == {"searches", "population", "rate_per_1000"}
    assert {"ratio", "ci95", "bounds"} <= set(answer["rate_ratios"]["Black"])
    every = witness(home, "disproportionality", "--month", "2019-01", "--by", "force", "--json")
    assert len(json.loads(every.stdout)) == 44
    grid = witness(home, "coverage")
    assert grid.returncode == 0 and "essex" in grid.stdout and "■" in grid.stdout
    bad = witness(home, "disproportionality", "--force", "essex", "--from", "2019-13")
    assert bad.returncode == 1 and "'2019-13' is not a month" in bad.stderr
    assert "Traceback" not in bad.stderr
    refused = witness(home, "import", str(tmp_path / "nothing-here.csv"))
    assert refused.returncode == 1 and "no such file" in refused.stderr


def test_a_folder_whose_name_looks_like_a_pattern_is_read_as_a_name(
    stats: PoliceStats, tmp_path: Path
) -> None:
    """DuckDB would read '[1]' or '*' in a path as a glob pattern."""
    folder = tmp_path / "downloads [1] *"
    path = write(folder, SOURCE.read_text())
    (tmp_path / "downloads 1 x").mkdir()  # what the pattern would also match
    report = stats.import_paths([path])[0]
    assert (report.status, report.rows_imported) == ("imported", 119)
    assert stats.disproportionality("cumbria", "2019-01", "2019-01")["searches"] == 119
