"""Incidents through the service and the API, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json
import subprocess
from datetime import UTC, datetime, timedelta, timezone

import pytest
from fastapi.testclient import TestClient

from openwitness.app import create_app
from openwitness.cases.incidents import NewIncident
from openwitness.core.errors import InvalidRequestError
from openwitness.services import Services
from tests.cli.test_cli_evidence import WITNESS
from tests.support import ENTITLED, MEDIA, env_for, require_shared

PASSWORD = "correct horse battery staple"
PHOTO = MEDIA / "ianare__exif-samples/jpg/gps/DSCN0010.jpg"
BST = timezone(timedelta(hours=1))


def stop(**changes: object) -> NewIncident:
    fields: dict[str, object] = {
        "force_id": "metropolitan",
        "occurred_at": datetime(2025, 6, 1, 14, 30, tzinfo=BST),
        "place": "Outside Brixton station",
        "encounter_type": "stop-and-search",
        "narrative": "Stopped and searched; officer said 'who are they going to believe?'",
    }
    return NewIncident(**{**fields, **changes})  # type: ignore[arg-type]


def test_an_incident_links_evidence_and_officers(services: Services) -> None:
    require_shared(PHOTO)
    sha = services.vault.ingest_stream(io.BytesIO(PHOTO.read_bytes())).record.sha256
    officer = services.officers.add("metropolitan", {"collar": "1234"}, "tester")
    made = services.incidents.add(
        stop(evidence=(sha, sha), officers=((officer.id, "searching officer"),)),
        "tester", None, ENTITLED,
    )  # fmt: skip
    assert made.evidence == (sha,) and made.officers == ((officer.id, "searching officer"),)
    assert made.occurred_at == datetime(2025, 6, 1, 13, 30, tzinfo=UTC)  # same instant
    assert services.incidents.get(made.id) == made
    hidden = made.de_identified()
    assert hidden["month"] == "2025-06" and "narrative" not in hidden and "place" not in hidden


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"force_id": "atlantis"}, "force: unknown force"),
        ({"occurred_at": datetime(2025, 6, 1, 14, 30)}, "occurred_at: give a time zone"),
        (
            {"occurred_at": datetime.now(UTC) + timedelta(days=1)},
            "occurred_at: the time is in the future",
        ),
        ({"encounter_type": "chat"}, "encounter_type: one of"),
        ({"place": " "}, "place: 1 to 300"),
        ({"narrative": ""}, "narrative"),
        ({"latitude": 51.46}, "give both or neither"),
        ({"latitude": 95.0, "longitude": 0.0}, "latitude: must be between"),
        ({"evidence": ("0" * 64,)}, "is not in the vault"),
        ({"officers": ((99, "x"),)}, "officers: no officer 99"),
    ],
)
def test_bad_incidents_are_refused_naming_the_field(
    services: Services, changes: dict[str, object], message: str
) -> None:
    with pytest.raises(InvalidRequestError, match=message):
        services.incidents.add(stop(**changes), "tester", None, ENTITLED)
    with services.db.read() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM incident").scalar_one() == 0


def test_who_sees_what_through_the_api(services: Services) -> None:
    accounts = services.accounts
    for org in ("law-centre", "other-group"):
        accounts.add_organisation(org, org)
    accounts.create("case", PASSWORD, "caseworker", "law-centre")
    accounts.create("outsider", PASSWORD, "caseworker", "other-group")
    accounts.create("ana", PASSWORD, "analyst")
    auth = {
        u: {"Authorization": f"Bearer {accounts.create_token(u)}"}
        for u in ("case", "outsider", "ana")
    }
    body = {
        "force": "metropolitan",
        "occurred_at": "2025-06-01T14:30:00+01:00",
        "place": "Outside Brixton station",
        "encounter_type": "stop-and-search",
        "narrative": "Searched without grounds being given.",
    }
    with TestClient(create_app(services.settings)) as client:
        made = client.post("/api/v1/incidents", json=body, headers=auth["case"])
        assert made.status_code == 201, made.text
        url = f"/api/v1/incidents/{made.json()['id']}"
        full = client.get(url, headers=auth["case"]).json()
        assert full["narrative"] == body["narrative"] and full["organisation"] == "law-centre"
        analyst = client.get(url, headers=auth["ana"]).json()
        assert set(analyst) == {"id", "force", "month", "encounter_type", "evidence", "officers"}
        assert "Brixton" not in str(analyst)
        assert client.get(url, headers=auth["outsider"]).status_code == 404
        assert client.post("/api/v1/incidents", json=body, headers=auth["ana"]).status_code == 403
        future = {**body, "occurred_at": "2099-01-01T00:00:00Z"}  # in range, but to come
        refused = client.post("/api/v1/incidents", json=future, headers=auth["case"])
        assert refused.status_code == 400 and "occurred_at" in refused.json()["detail"]


def test_incidents_through_the_cli(services: Services) -> None:
    officer = services.officers.add("metropolitan", {"collar": "1234"}, "tester")
    env = env_for(services.settings)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [WITNESS, "incident", *args], env=env, capture_output=True, text=True, timeout=60
        )

    base = ["add", "--force", "metropolitan", "--place", "Brixton", "--type", "stop-and-search"]
    made = run(*base, "--at", "2025-06-01T14:30+01:00", "--narrative", "Searched.",
               "--officer", f"{officer.id}:searching officer")  # fmt: skip
    assert made.returncode == 0 and "added incident 1" in made.stdout, made.stderr
    shown = json.loads(run("show", "1").stdout)
    assert shown["occurred_at"] == "2025-06-01T13:30:00+00:00"
    assert shown["officers"] == [{"officer": officer.id, "role": "searching officer"}]
    naive = run(*base, "--at", "2025-06-01T14:30", "--narrative", "x")
    assert naive.returncode == 1 and "occurred_at: give a time zone" in naive.stderr
    garbled = run(*base, "--at", "last tuesday", "--narrative", "x")
    assert garbled.returncode == 1 and "is not a date and time" in garbled.stderr
