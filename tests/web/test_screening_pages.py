"""The screening pages: a screener lodges a chat export from a form and decides on its
messages; the organisation's caseworkers and admins see participants masked (in the text and
the file name too), analysts counts only, another organisation nothing; and a phone, in a
real browser, does the whole round."""

from __future__ import annotations

import io
import re
import time
import zipfile
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from openwitness.accounts.sessions import csrf_token
from openwitness.api.deps import SESSION_COOKIE
from openwitness.app import create_app
from openwitness.cases.access import Viewer
from openwitness.core.config import Settings
from openwitness.services import Services, initialise
from tests.web.conftest import assert_fits, serious_violations, served
from tests.web.test_casework_http import main_text

PASSWORD = "correct horse battery staple"
CHAT = (
    '[12/01/2024, 09:00:00] PC Hill: ‎PC Hill created group "Shift B"\n'
    "[12/01/2024, 09:01:00] PC Hill: ‎PC Hill added +44 7700 900123\n"
    "[13/01/2024, 10:00:00] PC Hill: anyone got the keys to the van?\n"
    "[13/01/2024, 10:01:00] PC Rowe: all muslims are terrorists and should be deported\n"
    "[13/01/2024, 10:02:00] +44 7700 900123: see you at the briefing, ring me on 07700 900456\n"
    "[14/02/2024, 09:00:00] PC Rowe: women are too stupid to be in the job\n"
)
NAMES = ("PC Hill", "PC Rowe", "7700 900123", "7700 900456")
USERS = {
    "scr": ("screener", "law-centre"),
    "case": ("caseworker", "law-centre"),
    "adm": ("admin", None),
    "ana": ("analyst", None),
    "other": ("screener", "other-org"),
}
ZIP_NAME = "WhatsApp Chat with PC Rowe.zip"


def exported_zip(photo_bytes: int = 0) -> bytes:
    """A WhatsApp zip export; with ``photo_bytes``, a photo of about that size in it."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        chat = CHAT
        if photo_bytes:
            side = int((photo_bytes / 3) ** 0.5) + 1
            image = Image.frombytes(
                "RGB", (side, side), bytes(range(256)) * (side * side * 3 // 256 + 1)
            )
            photo = io.BytesIO()
            image.save(photo, "PNG", compress_level=0)
            name = "00000042-PHOTO-2024-01-13-10-03-00.png"
            archive.writestr(name, photo.getvalue())
            chat += f"[13/01/2024, 10:03:00] PC Rowe: \u200e<attached: {name}>\n"
        archive.writestr("_chat.txt", chat)
    return buffer.getvalue()


def add_accounts(services: Services) -> None:
    services.accounts.add_organisation("law-centre", "Law Centre")
    services.accounts.add_organisation("other-org", "Other")
    for user, (role, org) in USERS.items():
        services.accounts.create(user, PASSWORD, role, org)


def signed_in(app: Any, user: str) -> TestClient:
    client = TestClient(app, base_url="https://testserver")
    answer = client.post(
        "/sign-in", data={"username": user, "password": PASSWORD, "next": "/screening"},
        follow_redirects=False,
    )  # fmt: skip
    assert answer.status_code == 303 and SESSION_COOKIE in client.cookies
    return client


Site = tuple[Services, dict[str, TestClient]]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    home = tmp_path_factory.mktemp("screening-pages")
    settings = Settings(
        home=home / "home",
        database_url=f"sqlite:///{home / 'w.db'}",
        max_upload_bytes=3 * 1024 * 1024,
    )
    services, _ = initialise(settings, "test.openwitness.local/log")
    add_accounts(services)
    app = create_app(replace(settings, rates={k: "1000000 per minute" for k in settings.rates}))
    clients = {user: signed_in(app, user) for user in USERS}
    yield services, clients
    for client in clients.values():
        client.close()
    services.close()


def lodge(client: TestClient, content: bytes, name: str = ZIP_NAME, **fields: str) -> Any:
    token = csrf_token(client.cookies[SESSION_COOKIE])
    return client.post(
        "/screening",
        data={"csrf_token": token, **fields},
        files={"file": (name, content, "application/zip")},
        follow_redirects=False,
    )


def screened(client: TestClient, answer: Any) -> int:
    """The export a lodging form's answer led to: a job's page, followed (as the page's own
    refresh does) until the job is done and the page leads to the screening."""
    assert answer.status_code == 303, answer.text
    job_url = answer.headers["location"]
    assert re.fullmatch(r"/jobs/[0-9a-f]{32}", job_url)
    for _ in range(600):
        page = client.get(job_url, follow_redirects=False)
        if page.status_code == 303:
            match = re.fullmatch(r"/screening/(\d+)", page.headers["location"])
            assert match
            return int(match.group(1))
        assert page.status_code == 200 and "could not be finished" not in page.text
        assert '<meta http-equiv="refresh"' in page.text
        time.sleep(0.1)
    raise AssertionError(f"the job at {job_url} did not finish in a minute")


def lodged_id(site: Site) -> int:
    return screened(site[1]["scr"], lodge(site[1]["scr"], exported_zip()))


def test_a_screener_lodges_from_the_form_and_sees_names_and_ranked_messages(site: Site) -> None:
    services, clients = site
    export_id = lodged_id(site)
    html = clients["scr"].get(f"/screening/{export_id}").text
    text = main_text(html)
    assert ZIP_NAME.removesuffix(".zip") in text and "PC Rowe" in text and "+44 7700 900123" in text
    ranked = re.findall(r'id="message-(\d+)"', html)
    scores = [float(s) for s in re.findall(r"Score (\d\.\d\d)", text)]
    assert len(ranked) == 4 and scores == sorted(scores, reverse=True)
    assert ranked[:2] == ["3", "5"]  # the two hateful messages first
    assert f'action="/screening/{export_id}/messages/3/decision"' in html
    # logged with a receipt, like any evidence
    summary = services.screening_review.export(export_id, OPERATOR)
    assert services.screening_review.log_index(summary["sha256"]) < services.log.size()
    listed = main_text(clients["scr"].get("/screening").text)
    assert ZIP_NAME in listed and "Lodge an export" in listed


def test_decisions_from_the_page_are_kept_in_the_history(site: Site) -> None:
    services, clients = site
    export_id = lodged_id(site)
    token = csrf_token(clients["scr"].cookies[SESSION_COOKIE])
    url = f"/screening/{export_id}/messages/3/decision"
    for decision, note in (("confirmed", "racist"), ("dismissed", "")):
        answer = clients["scr"].post(
            url, data={"csrf_token": token, "decision": decision, "note": note, "offset": "0"},
            follow_redirects=False,
        )  # fmt: skip
        assert answer.status_code == 303
        assert answer.headers["location"] == f"/screening/{export_id}?offset=0#message-3"
    history = services.screening_review.history(export_id, OPERATOR)
    assert [(h["position"], h["decision"], h["note"]) for h in history][-2:] == [
        (3, "confirmed", "racist"),
        (3, "dismissed", None),
    ]
    assert "Dismissed by scr" in main_text(clients["scr"].get(f"/screening/{export_id}").text)
    # without the session's token: refused, nothing written
    forged = clients["scr"].post(url, data={"decision": "confirmed"}, follow_redirects=False)
    bad = clients["scr"].post(url, data={"csrf_token": token, "decision": "maybe"})
    assert forged.status_code == 403 and bad.status_code == 400
    assert len(services.screening_review.history(export_id, OPERATOR)) == len(history)


def test_the_organisations_caseworkers_and_admins_see_participants_masked(site: Site) -> None:
    _, clients = site
    export_id = lodged_id(site)
    for user in ("case", "adm"):
        page = clients[user].get(f"/screening/{export_id}")
        listed = clients[user].get("/screening")
        report = clients[user].get(f"/screening/{export_id}/report.html")
        seen = page.text + listed.text + report.text
        assert page.status_code == report.status_code == 200
        assert "Participant 2" in seen and "terrorists" in seen
        assert "Participant 1 added Participant 3" in main_text(page.text)
        assert "ring me on [phone number]" in main_text(page.text)
        assert not any(name in seen for name in NAMES), user
        assert "/decision" not in page.text  # no decision forms
        token = csrf_token(clients[user].cookies[SESSION_COOKIE])
        decided = clients[user].post(
            f"/screening/{export_id}/messages/3/decision",
            data={"csrf_token": token, "decision": "dismissed"},
        )
        assert decided.status_code == 403


def test_analysts_see_counts_only(site: Site) -> None:
    _, clients = site
    export_id = lodged_id(site)
    page = clients["ana"].get(f"/screening/{export_id}")
    chart = clients["ana"].get(f"/screening/{export_id}/months.svg")
    seen = page.text + clients["ana"].get("/screening").text
    assert page.status_code == chart.status_code == 200 and chart.text.lstrip().startswith("<")
    assert "You see counts only" in main_text(page.text) and "2 flagged" in main_text(page.text)
    assert not any(name in seen for name in NAMES) and "terrorists" not in seen
    assert "Shift B" not in seen and "Lodge an export" not in seen
    assert clients["ana"].get(f"/screening/{export_id}/report.pdf").status_code == 403
    refused = lodge(clients["ana"], exported_zip(), "another.zip")
    assert refused.status_code == 403


def test_another_organisation_learns_nothing(site: Site) -> None:
    _, clients = site
    export_id = lodged_id(site)
    assert "Rowe" not in clients["other"].get("/screening").text
    for path in ("", "/months.svg", "/report.html", "/report.pdf"):
        answer = clients["other"].get(f"/screening/{export_id}{path}")
        assert answer.status_code == 404, path
        assert "Rowe" not in answer.text
    token = csrf_token(clients["other"].cookies[SESSION_COOKIE])
    decided = clients["other"].post(
        f"/screening/{export_id}/messages/3/decision",
        data={"csrf_token": token, "decision": "confirmed"},
    )
    assert decided.status_code == 404
    case = clients["scr"]  # a case of another organisation cannot be linked either
    assert "no case" in lodge(case, exported_zip(), case="999").text


def test_bad_uploads_are_refused_on_the_page_and_nothing_is_logged(site: Site) -> None:
    services, clients = site
    lodged_id(site)
    size = services.log.size()
    notes = lodge(clients["scr"], b"Shopping list\n", "notes.txt")
    assert notes.status_code == 422 and "notes.txt, line 1" in main_text(notes.text)
    empty = lodge(clients["scr"], b"", "")
    assert empty.status_code == 422 and "choose the export" in main_text(empty.text)
    huge = lodge(clients["scr"], b"x" * (5 * 1024 * 1024), "huge.txt")
    assert huge.status_code == 413 and "larger than the limit" in main_text(huge.text)
    forged = clients["scr"].post(
        "/screening", files={"file": (ZIP_NAME, exported_zip(), "application/zip")}
    )
    assert forged.status_code == 403
    assert services.log.size() == size
    # an export over the small-body limit, with a photo in it, is lodged (it once was 413)
    big = exported_zip(photo_bytes=2 * 1024 * 1024)
    assert len(big) > 2 * 1024 * 1024
    screened(clients["scr"], lodge(clients["scr"], big, "WhatsApp Chat - big.zip"))
    api = clients["scr"].post(
        "/api/v1/screening/exports",
        params={"name": "big.zip"},
        content=big,
        headers={"Authorization": f"Bearer {services.accounts.create_token('scr')}"},
    )
    assert api.status_code == 200, api.text  # the same file: the same export


def test_the_report_downloads_tied_to_the_file(site: Site) -> None:
    _, clients = site
    export_id = lodged_id(site)
    sha256 = clients["scr"].get(f"/api/v1/screening/exports/{export_id}").json()["sha256"]
    html = clients["scr"].get(f"/screening/{export_id}/report.html")
    pdf = clients["scr"].get(f"/screening/{export_id}/report.pdf")
    assert html.status_code == pdf.status_code == 200
    assert "attachment" in pdf.headers["content-disposition"]
    assert sha256 in html.text and "PC Rowe" in html.text
    assert pdf.content.startswith(b"%PDF")
    assert clients["scr"].get(f"/screening/{export_id}/report.docx").status_code == 404


OPERATOR = Viewer.operator("test")


def test_a_screener_does_the_round_on_a_phone(
    page: Any, browser: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """At 360 px, served by a real `witness serve`: lodge a zipped export, see it ranked,
    confirm one message and dismiss another, download the report; then an analyst sees no
    names or numbers."""
    home = tmp_path_factory.mktemp("screening-browser")
    export = home / ZIP_NAME
    export.write_bytes(exported_zip())
    with served(home / "site", add_accounts) as base:
        page.goto(f"{base}/screening")
        page.fill("#username", "scr")
        page.fill("#password", PASSWORD)
        page.click("#sign-in")
        page.wait_for_url(f"{base}/screening")
        page.set_input_files("#file", str(export))
        page.click("#lodge")
        page.wait_for_url(re.compile(rf"{re.escape(base)}/screening/\d+$"), timeout=60_000)
        first = page.locator("#ranked > li").first
        assert "terrorists" in first.locator(".this").inner_text()
        assert_fits(page)
        assert serious_violations(page) == []
        first.locator("input[name=note]").fill("racist: refer to PSD")
        first.locator("button[value=confirmed]").click()
        page.wait_for_load_state()
        assert "Confirmed by scr" in page.locator("#message-3").inner_text()
        assert "racist: refer to PSD" in page.locator("#message-3").inner_text()
        page.locator("#message-4 button[value=dismissed]").click()
        page.wait_for_load_state()
        assert "Dismissed by scr" in page.locator("#message-4").inner_text()
        with page.expect_download() as download:
            page.click("#report-pdf")
        saved = home / "report.pdf"
        download.value.save_as(saved)
        assert saved.read_bytes().startswith(b"%PDF")
        export_url = page.url.split("?")[0].split("#")[0]

        analyst = browser.new_context(viewport={"width": 360, "height": 800}).new_page()
        analyst.goto(f"{base}/sign-in?next=/screening")
        analyst.fill("#username", "ana")
        analyst.fill("#password", PASSWORD)
        analyst.click("#sign-in")
        analyst.wait_for_url(f"{base}/screening")
        analyst.goto(export_url)
        seen = analyst.locator("main").inner_text()
        assert "You see counts only" in seen and "Participant 2" in seen
        assert not any(name in seen for name in NAMES) and "terrorists" not in seen
        assert analyst.locator("#months-chart").evaluate("img => img.naturalWidth") > 0
        assert_fits(analyst)
        analyst.context.close()


def test_a_job_s_page_and_its_api_are_only_for_whoever_started_it(site: Site) -> None:
    services, clients = site
    answer = lodge(clients["scr"], exported_zip(), "WhatsApp Chat - jobs.zip")
    job_url = answer.headers["location"]
    job_id = job_url.rsplit("/", 1)[1]
    screened(clients["scr"], answer)
    assert clients["scr"].get(f"/api/v1/jobs/{job_id}").json()["state"] == "done"
    for user in ("case", "adm", "other"):  # the same organisation's caseworker, or an admin
        page = clients[user].get(job_url, follow_redirects=False)
        api = clients[user].get(f"/api/v1/jobs/{job_id}")
        assert page.status_code == api.status_code == 404, user
        assert "screening" not in api.text.lower()
    assert clients["scr"].get("/jobs/not-a-job-id").status_code in (404, 422)
    anonymous = TestClient(clients["scr"].app, base_url="https://testserver")
    assert anonymous.get(f"/api/v1/jobs/{job_id}").status_code == 401
    assert anonymous.get(job_url, follow_redirects=False).status_code in (303, 401)
    # a job that failed says so on its page, in words, and leads nowhere
    failed = services.jobs.create("screening.lodge", {}, "scr")
    services.jobs.fail(failed, "the export could not be read again: upload it once more")
    page = clients["scr"].get(f"/jobs/{failed}", follow_redirects=False)
    assert page.status_code == 200 and "could not be finished" in page.text
    assert "upload it once more" in page.text and 'http-equiv="refresh"' not in page.text
