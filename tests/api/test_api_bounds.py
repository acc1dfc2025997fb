"""Dates and ids at the edge of what the API takes, on SQLite and PostgreSQL: refused with the
parameter named (422/400), never a server error or an empty export that looks like success."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from openwitness.app import create_app
from openwitness.services import Services

PASSWORD = "correct horse battery staple"
LISTINGS = ("/api/v1/cases", "/api/v1/allegations", "/api/v1/export/allegations")
CASE: dict[str, Any] = {
    "force": "kent",
    "occurred_at": "2025-06-01T14:30:00+01:00",
    "place": "High Street",
    "encounter_type": "other",
    "narrative": "Stopped.",
    "reporter_kind": "anonymous",
    "allegations": [{"category": "use-of-force"}],
}


@pytest.fixture
def api(services: Services) -> Iterator[tuple[TestClient, dict[str, str]]]:
    services.accounts.create("root", PASSWORD, "admin")
    auth = {"Authorization": f"Bearer {services.accounts.create_token('root')}"}
    with TestClient(create_app(services.settings)) as client:
        yield client, auth


@pytest.mark.parametrize("path", LISTINGS)
@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("received_to", "9999-12-31"),
        ("received_from", "9999-12-31"),
        ("received_from", "0001-01-01"),
        ("received_to", "1899-12-31"),
        ("received_to", "2101-01-01"),
    ],
)
def test_dates_beyond_the_range_are_refused_naming_the_parameter(
    api: tuple[TestClient, dict[str, str]], path: str, name: str, value: str
) -> None:
    client, auth = api
    answer = client.get(path, params={name: value}, headers=auth)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/json"  # not a started export
    assert [e["loc"] for e in answer.json()["detail"]] == [["query", name]]


@pytest.mark.parametrize("path", LISTINGS)
def test_the_range_itself_is_accepted(api: tuple[TestClient, dict[str, str]], path: str) -> None:
    client, auth = api
    made = client.post("/api/v1/cases", json=CASE, headers=auth)
    assert made.status_code == 201, made.text
    answer = client.get(
        path, params={"received_from": "1900-01-01", "received_to": "2100-12-31"}, headers=auth
    )
    assert answer.status_code == 200, answer.text
    assert "1" in answer.text  # the case (or its allegation) is found


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"occurred_at": "0001-01-01T00:00:00+05:00"}, "occurred_at"),
        ({"occurred_at": "1800-01-01T00:00:00Z"}, "occurred_at"),
        ({"received_at": "0001-01-01T00:00:00-05:00"}, "received_at"),
        ({"allegations": [{"due_on": "9999-12-31"}]}, "due_on"),
        ({"reported_to": [{"body": "iopc", "on": "0001-01-01"}]}, "on"),
    ],
)
def test_dates_in_a_new_case_are_bounded(
    api: tuple[TestClient, dict[str, str]], change: dict[str, Any], field: str
) -> None:
    client, auth = api
    answer = client.post("/api/v1/cases", json={**CASE, **change}, headers=auth)
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"][0]["loc"][-1] == field


def test_dates_in_an_outcome_are_bounded(api: tuple[TestClient, dict[str, str]]) -> None:
    client, auth = api
    allegation = client.post("/api/v1/cases", json=CASE, headers=auth).json()["allegations"][0]
    for field in ("due_on", "outcome_notified_on", "decided_on"):
        answer = client.patch(
            f"/api/v1/allegations/{allegation['id']}", json={field: "0001-01-01"}, headers=auth
        )
        assert answer.status_code == 422 and field in str(answer.json()["detail"]), answer.text


@pytest.mark.parametrize("path", LISTINGS)
@pytest.mark.parametrize("name", ["force", "category", "status", "q"])
def test_text_filters_with_a_nul_character_are_refused(
    api: tuple[TestClient, dict[str, str]], path: str, name: str
) -> None:
    """PostgreSQL's text cannot hold NUL: a 400 naming the filter, not a database error."""
    client, auth = api
    answer = client.get(path, params={name: "a\x00b"}, headers=auth)
    assert answer.status_code == 400, answer.text
    assert answer.json()["detail"].startswith(f"{name}:")


def test_a_nul_character_in_a_new_case_is_refused_naming_the_field(
    api: tuple[TestClient, dict[str, str]],
) -> None:
    client, auth = api
    answer = client.post("/api/v1/cases", json={**CASE, "narrative": "a\x00b"}, headers=auth)
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"][0]["loc"][-1] == "narrative"
