"""A real `witness serve` killed with SIGKILL in the middle of a tus PATCH, then restarted: the
resumed upload lodges exactly the client's bytes, under the hash the client declared.

On the code this replaced, the partial file kept the bytes written before the kill but its
record kept the older offset; the client resumed from that offset, the new bytes were appended
after the stale ones, and a file larger than the original was lodged and logged for ever.
"""

from __future__ import annotations

import base64
import hashlib
import json
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from openwitness.core.config import Settings
from tests.api.test_api_server import (
    HTTP_BASE_FILE,
    START_TIMEOUT,
    WITNESS,
    free_port,
    run_witness,
    server_env,
    stop,
    wait_for,
)
from tests.support import require_shared

TUS = {"Tus-Resumable": "1.0.0"}
SIZE = 3 * 1024 * 1024
SENT_BEFORE_KILL = 2 * 1024 * 1024


@contextmanager
def server(settings: Settings, log: Path, port: int) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("ab") as output:
        proc = subprocess.Popen(
            [WITNESS, "serve", "--port", str(port)],
            env=server_env(settings),
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:

            def answers() -> bool:
                try:
                    return httpx.get(f"http://127.0.0.1:{port}/checkpoint").status_code == 200
                except httpx.TransportError:
                    return proc.poll() is not None

            wait_for(answers, START_TIMEOUT, "witness serve to answer")
            assert proc.poll() is None, log.read_text(errors="replace")
            yield proc
        finally:
            stop(proc)


def test_sigkill_mid_patch_then_resume_lodges_the_clients_own_bytes(
    settings: Settings, tmp_path: Path
) -> None:
    require_shared(HTTP_BASE_FILE)
    jpeg = HTTP_BASE_FILE.read_bytes()
    data = jpeg + bytes(range(256)) * ((SIZE - len(jpeg)) // 256 + 1)
    data = data[:SIZE]
    sha = hashlib.sha256(data).hexdigest()
    run_witness(settings, "init", "--origin", "crash.test/log")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "server.log"

    with server(settings, log, port) as proc:
        made = httpx.post(
            f"{base}/uploads/",
            headers={**TUS, "Upload-Length": str(SIZE),
                     "Upload-Metadata": f"sha256 {base64.b64encode(sha.encode()).decode()}"},
        )  # fmt: skip
        assert made.status_code == 201, made.text
        location = made.headers["location"]
        partial = settings.uploads_dir / location.rsplit("/", 1)[1]
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(
                f"PATCH {location} HTTP/1.1\r\nHost: test\r\nTus-Resumable: 1.0.0\r\n"
                f"Content-Type: application/offset+octet-stream\r\nUpload-Offset: 0\r\n"
                f"Content-Length: {SIZE}\r\n\r\n".encode()
                + data[:SENT_BEFORE_KILL]
            )
            wait_for(lambda: partial.stat().st_size >= SENT_BEFORE_KILL, START_TIMEOUT, "the bytes")
            proc.kill()  # SIGKILL: no clean-up, no offset saved for this PATCH
            proc.wait(timeout=15)

    record = json.loads(partial.with_name(partial.name + ".json").read_text())
    assert partial.stat().st_size > record["offset"]  # the state the attack found

    with server(settings, log, port):
        head = httpx.head(f"{base}{location}", headers=TUS)
        assert head.status_code == 200, head.text
        offset = int(head.headers["upload-offset"])
        resumed = httpx.patch(
            f"{base}{location}",
            content=data[offset:],
            headers={**TUS, "Content-Type": "application/offset+octet-stream",
                     "Upload-Offset": str(offset)},
            timeout=60,
        )  # fmt: skip
        assert resumed.status_code == 204, resumed.text
        evidence = httpx.get(f"{base}/api/v1/evidence/{sha}")
        assert evidence.status_code == 200, evidence.text  # the client's hash got its receipt
        assert evidence.json()["size"] == SIZE
        assert httpx.get(f"{base}/api/v1/log/checkpoint").json()["size"] == 1
