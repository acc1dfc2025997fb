"""What a real `witness serve` leaves on disk and in its log: private files, and nothing that
identifies an anonymous reporter (their address, or an upload's metadata)."""

from __future__ import annotations

import base64
import hashlib
import os
import socket
import stat
import subprocess
from pathlib import Path

import httpx
import pytest

from openwitness.core.config import Settings
from openwitness.core.errors import OpenWitnessError
from openwitness.services import initialise, open_services
from tests.api.test_api_server import (
    HTTP_BASE_FILE,
    WITNESS,
    free_port,
    run_witness,
    server_env,
    serving,
)
from tests.support import require_shared

SECRET_NAME = "home address"
SECRET_TOKEN = "a-follow-link-secret"
ANONYMOUS = (
    "/report", "/follow-up", "/uploads", "/api/v1/evidence", "/api/v1/reports", "/live",
    "/api/v1/live",
)  # fmt: skip


def tus_metadata(**fields: str) -> str:
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in fields.items())


def tus_create(base: str, length: int, metadata: str) -> str:
    created = httpx.post(
        f"{base}/uploads",
        headers={
            "Tus-Resumable": "1.0.0",
            "Upload-Length": str(length),
            "Upload-Metadata": metadata,
        },
        timeout=30,
    )
    assert created.status_code == 201, created.text
    location = created.headers["Location"]
    return location if location.startswith("http") else f"{base}{location}"


def tus_send(url: str, offset: int, data: bytes) -> None:
    sent = httpx.patch(
        url,
        content=data,
        headers={
            "Tus-Resumable": "1.0.0",
            "Upload-Offset": str(offset),
            "Content-Type": "application/offset+octet-stream",
        },
        timeout=30,
    )
    assert sent.status_code == 204, sent.text


def modes_under(home: Path) -> dict[str, int]:
    found = {".": stat.S_IMODE(home.stat().st_mode)}
    for folder, dirs, files in os.walk(home):
        for name in dirs + files:
            path = Path(folder, name)
            found[str(path.relative_to(home))] = stat.S_IMODE(path.lstat().st_mode)
    return found


def test_a_served_installation_keeps_its_files_private_and_its_log_anonymous(
    sqlite_settings: Settings, tmp_path: Path
) -> None:
    require_shared(HTTP_BASE_FILE)
    settings = sqlite_settings
    run_witness(settings, "init", "--origin", "server.test/log")
    jpeg = HTTP_BASE_FILE.read_bytes()
    port = free_port()
    log_file = tmp_path / "server.log"
    with serving(settings, log_file, "--port", str(port), base=f"http://127.0.0.1:{port}") as base:
        # A resumable upload in two parts, its progress asked for in between, as tus-js-client
        # does after a dropped connection; its metadata names the file.
        metadata = tus_metadata(
            filename=f"{SECRET_NAME}.jpg",
            filetype="image/jpeg",
            sha256=hashlib.sha256(jpeg).hexdigest(),
        )
        url = tus_create(base, len(jpeg), metadata)
        tus_send(url, 0, jpeg[:5000])
        assert httpx.head(url, headers={"Tus-Resumable": "1.0.0"}, timeout=10).status_code == 200
        tus_send(url, 5000, jpeg[5000:])
        # One left unfinished (a partial upload stays on disk), its file named too.
        named = tus_metadata(filename=SECRET_NAME, sha256=hashlib.sha256(b"other").hexdigest())
        partial = tus_create(base, 100_000, named)
        tus_send(partial, 0, jpeg[:3000])
        httpx.head(partial, headers={"Tus-Resumable": "1.0.0"}, timeout=10)
        uploaded = httpx.post(f"{base}/api/v1/evidence", content=jpeg + b"\nanother", timeout=30)
        assert uploaded.status_code == 201, uploaded.text
        assert httpx.get(f"{base}/report", timeout=10).status_code == 200
        # A live recording started and looked at; a trusted contact's link (its secret is in
        # the path) opened.
        live = httpx.post(f"{base}/api/v1/live", json={}, timeout=10).json()
        token = {"X-Recording-Token": live["token"]}
        assert httpx.get(f"{base}/api/v1/live/{live['recording']}", headers=token).is_success
        httpx.get(f"{base}/live/follow/owf_{SECRET_TOKEN}/media?upto=1", timeout=10)
        assert httpx.get(f"{base}/checkpoint", timeout=10).status_code == 200
        # While the server runs: the database's -wal and -shm files exist too.
        modes = modes_under(settings.home)
    assert {"openwitness.db-wal", "openwitness.db-shm", "uploads", "staging", "keys"} <= set(modes)
    assert any(name.startswith("uploads/") for name in modes), modes
    assert any(name.startswith("blobs/") and "/" in name[6:] for name in modes), modes
    shared = {name: oct(mode) for name, mode in modes.items() if mode & 0o077}
    assert shared == {}, "readable by group or others"
    folders = {name for name in modes if (settings.home / name).is_dir()}
    assert {name: oct(modes[name]) for name in folders if modes[name] != 0o700} == {}

    output = log_file.read_text(errors="replace")
    assert SECRET_NAME not in output
    assert SECRET_TOKEN not in output and live["token"] not in output
    requests = [line for line in output.splitlines() if " HTTP/1.1" in line]
    anonymous = [line for line in requests if any(f" {p}" in line for p in ANONYMOUS)]
    assert len(anonymous) >= 9, output
    assert any("/live/follow/[token]/media" in line for line in anonymous), output
    assert [line for line in anonymous if "127.0.0.1" in line] == []
    # Other routes are logged as before, with the client's address.
    assert any("127.0.0.1" in line and "/checkpoint" in line for line in requests), output


def test_files_an_older_version_left_readable_are_made_private_when_opened(
    sqlite_settings: Settings,
) -> None:
    svc, _ = initialise(sqlite_settings, "modes.test/log")
    svc.close()
    home = sqlite_settings.home
    (home / "uploads").mkdir(exist_ok=True)
    (home / "uploads" / "abc123").write_bytes(b"part of a video")
    for path in [home, *home.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    sqlite_settings.signer_key_path.chmod(0o600)
    sqlite_settings.personal_data_key_path.chmod(0o600)

    open_services(sqlite_settings).close()
    modes = modes_under(home)
    assert {name: oct(mode) for name, mode in modes.items() if mode & 0o077} == {}
    assert modes["uploads/abc123"] == 0o600 and modes["uploads"] == 0o700

    # A private key found readable is refused rather than quietly fixed: it may have been copied.
    home.chmod(0o755)
    sqlite_settings.signer_key_path.chmod(0o644)
    with pytest.raises(OpenWitnessError, match="readable by others"):
        open_services(sqlite_settings)


def test_the_demo_refuses_a_public_address_unless_told(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home", database_url=f"sqlite:///{tmp_path / 'x.db'}")
    result = subprocess.run(
        [WITNESS, "serve", "--demo", "--host", "0.0.0.0", "--port", str(free_port())],
        env=server_env(settings),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2, result.stdout + result.stderr
    message = " ".join(result.stderr.split())
    assert "listens only on this computer" in message and "--allow-public-demo" in message
    assert "Serving" not in result.stdout
    assert not settings.home.exists()  # refused before anything was seeded


def test_a_busy_port_is_reported_before_serving(sqlite_settings: Settings) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [WITNESS, "serve", "--port", str(port)],
            env=server_env(sqlite_settings),
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Serving" not in result.stdout
    message = " ".join(result.stderr.split())
    assert f"cannot listen on 127.0.0.1:{port}" in message and "in use" in message
    assert "Traceback" not in result.stderr
