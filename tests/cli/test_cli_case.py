"""`witness case` as a subprocess, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from openwitness.services import Services
from tests.cli.test_cli_evidence import WITNESS
from tests.support import env_for

CASE = {
    "force": "metropolitan",
    "occurred_at": "2025-06-01T14:30:00+01:00",
    "place": "Outside Brixton station",
    "encounter_type": "stop-and-search",
    "narrative": "Searched twice in one week by the same officer.",
    "reporter_kind": "named",
    "people": [{"role": "complainant", "name": "Noor Haddad"}],
}


def test_the_case_commands(services: Services, tmp_path: Path) -> None:
    services.accounts.add_organisation("law-centre", "Law Centre")
    officer = services.officers.add("metropolitan", {"collar": "1234"}, "tester")
    env = env_for(services.settings)

    def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [WITNESS, "case", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            input=stdin,
        )

    file = tmp_path / "case.json"
    body = {
        **CASE,
        "narrative": "Noor Haddad was searched twice in one week by the same officer.",
        "allegations": [
            {"officer": officer.id, "category": "use-of-force", "due_on": "2025-07-01"}
        ],
    }
    file.write_text(json.dumps(body))
    made = run("add", str(file), "--org", "law-centre")
    assert made.returncode == 0 and "added case 1 (1 allegations)" in made.stdout, made.stderr
    again = run("add", "-", stdin=json.dumps({**CASE, "narrative": "A second stop."}))
    assert again.returncode == 0 and "added case 2" in again.stdout, again.stderr

    sealed = json.loads(run("show", "1").stdout)
    assert "Noor" not in json.dumps(sealed["people"]) and sealed["incident"]["place"]
    opened = json.loads(run("show", "1", "--personal-data").stdout)
    assert opened["people"][0]["details"] == {"name": "Noor Haddad"}

    listed = run("list", "--overdue")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines()[0] == "case\treceived\tforce\tallegations"
    assert listed.stdout.splitlines()[1].startswith("1\t") and "OVERDUE 1" in listed.stdout
    assert listed.stdout.splitlines()[-1] == "1 case in all"
    every = run("list").stdout.splitlines()
    assert [line.split("\t")[0] for line in every[1:-1]] == ["2", "1"]
    assert every[-1] == "2 cases in all"
    paged = run("list", "--limit", "1").stdout.splitlines()
    assert paged[-1] == "cases 1 to 1 shown; more: --offset 1"
    assert run("list", "--limit", "1", "--offset", "1").stdout.splitlines()[-1] == (
        "2 cases in all, 2 to 2 shown"
    )
    for option, value in (("--force", "atlantis"), ("--category", "teleportation")):
        refused = run("list", option, value)
        assert refused.returncode == 1 and "unknown" in refused.stderr, (option, refused)
        assert refused.stdout == ""
    assert "force: unknown force 'atlantis'" in run("list", "--force", "atlantis").stderr
    assert run("list", "--force", "metropolitan").stdout.splitlines()[-1] == "2 cases in all"
    searched = json.loads(run("list", "-q", "second", "--json").stdout)
    assert [item["id"] for item in searched["items"]] == [2]

    flagged = run(
        "allegation",
        "2",
        "--officer",
        str(officer.id),
        "--category",
        "individual-behaviours/overbearing-or-harassing",
    )
    assert flagged.returncode == 0, flagged.stderr
    assert "officer 1 has 1 earlier unresolved allegation(s), 1 overdue: 1" in flagged.stderr

    overdue = run("overdue")
    assert "1 overdue allegations" in overdue.stdout and "metropolitan: 1" in overdue.stdout
    closed = run(
        "outcome",
        "1",
        "status=closed",
        "final_finding=upheld",
        "final_result=reflective-practice",
        "decided_on=2025-08-01",
    )
    assert closed.returncode == 0, closed.stderr
    assert json.loads(closed.stdout)["final"]["result"] == "reflective-practice"
    assert "0 overdue allegations" in run("overdue").stdout
    bad = run("outcome", "1", "final_finding=guilty")
    assert bad.returncode == 1 and "final_finding: 'guilty' is not one of" in bad.stderr
    typo = run("outcome", "1", "verdict=upheld")
    assert typo.returncode == 1 and "verdict: Extra inputs are not permitted" in typo.stderr

    history = run("history", "1").stdout
    assert "create" in history and '"final_finding": "upheld"' in history
    assert run("assign", "2", "--org", "law-centre").returncode == 0
    person = opened["people"][0]["id"]
    erased = run("erase-person", str(person), "--reason", "court order 2025/77")
    assert erased.returncode == 0, erased.stderr
    assert "incident.narrative: 1 replaced" in erased.stdout, erased.stdout
    assert "search document of case 1 rebuilt" in erased.stdout
    after = json.loads(run("show", "1", "--personal-data").stdout)
    assert after["people"][0]["details"] is None
    assert after["incident"]["narrative"].startswith("[erased] was searched twice")
    assert json.loads(run("list", "-q", "Haddad", "--json").stdout)["items"] == []

    file.write_text("{not json")
    broken = run("add", str(file))
    assert broken.returncode == 1 and "not readable JSON" in broken.stderr
    file.write_text(json.dumps({**CASE, "force": "atlantis"}))
    unknown = run("add", str(file))
    assert unknown.returncode == 1 and "force: unknown force 'atlantis'" in unknown.stderr
    file.write_text(json.dumps({**CASE, "occurred_at": "yesterday"}))
    garbled = run("add", str(file))
    assert garbled.returncode == 1 and garbled.stderr.startswith("error: occurred_at:")
