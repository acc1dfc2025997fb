"""Every API route is either declared public or tried with every role.

A new route that is in neither list fails ``test_every_route_is_classified``, so nothing
non-public can ship without an authorisation test.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from openwitness.accounts.service import Role
from openwitness.api.app import create_app
from openwitness.cases.incidents import NewIncident
from openwitness.services import Services

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
    ("GET", "/checkpoint"),
    ("GET", "/tile/entries/{path}"),
    ("GET", "/tile/{level}/{path}"),
}

#: (method, path) -> (roles allowed, a request that is valid for an allowed role)
EVERY_ROLE = {Role.ADMIN, Role.CASEWORKER, Role.ANALYST}
EDITORS = {Role.ADMIN, Role.CASEWORKER}
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
        org = "law-centre" if role is Role.CASEWORKER else None
        services.accounts.create(f"user-{role.value}", PASSWORD, role.value, org)
        tokens[role] = services.accounts.create_token(f"user-{role.value}")
    for collar in ("1", "2", "3"):  # officers for the officer routes to act on
        services.officers.add("kent", {"collar": collar}, "setup")
    incident = NewIncident("kent", datetime(2025, 1, 1, tzinfo=UTC), "Here", "other", "Test")
    services.incidents.add(incident, "setup", "law-centre")  # the caseworker's organisation
    with TestClient(create_app(services.settings)) as test_client:
        yield test_client, tokens


def test_every_route_is_classified(client: tuple[TestClient, dict[Role, str]]) -> None:
    test_client, _ = client
    routes = {
        (method, route.path.replace(":path", ""))
        for route in test_client.app.routes  # type: ignore[attr-defined]
        if isinstance(route, APIRoute)
        for method in route.methods
    }
    unclassified = routes - PUBLIC - set(PROTECTED)
    assert not unclassified, f"declare these routes public or protected: {unclassified}"


@pytest.mark.parametrize(("method", "path"), sorted(PROTECTED))
def test_protected_routes_with_every_role(
    client: tuple[TestClient, dict[Role, str]], method: str, path: str
) -> None:
    test_client, tokens = client
    allowed, request = PROTECTED[(method, path)]
    path = path.replace("{officer_id}", "1").replace("{incident_id}", "1")
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
