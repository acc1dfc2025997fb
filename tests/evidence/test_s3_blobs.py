"""Evidence in an S3-compatible object store (a real SeaweedFS on loopback): stored, logged and
read back as with the folder; multipart for large files; a process killed before or after the
log commit leaves the log and the bucket in step, and nothing that is never cleaned up."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import wave
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient

from openwitness.cases.access import Viewer
from openwitness.core.config import Settings
from openwitness.core.object_store import BlobUrlError, parse_blob_url
from openwitness.evidence.s3_blobs import S3BlobStore
from openwitness.ledger.publish import FolderDestination, publish
from openwitness.ledger.verify import file_sha256, verify_receipt
from openwitness.services import Services, initialise, open_services
from openwitness.web.blob_response import blob_response
from tests.object_store import client, new_bucket, s3_endpoint, use_test_credentials
from tests.support import MEDIA, env_for, require_shared, stored_bytes

PHOTO = MEDIA / "ianare__exif-samples/jpg/gps/DSCN0010.jpg"


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with s3_endpoint(tmp_path_factory.mktemp("seaweedfs")) as url:
        yield url


@pytest.fixture
def s3_services(
    endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Services, str]]:
    use_test_credentials(monkeypatch)
    bucket = new_bucket(endpoint)
    settings = Settings(
        home=tmp_path / "home",
        database_url=f"sqlite:///{tmp_path / 'w.db'}",
        blob_url=f"s3://{bucket}/evidence?endpoint={endpoint}",
    )
    services, _ = initialise(settings, "test.openwitness.local/log")
    yield services, bucket
    services.close()


def keys(endpoint: str, bucket: str) -> list[str]:
    listed: Any = client(endpoint).list_objects_v2(Bucket=bucket)  # type: ignore[attr-defined]
    return sorted(item["Key"] for item in listed.get("Contents", []))


def sound(path: Path, seconds: float) -> Path:
    """A WAV file of noise (distinct bytes every time), about 176 kB a second."""
    with wave.open(str(path), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(44100)
        out.writeframes(os.urandom(int(44100 * seconds) * 4))
    return path


def test_evidence_is_stored_in_the_bucket_and_read_back(
    s3_services: tuple[Services, str], endpoint: str
) -> None:
    require_shared(PHOTO)
    services, bucket = s3_services
    result = services.vault.ingest_file(PHOTO)
    sha = result.record.sha256
    assert keys(endpoint, bucket) == [f"evidence/blobs/{sha}"]  # the marker is gone
    assert stored_bytes(services.vault, sha) == PHOTO.read_bytes()
    with services.vault.local_blob(sha) as copy:
        assert copy.read_bytes() == PHOTO.read_bytes()
    assert not copy.exists()  # the temporary copy is deleted
    assert services.vault.blob_size(sha) == PHOTO.stat().st_size
    assert not services.settings.blob_dir.exists()
    assert list(services.settings.staging_dir.iterdir()) == []
    verify_receipt(result.receipt, services.log.signer.verifier, PHOTO)
    assert services.vault.ingest_file(PHOTO).created is False  # the same bytes: one object


def test_a_large_file_goes_up_in_parts(
    s3_services: tuple[Services, str], endpoint: str, tmp_path: Path
) -> None:
    from boto3.s3.transfer import TransferConfig

    services, bucket = s3_services
    store = services.vault.blobs
    assert isinstance(store, S3BlobStore)
    part = 5 * 1024 * 1024  # S3's smallest part; 16 MiB in use
    store.transfer = TransferConfig(multipart_threshold=part, multipart_chunksize=part)
    big = sound(tmp_path / "long.wav", 80)  # ~14 MB: three parts
    result = services.vault.ingest_file(big)
    head: Any = client(endpoint).head_object(  # type: ignore[attr-defined]
        Bucket=bucket, Key=f"evidence/blobs/{result.record.sha256}"
    )
    assert head["ETag"].strip('"').endswith("-3")  # an S3 multipart object of three parts
    assert stored_bytes(services.vault, result.record.sha256) == big.read_bytes()
    with services.vault.open_blob(result.record.sha256, 1000, 1999) as window:
        assert window.read() == big.read_bytes()[1000:2000]


_KILL_AT = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from openwitness.core.config import Settings
    from openwitness.evidence.s3_blobs import S3BlobStore
    from openwitness.ledger.store import TransparencyLog
    from openwitness.services import open_services

    def die(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGKILL)

    target = {"before-log": TransparencyLog, "after-log": S3BlobStore}[sys.argv[2]]
    setattr(target, {"before-log": "append", "after-log": "commit"}[sys.argv[2]], die)
    open_services(Settings.from_env()).vault.ingest_file(Path(sys.argv[1]))
    """
)


@pytest.mark.parametrize("moment", ["before-log", "after-log"])
def test_a_kill_around_the_log_commit_keeps_log_and_bucket_in_step(
    s3_services: tuple[Services, str], endpoint: str, moment: str
) -> None:
    require_shared(PHOTO)
    services, bucket = s3_services
    proc = subprocess.run(
        [sys.executable, "-c", _KILL_AT, str(PHOTO), moment],
        env=env_for(services.settings),
        timeout=120,
    )
    assert proc.returncode == -signal.SIGKILL
    sha256, _ = file_sha256(PHOTO)
    stored = keys(endpoint, bucket)
    assert len([k for k in stored if "/pending/" in k]) == 1  # the upload is still marked
    assert len([k for k in stored if "/blobs/" in k]) == 1  # the object went up before the log
    reopened = open_services(services.settings)
    try:
        store = reopened.vault.blobs
        assert isinstance(store, S3BlobStore)
        reopened.vault.recover()  # markers younger than an hour are left alone ...
        assert keys(endpoint, bucket) == stored
        store.sweep(reopened.vault._is_logged, age=0)  # ... an hour later:
        if moment == "before-log":
            assert reopened.log.size() == 0
            assert keys(endpoint, bucket) == []  # the unlogged object is deleted
        else:
            assert reopened.log.size() == 1
            assert keys(endpoint, bucket) == [f"evidence/blobs/{sha256}"]
            assert stored_bytes(reopened.vault, sha256) == PHOTO.read_bytes()
        assert list(services.settings.staging_dir.iterdir()) == []
        again = reopened.vault.ingest_file(PHOTO)  # and the next ingest works, without a gap
        assert again.record.log_index == 0 and reopened.log.size() == 1
    finally:
        reopened.close()


def test_an_object_swept_between_store_and_log_is_stored_again(
    s3_services: tuple[Services, str], endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sweep elsewhere that removed the object after a slow upload's marker aged (it
    checks the log first, but the entry may land just after) is undone by the uploader."""
    require_shared(PHOTO)
    services, bucket = s3_services
    append = services.log.append
    s3 = client(endpoint)

    def append_after_a_sweep(*args: Any, **kwargs: Any) -> Any:
        for key in keys(endpoint, bucket):
            if "/blobs/" in key:
                s3.delete_object(Bucket=bucket, Key=key)  # type: ignore[attr-defined]
        return append(*args, **kwargs)

    monkeypatch.setattr(services.log, "append", append_after_a_sweep)
    result = services.vault.ingest_file(PHOTO)
    assert keys(endpoint, bucket) == [f"evidence/blobs/{result.record.sha256}"]
    assert stored_bytes(services.vault, result.record.sha256) == PHOTO.read_bytes()


def test_stale_multipart_uploads_are_aborted(
    s3_services: tuple[Services, str], endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    services, bucket = s3_services
    s3: Any = client(endpoint)
    s3.create_multipart_upload(Bucket=bucket, Key="evidence/blobs/" + "a" * 64)
    store = services.vault.blobs
    assert isinstance(store, S3BlobStore)
    store.sweep(services.vault._is_logged)
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads")  # young: left alone
    monkeypatch.setattr("openwitness.evidence.s3_blobs.MULTIPART_SECONDS", -1)
    store.sweep(services.vault._is_logged)
    assert not s3.list_multipart_uploads(Bucket=bucket).get("Uploads")


def test_stored_files_are_served_with_byte_ranges(
    s3_services: tuple[Services, str], tmp_path: Path
) -> None:
    services, _ = s3_services
    clip = sound(tmp_path / "clip.wav", 1)
    sha = services.vault.ingest_file(clip).record.sha256
    data = clip.read_bytes()
    app = FastAPI()

    @app.get("/blob")
    def blob(request: Request) -> Any:
        return blob_response(request, services.vault, sha, "audio/wav")

    with TestClient(app) as http:
        whole = http.get("/blob")
        part = http.get("/blob", headers={"Range": "bytes=100-199"})
        tail = http.get("/blob", headers={"Range": "bytes=-50"})
        beyond = http.get("/blob", headers={"Range": f"bytes={len(data)}-"})
    assert whole.status_code == 200 and whole.content == data
    assert part.status_code == 206 and part.content == data[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{len(data)}"
    assert tail.status_code == 206 and tail.content == data[-50:]
    assert beyond.status_code == 416


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("https://bucket/x", "is named s3://bucket/prefix"),
        ("s3://key:secret@bucket/x", "no credentials"),
        ("s3://bucket/x?endpont=http://h", "unknown option 'endpont'"),
    ],
)
def test_a_bad_blob_url_says_what_is_wrong(url: str, message: str, tmp_path: Path) -> None:
    with pytest.raises(BlobUrlError, match=message):
        parse_blob_url(url)
    env = {**os.environ, "OPENWITNESS_HOME": str(tmp_path), "OPENWITNESS_BLOB_URL": url}
    witness = Path(sys.executable).parent / "witness"
    answer = subprocess.run(
        [str(witness), "init"], env=env, capture_output=True, text=True, timeout=120
    )
    assert answer.returncode == 1 and "Traceback" not in answer.stderr + answer.stdout
    assert message.replace("\\", "") in answer.stdout + answer.stderr


def test_a_chat_export_and_its_photos_are_lodged_and_hashed_from_the_bucket(
    s3_services: tuple[Services, str], endpoint: str, tmp_path: Path
) -> None:
    """Screening reads the lodged zip and each photo back from the store (a temporary copy)."""
    from tests.web.test_screening_pages import exported_zip

    services, bucket = s3_services
    export = tmp_path / "WhatsApp Chat - Shift B.zip"
    export.write_bytes(exported_zip(photo_bytes=200_000))
    lodged = services.screening.add(export, "tester")
    assert lodged.attachments_lodged == 1 and lodged.flagged == 2
    with zipfile.ZipFile(export) as archive:
        photo = tmp_path / "photo.png"
        photo.write_bytes(archive.read(next(n for n in archive.namelist() if n.endswith(".png"))))
    photos = services.screening_review.find_photo(photo, Viewer.operator("tester"))
    assert len(photos) == 1 and photos[0]["distance"] == 0
    stored = [k for k in keys(endpoint, bucket) if "/blobs/" in k]
    assert len(stored) == 2 and not services.settings.blob_dir.exists()


def test_the_log_publishes_to_a_bucket_as_to_a_folder(
    s3_services: tuple[Services, str], endpoint: str, tmp_path: Path
) -> None:
    """`witness log publish s3://…`: the same files as in a folder, checkpoint included."""
    services, bucket = s3_services
    for i in range(300):
        services.log.append(f"entry {i}".encode())
    target = f"s3://{bucket}/public-log?endpoint={endpoint}"
    witness = Path(sys.executable).parent / "witness"
    answer = subprocess.run(
        [str(witness), "log", "publish", target],
        env=env_for(services.settings),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert answer.returncode == 0, answer.stderr
    publish(services.log, FolderDestination(tmp_path / "site"))
    s3: Any = client(endpoint)
    published = [k for k in keys(endpoint, bucket) if k.startswith("public-log/")]
    in_folder = sorted(
        str(p.relative_to(tmp_path / "site")) for p in (tmp_path / "site").rglob("*") if p.is_file()
    )
    assert sorted(k.removeprefix("public-log/") for k in published) == in_folder
    for name in in_folder:
        stored = s3.get_object(Bucket=bucket, Key=f"public-log/{name}")
        assert stored["Body"].read() == (tmp_path / "site" / name).read_bytes()
    head = s3.head_object(Bucket=bucket, Key="public-log/tile/0/000")
    assert "immutable" in head["CacheControl"]
