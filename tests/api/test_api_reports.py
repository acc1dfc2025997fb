"""Reports from the public against a real `witness serve`, on SQLite and PostgreSQL: evidence
through the vault and log, the report's receipt, follow-up by token, and the rate limit."""

from __future__ import annotations

import hashlib
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from openwitness.app import create_app
from openwitness.core.config import Settings
from openwitness.ledger.note import parse_verifier_key
from openwitness.ledger.receipt import parse_receipt
from openwitness.ledger.verify import verify_receipt
from openwitness.services import Services, initialise
from tests.api.test_api_server import free_port, run_witness, serving
from tests.support import MEDIA, require_shared

PHOTO = MEDIA / "ianare__exif-samples/jpg/gps/DSCN0010.jpg"
VIDEO = MEDIA / "contentauth__c2pa-rs/sdk/tests/fixtures/video1.mp4"
RATE = 4  # follow-up look-ups per address
REPORT = {
    "force": "metropolitan",
    "occurred_at": "2025-06-01T14:30:00+01:00",
    "place": "Outside Brixton station",
    "encounter_type": "stop-and-search",
    "narrative": "Searched without grounds; the officer said nobody would believe me.",
    "officer_description": "collar 1234, tall, beard",
}


def test_a_report_with_evidence_gets_a_receipt_and_a_follow_up_token(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for path in (PHOTO, VIDEO):
        require_shared(path)
    run_witness(settings, "init", "--origin", "reports.test/log")
    svc, _ = initialise(settings)
    svc.accounts.add_organisation("law-centre", "Law Centre")
    svc.close()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    monkeypatch.setenv("OPENWITNESS_RATE_FOLLOW_UP", f"{RATE} per 10 minutes")
    monkeypatch.setenv("OPENWITNESS_INTAKE_ORG", "law-centre")
    with serving(settings, tmp_path / "server.log", "--port", str(port), base=base):
        shas, claims = [], []
        for path in (VIDEO, PHOTO):
            lodged = httpx.post(f"{base}/api/v1/evidence", content=path.read_bytes())
            assert lodged.status_code == 201, lodged.text
            shas.append(lodged.json()["evidence"]["sha256"])
            claims.append(lodged.json()["claim"])
        named = {
            **REPORT,
            "reporter_kind": "named",
            "evidence": shas,
            "evidence_claims": claims,
            "people": [{"role": "complainant", "name": "Zora Quill", "phone": "07700 900555"}],
        }
        made = httpx.post(f"{base}/api/v1/reports", json=named)
        assert made.status_code == 201, made.text
        body = made.json()
        token = body["follow_up_token"]
        receipt = body["receipt"]
        assert [item["sha256"] for item in receipt["items"]] == sorted(shas)
        key = parse_verifier_key(settings.verifier_key_path.read_text().strip())
        by_sha = {hashlib.sha256(p.read_bytes()).hexdigest(): p for p in (VIDEO, PHOTO)}
        for item in receipt["items"]:
            source = by_sha[item["sha256"]]
            verified = verify_receipt(parse_receipt(item["tlog_proof"]), key, source)
            assert verified.entry.sha256 == item["sha256"]

        status = httpx.post(f"{base}/api/v1/reports/follow-up", json={"token": token})
        assert status.status_code == 200, status.text
        followed = status.json()
        assert followed["case"] == body["case"]
        assert followed["allegations"][0]["status"] == "received"
        assert len(followed["receipt"]["items"]) == 2
        assert "Zora" not in status.text  # the token shows progress, not personal data
        wrong = httpx.post(f"{base}/api/v1/reports/follow-up", json={"token": "owf_guess"})
        assert wrong.status_code == 404

        searched = httpx.get(f"{base}/api/v1/cases", params={"q": "Zora Quill"})
        assert searched.status_code == 401  # and the search words stay out of the access log
        bad = httpx.post(f"{base}/api/v1/reports", json={**REPORT, "force": "atlantis"})
        assert bad.status_code == 400 and "force" in bad.json()["detail"]
        # RATE look-ups per address: 2 made so far, so 2 more pass, then 429.
        answers = [
            httpx.post(f"{base}/api/v1/reports/follow-up", json={"token": token}) for _ in range(3)
        ]
        assert [a.status_code for a in answers] == [200, 200, 429]
        assert 0 < int(answers[-1].headers["retry-after"]) <= 600
        assert "try again in 10 minutes" in answers[-1].json()["detail"]
    log = (tmp_path / "server.log").read_text(errors="replace")
    assert "Zora" not in log and "07700" not in log and token not in log
    assert '"GET /api/v1/cases HTTP/1.1" 401' in log  # the request was logged, without its query

    svc, _ = initialise(settings)
    try:
        case = svc.cases.get(body["case"])
        assert case.organisation_id == "law-centre" and case.reporter_kind == "named"
        assert "collar 1234" in case.incident.narrative
        assert case.allegations[0].next_action == "assess the report and record its allegations"
    finally:
        svc.close()


@pytest.mark.parametrize("kind", ["pseudonymous", "anonymous"])
def test_a_report_without_a_name(settings: Settings, kind: str) -> None:
    svc, _ = initialise(settings, "reports.test/log")
    svc.close()
    body = {**REPORT, "reporter_kind": kind}
    with TestClient(create_app(settings)) as client:
        if kind == "pseudonymous":
            refused = client.post("/api/v1/reports", json=body)
            assert refused.status_code == 400 and "pseudonym" in refused.json()["detail"]
            body["pseudonym"] = "Brixton Mum"
        made = client.post("/api/v1/reports", json=body)
        assert made.status_code == 201, made.text
        assert made.json()["receipt"]["items"] == []
        extra = client.post("/api/v1/reports", json={**body, "allegations": []})
        assert extra.status_code == 422  # the public form takes no allegations or officer ids


def test_a_report_form_sent_twice_makes_one_report(sqlite_services: Services) -> None:
    """A retry on a bad connection, or a double tap, sends the same form (the same one-time
    key) again: the answer is the first report's receipt, not a second report."""
    with TestClient(create_app(sqlite_services.settings), base_url="https://testserver") as web:
        form_page = web.get("/report").text
        key = form_page.split('name="submission" value="')[1].split('"')[0]
        form = {
            "occurred_at": "2026-11-30T18:30", "place": "High Street", "force": "kent",
            "encounter_type": "other", "narrative": "Stopped.", "submission": key,
        }  # fmt: skip
        first = web.post("/report", data=form)
        second = web.post("/report", data=form)
        assert first.url.path == second.url.path == "/report/receipt"
        number = first.text.split('id="case-number">')[1].split("<")[0]
        assert second.text.split('id="case-number">')[1].split("<")[0] == number
        reloaded = web.get("/report/receipt")
        assert reloaded.status_code == 200 and f'id="case-number">{number}<' in reloaded.text
        assert reloaded.headers["cache-control"] == "no-store"
    with sqlite_services.db.read() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM complaint").scalar_one() == 1
