"""Fixtures for live recordings: a real MediaRecorder recording (Chromium, fake camera and
microphone, 1 s timeslice), kept as its chunks were produced."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from openwitness.app import create_app
from openwitness.services import Services

FIXTURES = Path(__file__).parent / "fixtures"


def recorded_chunks() -> list[bytes]:
    data = (FIXTURES / "mediarecorder.webm").read_bytes()
    sizes = json.loads((FIXTURES / "mediarecorder.chunks.json").read_text())
    chunks, at = [], 0
    for size in sizes:
        chunks.append(data[at : at + size])
        at += size
    assert at == len(data)
    return chunks


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def chunks() -> list[bytes]:
    return recorded_chunks()


@pytest.fixture
def client(services: Services) -> Iterator[TestClient]:
    with TestClient(create_app(services.settings)) as test_client:
        yield test_client


class Recorder:
    """Sends a recording's chunks as the /live page does."""

    def __init__(self, client: TestClient, audio_only: bool = False) -> None:
        self.client = client
        answer = client.post("/api/v1/live", json={"audio_only": audio_only})
        assert answer.status_code == 201, answer.text
        self.id: str = answer.json()["recording"]
        self.token: str = answer.json()["token"]
        self.prev: str | None = None

    def headers(self, data: bytes, prev: str | None, end_ms: int = 0) -> dict[str, str]:
        headers = {
            "X-Recording-Token": self.token,
            "X-Content-SHA256": sha(data),
            "X-Chunk-End-Ms": str(end_ms),
        }
        if prev is not None:
            headers["X-Prev-SHA256"] = prev
        return headers

    def put(self, seq: int, data: bytes, prev: str | None = "chain", **extra: str):  # type: ignore[no-untyped-def]
        prev = self.prev if prev == "chain" else prev
        headers = {**self.headers(data, prev, (seq + 1) * 1000), **extra}
        answer = self.client.put(
            f"/api/v1/live/{self.id}/chunks/{seq}", content=data, headers=headers
        )
        if answer.status_code in (200, 201):
            self.prev = answer.json()["sha256"]
        return answer
