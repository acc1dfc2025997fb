"""Web sessions: sign in with a password, the cookie's flags, CSRF on every change, sign out."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from openwitness.api.app import create_app
from openwitness.services import Services

PASSWORD = "correct horse battery staple"
CASE = {
    "force": "kent",
    "occurred_at": "2025-01-01T10:00:00Z",
    "place": "High Street",
    "encounter_type": "other",
    "narrative": "Test",
    "reporter_kind": "anonymous",
}


@pytest.fixture
def browser(services: Services) -> Iterator[TestClient]:
    services.accounts.add_organisation("law-centre", "Law Centre")
    services.accounts.create("case", PASSWORD, "caseworker", "law-centre")
    # https: the session cookie is Secure, so a client sends it only over HTTPS
    with TestClient(create_app(services.settings), base_url="https://testserver") as client:
        yield client


def test_a_session_needs_its_csrf_token_for_every_change(browser: TestClient) -> None:
    wrong = browser.post("/api/v1/session", json={"username": "case", "password": "nope"})
    assert wrong.status_code == 401 and wrong.json()["detail"] == "wrong username or password"
    assert "ow_session" not in browser.cookies

    signed_in = browser.post("/api/v1/session", json={"username": "case", "password": PASSWORD})
    assert signed_in.status_code == 200, signed_in.text
    cookie = signed_in.headers["set-cookie"].lower()
    for flag in ("httponly", "secure", "samesite=strict", "path=/"):
        assert flag in cookie, cookie
    csrf = signed_in.json()["csrf_token"]
    assert browser.get("/api/v1/session").json()["csrf_token"] == csrf
    assert browser.get("/api/v1/cases").status_code == 200  # reading needs no token

    forged = browser.post("/api/v1/cases", json=CASE)  # what another site could make it send
    assert forged.status_code == 403 and "CSRF" in forged.json()["detail"]
    wrong_token = browser.post("/api/v1/cases", json=CASE, headers={"X-CSRF-Token": "0" * 64})
    assert wrong_token.status_code == 403
    made = browser.post("/api/v1/cases", json=CASE, headers={"X-CSRF-Token": csrf})
    assert made.status_code == 201, made.text
    assert made.json()["organisation"] == "law-centre"

    stolen = browser.cookies["ow_session"]
    assert browser.delete("/api/v1/session").status_code == 403  # signing out is a change too
    assert browser.delete("/api/v1/session", headers={"X-CSRF-Token": csrf}).status_code == 200
    after = browser.get("/api/v1/cases", headers={"Cookie": f"ow_session={stolen}"})
    assert after.status_code == 401 and "session has ended" in after.json()["detail"]
