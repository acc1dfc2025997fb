"""Erasing a person through the API, on SQLite and PostgreSQL: the name leaves the free text,
the history and the search document too, and the answer says what changed."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from openwitness.services import Services
from openwitness.storage.models import ChangeRecord

PASSWORD = "correct horse battery staple"
NARRATIVE = (
    "Ife Adeyemi (ife@example.org, 07700 900123) was pushed to the ground outside "
    "12 Acacia Avenue near London Bridge. The officer told ife to go home; Mr Adeyemi "
    "asked a bystander, Tomasz Nowak, to film it."
)
CASE: dict[str, Any] = {
    "force": "metropolitan",
    "occurred_at": "2025-06-01T14:30:00+01:00",
    "place": "Outside 12 Acacia Avenue",
    "encounter_type": "stop-and-search",
    "narrative": NARRATIVE,
    "reporter_kind": "named",
    "people": [
        {
            "role": "complainant",
            "name": "Ife Adeyemi",
            "email": "ife@example.org",
            "phone": "+44 7700 900123",
            "address": "12 Acacia Avenue, London SE1 9RT",
        },
        {"role": "witness", "name": "Tomasz Nowak"},
    ],
    "allegations": [{"category": "use-of-force", "next_action": "Call Ife on 07700900123"}],
}
OFFICER_ROLE = "pushed Ife Adeyemi"
GONE = ("adeyemi", "ife@example.org", "07700", "900123", "acacia", "se1 9rt")


def test_erasure_removes_the_name_from_text_history_and_search(
    api: tuple[TestClient, dict[str, dict[str, str]]], services: Services
) -> None:
    client, auth = api
    officer = client.post(
        "/api/v1/officers", json={"force": "metropolitan", "collar": "12"}, headers=auth["case"]
    ).json()["id"]
    body = {**CASE, "officers": [{"officer": officer, "role": OFFICER_ROLE}]}
    made = client.post("/api/v1/cases", json=body, headers=auth["case"])
    assert made.status_code == 201, made.text
    case = made.json()
    allegation = case["allegations"][0]["id"]
    changed = client.patch(
        f"/api/v1/allegations/{allegation}",
        json={"review_outcome": "IFE ADEYEMI's review upheld", "next_action": "Write to Adeyemi"},
        headers=auth["case"],
    )
    assert changed.status_code == 200, changed.text

    def found(word: str) -> list[int]:
        answer = client.get("/api/v1/cases", params={"q": word}, headers=auth["case"])
        assert answer.status_code == 200, answer.text
        return [item["id"] for item in answer.json()["items"]]

    assert found("Adeyemi") == [case["id"]] and found("Acacia") == [case["id"]]

    complainant = case["people"][0]["id"]
    erased = client.post(
        f"/api/v1/people/{complainant}/erase",
        json={"reason": "Ife Adeyemi's request under UK GDPR art. 17"},
        headers=auth["root"],
    )
    assert erased.status_code == 200, erased.text
    answer = erased.json()
    assert answer["erased"] is True and answer["case"] == case["id"]
    assert answer["search_document"] == "rebuilt"
    redacted = {change["field"]: change for change in answer["redacted"]}
    assert redacted["incident.narrative"]["replacements"] == 6
    assert redacted["incident.place"]["replacements"] == 1
    assert redacted[f"allegation {allegation}.next_action"]["replacements"] == 1
    assert redacted[f"allegation {allegation}.review_outcome"]["replacements"] == 1
    assert redacted["history"]["records"] >= 1
    assert redacted[f"incident.officers.{officer}.role"]["replacements"] == 1

    for word in ("Adeyemi", "Acacia", "ife", "900123"):
        assert found(word) == [], word
    assert found("bystander") == [case["id"]]  # the rest of the document is still searchable
    shown = client.get(f"/api/v1/cases/{case['id']}", headers=auth["case"]).json()
    narrative = shown["incident"]["narrative"]
    assert narrative.startswith("[erased] ([erased], [erased]) was pushed")
    assert "London Bridge" in narrative and "Tomasz Nowak" in narrative  # nothing else lost
    assert shown["people"][1]["details"] == {"name": "Tomasz Nowak"}
    text = (
        str(shown).lower()
        + str(
            client.get(f"/api/v1/cases/{case['id']}/history", headers=auth["case"]).json()
        ).lower()
    )
    with services.db.read() as conn:
        text += str(conn.execute(select(ChangeRecord.before, ChangeRecord.after)).all()).lower()
    for word in GONE:
        assert word not in text, word
    again = client.post(
        f"/api/v1/people/{complainant}/erase", json={"reason": "again"}, headers=auth["root"]
    )
    assert again.status_code == 400 and "already erased" in again.json()["detail"]
