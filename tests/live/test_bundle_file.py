"""verify_bundle with the recording: a changed byte is named by the chunk it is in (the slices
are checked before the whole file's hash), whether or not the recording was ended; and
recorded_chunks cannot ask for more chunks than a recording can have."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from openwitness.core.config import Settings
from openwitness.ledger.note import parse_verifier_key
from openwitness.ledger.verify import FileMismatch
from openwitness.live.bundle import MalformedBundle, verify_bundle
from openwitness.services import Services
from tests.cli.test_cli_evidence import witness
from tests.live.conftest import Recorder


def finished_bundle(client: TestClient, chunks: list[bytes]) -> dict[str, object]:
    recorder = Recorder(client)
    for seq, data in enumerate(chunks):
        assert recorder.put(seq, data).status_code == 201
    answer = client.post(
        f"/api/v1/live/{recorder.id}/finish", json={}, headers={"X-Recording-Token": recorder.token}
    )
    assert answer.status_code == 200, answer.text
    bundle: dict[str, object] = answer.json()["bundle"]
    return bundle


def test_a_changed_byte_is_named_by_its_chunk(
    client: TestClient, services: Services, chunks: list[bytes], tmp_path: Path
) -> None:
    bundle = finished_bundle(client, chunks)
    key = services.log.signer.verifier
    recording = tmp_path / "recording.webm"
    start = 0
    for seq, chunk in enumerate(chunks):
        data = bytearray(b"".join(chunks))
        data[start + len(chunk) - 1] ^= 0x80  # the chunk's last byte
        recording.write_bytes(bytes(data))
        start += len(chunk)
        for checked in (bundle, {**bundle, "whole": None}):  # ended, and cut short
            with pytest.raises(
                FileMismatch, match=rf"^file does not match: its bytes for chunk {seq} are not"
            ):
                verify_bundle(json.dumps(checked), key, recording)
    recording.write_bytes(b"".join(chunks))
    assert verify_bundle(json.dumps(bundle), key, recording).file_checked


def test_recorded_chunks_is_bounded_by_the_largest_recording(
    client: TestClient, services: Services, chunks: list[bytes]
) -> None:
    bundle = finished_bundle(client, chunks[:2])
    key = services.log.signer.verifier
    result = verify_bundle(json.dumps({**bundle, "recorded_chunks": 10000}), key)
    assert result.missing == list(range(2, 10000))
    for wrong in (10001, 10**18, -1, 2.0, True):
        with pytest.raises(MalformedBundle, match=r"^recorded_chunks must be a whole number"):
            verify_bundle(json.dumps({**bundle, "recorded_chunks": wrong}), key)


def test_witness_verify_names_the_changed_chunk(
    client: TestClient, services: Services, settings: Settings, chunks: list[bytes], tmp_path: Path
) -> None:
    bundle_path = tmp_path / "recording.bundle.json"
    bundle_path.write_text(json.dumps(finished_bundle(client, chunks)))
    data = bytearray(b"".join(chunks))
    data[len(chunks[0]) + len(chunks[1]) + 5] ^= 0x01  # in chunk 2
    recording = tmp_path / "recording.webm"
    recording.write_bytes(bytes(data))
    vkey = services.log.signer.verifier.vkey
    assert parse_verifier_key(vkey).name
    result = witness(
        settings, "verify", "--bundle", str(bundle_path), str(recording), "--key", vkey, check=False
    )
    out = " ".join(result.stdout.split())
    assert result.returncode == 1, out
    assert (
        out == "NOT verified: file does not match: its bytes for chunk 2 are not the logged chunk's"
    )
