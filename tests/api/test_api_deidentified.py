"""Exports and de-identified answers over HTTP, on SQLite and PostgreSQL: no free text a
caseworker wrote, and no CSV cell a spreadsheet would run as a formula."""

from __future__ import annotations

import csv
import io
import json

from fastapi.testclient import TestClient

from openwitness.cases import exports

PASSWORD = "correct horse battery staple"
FORMULAS = ['=HYPERLINK("http://evil.example")', "+1+2", "-3+4", "@SUM(A1:A2)"]
HISTORY = "complaint_id,allegation_id,received_on,officer_id,category,status\n" + "".join(
    f'C-{n},"{value.replace(chr(34), chr(34) * 2)}",2024-01-0{n + 1},,use-of-force,received\n'
    for n, value in enumerate(FORMULAS)
)
REVIEW = "Review by Ife Adeyemi's solicitor upheld"
ACTION = "Call Ife Adeyemi on 07700 900123"


def test_csv_cells_that_start_a_formula_are_written_as_text(
    api: tuple[TestClient, dict[str, dict[str, str]]],
) -> None:
    client, auth = api
    imported = client.post(
        "/api/v1/imports/complaints",
        content=HISTORY.encode(),
        params={"force": "kent", "source": "kent-psd"},
        headers=auth["root"],
    )
    assert imported.status_code == 200, imported.text
    exported = client.get("/api/v1/export/allegations", headers=auth["ana"])
    assert exported.status_code == 200
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert sorted(r["source_id"] for r in rows) == sorted("'" + f for f in FORMULAS)
    for row in rows:  # no other cell starts a formula either
        assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row.values())
    lines = client.get(
        "/api/v1/export/allegations", params={"format": "json"}, headers=auth["ana"]
    ).text.splitlines()
    assert sorted(json.loads(line)["source_id"] for line in lines) == sorted(FORMULAS)
    # Tabs and carriage returns too (the importer strips them from the ends of its cells).
    written = "".join(exports.as_csv(iter([{"source_id": "\tA"}, {"source_id": "\rB"}])))
    read = csv.DictReader(io.StringIO(written, newline=""))
    assert [r["source_id"] for r in read] == ["'\tA", "'\rB"]


def test_free_text_is_left_out_of_de_identified_answers_and_exports(
    api: tuple[TestClient, dict[str, dict[str, str]]],
) -> None:
    client, auth = api
    officer = client.post(
        "/api/v1/officers", json={"force": "metropolitan", "collar": "77"}, headers=auth["case"]
    ).json()["id"]
    case = client.post(
        "/api/v1/cases",
        json={
            "force": "metropolitan",
            "occurred_at": "2025-06-01T14:30:00+01:00",
            "place": "Brixton Road",
            "encounter_type": "stop-and-search",
            "narrative": "Searched.",
            "reporter_kind": "anonymous",
            "officers": [{"officer": officer, "role": "searched Ife Adeyemi"}],
            "allegations": [{"officer": officer, "category": "use-of-force"}],
        },
        headers=auth["case"],
    ).json()
    allegation = case["allegations"][0]["id"]
    changed = client.patch(
        f"/api/v1/allegations/{allegation}",
        json={"review_outcome": REVIEW, "next_action": ACTION},
        headers=auth["case"],
    )
    assert changed.status_code == 200, changed.text
    own = changed.json()
    assert own["review"]["outcome"] == REVIEW and own["next_action"] == ACTION
    full = client.get(f"/api/v1/cases/{case['id']}", headers=auth["case"]).json()
    assert full["incident"]["officers"] == [{"officer": officer, "role": "searched Ife Adeyemi"}]

    answers = {
        "analyst's case": client.get(f"/api/v1/cases/{case['id']}", headers=auth["ana"]),
        "analyst's allegations": client.get("/api/v1/allegations", headers=auth["ana"]),
        "analyst's officer record": client.get(
            f"/api/v1/officers/{officer}/record", headers=auth["ana"]
        ),
        "other organisation's officer record": client.get(
            f"/api/v1/officers/{officer}/record", headers=auth["outsider"]
        ),
        "admin's CSV export": client.get("/api/v1/export/allegations", headers=auth["root"]),
        "caseworker's JSON export": client.get(
            "/api/v1/export/allegations", params={"format": "json"}, headers=auth["case"]
        ),
    }
    for name, answer in answers.items():
        assert answer.status_code == 200, (name, answer.text)
        assert "Adeyemi" not in answer.text and "07700" not in answer.text, name
        assert "review_outcome" not in answer.text and '"outcome"' not in answer.text, name
    # The officer record still counts the allegation for everyone.
    record = answers["other organisation's officer record"].json()
    assert record["counts"]["allegations"] == 1
