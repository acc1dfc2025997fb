"""Every body is bounded as it streams, and every free-text field has a limit.

Found by the outside attack: a chunked body to /report was spooled whole (300 MiB on a server
with a 1 MiB upload limit), a 400 MiB JSON body to the sign-in route took the server to 2 GB,
and a 20 MiB narrative was accepted.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from openwitness.app import create_app
from openwitness.core.config import Settings
from openwitness.services import Services
from tests.api.test_api_server import free_port, run_witness, serving

MIB = 1024 * 1024
REPORT = {
    "force": "kent",
    "occurred_at": "2025-01-01T10:00:00Z",
    "place": "High Street",
    "encounter_type": "other",
    "narrative": "Stopped and searched.",
}


def chunks(total: int, size: int = 64 * 1024) -> Iterator[bytes]:
    for _ in range(total // size):
        yield b"x" * size


@pytest.fixture
def client(sqlite_services: Services) -> Iterator[TestClient]:
    settings = replace(sqlite_services.settings, max_upload_bytes=MIB)
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def test_json_bodies_are_bounded_with_or_without_a_declared_length(client: TestClient) -> None:
    declared = client.post(
        "/api/v1/session",
        content=b"{" + b" " * (2 * MIB),
        headers={"Content-Type": "application/json"},
    )
    assert declared.status_code == 413, declared.text
    streamed = client.post(
        "/api/v1/session", content=chunks(3 * MIB), headers={"Content-Type": "application/json"}
    )  # chunked: no Content-Length at all
    assert streamed.status_code == 413, streamed.text
    assert streamed.json()["detail"] == "Content Too Large"


def test_the_report_page_refuses_a_chunked_body_past_its_limit_with_a_page(
    client: TestClient,
) -> None:
    # 20 files of 1 MiB are allowed; 30 MiB of one streamed "file" is not.
    boundary = "XyZ"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="a.jpg"\r\n'
        "Content-Type: image/jpeg\r\n\r\n"
    ).encode()

    def body() -> Iterator[bytes]:
        yield head
        yield from chunks(30 * MIB)

    refused = client.post(
        "/report",
        content=body(),
        headers={
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Accept": "text/html",
        },
    )
    assert refused.status_code == 413
    assert refused.headers["content-type"].startswith("text/html")
    assert "the files add up to more than" in refused.text  # the form, with the reason


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("narrative", "x" * 50_001),
        ("place", "x" * 301),
        ("pseudonym", "x" * 201),
        ("officer_description", "x" * 501),
        ("evidence", ["0" * 64] * 51),
        ("people", [{"role": "witness", "notes": "x" * 5_001}]),
    ],
)
def test_free_text_fields_have_limits(client: TestClient, field: str, value: object) -> None:
    refused = client.post("/api/v1/reports", json={**REPORT, field: value})
    assert refused.status_code == 422, refused.text


def test_a_real_server_stops_reading_a_chunked_body_at_the_limit(
    sqlite_settings: Settings, tmp_path: Path
) -> None:
    """Over a real socket: the answer is 413 long before 64 MiB have been sent."""
    run_witness(sqlite_settings, "init", "--origin", "bodies.test/log")
    port = free_port()
    with serving(sqlite_settings, tmp_path / "server.log", "--port", str(port),
                 base=f"http://127.0.0.1:{port}"):  # fmt: skip
        with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
            sock.sendall(
                b"POST /api/v1/session HTTP/1.1\r\nHost: test\r\n"
                b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
            )
            sent = 0
            piece = b"%x\r\n" % MIB + b" " * MIB + b"\r\n"
            try:
                while sent < 64 * MIB:
                    sock.sendall(piece)
                    sent += MIB
            except (BrokenPipeError, ConnectionResetError):
                pass
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_WR)
            answer = sock.recv(200)
        assert answer.startswith(b"HTTP/1.1 413"), answer
