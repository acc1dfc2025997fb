"""/api/v1/log and the tlog-tiles API through the ASGI app, on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import re
import struct
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import pytest
from fastapi.testclient import TestClient

from openwitness.api.routes.tiles import parse_tile_index
from openwitness.app import create_app
from openwitness.core.config import Settings
from openwitness.core.errors import NotFoundError
from openwitness.ledger import merkle
from openwitness.ledger.checkpoint import Checkpoint, open_checkpoint
from openwitness.ledger.entry import EvidenceEntry, parse_entry
from openwitness.ledger.note import Verifier, parse_verifier_key
from openwitness.ledger.receipt import parse_receipt
from openwitness.services import Services, initialise
from tests.support import MEDIA, require_shared

ORIGIN = "api.test/log"
FILES = [
    MEDIA / "ianare__exif-samples/jpg/Canon_40D.jpg",
    MEDIA / "jmathai__elodie/elodie/tests/files/photo.heic",
    MEDIA / "jmathai__elodie/elodie/tests/files/with-location.jpg",
    MEDIA / "jmathai__elodie/elodie/tests/files/with-location-inv.jpg",
    MEDIA / "jcodec__jcodec/src/test/resources/zhuker/1D158634-69DF-4C7F-AB6F-CCC83F04FEDB/1.mp4",
]
N = len(FILES)
LOG = "/api/v1/log"
IMMUTABLE = "public, max-age=31536000, immutable"


def _no_traceback(response: httpx.Response) -> None:
    response.read()
    assert "Traceback" not in response.text


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def unb64(hashes: list[str]) -> list[bytes]:
    return [base64.b64decode(h, validate=True) for h in hashes]


@dataclass
class Logged:
    """A running app whose log holds the N sample files, one checkpoint per upload."""

    client: TestClient
    services: Services
    verifier: Verifier
    entries: list[bytes]
    checkpoints: dict[int, Checkpoint]  # size -> verified checkpoint (0..N)
    notes: dict[int, str]


@pytest.fixture
def logged(settings: Settings) -> Iterator[Logged]:
    for file in FILES:
        require_shared(file)
    svc, _ = initialise(settings, ORIGIN)
    svc.close()
    verifier = parse_verifier_key(settings.verifier_key_path.read_text())
    with TestClient(create_app(settings)) as client:
        client.event_hooks = {"request": [], "response": [_no_traceback]}
        services: Services = client.app.state.services  # type: ignore[attr-defined]
        notes = {0: services.log.checkpoint(0)}
        for index, file in enumerate(FILES):
            response = client.post("/api/v1/evidence", content=file.read_bytes())
            assert response.status_code == 201, response.text
            assert response.json()["evidence"]["log_index"] == index
            # Uploads are one at a time, so each receipt carries the checkpoint its upload signed.
            notes[index + 1] = parse_receipt(response.json()["receipt"]).checkpoint
        assert all(services.log.checkpoint(size) == note for size, note in notes.items())
        checkpoints = {size: open_checkpoint(note, verifier) for size, note in notes.items()}
        assert [c.size for c in checkpoints.values()] == list(range(N + 1))
        entries = services.log.entries(0, N)
        yield Logged(client, services, verifier, entries, checkpoints, notes)


def test_checkpoint_json_is_the_signed_latest_checkpoint(logged: Logged) -> None:
    response = logged.client.get(f"{LOG}/checkpoint")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"origin", "size", "root_hash", "note"}
    assert (body["origin"], body["size"]) == (ORIGIN, N)
    assert body["root_hash"] == b64(merkle.root(logged.entries))
    assert body["note"] == logged.notes[N]
    opened = open_checkpoint(body["note"], logged.verifier)
    assert (opened.origin, opened.size, b64(opened.root_hash)) == (ORIGIN, N, body["root_hash"])
    # Each earlier checkpoint signed the root of the log as it then was.
    for size, checkpoint in logged.checkpoints.items():
        assert checkpoint.root_hash == merkle.root(logged.entries[:size])


def test_inclusion_proofs_verify_for_every_index_and_size(logged: Logged) -> None:
    for size in range(1, N + 1):
        root = logged.checkpoints[size].root_hash
        for index in range(size):
            response = logged.client.get(
                f"{LOG}/proof/inclusion", params={"index": index, "size": size}
            )
            assert response.status_code == 200, response.text
            body = response.json()
            assert (body["index"], body["size"]) == (index, size)
            proof = unb64(body["hashes"])
            leaf = merkle.leaf_hash(logged.entries[index])
            assert merkle.verify_inclusion(leaf, index, size, proof, root), (index, size)
            assert proof == merkle.inclusion_proof(logged.entries[:size], index)
            other = merkle.leaf_hash(logged.entries[(index + 1) % N])
            assert not merkle.verify_inclusion(other, index, size, proof, root)
    latest = logged.client.get(f"{LOG}/proof/inclusion", params={"index": 2}).json()
    assert latest["size"] == N
    assert merkle.verify_inclusion(
        merkle.leaf_hash(logged.entries[2]),
        2,
        N,
        unb64(latest["hashes"]),
        logged.checkpoints[N].root_hash,
    )


def test_consistency_proofs_verify_between_every_pair_of_checkpoints(logged: Logged) -> None:
    for new in range(N + 1):
        for old in range(new + 1):
            response = logged.client.get(
                f"{LOG}/proof/consistency", params={"old": old, "new": new}
            )
            assert response.status_code == 200, response.text
            body = response.json()
            assert (body["old"], body["new"]) == (old, new)
            proof = unb64(body["hashes"])
            old_root = logged.checkpoints[old].root_hash
            new_root = logged.checkpoints[new].root_hash
            assert merkle.verify_consistency(old, new, old_root, new_root, proof), (old, new)
            if 0 < old < new:
                assert not merkle.verify_consistency(old, new, new_root, new_root, proof)
    default = logged.client.get(f"{LOG}/proof/consistency", params={"old": 2}).json()
    assert default["new"] == N
    assert merkle.verify_consistency(
        2,
        N,
        logged.checkpoints[2].root_hash,
        logged.checkpoints[N].root_hash,
        unb64(default["hashes"]),
    )


IMPOSSIBLE = [
    ("proof/inclusion", {"index": N, "size": N}, 400),
    ("proof/inclusion", {"index": N}, 400),
    ("proof/inclusion", {"index": 0, "size": N + 1}, 400),
    ("proof/inclusion", {"index": 3, "size": 2}, 400),
    ("proof/inclusion", {"index": 0, "size": 10**20}, 400),
    ("proof/inclusion", {"index": 10**20, "size": 10**21}, 400),
    ("proof/inclusion", {"index": -1, "size": N}, 422),
    ("proof/inclusion", {"index": 0, "size": 0}, 422),
    ("proof/inclusion", {"index": 0, "size": -3}, 422),
    ("proof/inclusion", {"index": "one"}, 422),
    ("proof/inclusion", {}, 422),
    ("proof/consistency", {"old": 3, "new": 2}, 400),
    ("proof/consistency", {"old": N + 1}, 400),
    ("proof/consistency", {"old": 0, "new": N + 1}, 400),
    ("proof/consistency", {"old": 1, "new": 10**20}, 400),
    ("proof/consistency", {"old": -1, "new": 2}, 422),
    ("proof/consistency", {"old": 1, "new": -2}, 422),
    ("proof/consistency", {"old": 1.5}, 422),
    ("proof/consistency", {}, 422),
    ("entries", {"start": 0, "end": 1001}, 400),
    ("entries", {"start": 4, "end": 3}, 400),
    ("entries", {"start": -1}, 422),
    ("entries", {"start": 0, "end": -1}, 422),
    ("entries", {"start": "x"}, 422),
]


def test_impossible_requests_are_client_errors(logged: Logged) -> None:
    wrong = []
    for path, params, status in IMPOSSIBLE:
        response = logged.client.get(f"{LOG}/{path}", params=params)
        if (
            response.status_code != status
            or response.headers["content-type"] != "application/json"
            or "detail" not in response.json()
        ):
            wrong.append((path, params, status, response.status_code, response.text))
    assert wrong == []


HUGE_STARTS = [2**63 - 1, 2**63, 10**30]


def test_entries_far_beyond_the_log_are_empty_or_a_client_error(logged: Logged) -> None:
    """Indices past what the database's BIGINT holds must not become a 500."""
    with TestClient(logged.client.app, raise_server_exceptions=False) as client:
        for start in HUGE_STARTS:
            for end in (start, start + 1, start + 1000):
                params = {"start": start, "end": end}
                response = client.get(f"{LOG}/entries", params=params)
                assert response.status_code in (200, 400, 422), (params, response.text)
                if response.status_code == 200:
                    assert response.json()["entries"] == []


def test_entries_are_the_logged_entries_with_their_leaf_hashes(logged: Logged) -> None:
    response = logged.client.get(f"{LOG}/entries", params={"start": 0, "end": N})
    assert response.status_code == 200
    body = response.json()
    assert body["start"] == 0
    assert [e["index"] for e in body["entries"]] == list(range(N))
    shas = [hashlib.sha256(f.read_bytes()).hexdigest() for f in FILES]
    for item, raw, sha, file in zip(body["entries"], logged.entries, shas, FILES, strict=True):
        assert item["entry"] == json.loads(raw)
        assert item["leaf_hash"] == b64(merkle.leaf_hash(raw))
        entry = parse_entry(raw)
        assert (entry.sha256, entry.size) == (sha, file.stat().st_size)
        assert item["entry"]["sha256"] == sha
    assert [e["entry"]["media_type"] for e in body["entries"]] == [
        "image/jpeg",
        "image/heic",
        "image/jpeg",
        "image/jpeg",
        "video/mp4",
    ]

    window = logged.client.get(f"{LOG}/entries", params={"start": 3, "end": 100}).json()
    assert window["start"] == 3
    assert [e["index"] for e in window["entries"]] == [3, 4]
    assert logged.client.get(f"{LOG}/entries", params={"start": 3}).json() == window
    assert logged.client.get(f"{LOG}/entries").json() == body
    assert (
        logged.client.get(f"{LOG}/entries", params={"start": 2, "end": 2}).json()["entries"] == []
    )
    past = logged.client.get(f"{LOG}/entries", params={"start": 50, "end": 60})
    assert past.status_code == 200 and past.json()["entries"] == []
    widest = logged.client.get(f"{LOG}/entries", params={"start": 0, "end": 1000})
    assert widest.status_code == 200 and len(widest.json()["entries"]) == N


# -- tlog-tiles ----------------------------------------------------------------------------


def test_tlog_checkpoint_is_the_signed_note_as_text(logged: Logged) -> None:
    response = logged.client.get("/checkpoint")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert "no-cache" in response.headers["cache-control"]
    assert response.text == logged.client.get(f"{LOG}/checkpoint").json()["note"]
    checkpoint = open_checkpoint(response.text, logged.verifier)
    assert (checkpoint.size, checkpoint.root_hash) == (N, merkle.root(logged.entries))


def test_the_log_page_says_to_keep_the_signed_checkpoint(logged: Logged) -> None:
    page = logged.client.get("/log", headers={"Accept": "text/html"}).text
    monitoring = page.split("How to monitor the log", 1)[1]
    first_step = re.search(r"<li[^>]*>(.*?)</li>", monitoring, re.S)
    assert first_step, page
    fetched = re.search(r"<code>GET (/\S*)</code>", first_step.group(1))
    assert fetched, first_step.group(1)
    # What the page says to save is what `witness verify --checkpoint` reads: the signed note.
    saved = logged.client.get(fetched.group(1)).text
    assert open_checkpoint(saved, logged.verifier).size == N


def decode_bundle(data: bytes) -> list[bytes]:
    entries, offset = [], 0
    while offset < len(data):
        (length,) = struct.unpack(">H", data[offset : offset + 2])
        entries.append(data[offset + 2 : offset + 2 + length])
        offset += 2 + length
    assert offset == len(data)
    return entries


def test_partial_tiles_hold_the_leaf_hashes_and_entries(logged: Logged) -> None:
    tile = logged.client.get(f"/tile/0/000.p/{N}")
    assert tile.status_code == 200
    assert tile.headers["content-type"] == "application/octet-stream"
    assert tile.headers["cache-control"] == IMMUTABLE
    assert len(tile.content) == N * 32
    assert tile.content == b"".join(merkle.leaf_hash(e) for e in logged.entries)
    assert logged.client.get("/tile/0/000.p/2").content == tile.content[:64]

    bundle = logged.client.get(f"/tile/entries/000.p/{N}")
    assert bundle.status_code == 200
    assert bundle.headers["cache-control"] == IMMUTABLE
    assert decode_bundle(bundle.content) == logged.entries
    assert decode_bundle(logged.client.get("/tile/entries/000.p/1").content) == logged.entries[:1]


def test_entry_bundles_are_gzipped_for_clients_that_accept_it(logged: Logged) -> None:
    plain = logged.client.get(f"/tile/entries/000.p/{N}", headers={"Accept-Encoding": "identity"})
    assert plain.status_code == 200 and "content-encoding" not in plain.headers
    assert decode_bundle(plain.content) == logged.entries
    assert plain.headers["vary"] == "Accept-Encoding"
    logged.client.event_hooks = {"request": [], "response": []}  # they would read the body
    for accept in ("gzip", "br;q=1.0, gzip;q=0.8", "*"):
        with logged.client.stream(
            "GET", f"/tile/entries/000.p/{N}", headers={"Accept-Encoding": accept}
        ) as response:
            raw = b"".join(response.iter_raw())
        assert response.status_code == 200, accept
        assert response.headers["content-encoding"] == "gzip", accept
        assert response.headers["cache-control"] == IMMUTABLE
        assert raw[:2] == b"\x1f\x8b" and gzip.decompress(raw) == plain.content
        assert len(raw) < len(plain.content)
    refused = logged.client.get(f"/tile/entries/000.p/{N}", headers={"Accept-Encoding": "gzip;q=0"})
    assert "content-encoding" not in refused.headers and refused.content == plain.content
    # Hash tiles do not compress, and are served as they are.
    tile = logged.client.get(f"/tile/0/000.p/{N}", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in tile.headers and len(tile.content) == N * 32


NOT_YET = [
    f"/tile/0/000.p/{N + 1}",  # wider than the log
    "/tile/0/000",  # the full tile does not exist yet
    "/tile/entries/000",
    f"/tile/entries/000.p/{N + 1}",
    "/tile/1/000.p/1",  # level 1 needs 256 leaves
    "/tile/0/001.p/1",
    "/tile/0/x001/000.p/1",
]


def test_tiles_not_in_the_log_yet_are_404(logged: Logged) -> None:
    answers = {path: logged.client.get(path) for path in NOT_YET}
    assert {p: r.status_code for p, r in answers.items()} == dict.fromkeys(NOT_YET, 404)
    for response in answers.values():
        assert response.headers["content-type"] == "application/json"
        assert "detail" in response.json()


MALFORMED_TILES = [
    "/tile/0/1",
    "/tile/0/0000",
    "/tile/0/000.p/0",
    "/tile/0/000.p/256",
    "/tile/0/000.p/01",
    "/tile/0/000.p/",
    "/tile/0/000.p",
    "/tile/99/000",
    "/tile/64/000",
    "/tile/01/000",
    "/tile/-1/000",
    "/tile/a/000",
    "/tile/0/x000",
    "/tile/0/x01/000",
    "/tile/0/001/000",
    "/tile/0/",
    "/tile/0/000/",
    "/tile/entries/x000",
    "/tile/entries/0",
    "/tile/entries/000.p/0",
]


def test_malformed_tile_paths_are_404_json(logged: Logged) -> None:
    answers = {path: logged.client.get(path) for path in MALFORMED_TILES}
    assert {p: r.status_code for p, r in answers.items()} == dict.fromkeys(MALFORMED_TILES, 404)
    for response in answers.values():
        assert response.headers["content-type"] == "application/json"
        assert "detail" in response.json()


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("000", (0, 256)),
        ("999", (999, 256)),
        ("x001/000", (1000, 256)),
        ("x001/x234/067", (1234067, 256)),
        ("000.p/1", (0, 1)),
        ("x001/x234/067.p/255", (1234067, 255)),
        ("x001/000.p/7", (1000, 7)),
    ],
)
def test_parse_tile_index(path: str, expected: tuple[int, int]) -> None:
    assert parse_tile_index(path) == expected


@pytest.mark.parametrize(
    "path",
    [
        "",
        "0",
        "00",
        "0000",
        "1",
        "x000",
        "x01/000",
        "001/000",
        "000/",
        "000.p/0",
        "000.p/256",
        "000.p/01",
        "000.p/",
        "000.p",
        "000.p/1/2",
        "x001/000.p/1000",
        "abc",
        "x001/x234/67",
    ],
)
def test_parse_tile_index_rejects_malformed_paths(path: str) -> None:
    with pytest.raises(NotFoundError):
        parse_tile_index(path)


def _synthetic_entry(i: int) -> bytes:
    sha = hashlib.sha256(f"synthetic evidence {i}".encode()).hexdigest()
    return EvidenceEntry(sha, i + 1, "image/jpeg", datetime(2024, 1, 1, tzinfo=UTC)).to_bytes()


def test_full_tiles_after_256_entries(logged: Logged) -> None:
    total = 300
    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(logged.services.log.append, map(_synthetic_entry, range(N, total))))
    assert sorted(r.index for r in results) == list(range(N, total))
    assert all(r.created for r in results)
    entries = logged.services.log.entries(0, total)
    assert len(entries) == total
    assert entries[:N] == logged.entries
    leaves = [merkle.leaf_hash(e) for e in entries]

    full = logged.client.get("/tile/0/000")
    assert full.status_code == 200
    assert len(full.content) == 8192
    assert full.content == b"".join(leaves[:256])

    level1 = logged.client.get("/tile/1/000.p/1")
    assert level1.status_code == 200
    assert level1.content == merkle.root(entries[:256])
    assert len(level1.content) == 32

    rest = logged.client.get(f"/tile/0/001.p/{total - 256}")
    assert rest.status_code == 200
    assert rest.content == b"".join(leaves[256:])

    bundle = logged.client.get("/tile/entries/000")
    assert bundle.status_code == 200
    assert decode_bundle(bundle.content) == entries[:256]
    assert decode_bundle(logged.client.get("/tile/entries/001.p/44").content) == entries[256:]

    for missing in (
        "/tile/0/001",
        "/tile/1/000",
        "/tile/1/000.p/2",
        "/tile/0/001.p/45",
        "/tile/2/000.p/1",
        "/tile/entries/001",
    ):
        assert logged.client.get(missing).status_code == 404, missing

    checkpoint = open_checkpoint(logged.client.get("/checkpoint").text, logged.verifier)
    assert (checkpoint.size, checkpoint.root_hash) == (total, merkle.root(entries))
    proof = logged.client.get(f"{LOG}/proof/inclusion", params={"index": 257}).json()
    assert merkle.verify_inclusion(
        leaves[257], 257, total, unb64(proof["hashes"]), checkpoint.root_hash
    )
    consistency = logged.client.get(f"{LOG}/proof/consistency", params={"old": N}).json()
    assert merkle.verify_consistency(
        N,
        total,
        logged.checkpoints[N].root_hash,
        checkpoint.root_hash,
        unb64(consistency["hashes"]),
    )
