# ruff: noqa: E501 - the CSV fixtures below are one record a line
"""`witness import` and `witness export` as subprocesses, on SQLite and PostgreSQL.

The Chicago and New York importers run here on slices of the real releases (cut from
../shared/data/complaints into tmp_path); the whole releases load in
tests/cases/test_importers.py."""

from __future__ import annotations

import csv
import gzip
import io
import json
import subprocess
import zipfile
from pathlib import Path

import pytest

from openwitness.cases.access import Viewer
from openwitness.services import Services
from tests.cli.test_cli_evidence import WITNESS
from tests.support import SHARED, env_for, require_shared

CPDP = SHARED / "data" / "complaints" / "chicago-cpdp-2018"
CCRB = SHARED / "data" / "complaints" / "nyc-ccrb-mos-2021" / "2021-03-20.zip"
ROSTER_OO = """department_id,unique_internal_identifier,first_name,last_name,middle_initial,suffix,gender,race,employment_date,birth_year,star_no,job_title,unit_id,start_date
1,OO-1,Alex,Demo,J,,M,WHITE,2010-04-01,1980,4521,Sergeant,TSG,2019-01-01
1,OO-2,Bea,Example,,,F,BLACK,2015-09-01,1990,,PC,Response,
"""
COMPLAINTS = """complaint_id,received_on,occurred_on,place,encounter_type,officer_id,category,status,recommended_finding,final_finding,final_result,decided_on,due_on
PSD-1,2024-01-10,2024-01-05,Market Street,stop-and-search,OO-1,K,closed,case-to-answer-misconduct,no-case-to-answer,reflective-practice,2024-06-01,
PSD-1,2024-01-10,2024-01-05,Market Street,stop-and-search,OO-2,use-of-force,under-investigation,,,,,2024-03-01
PSD-2,2024-02-01,,,other,OO-1,individual-behaviours/impolite-language,received,,,,,
"""


def _run(services: Services, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [WITNESS, *args],
        env=env_for(services.settings),
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_rosters_and_complaint_histories(services: Services, tmp_path: Path) -> None:
    roster, complaints = tmp_path / "roster.csv", tmp_path / "complaints.csv"
    roster.write_text(ROSTER_OO)
    complaints.write_text(COMPLAINTS)
    common = ["--force", "west-midlands", "--source", "wmp-psd"]
    dry = _run(services, "import", "roster", str(roster), *common, "--dry-run")
    assert dry.returncode == 0 and "would add 2 officers" in dry.stdout, dry.stderr
    made = _run(services, "import", "roster", str(roster), *common, "--json")
    assert json.loads(made.stdout)["added"]["officers"] == 2, made.stderr
    loaded = _run(services, "import", "complaints", str(complaints), *common)
    assert loaded.returncode == 0, loaded.stderr
    assert "added 2 complaints, 3 allegations" in loaded.stdout
    again = _run(services, "import", "complaints", str(complaints), *common)
    assert "added nothing" in again.stdout and "3 allegations" in again.stdout

    sergeant = services.officers.find("west-midlands", "4521")
    assert [o.current("rank") for o in sergeant] == ["Sergeant"]
    record = services.listings.officer_record(sergeant[0].id)
    categories = sorted(a["category"] for a in record["allegations"])
    # K, the legacy IPCC code for a PACE Code A stop/search breach, maps onto today's taxonomy
    assert categories == [
        "individual-behaviours/impolite-language",
        "police-powers/other-policies-and-procedures",
    ]
    overdue = services.listings.overdue_counts(Viewer("o", "admin"))
    assert overdue["overdue"] == 2  # due 2024-03-01, and PSD-2's default 14 days after receipt

    exported = _run(services, "export", "allegations")
    assert exported.returncode == 0 and "exported 3 allegations" in exported.stderr
    rows = list(csv.DictReader(io.StringIO(exported.stdout)))
    assert {r["final_result"] for r in rows} == {"reflective-practice", ""}
    assert "Market Street" not in exported.stdout
    lines = _run(services, "export", "allegations", "--format", "json", "--overdue").stdout
    assert len(lines.splitlines()) == 2 and json.loads(lines.splitlines()[0])["overdue"] is True


@pytest.mark.parametrize(
    ("header", "bad_row", "message"),
    [
        ("complaint_id,when", "X,2024-01-01", "missing column(s) received_on"),
        ("complaint_id,received_on", "X,yesterday", "row 3: received_on: 'yesterday' is not"),
        ("complaint_id,received_on", "X,2999-01-01", "received_on: 2999-01-01 is in the future"),
        ("complaint_id,received_on,category", "X,2024-01-01,Z", "category: unknown allegation"),
        ("complaint_id,received_on,status", "X,2024-01-01,pending", "status: 'pending' is not"),
        ("complaint_id,received_on,officer_id", "X,2024-01-01,nobody", "no officer 'nobody'"),
    ],
)
def test_a_bad_complaint_file_is_refused_whole(
    sqlite_services: Services, tmp_path: Path, header: str, bad_row: str, message: str
) -> None:
    good_row = "GOOD,2024-01-01" + "," * header.count(",", len("complaint_id,received_on"))
    bad = tmp_path / "bad.csv"
    bad.write_text(f"{header}\n{good_row}\n{bad_row}\n")
    result = _run(
        sqlite_services, "import", "complaints", str(bad), "--force", "kent", "--source", "kent-psd"
    )
    assert result.returncode == 1 and message in result.stderr, result.stderr
    with sqlite_services.db.read() as conn:  # the good row was not written either
        assert conn.exec_driver_sql("SELECT count(*) FROM complaint").scalar_one() == 0
    dry = _run(
        sqlite_services,
        "import",
        "complaints",
        str(bad),
        "--force",
        "kent",
        "--source",
        "kent-psd",
        "--dry-run",
    )
    if "missing column" not in message:
        assert dry.returncode == 0 and message in dry.stderr, dry.stderr


def test_files_that_cannot_be_read(sqlite_services: Services, tmp_path: Path) -> None:
    latin = tmp_path / "latin1.csv"
    latin.write_bytes("complaint_id,received_on,place\nX,2024-01-01,Caf\xe9\n".encode("latin-1"))
    result = _run(
        sqlite_services, "import", "complaints", str(latin), "--force", "kent", "--source", "kent"
    )
    assert result.returncode == 1 and "not UTF-8 text" in result.stderr
    missing = _run(
        sqlite_services,
        "import",
        "roster",
        str(tmp_path / "nope.csv"),
        "--force",
        "kent",
        "--source",
        "kent",
    )
    assert missing.returncode == 1 and "no such file" in missing.stderr
    unknown = _run(
        sqlite_services, "import", "roster", str(latin), "--force", "atlantis", "--source", "kent"
    )
    assert unknown.returncode == 1 and "force: unknown force 'atlantis'" in unknown.stderr
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("colour,shape\nred,round\n")
    columns = _run(
        sqlite_services, "import", "roster", str(wrong), "--force", "kent", "--source", "kent"
    )
    assert columns.returncode == 1 and "a roster needs a name" in columns.stderr


def _slice_cpdp(target: Path, accused_rows: int = 400) -> tuple[int, int, int]:
    """The first accused rows of the real release, with their complaints and officers."""
    target.mkdir()
    with gzip.open(CPDP / "complaints-accused.csv.gz", "rt", newline="") as handle:
        reader = csv.DictReader(handle)
        accused = [row for _, row in zip(range(accused_rows), reader, strict=False)]
        fields = reader.fieldnames or []
    uids = {str(int(float(r["UID"]))) for r in accused}
    crs = {r["cr_id"] for r in accused}

    def copy(name: str, keep: object) -> int:
        with (
            gzip.open(CPDP / name, "rt", newline="") as source,
            gzip.open(target / name, "wt", newline="") as out,
        ):
            reader = csv.DictReader(source)
            writer = csv.DictWriter(out, fieldnames=reader.fieldnames or [])
            writer.writeheader()
            kept = [row for row in reader if keep(row)]  # type: ignore[operator]
            writer.writerows(kept)
            return len(kept)

    with gzip.open(target / "complaints-accused.csv.gz", "wt", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=fields)
        writer.writeheader()
        writer.writerows(accused)
    officers = copy("final-profiles.csv.gz", lambda r: r["UID"] in uids)
    copy("unit-history.csv.gz", lambda r: r["UID"] and str(int(float(r["UID"]))) in uids)
    complaints = copy("complaints-complaints.csv.gz", lambda r: r["cr_id"] in crs)
    (target / "unit_reference.csv").write_bytes((CPDP / "unit_reference.csv").read_bytes())
    return officers, complaints, len(accused)


@pytest.fixture(scope="module")
def cpdp_slice(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, tuple[int, int, int]]:
    """Cut once for both databases (reading the whole release takes seconds)."""
    require_shared(CPDP / "complaints-accused.csv.gz")
    folder = tmp_path_factory.mktemp("cpdp") / "release"
    return folder, _slice_cpdp(folder)


def test_a_slice_of_the_chicago_release(
    services: Services, cpdp_slice: tuple[Path, tuple[int, int, int]]
) -> None:
    folder, (officers, complaints, allegations) = cpdp_slice
    dry = json.loads(_run(services, "import", "cpdp", str(folder), "--dry-run", "--json").stdout)
    assert dry["added"] == {
        "officers": officers,
        "identifiers": dry["added"]["identifiers"],
        "complaints": complaints,
        "allegations": allegations,
    }
    assert dry["added"]["identifiers"] >= officers
    assert services.forces.list("US") == []  # a dry run adds not even the department
    first = json.loads(_run(services, "import", "cpdp", str(folder), "--json").stdout)
    assert first["added"]["allegations"] == allegations and first["rejected"] == 0
    second = json.loads(_run(services, "import", "cpdp", str(folder), "--json").stdout)
    assert set(second["added"].values()) == {0}
    listed = _run(services, "case", "list", "--force", "us-chicago-pd", "--json")
    assert len(json.loads(listed.stdout)["items"]) == 50


def test_a_slice_of_the_new_york_release(services: Services, tmp_path: Path) -> None:
    require_shared(CCRB)
    sliced = tmp_path / "ccrb.zip"
    with zipfile.ZipFile(CCRB) as source, zipfile.ZipFile(sliced, "w") as out:
        allegations = source.read("2021-03-20_active_complaint.csv").decode().splitlines()[:300]
        officers = {line.split(",")[0] for line in allegations}
        roster = [
            line
            for line in source.read("2021-03-20_active_officer.csv").decode().splitlines()
            if line.split(",")[0] in officers
        ]
        out.writestr("2021-03-20_active_complaint.csv", "\n".join(allegations) + "\n")
        out.writestr("2021-03-20_active_officer.csv", "\n".join(roster) + "\n")
    report = json.loads(_run(services, "import", "ccrb", str(sliced), "--json").stdout)
    assert report["added"]["allegations"] == 300 and report["rejected"] == 0
    assert report["added"]["officers"] == len(officers)
    again = json.loads(_run(services, "import", "ccrb", str(sliced), "--json").stdout)
    assert again["added"]["allegations"] == 0
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"not a zip")
    failed = _run(services, "import", "ccrb", str(broken))
    assert failed.returncode == 1 and "not a zip file" in failed.stderr
