"""Caseworkers' pages over HTTP (in-process, signed in), on SQLite and PostgreSQL: edge values
in addresses and query strings never make a server error, and each role sees only its share.

The pages are left out of the OpenAPI document (``include_in_schema=False``), so
tests/api/test_api_schemathesis.py cannot reach them: their parameters are fuzzed here."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from openwitness.accounts.sessions import csrf_token
from openwitness.api.deps import SESSION_COOKIE
from openwitness.app import create_app
from openwitness.services import Services

PASSWORD = "correct horse battery staple"
EDGE_INTEGERS = ["0", "-1", "1", "2147483647", "2147483648", str(2**63), "1e9", "10" * 20]
EDGE_DATES = ["9999-12-31", "0001-01-01", "1899-12-31", "2100-12-31", "2025-02-30", "2025-1-1"]
EDGE_TEXT = ["", " ", "x" * 5000, '"', "*", "NEAR(a b)", "' OR 1=1 --", "\u0000", "é/ü", "%"]
QUERY_NAMES = ["received_from", "received_to", "officer", "offset", "q", "force", "category",
               "status", "overdue", "limit", "next"]  # fmt: skip
SHA = "ab" * 32


@dataclass
class Site:
    services: Services
    clients: dict[str, TestClient]
    ids: dict[str, Any]


def gps_photo() -> bytes:
    """A JPEG whose EXIF holds a GPS position and a camera make and model."""
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "Acme", "SpyCam 3000"
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "N", (51.0, 28.0, 36.0), "W", (0.0, 7.0, 12.0)
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(out, format="JPEG", exif=exif)
    return out.getvalue()


def case_body(**extra: Any) -> dict[str, Any]:
    return {
        "force": "metropolitan",
        "occurred_at": "2025-06-01T14:30:00+01:00",
        "place": "Brixton Road",
        "encounter_type": "stop-and-search",
        "narrative": "Searched.",
        "reporter_kind": "anonymous",
        **extra,
    }


@pytest.fixture
def site(services: Services, tmp_path: Any) -> Iterator[Site]:
    """Accounts of every role, each with its own signed-in session (cookie and CSRF token)."""
    accounts = services.accounts
    for org in ("law-centre", "other-group"):
        accounts.add_organisation(org, org)
    accounts.create("cw", PASSWORD, "caseworker", "law-centre")
    accounts.create("analyst", PASSWORD, "analyst")
    accounts.create("admin", PASSWORD, "admin")
    unlimited = {name: "1000000 per minute" for name in services.settings.rates}
    app = create_app(replace(services.settings, rates=unlimited))
    clients: dict[str, TestClient] = {}
    with TestClient(app, base_url="https://testserver") as anonymous:
        for user in ("cw", "analyst", "admin"):
            client = TestClient(app, base_url="https://testserver")
            signed = client.post(
                "/sign-in",
                data={"username": user, "password": PASSWORD, "next": "/cases"},
                follow_redirects=False,
            )
            assert signed.status_code == 303, signed.text
            client.headers["Accept"] = "text/html"
            client.headers["X-CSRF-Token"] = csrf_token(client.cookies[SESSION_COOKIE])
            clients[user] = client
        clients["anonymous"] = anonymous
        yield Site(app.state.services, clients, {})


def test_edge_values_in_page_addresses_never_make_a_server_error(site: Site) -> None:
    """Every page and edge value for each of its parameters, as an admin and an analyst."""
    paths = [
        "/cases", "/overdue", "/import",
        *(f"/cases/{n}" for n in EDGE_INTEGERS),
        *(f"/cases/{n}/evidence/{SHA}" for n in EDGE_INTEGERS),
        *(f"/cases/{n}/evidence/{SHA}/thumbnail" for n in EDGE_INTEGERS),
        *(f"/officers/{n}" for n in EDGE_INTEGERS),
        *(f"/officers/{n}/photos/{SHA}" for n in EDGE_INTEGERS),
        "/cases/1/evidence/" + "x" * 3000,
        "/cases/1/evidence/" + "x" * 3000 + "/thumbnail",
        "/patterns",
    ]  # fmt: skip
    for user in ("admin", "analyst"):
        client = site.clients[user]
        for path in paths:
            answer = client.get(path)
            assert answer.status_code < 500, (user, path, answer.text[:300])
            assert answer.headers["content-type"].startswith("text/html"), (path, answer.text)
        for value in EDGE_TEXT:
            answer = client.get("/patterns", params={"label": value})
            assert answer.status_code == 400 and "Traceback" not in answer.text, (user, value)
        for name in QUERY_NAMES:
            for value in EDGE_INTEGERS + EDGE_DATES + EDGE_TEXT:
                answer = client.get("/cases", params={name: value})
                assert answer.status_code < 500, (user, name, value, answer.text[:300])
                assert "Traceback" not in answer.text


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@given(
    params=st.dictionaries(
        st.sampled_from(QUERY_NAMES),
        st.one_of(
            st.sampled_from(EDGE_INTEGERS + EDGE_DATES + EDGE_TEXT),
            st.dates().map(str),
            st.integers().map(str),
            st.text(max_size=300),
        ),
        max_size=5,
    )
)
def fuzz_case_list(client: TestClient, params: dict[str, str]) -> None:
    answer = client.get("/cases", params=params)
    assert answer.status_code in (200, 422), (params, answer.status_code, answer.text[:300])


def test_random_filters_on_the_case_list_never_make_a_server_error(site: Site) -> None:
    fuzz_case_list(site.clients["admin"])


def test_a_date_filter_beyond_the_range_is_named_beside_its_field(site: Site) -> None:
    for name in ("received_to", "received_from"):
        answer = site.clients["cw"].get("/cases", params={name: "9999-12-31"})
        assert answer.status_code == 422
        assert f'id="{name}-error"' in answer.text or f"{name}-error" in answer.text, answer.text
        assert "a date from 1900-01-01 to 2100-12-31" in answer.text
    evidence = site.clients["cw"].get(f"/cases/{2**63}/evidence/{SHA}")
    assert evidence.status_code == 422 and evidence.headers["content-type"].startswith("text/html")
    assert "case_id" in evidence.text and "{" not in evidence.text.split("<main", 1)[-1][:40]


def test_a_caseworker_opening_an_unassigned_public_report_gets_404(site: Site) -> None:
    """A report from the public that no one has assigned belongs to no organisation and is no
    imported record: only admins see it until it is handed to an organisation."""
    public = site.clients["anonymous"].post("/api/v1/reports", json=case_body())
    assert public.status_code == 201, public.text
    report = public.json()["case"]
    cw, admin = site.clients["cw"], site.clients["admin"]
    assert cw.get(f"/api/v1/cases/{report}").status_code == 404
    assert cw.get(f"/cases/{report}").status_code == 404
    assert report not in [c["id"] for c in cw.get("/api/v1/cases").json()["items"]]
    assert admin.get(f"/api/v1/cases/{report}").status_code == 200  # it exists
    assert admin.get(f"/cases/{report}").status_code == 200


def test_an_analysts_case_page_shows_no_gps_position_or_device(site: Site) -> None:
    lodged = site.clients["cw"].post(
        "/api/v1/evidence", content=gps_photo(), headers={"Content-Type": "image/jpeg"}
    )
    assert lodged.status_code in (200, 201), lodged.text
    sha = lodged.json()["evidence"]["sha256"]
    made = site.clients["cw"].post("/api/v1/cases", json=case_body(evidence=[sha]))
    assert made.status_code == 201, made.text
    page = f"/cases/{made.json()['id']}"
    shown = site.clients["cw"].get(page).text
    assert "SpyCam 3000" in shown and "51.47" in shown  # the caseworker sees the metadata
    assert "<dt>Position</dt>" in shown and "<dt>Camera</dt>" in shown
    hidden = site.clients["analyst"].get(page)
    assert hidden.status_code == 200 and sha in hidden.text  # the evidence is listed, by hash
    for detail in ("SpyCam", "Acme", "51.47", "-0.12", "<dt>Position</dt>", "<dt>Camera</dt>"):
        assert detail not in hidden.text, detail


def test_an_allegation_due_today_is_not_overdue_anywhere_and_one_due_yesterday_is(
    site: Site,
) -> None:
    cw = site.clients["cw"]
    today = datetime.now(UTC).date()
    officers = [
        cw.post("/api/v1/officers", json={"force": "metropolitan", "collar": c}).json()["id"]
        for c in ("101", "102")
    ]
    cases = []
    for officer, due in zip(officers, (today, today - timedelta(days=1)), strict=True):
        body = case_body(allegations=[{"officer": officer, "due_on": due.isoformat()}])
        made = cw.post("/api/v1/cases", json=body)
        assert made.status_code == 201, made.text
        cases.append(made.json())
    due_today, due_yesterday = cases

    for case, overdue in ((due_today, False), (due_yesterday, True)):
        assert [a["overdue"] for a in cw.get(f"/api/v1/cases/{case['id']}").json()[
            "allegations"]] == [overdue]  # fmt: skip
    assert [c["id"] for c in cw.get("/api/v1/cases", params={"overdue": "true"}).json()[
        "items"]] == [due_yesterday["id"]]  # fmt: skip
    summaries = {c["id"]: c["overdue"] for c in cw.get("/api/v1/cases").json()["items"]}
    assert summaries == {due_today["id"]: 0, due_yesterday["id"]: 1}
    listed = cw.get("/api/v1/allegations", params={"overdue": "true"}).json()["items"]
    assert [a["case"] for a in listed] == [due_yesterday["id"]]
    counts = cw.get("/api/v1/allegations/overdue").json()
    assert counts["overdue"] == 1 and counts["by_officer"] == [
        {"officer": officers[1], "overdue": 1}
    ]
    for officer, overdue in zip(officers, (0, 1), strict=True):
        record = cw.get(f"/api/v1/officers/{officer}/record").json()
        assert record["counts"]["overdue"] == overdue
        assert [a["overdue"] for a in record["allegations"]] == [bool(overdue)]
    lines = cw.get("/api/v1/export/allegations", params={"format": "json"}).text.splitlines()
    assert [line.count('"overdue": true') for line in lines] == [0, 1]
    exported = cw.get("/api/v1/export/allegations", params={"format": "json", "overdue": "true"})
    assert len(exported.text.splitlines()) == 1

    dashboard = cw.get("/overdue").text
    assert f"/cases/{due_yesterday['id']}" in dashboard
    assert f"/cases/{due_today['id']}" not in dashboard
    listing = cw.get("/cases", params={"overdue": "true"}).text
    assert f"/cases/{due_yesterday['id']}" in listing
    assert f'/cases/{due_today["id"]}"' not in listing
    assert "overdue since" not in cw.get(f"/cases/{due_today['id']}").text
    assert "overdue since" in cw.get(f"/cases/{due_yesterday['id']}").text


def test_the_case_page_shows_a_thumbnail_made_in_the_background_to_its_readers_only(
    site: Site,
) -> None:
    """An upload queues its preview (a thread here, no Redis); the case page then shows the
    thumbnail, a few KB, linking to the full image; only those who may see the item get it."""
    cw = site.clients["cw"]
    picture = Image.new("RGB", (1200, 900), "green")
    out = io.BytesIO()
    picture.save(out, "JPEG", exif=Image.open(io.BytesIO(gps_photo())).getexif())
    lodged = cw.post(
        "/api/v1/evidence", content=out.getvalue(), headers={"Content-Type": "image/jpeg"}
    )
    assert lodged.status_code == 201, lodged.text
    sha = lodged.json()["evidence"]["sha256"]
    deadline = time.monotonic() + 30
    while site.services.previews.get(sha) is None:
        assert time.monotonic() < deadline, "the preview job did not run"
        time.sleep(0.05)
    [job] = [j for j in site.services.jobs.recent() if j.kind == "evidence.preview"]
    assert job.state == "done" and job.result == {
        "state": "made",
        "phash": site.services.previews.get(sha).phash,  # type: ignore[union-attr]
    }
    assert cw.get(f"/api/v1/jobs/{job.id}").status_code == 404  # nobody's job to follow

    case_id = cw.post("/api/v1/cases", json=case_body(evidence=[sha])).json()["id"]
    page = cw.get(f"/cases/{case_id}").text
    thumb_url = f"/cases/{case_id}/evidence/{sha}/thumbnail"
    assert (
        f'<a href="/cases/{case_id}/evidence/{sha}" class="thumbnail"><img src="{thumb_url}"'
        in page
    )
    assert 'width="320" height="240"' in page and "<dt>Perceptual hash</dt>" in page
    thumb = cw.get(thumb_url)
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
    assert thumb.headers["cache-control"].startswith("private")
    shown = Image.open(io.BytesIO(thumb.content))
    assert shown.size == (320, 240) and len(shown.getexif()) == 0
    assert b"SpyCam" not in thumb.content and len(thumb.content) < len(out.getvalue())

    assert site.clients["analyst"].get(thumb_url).status_code == 403  # de-identified reader
    assert site.clients["anonymous"].get(thumb_url, follow_redirects=False).status_code in (
        303, 401,
    )  # fmt: skip
    site.services.accounts.create("elsewhere", PASSWORD, "caseworker", "other-group")
    other = TestClient(cw.app, base_url="https://testserver")
    other.post("/sign-in", data={"username": "elsewhere", "password": PASSWORD, "next": "/"})
    assert other.get(thumb_url).status_code == 404  # another organisation's case
    assert cw.get(f"/cases/{case_id}/evidence/{'ab' * 32}/thumbnail").status_code == 404
