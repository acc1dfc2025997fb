"""The force registry through the service, the CLI and the API, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from openwitness.app import create_app
from openwitness.cases.forces import UK_FORCES
from openwitness.core.errors import InvalidRequestError, NotFoundError
from openwitness.services import Services, open_services
from tests.support import SHARED, env_for

WITNESS = str(Path(sys.executable).parent / "witness")


def test_the_uk_forces_are_seeded_once(services: Services) -> None:
    forces = services.forces.list("GB")
    assert len(forces) == len(UK_FORCES) == 48
    territorial_ew = [f for f in forces if f.jurisdiction == "england-wales"]
    assert len(territorial_ew) == 43
    assert services.forces.get("metropolitan").name == "Metropolitan Police Service"
    assert services.forces.get("police-scotland").complaints_body == "PIRC"
    assert services.forces.get("psni").complaints_body == "PONI"
    assert services.forces.get("btp").kind == "national"
    again = open_services(services.settings)  # start-up seeding again adds nothing
    try:
        assert len(again.forces.list()) == 48
    finally:
        again.close()


def test_uk_force_ids_match_the_open_police_data() -> None:
    """Every force with a data.police.uk file uses the same id here (statistics join on it)."""
    month = SHARED / "data" / "police-uk" / "2019-01"
    if not month.is_dir():
        pytest.skip(f"{month} is missing")
    slugs = {
        p.name.removeprefix("2019-01-").removesuffix("-stop-and-search.csv")
        for p in month.glob("*-stop-and-search.csv")
    }
    assert len(slugs) == 44
    assert slugs <= {f.id for f in UK_FORCES}


def test_departments_of_other_countries_can_be_added(services: Services) -> None:
    added = services.forces.add("us-chicago-pd", "Chicago Police Department", "US")
    assert services.forces.get("us-chicago-pd") == added
    assert added.complaints_body is None
    assert [f.id for f in services.forces.list("US")] == ["us-chicago-pd"]


@pytest.mark.parametrize(
    ("force_id", "name", "country", "field"),
    [
        ("Bad Id", "X", "US", "force id"),
        ("us-", "X", "US", "force id"),
        ("us-nypd", "  ", "US", "force name"),
        ("us-nypd", "New York City Police Department", "usa", "force country"),
        ("metropolitan", "Another Met", "GB", "already exists"),
    ],
)
def test_bad_forces_are_refused_naming_the_field(
    services: Services, force_id: str, name: str, country: str, field: str
) -> None:
    before = len(services.forces.list())
    with pytest.raises(InvalidRequestError, match=field):
        services.forces.add(force_id, name, country)
    assert len(services.forces.list()) == before


def test_unknown_force(services: Services) -> None:
    with pytest.raises(NotFoundError, match="unknown force 'atlantis'"):
        services.forces.get("atlantis")


def test_forces_through_the_cli(services: Services) -> None:
    env = {**env_for(services.settings), "COLUMNS": "200"}  # a wide terminal: no wrapping

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([WITNESS, "force", *args], env=env, capture_output=True, text=True)

    listed = json.loads(run("list", "--json", "--country", "GB").stdout)
    assert len(listed) == 48 and any(f["id"] == "btp" for f in listed)
    added = run("add", "us-nypd", "--name", "New York City Police Department", "--country", "US")
    assert added.returncode == 0 and "added force us-nypd" in added.stdout
    refused = run("add", "us-nypd", "--name", "Again", "--country", "US")
    assert refused.returncode == 1 and "already exists" in refused.stderr
    table = run("list", "--country", "US").stdout
    assert "us-nypd" in table and "New York City Police Department" in table


def test_forces_through_the_api(services: Services) -> None:
    with TestClient(create_app(services.settings)) as client:
        every = client.get("/api/v1/forces").json()
        assert len(every) == 48
        assert client.get("/api/v1/forces?country=gb").json() == every
        met = client.get("/api/v1/forces/metropolitan").json()
        assert met == {
            "id": "metropolitan",
            "name": "Metropolitan Police Service",
            "country": "GB",
            "jurisdiction": "england-wales",
            "kind": "territorial",
            "complaints_body": "IOPC",
        }
        missing = client.get("/api/v1/forces/atlantis")
        assert missing.status_code == 404 and "unknown force" in missing.json()["detail"]
        assert client.get("/api/v1/forces?country=GBR").status_code == 422
