"""/api/v1/evidence through the ASGI app, on SQLite and PostgreSQL: uploads, lookups, refusals."""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from openwitness.app import create_app
from openwitness.core.config import Settings
from openwitness.ledger.checkpoint import open_checkpoint
from openwitness.ledger.note import Verifier, parse_verifier_key
from openwitness.ledger.receipt import parse_receipt
from openwitness.ledger.verify import VerifiedReceipt, file_sha256, verify_receipt
from openwitness.services import initialise
from tests.support import MEDIA, require_shared

ORIGIN = "api.test/log"
PHOTO = MEDIA / "ianare__exif-samples/jpg/gps/DSCN0010.jpg"
SMALL_PHOTO = MEDIA / "ianare__exif-samples/jpg/Canon_40D.jpg"
UPLOAD = "/api/v1/evidence"
REFUSED_TYPE = "file type not accepted"
RFC3339_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
SHA_MESSAGE = "sha256 must be 64 hexadecimal digits"


def _no_traceback(response: httpx.Response) -> None:
    response.read()
    assert "Traceback" not in response.text, response.text


@pytest.fixture
def installed(settings: Settings) -> Settings:
    svc, _ = initialise(settings, ORIGIN)
    svc.close()
    return settings


@contextmanager
def api(settings: Settings, **client_options: bool) -> Iterator[TestClient]:
    with TestClient(create_app(settings), **client_options) as client:
        client.event_hooks = {"request": [], "response": [_no_traceback]}
        yield client


@pytest.fixture
def client(installed: Settings) -> Iterator[TestClient]:
    with api(installed) as c:
        yield c


def verifier(settings: Settings) -> Verifier:
    return parse_verifier_key(settings.verifier_key_path.read_text())


def stored_files(settings: Settings) -> list[Path]:
    """Every file under the home's blobs/ and staging/."""
    return sorted(
        p
        for d in (settings.blob_dir, settings.staging_dir)
        if d.exists()
        for p in d.rglob("*")
        if p.is_file()
    )


def staging_files(settings: Settings) -> list[Path]:
    d = settings.staging_dir
    return sorted(p for p in d.rglob("*") if p.is_file()) if d.exists() else []


def log_size(client: TestClient) -> int:
    size = client.get("/api/v1/log/checkpoint").json()["size"]
    assert size == client.app.state.services.log.size()  # type: ignore[attr-defined]
    return int(size)


def check_receipt(text: str, settings: Settings, file: Path) -> VerifiedReceipt:
    return verify_receipt(parse_receipt(text), verifier(settings), file)


def assert_refused(
    response: httpx.Response, status: int, message: str, settings: Settings, before: list[Path]
) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"detail"}
    assert message in body["detail"]
    assert staging_files(settings) == []
    assert stored_files(settings) == before


# -- successful uploads ---------------------------------------------------------------------


def test_upload_stores_the_file_and_returns_a_verifiable_receipt(
    client: TestClient, installed: Settings
) -> None:
    require_shared(PHOTO)
    data = PHOTO.read_bytes()
    response = client.post(UPLOAD, content=data)
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == {"created", "evidence", "receipt", "claim"}
    assert body["created"] is True
    evidence = body["evidence"]
    assert set(evidence) == {"sha256", "size", "media_type", "received_at", "log_index", "metadata"}
    sha, size = file_sha256(PHOTO)
    assert sha == "17307b1207eb6487d7908e9d154890b46e3d2e0192369cfd3f4c33d5a5af4035"
    assert (evidence["sha256"], evidence["size"]) == (sha, size) == (sha, len(data))
    assert evidence["media_type"] == "image/jpeg"
    assert evidence["log_index"] == 0
    assert RFC3339_UTC.match(evidence["received_at"])
    assert isinstance(evidence["metadata"], dict)
    assert evidence["metadata"]["device"]["model"] == "COOLPIX P6000"

    verified = check_receipt(body["receipt"], installed, PHOTO)
    assert verified.index == 0
    assert verified.checkpoint.size == 1
    assert verified.checkpoint.origin == ORIGIN
    assert (verified.entry.sha256, verified.entry.size) == (sha, size)
    assert verified.entry.media_type == "image/jpeg"
    assert verified.entry.received_at.strftime("%Y-%m-%dT%H:%M:%SZ") == evidence["received_at"]

    blob = installed.blob_dir / sha[:2] / sha[2:4] / sha
    assert blob.read_bytes() == data
    assert stored_files(installed) == [blob]
    assert log_size(client) == 1


def test_reupload_returns_the_existing_record_and_a_fresh_receipt(
    client: TestClient, installed: Settings
) -> None:
    require_shared(PHOTO)
    first = client.post(UPLOAD, content=PHOTO.read_bytes())
    assert first.status_code == 201
    again = client.post(UPLOAD, content=PHOTO.read_bytes())
    assert again.status_code == 200, again.text
    assert again.json()["created"] is False
    assert again.json()["evidence"] == first.json()["evidence"]
    assert check_receipt(again.json()["receipt"], installed, PHOTO).index == 0
    assert log_size(client) == 1

    other = client.post(UPLOAD, content=SMALL_PHOTO.read_bytes())
    assert other.status_code == 201
    assert other.json()["evidence"]["log_index"] == 1
    third = client.post(UPLOAD, content=PHOTO.read_bytes())
    assert third.status_code == 200
    assert third.json()["evidence"]["log_index"] == 0
    verified = check_receipt(third.json()["receipt"], installed, PHOTO)
    assert (verified.index, verified.checkpoint.size) == (0, 2)  # against the latest checkpoint
    assert log_size(client) == 2
    assert len(stored_files(installed)) == 2


def test_content_type_and_chunking_do_not_change_what_is_stored(
    client: TestClient, installed: Settings
) -> None:
    require_shared(SMALL_PHOTO)
    data = SMALL_PHOTO.read_bytes()

    def chunks() -> Iterator[bytes]:
        for i in range(0, len(data), 1000):
            yield data[i : i + 1000]

    response = client.post(UPLOAD, content=chunks(), headers={"content-type": "text/plain"})
    assert response.status_code == 201, response.text
    assert "content-length" not in response.request.headers
    assert response.json()["evidence"]["sha256"] == hashlib.sha256(data).hexdigest()
    assert response.json()["evidence"]["media_type"] == "image/jpeg"
    check_receipt(response.json()["receipt"], installed, SMALL_PHOTO)


# -- lookups ---------------------------------------------------------------------------------


def test_get_evidence_and_receipt(client: TestClient, installed: Settings) -> None:
    require_shared(PHOTO)
    uploaded = client.post(UPLOAD, content=PHOTO.read_bytes()).json()
    client.post(UPLOAD, content=SMALL_PHOTO.read_bytes())
    sha = uploaded["evidence"]["sha256"]

    public = {k: v for k, v in uploaded["evidence"].items() if k != "metadata"}
    record = client.get(f"{UPLOAD}/{sha}")
    assert record.status_code == 200
    assert record.json() == public
    assert client.get(f"{UPLOAD}/{sha.upper()}").json() == public
    # Extracted metadata can locate the person who filmed: the lookup never serves it.
    assert uploaded["evidence"]["metadata"]["gps"] is not None
    for personal in ("metadata", "gps", "COOLPIX", "NIKON", "2008-10-22"):
        assert personal not in record.text

    receipt = client.get(f"{UPLOAD}/{sha}/receipt")
    assert receipt.status_code == 200
    assert receipt.headers["content-type"] == "text/plain; charset=utf-8"
    assert receipt.text.startswith("c2sp.org/tlog-proof@v1\n")
    verified = check_receipt(receipt.text, installed, PHOTO)
    assert (verified.index, verified.checkpoint.size) == (0, 2)
    latest = client.get("/api/v1/log/checkpoint").json()["note"]
    assert parse_receipt(receipt.text).checkpoint == latest
    assert open_checkpoint(latest, verifier(installed)).size == 2


def test_unknown_sha_is_404_json(client: TestClient) -> None:
    unknown = "0" * 64
    for url in (f"{UPLOAD}/{unknown}", f"{UPLOAD}/{unknown}/receipt"):
        response = client.get(url)
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/json"
        assert response.json() == {"detail": f"no evidence with sha256 {unknown}"}


@pytest.mark.parametrize(
    "sha",
    ["abc", "0" * 63, "0" * 65, "g" * 64, "0x" + "0" * 62, " " + "0" * 63, "%C3%A9" * 32],
    ids=["short", "63", "65", "non-hex", "0x-prefix", "space", "non-ascii"],
)
def test_malformed_sha_is_400(client: TestClient, sha: str) -> None:
    for url in (f"{UPLOAD}/{sha}", f"{UPLOAD}/{sha}/receipt"):
        response = client.get(url)
        assert response.status_code == 400, (url, response.text)
        assert response.json() == {"detail": SHA_MESSAGE}


# -- refusals ---------------------------------------------------------------------------------


def _zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("evidence.txt", "not media")
    return buffer.getvalue()


NOT_MEDIA = {
    "text": (b"The officer's badge number was 1234.\n" * 20, "text/plain"),
    "zip": (_zip_bytes(), "application/zip"),
    "html": (b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>", "text/html"),
    "text-claiming-jpeg": (b"just some text pretending to be a photo\n" * 10, "image/jpeg"),
    "jpeg-magic-only": (b"\xff\xd8", "image/jpeg"),
}


@pytest.mark.parametrize("kind", list(NOT_MEDIA))
def test_bytes_that_are_not_media_are_415(
    client: TestClient, installed: Settings, kind: str
) -> None:
    data, content_type = NOT_MEDIA[kind]
    response = client.post(UPLOAD, content=data, headers={"content-type": content_type})
    assert_refused(response, 415, REFUSED_TYPE, installed, [])
    assert "image/jpeg" in response.json()["detail"]  # says what is accepted
    assert log_size(client) == 0


def test_multipart_upload_is_refused_as_not_media(client: TestClient, installed: Settings) -> None:
    require_shared(SMALL_PHOTO)
    # The API takes the raw bytes; a multipart body is not a photo even if it wraps one.
    response = client.post(
        UPLOAD, files={"file": ("p.jpg", SMALL_PHOTO.read_bytes(), "image/jpeg")}
    )
    assert_refused(response, 415, REFUSED_TYPE, installed, [])
    assert log_size(client) == 0


def test_empty_body_is_400(client: TestClient, installed: Settings) -> None:
    response = client.post(UPLOAD, content=b"")
    assert_refused(response, 400, "file is empty", installed, [])
    assert response.json() == {"detail": "file is empty"}

    def nothing() -> Iterator[bytes]:
        yield b""

    response = client.post(UPLOAD, content=nothing())
    assert_refused(response, 400, "file is empty", installed, [])
    assert log_size(client) == 0


def test_upload_over_the_limit_is_413_with_or_without_content_length(installed: Settings) -> None:
    require_shared(SMALL_PHOTO)
    data = SMALL_PHOTO.read_bytes()
    limited = replace(installed, max_upload_bytes=len(data) - 1)
    with api(limited) as client:
        announced = client.post(UPLOAD, content=data)
        assert announced.request.headers["content-length"] == str(len(data))
        assert_refused(announced, 413, "larger than the limit", limited, [])
        assert announced.json() == {
            "detail": f"file is larger than the limit of {len(data) - 1:,} bytes"
        }

        def stream() -> Iterator[bytes]:
            for i in range(0, len(data), 512):
                yield data[i : i + 512]

        streamed = client.post(UPLOAD, content=stream())
        assert "content-length" not in streamed.request.headers
        assert streamed.request.headers["transfer-encoding"] == "chunked"
        assert_refused(streamed, 413, "larger than the limit", limited, [])

        def endless() -> Iterator[bytes]:
            yield data
            yield b"\0" * (1 << 20)

        # Far past the limit, the body limit refuses before the route does.
        assert_refused(client.post(UPLOAD, content=endless()), 413, "Too Large", limited, [])
        assert log_size(client) == 0


def test_upload_exactly_at_the_limit_is_accepted(installed: Settings) -> None:
    require_shared(SMALL_PHOTO)
    data = SMALL_PHOTO.read_bytes()
    with api(replace(installed, max_upload_bytes=len(data))) as client:
        response = client.post(UPLOAD, content=data)
        assert response.status_code == 201, response.text
        assert response.json()["evidence"]["size"] == len(data)


def test_refusals_leave_stored_evidence_and_the_log_untouched(installed: Settings) -> None:
    require_shared(PHOTO)
    limit = PHOTO.stat().st_size
    limited = replace(installed, max_upload_bytes=limit)
    with api(limited) as client:
        assert client.post(UPLOAD, content=PHOTO.read_bytes()).status_code == 201
        before = stored_files(limited)
        assert len(before) == 1
        checkpoint = client.get("/checkpoint").text
        too_big = PHOTO.read_bytes() + b"\0"

        def chunked() -> Iterator[bytes]:
            yield too_big[:1000]
            yield too_big[1000:]

        refusals = [
            (client.post(UPLOAD, content=b""), 400, "file is empty"),
            (client.post(UPLOAD, content=NOT_MEDIA["zip"][0]), 415, REFUSED_TYPE),
            (client.post(UPLOAD, content=too_big), 413, "limit"),
            (client.post(UPLOAD, content=chunked()), 413, "limit"),
        ]
        for response, status, message in refusals:
            assert_refused(response, status, message, limited, before)
        assert log_size(client) == 1
        assert client.get("/checkpoint").text == checkpoint  # nothing new was signed


def test_unexpected_errors_are_a_bare_500_without_details(
    installed: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken() -> str:
        raise RuntimeError(f"secret internals at {installed.home}")

    with api(installed, raise_server_exceptions=False) as fresh:
        monkeypatch.setattr(fresh.app.state.services.log, "latest_checkpoint", broken)  # type: ignore[attr-defined]
        response = fresh.get("/api/v1/log/checkpoint")
        assert response.status_code == 500
        assert response.json() == {"detail": "internal server error"}
        assert "secret" not in response.text and str(installed.home) not in response.text
