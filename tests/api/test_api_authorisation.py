"""Every API route is either declared public or tried with every role.

A new route that is in neither list fails ``test_every_route_is_classified``, so nothing
non-public can ship without an authorisation test.
"""

from __future__ import annotations

import hashlib
import io
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from openwitness.accounts.service import Role
from openwitness.app import create_app
from openwitness.cases.forms import CaseForm
from openwitness.cases.incidents import NewIncident
from openwitness.services import Services
from tests.support import ENTITLED

PASSWORD = "correct horse battery staple"

PUBLIC = {
    ("POST", "/api/v1/evidence"),  # anonymous people lodge evidence
    ("GET", "/api/v1/evidence/{sha256}"),  # public facts only, see routes/evidence.py
    ("GET", "/api/v1/evidence/{sha256}/receipt"),
    ("GET", "/api/v1/log/checkpoint"),
    ("GET", "/api/v1/log/proof/inclusion"),
    ("GET", "/api/v1/log/proof/consistency"),
    ("GET", "/api/v1/log/entries"),
    ("GET", "/api/v1/forces"),
    ("GET", "/api/v1/forces/{force_id}"),
    ("GET", "/api/v1/taxonomy"),
    ("GET", "/api/v1/stats/complaints"),  # aggregate counts, thresholds applied
    ("POST", "/api/v1/reports"),  # anyone may report (rate-limited, tests/api/test_api_reports.py)
    ("POST", "/api/v1/reports/follow-up"),  # needs the report's secret token
    ("POST", "/api/v1/session"),  # signing in (rate-limited, tests/api/test_api_session.py)
    ("GET", "/checkpoint"),
    # C2SP tlog-witness: anyone may submit; only a checkpoint signed by a followed log counts
    ("POST", "/witness/add-checkpoint"),
    ("GET", "/witness"),
    ("GET", "/tile/entries/{path}"),
    ("GET", "/tile/{level}/{path}"),
    ("GET", "/complain"),  # complaints guidance (web/routes/guidance.py)
    ("GET", "/complain/letter"),  # a blank letter: never shows a report
    ("GET", "/report/letter"),  # only the report the receipt cookie names (test_guidance.py)
    # public statistics from open police data (tests/api/test_api_stats.py)
    ("GET", "/api/v1/stats/disproportionality"),
    ("GET", "/api/v1/stats/disproportionality/by-force"),
    ("GET", "/api/v1/stats/monthly"),
    ("GET", "/api/v1/stats/breakdowns"),
    ("GET", "/api/v1/stats/coverage"),
    ("GET", "/api/v1/stats/forces"),
    # live recordings: anyone may start one; everything after needs the recording's own token
    # (403 without it, whatever the account: tests/live/test_live_api.py)
    ("POST", "/api/v1/live"),
    ("PUT", "/api/v1/live/{recording}/chunks/{seq}"),
    ("POST", "/api/v1/live/{recording}/finish"),
    ("GET", "/api/v1/live/{recording}"),
    ("GET", "/api/v1/live/{recording}/bundle"),
    ("GET", "/api/v1/live/{recording}/media"),
}

CASE = {
    "force": "kent",
    "occurred_at": "2025-01-01T10:00:00Z",
    "place": "High Street",
    "encounter_type": "other",
    "narrative": "Test",
}
#: Personal details of the case the fixture makes; no analyst response or log line may hold them
SECRETS = ("Perdita Private", "07700 900999", "perdita@example.org")


def tiny_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


PHOTO = tiny_png()

#: (method, path) -> (roles allowed, a request that is valid for an allowed role)
EVERY_ROLE = {Role.ADMIN, Role.CASEWORKER, Role.ANALYST}
EDITORS = {Role.ADMIN, Role.CASEWORKER}
ANY_ACCOUNT = set(Role)
#: a WhatsApp export the screening routes are tried with (lodged as export 1 of law-centre)
CHAT = (
    "13/01/2024, 10:00 - PC Hill: anyone got the keys?\n"
    "13/01/2024, 10:01 - PC Rowe: all muslims are terrorists and should be deported\n"
)
PROTECTED: dict[tuple[str, str], tuple[set[Role], dict[str, Any]]] = {
    ("GET", "/api/v1/officers"): (EVERY_ROLE, {}),
    ("POST", "/api/v1/officers"): (EDITORS, {"json": {"force": "kent", "collar": "1"}}),
    ("GET", "/api/v1/officers/{officer_id}"): (EVERY_ROLE, {}),
    ("POST", "/api/v1/officers/{officer_id}/identifiers"): (
        EDITORS,
        {"json": {"kind": "alias", "value": "Smithy"}},
    ),
    ("POST", "/api/v1/incidents"): (
        EDITORS,
        {
            "json": {
                "force": "kent",
                "occurred_at": "2025-01-01T10:00:00Z",
                "place": "High Street",
                "encounter_type": "other",
                "narrative": "Test",
            }
        },
    ),
    ("GET", "/api/v1/incidents/{incident_id}"): (EVERY_ROLE, {}),
    # Each editor merges a different record (a record can be merged only once).
    ("POST", "/api/v1/officers/{officer_id}/merge"): (EDITORS, {"json": {"other": "per-role"}}),
    ("GET", "/api/v1/officers/{officer_id}/record"): (EVERY_ROLE, {}),
    ("GET", "/api/v1/officers/{officer_id}/standing"): (EVERY_ROLE, {}),
    ("GET", "/api/v1/patterns/flags"): (EVERY_ROLE, {}),
    ("GET", "/api/v1/patterns/models"): (EVERY_ROLE, {}),
    ("POST", "/api/v1/officers/{officer_id}/photos"): (
        EDITORS,
        {"json": {"sha256": hashlib.sha256(PHOTO).hexdigest()}},
    ),
    ("GET", "/api/v1/cases"): (EVERY_ROLE, {}),
    ("POST", "/api/v1/cases"): (EDITORS, {"json": {**CASE, "reporter_kind": "anonymous"}}),
    ("GET", "/api/v1/cases/{case_id}"): (EVERY_ROLE, {}),
    ("GET", "/api/v1/cases/{case_id}/history"): (EDITORS, {}),
    ("POST", "/api/v1/cases/{case_id}/allegations"): (EDITORS, {"json": {"category": "other"}}),
    ("POST", "/api/v1/cases/{case_id}/people"): (
        EDITORS,
        {"json": {"role": "witness", "name": "Wren Witness"}},
    ),
    ("POST", "/api/v1/cases/{case_id}/assign"): (
        {Role.ADMIN},
        {"json": {"organisation": "law-centre"}},
    ),
    ("GET", "/api/v1/allegations"): (EVERY_ROLE, {}),
    ("GET", "/api/v1/allegations/overdue"): (EVERY_ROLE, {}),
    ("PATCH", "/api/v1/allegations/{allegation_id}"): (EDITORS, {"json": {"status": "assessed"}}),
    ("POST", "/api/v1/people/{person_id}/erase"): ({Role.ADMIN}, {"json": {"reason": "test"}}),
    ("GET", "/api/v1/export/allegations"): (EVERY_ROLE, {}),
    ("GET", "/api/v1/session"): (ANY_ACCOUNT, {}),
    ("DELETE", "/api/v1/session"): (ANY_ACCOUNT, {}),
    # screening: who sees what within an organisation is tested in test_api_screening.py
    ("POST", "/api/v1/screening/exports"): (
        {Role.ADMIN, Role.SCREENER},
        {"content": CHAT, "params": {"name": "chat.txt"}},
    ),
    ("GET", "/api/v1/screening/exports"): (ANY_ACCOUNT, {}),
    ("GET", "/api/v1/screening/exports/{export_id}"): (ANY_ACCOUNT, {}),
    ("GET", "/api/v1/screening/exports/{export_id}/messages"): (
        {Role.ADMIN, Role.CASEWORKER, Role.SCREENER},
        {},
    ),
    ("GET", "/api/v1/screening/exports/{export_id}/decisions"): (
        {Role.ADMIN, Role.CASEWORKER, Role.SCREENER},
        {},
    ),
    ("POST", "/api/v1/screening/exports/{export_id}/messages/{position}/decision"): (
        {Role.SCREENER},
        {"json": {"decision": "confirmed"}},
    ),
    ("POST", "/api/v1/imports/roster"): (
        {Role.ADMIN},
        {"content": "officer_id,collar\nK-1,901\n", "params": {"force": "kent", "source": "k"}},
    ),
    ("POST", "/api/v1/imports/complaints"): (
        {Role.ADMIN},
        {
            "content": "complaint_id,received_on\nC-1,2024-01-01\n",
            "params": {"force": "kent", "source": "k"},
        },
    ),
    ("POST", "/api/v1/forces"): (
        {Role.ADMIN},
        {"json": {"id": "us-nypd", "name": "New York City Police Department", "country": "US"}},
    ),
}


@pytest.fixture
def client(services: Services) -> Iterator[tuple[TestClient, dict[Role, str]]]:
    services.accounts.add_organisation("law-centre", "Law Centre")
    tokens = {}
    for role in Role:
        org = "law-centre" if role in (Role.CASEWORKER, Role.SCREENER) else None
        services.accounts.create(f"user-{role.value}", PASSWORD, role.value, org)
        tokens[role] = services.accounts.create_token(f"user-{role.value}")
    # A photo for the officer photo route, held by the caseworker's organisation (admins may
    # link any item).
    photo = services.vault.ingest_stream(io.BytesIO(PHOTO)).record.sha256
    services.vault.hold(photo, "law-centre")
    for collar in ("1", "2", "3"):  # officers for the officer routes to act on
        services.officers.add("kent", {"collar": collar}, "setup")
    incident = NewIncident("kent", datetime(2025, 1, 1, tzinfo=UTC), "Here", "other", "Test")
    # in the caseworker's organisation:
    services.incidents.add(incident, "setup", "law-centre", ENTITLED)
    form = CaseForm.model_validate(
        {
            **CASE,
            "narrative": "Perdita Private was searched",
            "people": [
                {
                    "role": "complainant",
                    "name": SECRETS[0],
                    "phone": SECRETS[1],
                    "email": SECRETS[2],
                }
            ],
            "allegations": [{"officer": 1, "category": "use-of-force"}],
        }
    )
    services.cases.add(form.to_new_case(), "setup", "law-centre", ENTITLED)  # case 1, person 1
    with TestClient(create_app(services.settings)) as test_client:
        yield test_client, tokens


def test_every_route_is_classified(client: tuple[TestClient, dict[Role, str]]) -> None:
    """Every operation of the API (its OpenAPI document: FastAPI no longer lists included
    routers' routes in ``app.routes``) is declared public or protected."""
    test_client, _ = client
    paths = test_client.get("/openapi.json").json()["paths"]
    routes = {(method.upper(), path) for path, operations in paths.items() for method in operations}
    assert ("POST", "/api/v1/cases") in routes and len(routes) > 40  # the check sees them all
    unclassified = routes - PUBLIC - set(PROTECTED) - OWNED
    assert not unclassified, f"declare these routes public or protected: {unclassified}"


#: routes for one account only, whatever its role: tested in test_a_job_is_its_starter_s_only
OWNED = {("GET", "/api/v1/jobs/{job_id}")}


def test_a_job_is_its_starter_s_only(
    services: Services, client: tuple[TestClient, dict[Role, str]]
) -> None:
    test_client, tokens = client
    job_id = services.jobs.create("stats.import", {"paths": []}, "user-caseworker")
    path = f"/api/v1/jobs/{job_id}"
    assert test_client.get(path).status_code == 401
    for role, token in tokens.items():
        answer = test_client.get(path, headers={"Authorization": f"Bearer {token}"})
        if role is Role.CASEWORKER:
            assert answer.status_code == 200 and answer.json()["id"] == job_id
        else:
            assert answer.status_code == 404, role  # an admin too: knowing the id is not enough
            assert answer.json()["detail"] == f"no job {job_id}"


def lodge_chat(services: Services) -> None:
    """Export 1, held by law-centre, whose message 1 is flagged."""
    folder = services.settings.home / "chat"
    folder.mkdir(exist_ok=True)
    (folder / "chat.txt").write_text(CHAT, encoding="utf-8")
    services.screening.add(folder / "chat.txt", "test", "law-centre")


@pytest.mark.parametrize(("method", "path"), sorted(PROTECTED))
def test_protected_routes_with_every_role(
    services: Services, client: tuple[TestClient, dict[Role, str]], method: str, path: str
) -> None:
    test_client, tokens = client
    allowed, request = PROTECTED[(method, path)]
    if "{export_id}" in path:
        lodge_chat(services)
    for name in ("officer_id", "incident_id", "case_id", "allegation_id", "person_id"):
        path = path.replace(f"{{{name}}}", "1")
    path = path.replace("{export_id}", "1").replace("{position}", "1")
    anonymous = test_client.request(method, path, **request)
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"] == "Bearer"
    forged = test_client.request(
        method, path, headers={"Authorization": "Bearer owt_forged"}, **request
    )
    assert forged.status_code == 401 and forged.json()["detail"] == "invalid or revoked token"
    per_role = request.get("json", {}).get("other") == "per-role"
    for role, token in tokens.items():
        if per_role:
            request = {"json": {"other": {Role.ADMIN: 2, Role.CASEWORKER: 3}.get(role, 2)}}
        response = test_client.request(
            method, path, headers={"Authorization": f"Bearer {token}"}, **request
        )
        if role in allowed:
            assert response.status_code < 300, (role, response.text)
        else:
            assert response.status_code == 403, (role, response.text)
            assert "needs the role" in response.json()["detail"]


def test_a_revoked_token_stops_working(
    services: Services, client: tuple[TestClient, dict[Role, str]]
) -> None:
    test_client, tokens = client
    services.accounts.revoke_tokens("user-admin")
    response = test_client.post(
        "/api/v1/forces",
        headers={"Authorization": f"Bearer {tokens[Role.ADMIN]}"},
        json={"id": "us-lapd", "name": "Los Angeles Police Department", "country": "US"},
    )
    assert response.status_code == 401
    assert test_client.get("/api/v1/forces/us-lapd").status_code == 404


def test_personal_data_never_reaches_analysts_or_the_logs(
    client: tuple[TestClient, dict[Role, str]], caplog: pytest.LogCaptureFixture
) -> None:
    """Every readable route, as an analyst: no complainant's details, no narrative."""
    test_client, tokens = client
    caplog.set_level(logging.DEBUG)
    analyst = {"Authorization": f"Bearer {tokens[Role.ANALYST]}"}
    caseworker = {"Authorization": f"Bearer {tokens[Role.CASEWORKER]}"}
    seen = []
    for method, path in sorted(PROTECTED):
        if method != "GET":
            continue
        for name in ("officer_id", "incident_id", "case_id", "allegation_id", "person_id"):
            path = path.replace(f"{{{name}}}", "1")
        for headers in (analyst, caseworker):
            seen.append((headers is analyst, test_client.get(path, headers=headers).text))
    caseworker_view = "".join(text for is_analyst, text in seen if not is_analyst)
    assert all(secret in caseworker_view for secret in SECRETS)  # the check can fail
    analyst_view = "".join(text for is_analyst, text in seen if is_analyst)
    exports = "".join(
        test_client.get(
            "/api/v1/export/allegations",
            params={"format": fmt},
            headers={"Authorization": f"Bearer {tokens[role]}"},
        ).text
        for role in Role
        for fmt in ("csv", "json")
    )
    assert "use-of-force" in exports  # the export holds the case's allegation
    for secret in (*SECRETS, "Perdita"):
        assert secret not in analyst_view
        assert secret not in exports  # whoever asks
        assert secret not in caplog.text
