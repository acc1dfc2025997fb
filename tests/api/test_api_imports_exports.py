"""CSV imports and de-identified exports over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json

from fastapi.testclient import TestClient

PASSWORD = "correct horse battery staple"
ROSTER = "officer_id,name,collar,rank\nK-1,Casey Demo,901,PC\nK-2,Robin Example,902,Sergeant\n"
HISTORY = (
    "complaint_id,received_on,place,officer_id,category,status,final_finding,final_result\n"
    "C-1,2024-01-01,Dover Road,K-1,use-of-force,closed,upheld,written-warning\n"
    "C-1,2024-01-01,Dover Road,K-2,use-of-force,closed,not-upheld,\n"
    "C-2,2024-03-01,Canterbury,K-1,detention,assessed,,\n"
)


def test_import_then_export(api: tuple[TestClient, dict[str, dict[str, str]]]) -> None:
    client, auth = api
    params = {"force": "kent", "source": "kent-psd"}

    def post(kind: str, body: str, **extra: object) -> dict[str, object]:
        answer = client.post(
            f"/api/v1/imports/{kind}",
            content=body.encode(),
            params={**params, **extra},
            headers=auth["root"],
        )
        assert answer.status_code == 200, answer.text
        result: dict[str, object] = answer.json()
        return result

    officers = {"officers": 2, "identifiers": 6, "complaints": 0, "allegations": 0}
    assert post("roster", ROSTER, dry_run="true")["added"] == officers
    assert post("roster", ROSTER)["added"] == officers
    cases = {"officers": 0, "identifiers": 0, "complaints": 2, "allegations": 3}
    assert post("complaints", HISTORY)["added"] == cases
    assert post("complaints", HISTORY)["already_there"] == cases

    bad = client.post(
        "/api/v1/imports/complaints",
        content=b"complaint_id\nX\n",
        params=params,
        headers=auth["root"],
    )
    assert bad.status_code == 400 and "missing column(s) received_on" in bad.json()["detail"]
    broken = client.post(
        "/api/v1/imports/roster",
        content="name\nJos\xe9\n".encode("latin-1"),
        params=params,
        headers=auth["root"],
    )
    assert broken.status_code == 400 and "not UTF-8" in broken.json()["detail"]
    empty = client.post("/api/v1/imports/roster", content=b"", params=params, headers=auth["root"])
    assert empty.status_code == 400

    exported = client.get("/api/v1/export/allegations", headers=auth["ana"])
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [(r["final_finding"], r["final_result"]) for r in rows] == [
        ("upheld", "written-warning"),
        ("not-upheld", ""),
        ("", ""),
    ]
    assert "Dover" not in exported.text and "Canterbury" not in exported.text
    lines = client.get(
        "/api/v1/export/allegations",
        params={"format": "json", "status": "closed"},
        headers=auth["case"],
    ).text.splitlines()
    assert [json.loads(line)["status"] for line in lines] == ["closed", "closed"]
    assert (
        client.get(
            "/api/v1/export/allegations", params={"format": "xml"}, headers=auth["ana"]
        ).status_code
        == 422
    )
