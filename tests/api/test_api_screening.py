"""/api/v1/screening: a screener lodges an export and decides on its messages; names and
numbers only for its organisation's screeners, masked for others, counts only for analysts,
nothing at all for another organisation."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from openwitness.app import create_app
from openwitness.cases.access import Viewer
from openwitness.cases.forms import CaseForm
from openwitness.core.config import Settings
from openwitness.ledger.receipt import parse_receipt
from openwitness.ledger.verify import verify_receipt
from openwitness.services import Services, initialise
from tests.api.conftest import PASSWORD
from tests.support import ENTITLED

CHAT = (
    "[13/01/2024, 10:00:00] PC Hill: anyone got the keys to the van?\n"
    "[13/01/2024, 10:01:00] PC Rowe: all muslims are terrorists and should be deported\n"
    "[13/01/2024, 10:02:00] +44 7700 900123: see you at the briefing\n"
    "[14/02/2024, 09:00:00] PC Rowe: women are too stupid to be in the job\n"
)
NAMES = ("PC Hill", "PC Rowe", "7700 900123")
USERS = {
    "scr": ("screener", "law-centre"),
    "case": ("caseworker", "law-centre"),
    "adm": ("admin", None),
    "ana": ("analyst", None),
    "other": ("screener", "other-org"),
}

Setup = tuple[Services, TestClient, dict[str, dict[str, str]], Path]


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    home = tmp_path_factory.mktemp("api-screening")
    settings = Settings(home=home / "home", database_url=f"sqlite:///{home / 'w.db'}")
    services, _ = initialise(settings, "test.openwitness.local/log")
    services.accounts.add_organisation("law-centre", "Law Centre")
    services.accounts.add_organisation("other-org", "Other")
    for user, (role, org) in USERS.items():
        services.accounts.create(user, PASSWORD, role, org)
    auth = {
        user: {"Authorization": f"Bearer {services.accounts.create_token(user)}"} for user in USERS
    }
    export = home / "WhatsApp Chat - Shift B.zip"
    with zipfile.ZipFile(export, "w") as archive:
        archive.writestr("_chat.txt", CHAT)
    with TestClient(create_app(settings)) as client:
        yield services, client, auth, export
    services.close()


def lodge(client: TestClient, auth: dict[str, str], export: Path) -> dict[str, object]:
    response = client.post(
        "/api/v1/screening/exports",
        params={"name": export.name},
        content=export.read_bytes(),
        headers=auth,
    )
    assert response.status_code in (200, 201), response.text
    body: dict[str, object] = response.json()
    return body


def test_a_screener_lodges_reads_and_decides(setup: Setup) -> None:
    services, client, auth, export = setup
    lodged = lodge(client, auth["scr"], export)
    export_id = lodged["export"]
    assert lodged["messages"] == 4 and lodged["flagged"] == 2
    receipt = parse_receipt(str(lodged["receipt"]).encode())
    verified = verify_receipt(receipt, services.log.signer.verifier, export)
    assert verified.entry.sha256 == lodged["sha256"]
    again = client.post(
        "/api/v1/screening/exports",
        params={"name": export.name},
        content=export.read_bytes(),
        headers=auth["scr"],
    )
    assert again.status_code == 200 and again.json()["export"] == export_id
    summary = client.get(f"/api/v1/screening/exports/{export_id}", headers=auth["scr"]).json()
    rowe = next(p for p in summary["participants"] if p["name"] == "PC Rowe")
    assert rowe["flagged"] == 2 and rowe["share_of_flagged"] == 1.0
    assert summary["flagged_by_month"] == {"2024-01": 1, "2024-02": 1}
    ranked = client.get(
        f"/api/v1/screening/exports/{export_id}/messages", headers=auth["scr"]
    ).json()
    top = ranked[0]
    assert top["author"] == "PC Rowe" and "hateful" in top["flagged"]
    assert [m["position"] for m in top["before"]] in ([0], [1], [0, 1], [1, 2])
    first, second = ranked[0]["position"], ranked[1]["position"]
    url = f"/api/v1/screening/exports/{export_id}/messages/{{}}/decision"
    made = client.post(url.format(first), json={"decision": "confirmed"}, headers=auth["scr"])
    assert made.status_code == 201 and made.json()["decided_by"] == "scr"
    client.post(url.format(second), json={"decision": "confirmed"}, headers=auth["scr"])
    changed = client.post(
        url.format(second), json={"decision": "dismissed", "note": "a quote"}, headers=auth["scr"]
    )
    assert changed.status_code == 201
    decided = {
        m["position"]: m["decision"]
        for m in client.get(
            f"/api/v1/screening/exports/{export_id}/messages", headers=auth["scr"]
        ).json()
    }
    assert decided[first]["decision"] == "confirmed"
    assert decided[second]["decision"] == "dismissed" and decided[second]["note"] == "a quote"
    history = client.get(
        f"/api/v1/screening/exports/{export_id}/decisions", headers=auth["scr"]
    ).json()
    assert [(h["position"], h["decision"]) for h in history] == [
        (first, "confirmed"),
        (second, "confirmed"),
        (second, "dismissed"),
    ]


def test_others_in_the_organisation_see_participants_masked(setup: Setup) -> None:
    _, client, auth, export = setup
    export_id = lodge(client, auth["scr"], export)["export"]
    for user in ("case", "adm"):
        summary = client.get(f"/api/v1/screening/exports/{export_id}", headers=auth[user])
        ranked = client.get(f"/api/v1/screening/exports/{export_id}/messages", headers=auth[user])
        assert summary.status_code == ranked.status_code == 200
        seen = summary.text + ranked.text
        assert "Participant 2" in seen and "terrorists" in seen
        assert not any(name in seen for name in NAMES), user
        decision = client.post(
            f"/api/v1/screening/exports/{export_id}/messages/1/decision",
            json={"decision": "dismissed"},
            headers=auth[user],
        )
        assert decision.status_code == 403


def test_analysts_see_counts_only(setup: Setup) -> None:
    _, client, auth, export = setup
    export_id = lodge(client, auth["scr"], export)["export"]
    summary = client.get(f"/api/v1/screening/exports/{export_id}", headers=auth["ana"])
    assert summary.status_code == 200 and summary.json()["flagged"] == 2
    assert "file_name" not in summary.json()
    listed = client.get("/api/v1/screening/exports", headers=auth["ana"])
    seen = summary.text + listed.text
    assert not any(name in seen for name in NAMES) and "terrorists" not in seen
    assert "Shift B" not in seen
    for path in ("messages", "decisions"):
        answer = client.get(f"/api/v1/screening/exports/{export_id}/{path}", headers=auth["ana"])
        assert answer.status_code == 403


def test_another_organisation_learns_nothing(setup: Setup) -> None:
    _, client, auth, export = setup
    export_id = lodge(client, auth["scr"], export)["export"]
    assert client.get("/api/v1/screening/exports", headers=auth["other"]).json() == []
    for path in ("", "/messages", "/decisions"):
        answer = client.get(f"/api/v1/screening/exports/{export_id}{path}", headers=auth["other"])
        assert answer.status_code == 404
        missing = client.get(f"/api/v1/screening/exports/999{path}", headers=auth["other"])
        assert missing.json()["detail"] == answer.json()["detail"].replace(str(export_id), "999")
    decision = client.post(
        f"/api/v1/screening/exports/{export_id}/messages/1/decision",
        json={"decision": "confirmed"},
        headers=auth["other"],
    )
    assert decision.status_code == 404


def test_bad_input_is_refused_and_nothing_is_logged(setup: Setup) -> None:
    services, client, auth, export = setup
    export_id = lodge(client, auth["scr"], export)["export"]
    size = services.log.size()
    notes = client.post(
        "/api/v1/screening/exports",
        params={"name": "notes.txt"},
        content=b"Shopping list\n",
        headers=auth["scr"],
    )
    assert notes.status_code == 400 and "notes.txt, line 1" in notes.json()["detail"]
    empty = client.post(
        "/api/v1/screening/exports", params={"name": "x.txt"}, content=b"", headers=auth["scr"]
    )
    assert empty.status_code == 400
    assert services.log.size() == size
    url = f"/api/v1/screening/exports/{export_id}/messages/1/decision"
    assert client.post(url, json={"decision": "maybe"}, headers=auth["scr"]).status_code == 422
    long_note = {"decision": "confirmed", "note": "x" * 2001}
    assert client.post(url, json=long_note, headers=auth["scr"]).status_code == 422
    system = f"/api/v1/screening/exports/{export_id}/messages/99/decision"
    assert (
        client.post(system, json={"decision": "confirmed"}, headers=auth["scr"]).status_code == 404
    )
    assert client.get("/api/v1/screening/exports").status_code == 401


def test_a_screener_sees_no_more_than_an_analyst_outside_screening(setup: Setup) -> None:
    _, client, auth, _ = setup
    for path in ("/api/v1/cases", "/api/v1/patterns/flags", "/api/v1/allegations"):
        answer = client.get(path, headers=auth["scr"])
        assert answer.status_code == 403, path
    session = client.get("/api/v1/session", headers=auth["scr"]).json()
    assert session["account"]["role"] == "screener"
    assert Viewer("scr", "screener", "law-centre").de_identified
    assert not Viewer("scr", "screener", "law-centre").may_open_people("law-centre")
    assert not Viewer("scr", "screener", "law-centre").may_edit("law-centre")


def test_an_export_cannot_be_tied_to_another_organisations_case(setup: Setup) -> None:
    services, client, auth, export = setup
    form = CaseForm.model_validate(
        {
            "force": "kent",
            "occurred_at": "2025-01-01T10:00:00Z",
            "place": "High Street",
            "encounter_type": "other",
            "narrative": "Test",
            "reporter_kind": "anonymous",
        }
    )
    theirs, _ = services.cases.add(form.to_new_case(), "setup", "other-org", ENTITLED)
    size = services.log.size()
    answer = client.post(
        "/api/v1/screening/exports",
        params={"name": export.name, "case": theirs.id},
        content=export.read_bytes(),
        headers=auth["scr"],
    )
    missing = client.post(
        "/api/v1/screening/exports",
        params={"name": export.name, "case": 99_999},
        content=export.read_bytes(),
        headers=auth["scr"],
    )
    assert answer.status_code == missing.status_code == 404  # as if it did not exist
    assert services.log.size() == size


def test_a_body_over_the_limit_is_refused_as_it_streams(setup: Setup) -> None:
    services, _, auth, _ = setup
    small = replace(services.settings, max_upload_bytes=1000)
    size = services.log.size()
    body = ("13/01/2024, 10:00 - A: " + "x" * 100 + "\n").encode() * 50  # 6 KB of real chat
    with TestClient(create_app(small)) as client:
        declared = client.post(
            "/api/v1/screening/exports",
            params={"name": "chat.txt"},
            content=body,
            headers=auth["scr"],
        )
        chunked = client.post(
            "/api/v1/screening/exports",
            params={"name": "chat.txt"},
            content=(body[i : i + 500] for i in range(0, len(body), 500)),  # no length given
            headers=auth["scr"],
        )
    assert declared.status_code == chunked.status_code == 413
    assert services.log.size() == size
    assert not [p for p in services.settings.staging_dir.iterdir() if p.is_file()]
    assert not list(services.settings.home.glob("screening-*"))
