"""Knowing a vault item's hash (public in the log) never grants access to it.

Reproduces the cross-organisation leak found when the platform was attacked: a caseworker of
another organisation cited a photo's public hash in a new case, or linked it as an officer's
photo, and could then download it and read its GPS position and device on the case page.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert

from openwitness.app import create_app
from openwitness.cases.complaints import NewCase
from openwitness.cases.incidents import NewIncident
from openwitness.services import Services
from openwitness.storage.models import IncidentEvidence, OfficerPhoto
from tests.api.test_api_session import CASE
from tests.support import ENTITLED, MEDIA, require_shared

PASSWORD = "correct horse battery staple"
GPS_PHOTO = MEDIA / "ianare__exif-samples/jpg/gps/DSCN0010.jpg"
OTHER_PHOTO = MEDIA / "ianare__exif-samples/jpg/Canon_40D.jpg"
CASE_TIME = datetime(2025, 1, 1, 10, 0, tzinfo=UTC)
REPORT = {**CASE, "narrative": "Stopped and searched outside the station."}


@dataclass
class World:
    client: TestClient
    services: Services
    auth_a: dict[str, str]
    auth_b: dict[str, str]
    photo: str  # organisation A's photo, with GPS
    case_a: int


@pytest.fixture
def world(services: Services) -> Iterator[World]:
    require_shared(GPS_PHOTO)
    for org in ("org-a", "org-b"):
        services.accounts.add_organisation(org, org.upper())
        services.accounts.create(f"worker-{org}", PASSWORD, "caseworker", org)
    auth_a = {"Authorization": f"Bearer {services.accounts.create_token('worker-org-a')}"}
    auth_b = {"Authorization": f"Bearer {services.accounts.create_token('worker-org-b')}"}
    with TestClient(create_app(services.settings), base_url="https://testserver") as client:
        lodged = client.post("/api/v1/evidence", content=GPS_PHOTO.read_bytes(), headers=auth_a)
        assert lodged.status_code == 201, lodged.text
        photo = lodged.json()["evidence"]["sha256"]
        made = client.post("/api/v1/cases", json={**CASE, "evidence": [photo]}, headers=auth_a)
        assert made.status_code == 201, made.text  # the uploader's organisation may link it
        yield World(client, services, auth_a, auth_b, photo, made.json()["id"])


def _count(services: Services, table: str) -> int:
    with services.db.read() as conn:
        return int(conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar_one())


def _sign_in(client: TestClient, username: str) -> None:
    signed_in = client.post("/api/v1/session", json={"username": username, "password": PASSWORD})
    assert signed_in.status_code == 200, signed_in.text


def test_another_organisation_cannot_link_an_item_by_its_hash(world: World) -> None:
    client, photo = world.client, world.photo
    cases_before = _count(world.services, "complaint")
    cited = client.post("/api/v1/cases", json={**CASE, "evidence": [photo]}, headers=world.auth_b)
    assert cited.status_code == 403, cited.text
    assert "not lodged by you or your organisation" in cited.json()["detail"]
    forged = client.post(
        "/api/v1/cases",
        json={**CASE, "evidence": [photo], "evidence_claims": ["owc_guessed"]},
        headers=world.auth_b,
    )
    assert forged.status_code == 403
    fields = {k: v for k, v in CASE.items() if k != "reporter_kind"}
    incident = client.post(
        "/api/v1/incidents", json={**fields, "evidence": [photo]}, headers=world.auth_b
    )
    assert incident.status_code == 403
    assert _count(world.services, "complaint") == cases_before  # nothing half-written

    officer = world.services.officers.add("kent", {"collar": "4321"}, "setup")
    as_photo = client.post(
        f"/api/v1/officers/{officer.id}/photos", json={"sha256": photo}, headers=world.auth_b
    )
    assert as_photo.status_code == 403, as_photo.text
    assert world.services.officers.get(officer.id).photos == ()


def test_a_public_report_may_link_only_its_own_uploads(world: World) -> None:
    client = world.client
    stolen = client.post("/api/v1/reports", json={**REPORT, "evidence": [world.photo]})
    assert stolen.status_code == 403, stolen.text

    require_shared(OTHER_PHOTO)
    own = client.post("/api/v1/evidence", content=OTHER_PHOTO.read_bytes())
    assert own.status_code == 201, own.text
    sha, claim = own.json()["evidence"]["sha256"], own.json()["claim"]
    # Another item's claim does not open A's photo.
    mixed = {**REPORT, "evidence": [sha, world.photo], "evidence_claims": [claim]}
    assert client.post("/api/v1/reports", json=mixed).status_code == 403
    made = client.post(
        "/api/v1/reports", json={**REPORT, "evidence": [sha], "evidence_claims": [claim]}
    )
    assert made.status_code == 201, made.text
    assert [item["sha256"] for item in made.json()["receipt"]["items"]] == [sha]
    # A claim is spent once used: a second report cannot reuse it.
    again = client.post(
        "/api/v1/reports", json={**REPORT, "evidence": [sha], "evidence_claims": [claim]}
    )
    assert again.status_code == 403


def test_footage_and_metadata_need_the_item_itself_not_only_the_case(world: World) -> None:
    """Even where a link exists (written before links were checked), another organisation's
    caseworker gets neither the bytes nor the metadata."""
    services, client, photo = world.services, world.client, world.photo
    incident = NewIncident("kent", CASE_TIME, "High Street", "other", "B's case")
    case_b, _ = services.cases.add(NewCase(incident, "anonymous"), "setup", "org-b", ENTITLED)
    officer = services.officers.add("kent", {"collar": "777"}, "setup")
    with services.db.write() as conn:  # the links today's main let B make
        conn.execute(insert(IncidentEvidence).values(incident_id=case_b.incident.id, sha256=photo))
        conn.execute(
            insert(OfficerPhoto).values(
                officer_id=officer.id, sha256=photo, added_at=CASE_TIME, added_by="worker-org-b"
            )
        )

    _sign_in(client, "worker-org-b")
    page = client.get(f"/cases/{case_b.id}")
    assert page.status_code == 200, page.text
    for personal in ("NIKON", "COOLPIX", "gps", "GPS"):
        assert personal not in page.text
    assert client.get(f"/cases/{case_b.id}/evidence/{photo}").status_code == 404
    assert client.get(f"/officers/{officer.id}/photos/{photo}").status_code == 404
    assert f"/photos/{photo}" not in client.get(f"/officers/{officer.id}").text

    _sign_in(client, "worker-org-a")  # the holder still sees all of it
    assert client.get(f"/cases/{world.case_a}/evidence/{photo}").status_code == 200
    assert "NIKON" in client.get(f"/cases/{world.case_a}").text
    assert client.get(f"/officers/{officer.id}/photos/{photo}").status_code == 200
