"""Web sessions: sign in with a password, the cookie's flags, CSRF on every change, sign out,
and the idle and absolute timeouts (moved by the sessions' clock, never by waiting)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import update

from openwitness.app import create_app
from openwitness.services import Services
from openwitness.storage.models import Account as AccountRow

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


def signed_in_csrf(browser: TestClient) -> str:
    made = browser.post("/api/v1/session", json={"username": "case", "password": PASSWORD})
    assert made.status_code == 200, made.text
    csrf: str = made.json()["csrf_token"]
    return csrf


@pytest.mark.parametrize("given", ["", "truncated", "one short", "uppercased"])
def test_an_empty_or_truncated_csrf_token_is_refused(browser: TestClient, given: str) -> None:
    csrf = signed_in_csrf(browser)
    token = {
        "": "",
        "truncated": csrf[:16],
        "one short": csrf[:-1],
        "uppercased": csrf.upper(),
    }[given]
    assert token != csrf
    header = browser.post("/api/v1/cases", json=CASE, headers={"X-CSRF-Token": token})
    assert header.status_code == 403 and "CSRF" in header.json()["detail"]
    # The pages' forms carry it in a field: signing out with a bad one leaves the session be.
    form = browser.post(
        "/sign-out", data={"csrf_token": token}, headers={"Accept": "text/html"},
        follow_redirects=False,
    )  # fmt: skip
    assert form.status_code == 403 and "did not come from this site" in form.text
    assert browser.get("/api/v1/session").status_code == 200
    assert browser.get("/api/v1/cases").json()["items"] == []  # nothing was made
    out = browser.post("/sign-out", data={"csrf_token": csrf}, follow_redirects=False)
    assert out.status_code == 303 and browser.get("/api/v1/session").status_code == 401


def test_an_empty_password_never_signs_in(browser: TestClient, services: Services) -> None:
    refused = browser.post("/api/v1/session", json={"username": "case", "password": ""})
    assert refused.status_code == 401 and "ow_session" not in browser.cookies
    with services.db.write() as conn:  # even where the stored hash is of the empty string
        conn.execute(update(AccountRow).values(password_hash=PasswordHasher().hash("")))
    refused = browser.post("/api/v1/session", json={"username": "case", "password": ""})
    assert refused.status_code == 401 and "ow_session" not in browser.cookies
    page = browser.post("/sign-in", data={"username": "case", "password": ""})
    assert page.status_code == 401 and "do not match an account" in page.text


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def test_an_idle_browser_is_signed_out_after_30_minutes(browser: TestClient) -> None:
    clock = Clock()
    app: FastAPI = browser.app  # type: ignore[assignment]
    app.state.services.sessions.clock = clock
    signed_in = browser.post("/api/v1/session", json={"username": "case", "password": PASSWORD})
    assert f"max-age={12 * 3600}" in signed_in.headers["set-cookie"].lower()
    clock.now += timedelta(minutes=29, seconds=59)
    assert browser.get("/api/v1/session").status_code == 200  # and that was a request
    clock.now += timedelta(minutes=29, seconds=59)
    assert browser.get("/cases").status_code == 200
    clock.now += timedelta(minutes=30)
    ended = browser.get("/api/v1/session")
    assert ended.status_code == 401 and "session has ended" in ended.json()["detail"]
    page = browser.get("/cases", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/sign-in?next=/cases"


def test_a_busy_browser_is_signed_out_12_hours_after_signing_in(browser: TestClient) -> None:
    clock = Clock()
    app: FastAPI = browser.app  # type: ignore[assignment]
    app.state.services.sessions.clock = clock
    signed_in_csrf(browser)
    for _ in range(47):  # a request every quarter of an hour until 20:45
        clock.now += timedelta(minutes=15)
        assert browser.get("/api/v1/session").status_code == 200
    clock.now += timedelta(minutes=15)  # 21:00, 12 hours after signing in
    assert browser.get("/api/v1/session").status_code == 401


def test_session_timeouts_come_from_the_settings(services: Services) -> None:
    services.accounts.create("case", PASSWORD, "analyst")
    settings = replace(services.settings, session_idle_minutes=5, session_absolute_hours=1)
    clock = Clock()
    with TestClient(create_app(settings), base_url="https://testserver") as browser:
        app: FastAPI = browser.app  # type: ignore[assignment]
        app.state.services.sessions.clock = clock
        signed_in = browser.post("/api/v1/session", json={"username": "case", "password": PASSWORD})
        assert "max-age=3600" in signed_in.headers["set-cookie"].lower()
        clock.now += timedelta(minutes=5)
        assert browser.get("/api/v1/session").status_code == 401
