"""Officer records through the service, the CLI and the API, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import subprocess
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient

from openwitness.app import create_app
from openwitness.cases.history import history
from openwitness.core.errors import InvalidRequestError, NotFoundError
from openwitness.services import Services
from tests.cli.test_cli_evidence import WITNESS
from tests.support import env_for

PASSWORD = "correct horse battery staple"


def test_an_unidentified_officer_gains_a_name_and_a_new_number(services: Services) -> None:
    officers = services.officers
    officer = officers.add("metropolitan", {"collar": " ab 1234 "}, "tester", date(2024, 3, 1))
    assert officer.label == "unidentified officer, collar AB1234, metropolitan"
    officers.update(officer.id, "name", "P. Example", "tester")
    moved = officers.update(officer.id, "collar", "5678", "tester", date(2025, 1, 6))
    assert moved.current("collar") == "5678" and moved.current("name") == "P. Example"
    old = [i for i in moved.identifiers if i.kind == "collar" and i.value == "AB1234"]
    assert old[0].valid_from == date(2024, 3, 1) and old[0].valid_to == date(2025, 1, 6)
    # Found by any number ever held, however it is typed.
    assert [o.id for o in officers.find("metropolitan", "ab1234")] == [officer.id]
    assert [o.id for o in officers.find(collar="5678")] == [officer.id]
    assert officers.find("kent") == []
    actions = [c["action"] for c in history(services.db, "officer", officer.id)]
    assert actions == ["create", "set name", "set collar"]
    assert history(services.db, "officer", officer.id)[2]["before"] == {"collar": "AB1234"}


def test_merging_keeps_both_histories(services: Services) -> None:
    officers = services.officers
    first = officers.add("essex", {"collar": "1234"}, "tester")
    second = officers.add("essex", {"name": "J. Example", "warrant": "W-99"}, "tester")
    merged = officers.merge(first.id, second.id, "tester")
    assert merged.current("collar") == "1234" and merged.current("name") == "J. Example"
    assert officers.get(second.id).merged_into == first.id
    assert [o.id for o in officers.find("essex")] == [first.id]
    with pytest.raises(InvalidRequestError, match="already merged"):
        officers.merge(first.id, second.id, "tester")
    with pytest.raises(InvalidRequestError, match="was merged into"):
        officers.update(second.id, "rank", "PC", "tester")
    change = history(services.db, "officer", first.id)[-1]
    assert change["action"] == "merge" and change["before"]["merged"]["id"] == second.id


@pytest.mark.parametrize(
    ("force", "identifiers", "since", "message"),
    [
        ("atlantis", {"collar": "1234"}, None, "force: unknown force 'atlantis'"),
        ("kent", {"collar": "12-34!"}, None, "collar number '12-34!' is malformed"),
        ("kent", {"collar": "ABCDE1"}, None, "is malformed"),
        ("kent", {"rank": "PC"}, None, "at least a collar number, warrant or name"),
        ("kent", {"badge": "1"}, None, "identifier kind must be one of"),
        ("kent", {"collar": "1234"}, date.today() + timedelta(days=2), "is in the future"),
    ],
)
def test_bad_officers_are_refused_naming_the_field(
    services: Services,
    force: str,
    identifiers: dict[str, str],
    since: date | None,
    message: str,
) -> None:
    with pytest.raises(InvalidRequestError, match=message):
        services.officers.add(force, identifiers, "tester", since)
    assert services.officers.find() == []


def test_unknown_officer(services: Services) -> None:
    with pytest.raises(NotFoundError, match="no officer 42"):
        services.officers.get(42)


def test_officers_through_the_cli(services: Services) -> None:
    env = env_for(services.settings)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [WITNESS, "officer", *args], env=env, capture_output=True, text=True, timeout=60
        )

    added = run("add", "--force", "metropolitan", "--collar", "1234", "--since", "2024-05-01")
    assert added.returncode == 0, added.stderr
    assert "unidentified officer, collar 1234, metropolitan" in added.stdout
    assert run("update", "1", "collar", "9876", "--since", "2025-02-01").returncode == 0
    shown = json.loads(run("show", "1").stdout)
    assert shown["current"]["collar"] == "9876"
    assert shown["history"][0] == {
        "kind": "collar", "value": "1234", "valid_from": "2024-05-01", "valid_to": "2025-02-01",
    }  # fmt: skip
    assert [c["action"] for c in shown["changes"]] == ["create", "set collar"]
    assert shown["changes"][0]["actor"].startswith("cli:")
    assert "1\tunidentified officer, collar 9876" in run("list", "--collar", "1234").stdout
    bad = run("add", "--force", "metropolitan", "--collar", "!!")
    assert bad.returncode == 1 and "collar number '!!' is malformed" in bad.stderr
    bad_date = run("add", "--force", "kent", "--collar", "1", "--since", "yesterday")
    assert bad_date.returncode == 1 and "is not a date" in bad_date.stderr


def test_officers_through_the_api(services: Services) -> None:
    services.accounts.add_organisation("law-centre", "Law Centre")
    services.accounts.create("case", PASSWORD, "caseworker", "law-centre")
    services.accounts.create("ana", PASSWORD, "analyst")
    editor = {"Authorization": f"Bearer {services.accounts.create_token('case')}"}
    reader = {"Authorization": f"Bearer {services.accounts.create_token('ana')}"}
    with TestClient(create_app(services.settings)) as client:
        made = client.post(
            "/api/v1/officers", json={"force": "btp", "collar": "321"}, headers=editor
        )
        assert made.status_code == 201, made.text
        officer_id = made.json()["id"]
        renamed = client.post(
            f"/api/v1/officers/{officer_id}/identifiers",
            json={"kind": "name", "value": "A. Example"},
            headers=editor,
        )
        assert renamed.json()["label"] == "A. Example, collar 321, btp"
        got = client.get(f"/api/v1/officers/{officer_id}", headers=reader).json()
        assert got["changes"][0]["actor"] == "case"
        assert [o["id"] for o in client.get("/api/v1/officers?collar=321", headers=reader).json()]
        # Analysts read but never write; nobody reads without an account.
        refused = client.post(
            "/api/v1/officers", json={"force": "btp", "collar": "1"}, headers=reader
        )
        assert refused.status_code == 403
        assert client.get("/api/v1/officers").status_code == 401
        bad = client.post(
            "/api/v1/officers", json={"force": "atlantis", "collar": "1"}, headers=editor
        )
        assert bad.status_code == 400 and "unknown force" in bad.json()["detail"]
        assert client.get("/api/v1/officers/999", headers=reader).status_code == 404


def test_listing_many_officers_gives_each_its_own_identifiers(services: Services) -> None:
    made = [
        services.officers.add("kent", {"collar": str(1000 + n), "rank": "PC"}, "tester")
        for n in range(5)
    ]
    services.officers.update(made[2].id, "alias", "Smithy", "tester")
    listed = services.officers.find("kent")
    assert [o.id for o in listed] == [o.id for o in made]
    assert [o.current("collar") for o in listed] == [str(1000 + n) for n in range(5)]
    assert [o.to_dict()["aliases"] for o in listed] == [[], [], ["Smithy"], [], []]
    assert listed == [services.officers.get(o.id) for o in made]
