"""Cases through the HTTP API on SQLite and PostgreSQL: a caseworker's day, and who sees what."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

PASSWORD = "correct horse battery staple"
CASE: dict[str, Any] = {
    "force": "metropolitan",
    "occurred_at": "2025-06-01T14:30:00+01:00",
    "place": "Outside Brixton station",
    "encounter_type": "stop-and-search",
    "narrative": "Pushed to the ground during a search; a bystander filmed it.",
    "reporter_kind": "named",
    "people": [{"role": "complainant", "name": "Ife Adeyemi", "email": "ife@example.org"}],
    "reported_to": [{"body": "iopc", "reference": "IOPC-2025-123", "on": "2025-06-03"}],
}


def test_a_caseworker_records_a_case_and_its_outcome(
    api: tuple[TestClient, dict[str, dict[str, str]]],
) -> None:
    client, auth = api
    officer = client.post(
        "/api/v1/officers", json={"force": "metropolitan", "collar": "1234"}, headers=auth["case"]
    ).json()
    earlier = client.post(
        "/api/v1/cases",
        json={
            **CASE,
            "allegations": [
                {"officer": officer["id"], "category": "use-of-force", "due_on": "2025-07-01"}
            ],
        },
        headers=auth["outsider"],
    )
    assert earlier.status_code == 201, earlier.text

    made = client.post("/api/v1/cases", json=CASE, headers=auth["case"])
    assert made.status_code == 201, made.text
    case = made.json()
    assert case["organisation"] == "law-centre"
    assert case["people"][0]["details"]["name"] == "Ife Adeyemi"
    added = client.post(
        f"/api/v1/cases/{case['id']}/allegations",
        json={"officer": officer["id"], "category": "use-of-force"},
        headers=auth["case"],
    )
    assert added.status_code == 201, added.text
    flagged = added.json()["officer_earlier_unresolved"]
    assert len(flagged) == 1 and flagged[0]["overdue"] is True  # the other group's, overdue
    allegation = added.json()["allegation"]["id"]

    url = f"/api/v1/allegations/{allegation}"
    refused = client.patch(url, json={"final_finding": "guilty"}, headers=auth["case"])
    assert refused.status_code == 400 and "final_finding" in refused.json()["detail"]
    assert client.patch(url, json={"status": "closed"}, headers=auth["outsider"]).status_code == 404
    assert client.patch(url, json={"status": "closed"}, headers=auth["ana"]).status_code == 403
    outcome = client.patch(
        url,
        json={
            "status": "closed",
            "handling": "schedule-3",
            "recommended_finding": "case-to-answer-gross-misconduct",
            "final_finding": "case-to-answer-misconduct",
            "final_result": "written-warning",
            "decided_on": "2025-09-01",
            "outcome_notified_on": "2025-09-02",
        },
        headers=auth["case"],
    )
    assert outcome.status_code == 200, outcome.text
    body = outcome.json()
    assert body["recommended"]["finding"] == "case-to-answer-gross-misconduct"
    assert body["final"] == {
        "finding": "case-to-answer-misconduct",
        "result": "written-warning",
        "on": "2025-09-01",
    }
    assert body["review"]["deadline"] == "2025-09-30"

    record = client.get(f"/api/v1/officers/{officer['id']}/record", headers=auth["ana"]).json()
    assert record["counts"]["allegations"] == 2 and record["counts"]["unresolved"] == 1
    assert record["counts"]["overdue"] == 1
    assert "Ife" not in str(record)
    changes = client.get(f"/api/v1/cases/{case['id']}/history", headers=auth["case"]).json()
    assert [c["action"] for c in changes][-1] == "update"
    assert "Ife" not in str(changes)

    overdue = client.get("/api/v1/allegations/overdue", headers=auth["root"]).json()
    assert overdue["overdue"] == 1 and overdue["by_officer"][0]["officer"] == officer["id"]
    assert client.get("/api/v1/allegations/overdue", headers=auth["case"]).json()["overdue"] == 0


def test_listing_filters_search_and_visibility(
    api: tuple[TestClient, dict[str, dict[str, str]]],
) -> None:
    client, auth = api
    for narrative, force in [
        ("Kettled at a vigil for hours", "metropolitan"),
        ("Car stopped, searched, nothing found", "kent"),
    ]:
        made = client.post(
            "/api/v1/cases",
            json={
                **CASE,
                "narrative": narrative,
                "force": force,
                "allegations": [{"category": "detention"}],
            },
            headers=auth["case"],
        )
        assert made.status_code == 201, made.text

    def ids(who: str, **params: object) -> list[int]:
        answer = client.get("/api/v1/cases", params=params, headers=auth[who])
        assert answer.status_code == 200, answer.text
        return [item["id"] for item in answer.json()["items"]]

    assert ids("case") == [2, 1]
    assert ids("case", force="kent") == [2]
    assert ids("case", q="vigil") == [1]
    assert ids("case", category="detention", status="received") == [2, 1]
    assert ids("outsider") == []
    assert ids("ana") == [2, 1]
    analyst_page = client.get("/api/v1/cases", headers=auth["ana"]).text
    assert "Brixton" not in analyst_page and "Ife" not in analyst_page
    searched = client.get("/api/v1/cases", params={"q": "vigil"}, headers=auth["ana"])
    assert searched.status_code == 403
    page = client.get("/api/v1/cases", params={"limit": 1}, headers=auth["case"]).json()
    assert page["has_more"] and page["next_offset"] == 1
    bad = client.get("/api/v1/cases", params={"category": "nope"}, headers=auth["case"])
    assert bad.status_code == 400 and "category" in bad.json()["detail"]
    assert client.get("/api/v1/cases/1", headers=auth["outsider"]).status_code == 404
    hidden = client.get("/api/v1/cases/1", headers=auth["ana"]).json()
    assert "narrative" not in hidden["incident"] and "Ife" not in str(hidden)
    allegations = client.get("/api/v1/allegations", params={"force": "kent"}, headers=auth["ana"])
    assert [a["case"] for a in allegations.json()["items"]] == [2]


def test_people_are_added_sealed_and_erased_by_an_admin(
    api: tuple[TestClient, dict[str, dict[str, str]]],
) -> None:
    client, auth = api
    case = client.post("/api/v1/cases", json=CASE, headers=auth["case"]).json()
    witness = client.post(
        f"/api/v1/cases/{case['id']}/people",
        json={"role": "witness", "name": "Tomasz Nowak"},
        headers=auth["case"],
    )
    assert witness.status_code == 201, witness.text
    unknown = client.post(
        f"/api/v1/cases/{case['id']}/people",
        json={"role": "witness", "passport": "X"},
        headers=auth["case"],
    )
    assert unknown.status_code == 422
    as_admin = client.get(f"/api/v1/cases/{case['id']}", headers=auth["root"]).json()
    assert "Tomasz" not in str(as_admin) and "Ife" not in str(as_admin)  # admins: sealed
    erased = client.post(
        f"/api/v1/people/{witness.json()['id']}/erase",
        json={"reason": "erasure request under UK GDPR art. 17"},
        headers=auth["root"],
    )
    assert erased.status_code == 200, erased.text
    shown = client.get(f"/api/v1/cases/{case['id']}", headers=auth["case"]).json()
    assert [p["details"] for p in shown["people"]][1] is None
    assert shown["people"][0]["details"]["name"] == "Ife Adeyemi"
    assigned = client.post(
        f"/api/v1/cases/{case['id']}/assign",
        json={"organisation": "other-group"},
        headers=auth["root"],
    )
    assert assigned.status_code == 200
    assert client.get(f"/api/v1/cases/{case['id']}", headers=auth["case"]).status_code == 404
    assert client.get(f"/api/v1/cases/{case['id']}", headers=auth["outsider"]).status_code == 200
