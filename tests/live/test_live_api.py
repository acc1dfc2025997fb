"""/api/v1/live end to end (SQLite and PostgreSQL): chunks logged as they arrive, chained, the
whole file lodged at the end; every bad chunk refused with its reason and the chain kept sound."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import random
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from openwitness.app import create_app
from openwitness.ledger.entry import parse_entry
from openwitness.ledger.note import parse_verifier_key
from openwitness.ledger.receipt import parse_receipt
from openwitness.ledger.verify import verify_receipt
from openwitness.live import service as live_service
from openwitness.live.bundle import verify_bundle
from openwitness.services import Services
from tests.live.conftest import Recorder, sha

JPEG_HEAD = bytes.fromhex("ffd8ffe000104a46494600010100000100010000")


def key(services: Services) -> str:
    return services.settings.verifier_key_path.read_text().strip()


def entry_of(receipt_text: str) -> dict[str, object]:
    raw = parse_receipt(receipt_text).entry
    parse_entry(raw)  # a valid, canonical entry of a known kind
    return dict(json.loads(raw))


def record_all(recorder: Recorder, chunks: list[bytes]) -> None:
    for seq, data in enumerate(chunks):
        answer = recorder.put(seq, data)
        assert answer.status_code == 201, answer.text


def test_chunks_are_logged_chained_and_end_as_one_file(
    client: TestClient, services: Services, chunks: list[bytes], tmp_path: Path
) -> None:
    recorder = Recorder(client)
    pinned = parse_verifier_key(key(services))
    prev = None
    for seq, data in enumerate(chunks):
        answer = recorder.put(seq, data)
        assert answer.status_code == 201, answer.text
        body = answer.json()
        entry = entry_of(body["receipt"])
        assert entry == {
            "v": 2,
            "kind": "live-chunk",
            "recording": recorder.id,
            "seq": seq,
            "prev_sha256": prev,
            "sha256": hashlib.sha256(data).hexdigest(),
            "size": len(data),
            "media_type": "video/webm",
            "received_at": entry["received_at"],
        }
        verify_receipt(parse_receipt(body["receipt"]), pinned)
        assert body["status"]["chunks"] == seq + 1
        assert body["status"]["logged_seconds"] == seq + 1  # the recorder's end times
        prev = entry["sha256"]
    whole_bytes = b"".join(chunks)
    finished = client.post(
        f"/api/v1/live/{recorder.id}/finish",
        headers={"X-Recording-Token": recorder.token},
        json={"recorded_chunks": len(chunks)},
    )
    assert finished.status_code == 200, finished.text
    body = finished.json()
    assert body["whole"]["sha256"] == hashlib.sha256(whole_bytes).hexdigest()
    assert body["whole"]["size"] == len(whole_bytes)
    assert body["status"]["state"] == "finished"
    assert entry_of(body["receipt"])["kind"] == "evidence"
    media = client.get(
        f"/api/v1/live/{recorder.id}/media", headers={"X-Recording-Token": recorder.token}
    )
    assert media.content == whole_bytes
    assert media.headers["content-type"] == "video/webm"
    recording = tmp_path / "recording.webm"
    recording.write_bytes(media.content)
    result = verify_bundle(json.dumps(body["bundle"]), pinned, recording)
    assert [c.entry.seq for c in result.chunks] == list(range(len(chunks)))
    assert result.missing == [] and result.file_checked and result.whole is not None
    # the whole file is an ordinary vault item, so it plays: PyAV demuxes both streams
    import av

    with (
        services.vault.local_blob(body["whole"]["sha256"]) as whole,
        av.open(str(whole)) as container,
    ):
        kinds = {packet.stream.type for packet in container.demux() if packet.size}
    assert kinds == {"video", "audio"}
    # finishing again (an answer lost on the way) gives the same file
    again = client.post(
        f"/api/v1/live/{recorder.id}/finish", headers={"X-Recording-Token": recorder.token}
    )
    assert again.json()["whole"] == body["whole"]


def test_a_retried_chunk_keeps_its_first_entry(
    client: TestClient, services: Services, chunks: list[bytes]
) -> None:
    recorder = Recorder(client)
    first = recorder.put(0, chunks[0])
    size = services.log.size()
    again = recorder.put(0, chunks[0], prev=None)
    assert again.status_code == 200
    assert again.json()["log_index"] == first.json()["log_index"]
    assert again.json()["created"] is False
    assert services.log.size() == size


def test_a_chunk_cannot_be_replaced(client: TestClient, chunks: list[bytes]) -> None:
    recorder = Recorder(client)
    recorder.put(0, chunks[0])
    recorder.put(1, chunks[1])
    answer = recorder.put(1, chunks[2], prev=sha(chunks[0]))
    assert answer.status_code == 409
    assert "already logged with other bytes" in answer.json()["detail"]


def test_out_of_order_chunks_are_refused_and_the_chain_stays_sound(
    client: TestClient, services: Services, chunks: list[bytes]
) -> None:
    recorder = Recorder(client)
    recorder.put(0, chunks[0])
    size = services.log.size()
    skipped = recorder.put(2, chunks[2], prev=sha(chunks[1]))
    assert skipped.status_code == 409
    assert skipped.json()["detail"] == "chunk 2 is out of order: chunk 1 comes next"
    first_again = recorder.put(0, chunks[1], prev=None)  # seq 0 again, other bytes
    assert first_again.status_code == 409
    assert services.log.size() == size
    for seq in range(1, len(chunks)):
        assert recorder.put(seq, chunks[seq]).status_code == 201
    bundle = client.get(
        f"/api/v1/live/{recorder.id}/bundle", headers={"X-Recording-Token": recorder.token}
    )
    result = verify_bundle(bundle.content, parse_verifier_key(key(services)))
    assert result.missing == [] and len(result.chunks) == len(chunks)


def test_a_chunk_from_another_recording_is_refused(
    client: TestClient, services: Services, chunks: list[bytes]
) -> None:
    ours, theirs = Recorder(client), Recorder(client)
    ours.put(0, chunks[0])
    theirs.put(0, chunks[0])
    theirs.put(1, chunks[1])
    size = services.log.size()
    # chunk 1 naming the other recording's chunk 1 as its previous one
    named_other = ours.put(1, chunks[2], prev=sha(chunks[1]))
    assert named_other.status_code == 409
    assert "another recording" in named_other.json()["detail"]
    # their token on our recording, no token, and an unknown id
    for token in (theirs.token, "", "owl_guess"):
        answer = client.put(
            f"/api/v1/live/{ours.id}/chunks/1",
            content=chunks[1],
            headers={**ours.headers(chunks[1], sha(chunks[0])), "X-Recording-Token": token},
        )
        assert answer.status_code == 403, answer.text
    unknown = client.put(
        f"/api/v1/live/{'0' * 32}/chunks/0",
        content=chunks[0],
        headers=ours.headers(chunks[0], None),
    )
    assert unknown.status_code == 404
    assert services.log.size() == size
    assert ours.put(1, chunks[1]).status_code == 201  # the right chunk still goes on


def test_status_bundle_and_media_need_the_token(
    client: TestClient, api_auth: dict[str, str], chunks: list[bytes]
) -> None:
    recorder = Recorder(client)
    recorder.put(0, chunks[0])
    for path in ("", "/bundle", "/media"):
        url = f"/api/v1/live/{recorder.id}{path}"
        assert client.get(url).status_code == 403
        assert client.get(url, headers=api_auth).status_code == 403  # even an admin's token
        assert client.get(url, headers={"X-Recording-Token": recorder.token}).status_code == 200
    finish = client.post(f"/api/v1/live/{recorder.id}/finish", headers=api_auth)
    assert finish.status_code == 403


@pytest.fixture
def api_auth(services: Services) -> dict[str, str]:
    services.accounts.create("root", "correct horse battery staple", "admin")
    return {"Authorization": f"Bearer {services.accounts.create_token('root')}"}


def test_a_chunk_over_the_limit_is_refused(services: Services, chunks: list[bytes]) -> None:
    settings = dataclasses.replace(services.settings, live_chunk_max_bytes=16_000)
    with TestClient(create_app(settings)) as client:
        refused_over_the_limit(client, chunks)


def refused_over_the_limit(client: TestClient, chunks: list[bytes]) -> None:
    recorder = Recorder(client)
    big = recorder.put(0, chunks[2])  # 21,397 bytes
    assert big.status_code == 413
    assert "16,000 bytes" in big.json()["detail"]

    def undeclared():  # type: ignore[no-untyped-def]  # a chunked body: no Content-Length
        yield chunks[2][:10_000]
        yield chunks[2][10_000:]

    streamed = client.put(
        f"/api/v1/live/{recorder.id}/chunks/0",
        content=undeclared(),
        headers=recorder.headers(chunks[2], None),
    )
    assert streamed.status_code == 413
    assert recorder.put(0, chunks[0]).status_code == 201  # 14,124 bytes: within the limit


def test_bytes_that_are_not_the_recording_are_refused(
    client: TestClient, services: Services, chunks: list[bytes]
) -> None:
    recorder = Recorder(client)
    text = recorder.put(0, b"<html><body>not a video</body></html>" * 10)
    assert text.status_code == 415
    assert "does not begin a video or audio recording" in text.json()["detail"]
    image = recorder.put(0, JPEG_HEAD + bytes(2000))
    assert image.status_code == 415
    assert recorder.put(0, chunks[0]).status_code == 201
    size = services.log.size()
    jpeg = recorder.put(1, JPEG_HEAD + bytes(2000))
    assert jpeg.status_code == 415
    assert "image/jpeg" in jpeg.json()["detail"]
    form = recorder.put(1, b"name=value&other=thing\n" * 50)
    assert form.status_code == 415
    assert "text" in form.json()["detail"]
    noise = recorder.put(1, random.Random(3).randbytes(5000))
    assert noise.status_code == 415
    assert noise.json()["detail"].startswith("chunk 1 is not the continuation of this recording")
    empty = recorder.put(1, b"")
    assert empty.status_code == 400
    assert services.log.size() == size
    assert recorder.put(1, chunks[1]).status_code == 201


def test_bytes_other_than_the_recorder_hashed_are_refused(
    client: TestClient, services: Services, chunks: list[bytes]
) -> None:
    recorder = Recorder(client)
    headers = recorder.headers(chunks[0], None)
    answer = client.put(
        f"/api/v1/live/{recorder.id}/chunks/0", content=chunks[0][:-1], headers=headers
    )
    assert answer.status_code == 422
    assert "not the ones you hashed" in answer.json()["detail"]
    assert services.log.size() == 0


def test_ending_checks_what_has_arrived(client: TestClient, chunks: list[bytes]) -> None:
    recorder = Recorder(client)
    token = {"X-Recording-Token": recorder.token}
    empty = client.post(f"/api/v1/live/{recorder.id}/finish", headers=token)
    assert empty.status_code == 409
    recorder.put(0, chunks[0])
    recorder.put(1, chunks[1])
    early = client.post(
        f"/api/v1/live/{recorder.id}/finish", headers=token, json={"recorded_chunks": 4}
    )
    assert early.status_code == 409
    assert early.json()["detail"].startswith("chunks 2 to 3 have not arrived yet")
    done = client.post(
        f"/api/v1/live/{recorder.id}/finish", headers=token, json={"recorded_chunks": 2}
    )
    assert done.status_code == 200
    late = recorder.put(2, chunks[2])
    assert late.status_code == 409
    assert "has ended" in late.json()["detail"]


def test_a_recording_that_stops_arriving_is_cut_short(
    client: TestClient, services: Services, chunks: list[bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    recorder = Recorder(client)
    token = {"X-Recording-Token": recorder.token}
    recorder.put(0, chunks[0])
    recorder.put(1, chunks[1])
    assert client.get(f"/api/v1/live/{recorder.id}", headers=token).json()["state"] == "recording"
    later = live_service.now() + timedelta(seconds=services.live.idle.total_seconds() + 1)
    monkeypatch.setattr(live_service, "now", lambda: later)
    status = client.get(f"/api/v1/live/{recorder.id}", headers=token).json()
    assert status["state"] == "cut_short"
    assert status["chunks"] == 2 and status["logged_seconds"] == 2
    bundle = client.get(f"/api/v1/live/{recorder.id}/bundle", headers=token).json()
    assert bundle["state"] == "cut_short" and bundle["whole"] is None
    result = verify_bundle(json.dumps(bundle), parse_verifier_key(key(services)))
    assert [c.entry.seq for c in result.chunks] == [0, 1] and result.missing == []
    # the chunks that arrived late still count: a recording is never closed by silence
    assert recorder.put(2, chunks[2]).status_code == 201


def test_racing_requests_log_one_chain(services: Services, chunks: list[bytes]) -> None:
    """Two requests for the same chunk number with different bytes, at once: one is logged."""
    live = services.live
    started = live.start()
    live.add_chunk(started.id, started.token, 0, None, sha(chunks[0]), 1000, iter([chunks[0]]))
    outcomes: list[str] = []
    barrier = threading.Barrier(4)

    def send(data: bytes) -> None:
        barrier.wait()
        try:
            live.add_chunk(
                started.id, started.token, 1, sha(chunks[0]), sha(data), 2000, iter([data])
            )
            outcomes.append("logged")
        except live_service.ConflictError:
            outcomes.append("refused")

    threads = [threading.Thread(target=send, args=(data,)) for data in (chunks[1], chunks[2]) * 2]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    logged = live.chunks(started.id)
    assert [c.seq for c in logged] == [0, 1]
    winner = logged[1].sha256
    # the winner's twin is a retry (answered with its receipt); the other bytes are refused
    assert outcomes.count("logged") == 2 and outcomes.count("refused") == 2
    assert winner in (sha(chunks[1]), sha(chunks[2]))
    assert services.log.size() == 2


def test_the_log_holds_nothing_about_the_recorder(
    client: TestClient, services: Services, chunks: list[bytes]
) -> None:
    recorder = Recorder(client)
    record_all(recorder, chunks[:3])
    for raw in services.log.entries(0, services.log.size()):
        text = raw.decode()
        assert recorder.token not in text
        assert "127.0.0.1" not in text and "testclient" not in text
        assert set(json.loads(raw)) == {
            "v", "kind", "recording", "seq", "prev_sha256", "sha256", "size", "media_type",
            "received_at",
        }  # fmt: skip
    # the token is kept only as a digest
    with services.db.read() as conn:
        stored = conn.exec_driver_sql("SELECT token_sha256 FROM live_recording").scalar_one()
    assert stored == hashlib.sha256(recorder.token.encode()).hexdigest()
