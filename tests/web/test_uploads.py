"""Resumable uploads (tus) under attack and after crashes, through HTTP.

Each test reproduces a finding from the outside attack on the tus endpoint: concatenation
amplification, method overrides, unbounded lengths, corrupted resumes after a crash, uploads
finished but never lodged, no budget for anonymous clients, abandoned uploads kept for days.
"""

from __future__ import annotations

import base64
import hashlib
import os
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from openwitness.app import create_app
from openwitness.core.config import Settings
from openwitness.services import Services
from tests.api.test_api_authorisation import tiny_png
from tests.support import stored_bytes

TUS = {"Tus-Resumable": "1.0.0"}
PATCH = {**TUS, "Content-Type": "application/offset+octet-stream"}


def photo(seed: int = 0) -> bytes:
    """A real PNG (the vault sniffs types), made distinct by a trailing comment chunk."""
    return tiny_png() + b"\x00" * seed


def metadata(data: bytes, **extra: str) -> str:
    pairs = {"sha256": hashlib.sha256(data).hexdigest(), **extra}
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in pairs.items())


def create(client: TestClient, data: bytes, **headers: str) -> str:
    made = client.post(
        "/uploads/",
        headers={**TUS, "Upload-Length": str(len(data)), "Upload-Metadata": metadata(data),
                 **headers},
    )  # fmt: skip
    assert made.status_code == 201, made.text
    location: str = made.headers["location"]
    return location


def app_for(settings: Settings, **changes: int) -> TestClient:
    return TestClient(create_app(replace(settings, **changes)))


@pytest.fixture
def client(services: Services) -> Iterator[TestClient]:
    with app_for(services.settings, max_upload_bytes=1024 * 1024) as test_client:
        yield test_client


def log_size(services: Services) -> int:
    return services.log.size()


def test_concatenation_overrides_and_bad_lengths_are_refused(
    client: TestClient, services: Services
) -> None:
    data = photo()
    partial = client.post(
        "/uploads/",
        headers={**TUS, "Upload-Concat": "partial", "Upload-Length": str(len(data)),
                 "Upload-Metadata": metadata(data)},
    )  # fmt: skip
    assert partial.status_code == 400 and "concatenation" in partial.text
    twice = "final;/uploads/a /uploads/a"
    final = client.post("/uploads/", headers={**TUS, "Upload-Concat": twice})
    assert final.status_code == 400
    options = client.options("/uploads/", headers=TUS)
    assert "concatenation" not in options.headers["tus-extension"]
    for length in ("-1", "0", str(1024 * 1024 + 1), "1e9", ""):
        refused = client.post(
            "/uploads/",
            headers={**TUS, "Upload-Length": length, "Upload-Metadata": metadata(data)},
        )
        assert refused.status_code in (400, 413), (length, refused.text)
    deferred = client.post(
        "/uploads/",
        headers={**TUS, "Upload-Defer-Length": "1", "Upload-Metadata": metadata(data)},
    )
    assert deferred.status_code == 400
    location = create(client, data)
    as_patch = client.post(
        location, content=data, headers={**PATCH, "X-HTTP-Method-Override": "PATCH",
                                         "Upload-Offset": "0"},
    )  # fmt: skip
    assert as_patch.status_code == 405
    as_delete = client.patch(
        location, content=data, headers={**PATCH, "X-HTTP-Method-Override": "DELETE",
                                         "Upload-Offset": "0"},
    )  # fmt: skip
    assert as_delete.status_code == 400 and "Override" in as_delete.text
    assert client.head(location, headers=TUS).headers["upload-offset"] == "0"
    no_hash = client.post("/uploads/", headers={**TUS, "Upload-Length": "10"})
    assert no_hash.status_code == 400 and "sha256" in no_hash.text
    assert list((services.settings.uploads_dir).glob("*.json")) == [
        services.settings.uploads_dir / f"{location.rsplit('/', 1)[1]}.json"
    ]


def test_a_resume_after_a_crash_lands_at_the_recorded_offset(
    client: TestClient, services: Services
) -> None:
    data = photo(5000)
    half = len(data) // 2
    location = create(client, data)
    first = client.patch(location, content=data[:half], headers={**PATCH, "Upload-Offset": "0"})
    assert first.status_code == 204 and first.headers["upload-offset"] == str(half)
    # A crash mid-PATCH leaves bytes on disk after the recorded offset.
    partial = services.settings.uploads_dir / location.rsplit("/", 1)[1]
    with partial.open("ab") as leftover:
        leftover.write(b"written before the crash, never recorded" * 100)
    head = client.head(location, headers=TUS)
    assert head.headers["upload-offset"] == str(half)
    resumed = {**PATCH, "Upload-Offset": str(half)}
    rest = client.patch(location, content=data[half:], headers=resumed)
    assert rest.status_code == 204, rest.text
    sha = hashlib.sha256(data).hexdigest()
    stored = services.vault.get(sha)
    assert stored.size == len(data)  # the client's own bytes, and a receipt for its hash
    assert client.get(f"/api/v1/evidence/{sha}/receipt").status_code == 200
    assert stored_bytes(services.vault, sha) == data


def test_bytes_that_do_not_hash_as_declared_never_enter_the_log(
    client: TestClient, services: Services
) -> None:
    declared, sent = photo() + b"\x01", photo() + b"\x02"  # same length, other bytes
    before = log_size(services)
    location = create(client, declared)
    patched = client.patch(location, content=sent, headers={**PATCH, "Upload-Offset": "0"})
    assert patched.status_code == 460 and "not the file you hashed" in patched.text
    assert log_size(services) == before
    assert client.head(location, headers=TUS).status_code == 410  # start a new upload
    assert not (services.settings.uploads_dir / location.rsplit("/", 1)[1]).exists()


def test_an_upload_finished_but_never_lodged_is_lodged_at_start_and_on_request(
    services: Services,
) -> None:
    settings = services.settings
    first, second = photo(10), photo(11)
    with app_for(settings) as client:
        locations = [create(client, data) for data in (first, second)]
    # As if the server died after writing the last bytes but before lodging them.
    folder = settings.uploads_dir
    for location, data in zip(locations, (first, second), strict=True):
        upload_id = location.rsplit("/", 1)[1]
        (folder / upload_id).write_bytes(data)
        record = folder / f"{upload_id}.json"
        finished = record.read_text().replace('"offset": 0', f'"offset": {len(data)}')
        record.write_text(finished)
    services.uploads.status(locations[1].rsplit("/", 1)[1])  # a request touches one
    with app_for(settings) as client:  # start-up lodges the other
        for data in (first, second):
            sha = hashlib.sha256(data).hexdigest()
            assert client.get(f"/api/v1/evidence/{sha}/receipt").status_code == 200
        head = client.head(locations[0], headers=TUS)
        assert head.status_code == 200 and head.headers["upload-offset"] == str(len(first))


def test_anonymous_uploads_have_a_budget_per_client(services: Services) -> None:
    settings = services.settings
    with TestClient(create_app(replace(settings, rates={"uploads": "3 per 10 minutes"}))) as client:
        for seed in range(3):
            create(client, photo(seed))
        over = client.post(
            "/uploads/",
            headers={**TUS, "Upload-Length": "100", "Upload-Metadata": metadata(b"x")},
        )
        assert over.status_code == 429 and int(over.headers["retry-after"]) > 0
        direct = client.post("/api/v1/evidence", content=photo(9))
        assert direct.status_code == 429
    with app_for(settings, upload_bytes_per_day=5000) as client:
        create(client, photo(0))
        big = photo(6000)
        refused = client.post(
            "/uploads/",
            headers={**TUS, "Upload-Length": str(len(big)), "Upload-Metadata": metadata(big)},
        )
        assert refused.status_code == 429 and "bytes" in refused.text


def test_partial_uploads_have_a_disk_budget_and_abandoned_ones_go_while_running(
    services: Services,
) -> None:
    settings = services.settings
    with app_for(settings, partial_uploads_max_bytes=3000) as client:
        kept = create(client, photo(2000 - len(tiny_png())))
        full = client.post(
            "/uploads/",
            headers={**TUS, "Upload-Length": "1500", "Upload-Metadata": metadata(photo(3))},
        )
        assert full.status_code == 507 and "Retry-After" in full.headers
        # Nobody touched the first one for three days: the next upload clears it.
        three_days_ago = time.time() - 3 * 86400
        for path in settings.uploads_dir.glob(f"{kept.rsplit('/', 1)[1]}*"):
            os.utime(path, (three_days_ago, three_days_ago))
        create(client, photo(1500 - len(tiny_png())))
        assert client.head(kept, headers=TUS).status_code == 404


def test_upload_records_keep_no_file_name(client: TestClient, services: Services) -> None:
    data = photo(7)
    made = client.post(
        "/uploads/",
        headers={**TUS, "Upload-Length": str(len(data)),
                 "Upload-Metadata": metadata(data, filename="home address.jpg")},
    )  # fmt: skip
    assert made.status_code == 201
    for path in Path(services.settings.uploads_dir).iterdir():
        assert b"home address" not in path.read_bytes()
