"""The public rate limits: each kind of request has its own budget per client address, sized so
a report with 20 files goes through; a refused page keeps what was typed and says when to try
again; X-Forwarded-For is believed only from the proxies `witness serve` is told to trust."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from openwitness.app import create_app
from openwitness.core.config import Settings
from openwitness.core.errors import InvalidRequestError
from openwitness.services import Services, initialise
from tests.api.test_api_server import free_port, serving

PASSWORD = "correct horse battery staple"
FORM = {
    "occurred_at": "2025-06-01T14:30",
    "place": "Outside Brixton station",
    "force": "metropolitan",
    "encounter_type": "stop-and-search",
    "narrative": "Searched without grounds; my words stay when the page comes back.",
    "reporter_kind": "anonymous",
}
TUS = {"Tus-Resumable": "1.0.0"}


def pdf(number: int) -> bytes:
    """A small, distinct file the vault accepts."""
    return f"%PDF-1.4\n% file {number}\n%%EOF\n".encode()


@contextmanager
def site(services: Services, **rates: str) -> Iterator[TestClient]:
    settings = services.settings  # the defaults, unless a test narrows a budget
    if rates:
        settings = replace(settings, rates={**settings.rates, **rates})
    with TestClient(create_app(settings), base_url="https://testserver") as client:
        yield client


def tus_upload(client: TestClient, data: bytes) -> httpx.Response:
    """What the report page's script does for each file: create a resumable upload, send it."""
    name = base64.b64encode(b"photo.pdf").decode()
    sha = base64.b64encode(hashlib.sha256(data).hexdigest().encode()).decode()
    created = client.post(
        "/uploads/",
        headers={**TUS, "Upload-Length": str(len(data)),
                 "Upload-Metadata": f"filename {name},sha256 {sha}"},
    )  # fmt: skip
    if created.status_code != 201:
        return created
    headers = {**TUS, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"}
    return client.patch(created.headers["location"], content=data, headers=headers)


def is_page(response: httpx.Response) -> bool:
    return response.headers["content-type"].startswith("text/html")


def retry_after(response: httpx.Response) -> int:
    return int(response.headers["retry-after"])


def test_a_report_with_20_files_goes_through(services: Services) -> None:
    """The page's own path: 20 resumable uploads, then the form naming them by SHA-256."""
    with site(services) as client:
        shas, claims = [], []
        for number in range(20):
            sent = tus_upload(client, pdf(number))
            assert sent.status_code == 204, f"file {number + 1}: {sent.status_code} {sent.text}"
            shas.append(hashlib.sha256(pdf(number)).hexdigest())
            claims.append(str(sent.url).rsplit("/", 1)[1])  # the upload's id is its claim
            assert client.get(f"/api/v1/evidence/{shas[-1]}/receipt").status_code == 200
        made = client.post("/report", data={**FORM, "evidence": shas, "evidence_claim": claims})
        assert made.status_code == 200 and made.url.path == "/report/receipt", made.text
        assert all(sha in made.text for sha in shas)


def test_a_report_with_20_files_attached_goes_through_without_javascript(
    services: Services,
) -> None:
    files = [("files", (f"photo{n}.pdf", pdf(n), "application/pdf")) for n in range(20)]
    with site(services) as client:
        made = client.post("/report", data=FORM, files=files)
        assert made.status_code == 200 and made.url.path == "/report/receipt", made.text
        assert all(hashlib.sha256(pdf(n)).hexdigest() in made.text for n in range(20))
        over = [*files, ("files", ("one-more.pdf", pdf(20), "application/pdf"))]
        refused = client.post("/report", data=FORM, files=over)
        assert refused.status_code == 422 and "at most 20 files in one report" in refused.text


def test_each_kind_of_request_has_its_own_budget(services: Services) -> None:
    services.accounts.create("case", PASSWORD, "admin")
    rates = {
        "uploads": "3 per 10 minutes",
        "reports": "2 per 10 minutes",
        "follow_up": "2 per 10 minutes",
        "sign_in": "3 per 10 minutes",
    }
    sign_in = {"username": "case", "password": PASSWORD}
    with site(services, **rates) as client:
        for number in range(3):
            assert client.post("/api/v1/evidence", content=pdf(number)).status_code == 201
        spent = client.post("/api/v1/evidence", content=pdf(3))
        assert spent.status_code == 429 and 0 < retry_after(spent) <= 600
        assert "too many uploads" in spent.json()["detail"]
        assert tus_upload(client, pdf(4)).status_code == 429  # the page's uploads share it

        # Lodging files used none of the reports' budget, nor the follow-ups', nor sign-in's.
        report = {**FORM, "occurred_at": "2025-06-01T14:30:00+01:00"}
        made = client.post("/api/v1/reports", json=report)
        assert made.status_code == 201, made.text
        token = made.json()["follow_up_token"]
        follow = "/api/v1/reports/follow-up"
        assert client.post(follow, json={"token": token}).status_code == 200
        assert client.post(follow, json={"token": token}).status_code == 200
        assert client.post(follow, json={"token": token}).status_code == 429
        assert client.post("/api/v1/session", json=sign_in).status_code == 200
        assert client.post("/api/v1/reports", json=report).status_code == 201
        assert client.post("/api/v1/reports", json=report).status_code == 429
        assert client.post("/api/v1/session", json=sign_in).status_code == 200
        assert client.post("/api/v1/session", json=sign_in).status_code == 200
        refused = client.post("/api/v1/session", json=sign_in)  # the address's 4th attempt
        assert refused.status_code == 429
        assert "too many sign-in attempts" in refused.json()["detail"]
        assert 0 < retry_after(refused) <= 600


def test_repeated_wrong_sign_ins_on_the_page_are_throttled(services: Services) -> None:
    services.accounts.create("case", PASSWORD, "admin")
    services.accounts.create("other", PASSWORD, "admin")
    wrong = {"username": "case", "password": "not the password"}
    with site(services) as client:
        for attempt in range(9):
            assert client.post("/sign-in", data=wrong).status_code == 401, attempt
        # A success clears the username's failures ...
        right = {**wrong, "password": PASSWORD}
        assert client.post("/sign-in", data=right, follow_redirects=False).status_code == 303
        client.cookies.clear()
        for attempt in range(10):
            assert client.post("/sign-in", data=wrong).status_code == 401, attempt
        # ... and ten failures in a row stop even the right password, from any address.
        refused = client.post("/sign-in", data=wrong)
        assert refused.status_code == 429 and is_page(refused)
        assert 0 < retry_after(refused) <= 600
        assert "Please wait 10 minutes and try again" in refused.text
        assert 'value="case"' in refused.text  # what they typed is kept (not the password)
        assert "not the password" not in refused.text
        assert client.post("/sign-in", data=right).status_code == 429
        api = client.post("/api/v1/session", json={"username": "case", "password": PASSWORD})
        assert api.status_code == 429 and "try again in" in api.json()["detail"]
        # Others at the same address are not locked out with it.
        other = client.post(
            "/sign-in", data={"username": "other", "password": PASSWORD}, follow_redirects=False
        )
        assert other.status_code == 303


def test_a_username_locked_from_one_address_is_locked_from_another(services: Services) -> None:
    services.accounts.create("case", PASSWORD, "admin")
    rates = {**services.settings.rates, "sign_in_account": "3 per 10 minutes"}
    application = create_app(replace(services.settings, rates=rates))
    wrong = {"username": "case", "password": "guess"}
    with (
        TestClient(application, base_url="https://testserver", client=("198.51.100.1", 1)) as one,
        TestClient(application, base_url="https://testserver", client=("198.51.100.2", 1)) as two,
    ):
        for _ in range(3):
            assert one.post("/sign-in", data=wrong).status_code == 401
        assert two.post("/sign-in", data={**wrong, "password": PASSWORD}).status_code == 429


def test_repeated_follow_up_look_ups_on_the_page_are_throttled(services: Services) -> None:
    with site(services) as client:
        guess = "owf_" + "A" * 43
        for attempt in range(20):
            answer = client.post("/follow-up", data={"token": guess})
            assert answer.status_code == 404 and "No report has this token" in answer.text, attempt
        refused = client.post("/follow-up", data={"token": guess})
        assert refused.status_code == 429 and is_page(refused)
        assert 0 < retry_after(refused) <= 600
        assert "too many look-ups" in refused.text and "Please wait 10 minutes" in refused.text
        assert f'value="{guess}"' in refused.text
        api = client.post("/api/v1/reports/follow-up", json={"token": guess})
        assert api.status_code == 429 and api.headers["content-type"] == "application/json"


def test_a_refused_report_page_keeps_what_was_typed(services: Services) -> None:
    with site(services, reports="1 per 10 minutes") as client:
        assert client.post("/report", data=FORM).url.path == "/report/receipt"
        upload = client.post("/api/v1/evidence", content=pdf(1)).json()
        lodged, claim = upload["evidence"]["sha256"], upload["claim"]
        typed = {**FORM, "narrative": "The second thing that happened & what I saw"}
        attached = {"evidence": [lodged], "evidence_claim": claim}
        refused = client.post("/report", data={**typed, **attached})
        assert refused.status_code == 429 and is_page(refused)
        assert 0 < retry_after(refused) <= 600
        assert "too many reports" in refused.text and "Please wait 10 minutes" in refused.text
        assert "What you wrote is kept below" in refused.text
        assert "The second thing that happened &amp; what I saw</textarea>" in refused.text
        assert 'value="Outside Brixton station"' in refused.text
        assert f'name="evidence" value="{lodged}"' in refused.text  # its file stays attached
        api = client.post("/api/v1/reports", json={**FORM, "occurred_at": "2025-06-01T14:30Z"})
        assert api.status_code == 429 and "too many reports" in api.json()["detail"]


def test_a_mistyped_rate_is_refused_naming_its_setting(services: Services) -> None:
    settings = replace(services.settings, rates={**services.settings.rates, "reports": "twenty"})
    named = "OPENWITNESS_RATE_REPORTS: 'twenty' is not a rate"
    with pytest.raises(InvalidRequestError, match=named):
        create_app(settings)


def look_ups(base: str, addresses: list[str]) -> list[int]:
    follow = f"{base}/api/v1/reports/follow-up"
    return [
        httpx.post(follow, json={"token": "owf_x"}, headers={"X-Forwarded-For": a}).status_code
        for a in addresses
    ]


def test_x_forwarded_for_is_believed_only_from_named_proxies(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    svc, _ = initialise(settings, "proxies.test/log")
    svc.close()
    monkeypatch.setenv("OPENWITNESS_RATE_FOLLOW_UP", "2 per 10 minutes")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    # No proxy named: a client cannot pick a new address per request to escape its budget.
    with serving(settings, tmp_path / "direct.log", "--port", str(port), base=base):
        assert look_ups(base, ["192.0.2.1", "192.0.2.2", "192.0.2.3"]) == [404, 404, 429]
    # Behind a named proxy, each client it forwards has its own budget.
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    trusted = ("--port", str(port), "--forwarded-allow-ips", "127.0.0.1")
    with serving(settings, tmp_path / "proxied.log", *trusted, base=base):
        assert look_ups(base, ["192.0.2.1", "192.0.2.2", "192.0.2.3"]) == [404, 404, 404]
        assert look_ups(base, ["192.0.2.4"] * 3) == [404, 404, 429]
