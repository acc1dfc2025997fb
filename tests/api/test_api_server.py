"""A real `witness serve` process: concurrent HTTP uploads while the CLI ingests, and defaults."""

from __future__ import annotations

import base64
import hashlib
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from openwitness.core.config import Settings
from openwitness.ledger import merkle
from openwitness.ledger.checkpoint import open_checkpoint
from openwitness.ledger.entry import parse_entry
from openwitness.ledger.note import parse_verifier_key
from openwitness.ledger.receipt import parse_receipt
from openwitness.ledger.verify import file_sha256, verify_consistency, verify_receipt
from tests.support import MEDIA, env_for, require_shared

WITNESS = str(Path(sys.executable).parent / "witness")
HTTP_BASE_FILE = MEDIA / "ianare__exif-samples/jpg/Canon_40D.jpg"
CLI_BASE_FILE = MEDIA / "jmathai__elodie/elodie/tests/files/with-location.jpg"
HTTP_UPLOADS = 20
DUPLICATES = 3  # extra concurrent uploads of the first HTTP file's exact bytes
CLI_PROCESSES = 2
CLI_FILES_EACH = 5
TOTAL = HTTP_UPLOADS + CLI_PROCESSES * CLI_FILES_EACH
START_TIMEOUT = 30.0
WORK_TIMEOUT = 120.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_in_use(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def server_env(settings: Settings) -> dict[str, str]:
    env = env_for(settings)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def run_witness(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [WITNESS, *args], env=server_env(settings), capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, f"witness {' '.join(args)}:\n{result.stdout}{result.stderr}"
    return result


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)


@contextmanager
def serving(settings: Settings, log_file: Path, *args: str, base: str) -> Iterator[str]:
    """Run `witness serve ARGS` until the block ends; yields its base URL once it answers."""
    with log_file.open("wb") as output:
        proc = subprocess.Popen(
            [WITNESS, "serve", *args],
            env=server_env(settings),
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + START_TIMEOUT
            while True:
                if proc.poll() is not None:
                    pytest.fail(
                        f"witness serve exited with {proc.returncode}:\n"
                        f"{log_file.read_text(errors='replace')}"
                    )
                try:
                    if httpx.get(f"{base}/openapi.json", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    pytest.fail(
                        f"witness serve did not answer within {START_TIMEOUT}s:\n"
                        f"{log_file.read_text(errors='replace')}"
                    )
                time.sleep(0.1)
            yield base
            assert proc.poll() is None, log_file.read_text(errors="replace")
        finally:
            stop(proc)


def wait_for(condition: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.02)


def distinct_copies(source: Path, folder: Path, label: str, count: int) -> list[Path]:
    """Valid JPEGs that differ only in bytes after the end-of-image marker."""
    data = source.read_bytes()
    assert data.endswith(b"\xff\xd9")
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for i in range(count):
        path = folder / f"{label}-{i:02d}.jpg"
        path.write_bytes(data + f"\n{label} copy {i}\n".encode())
        files.append(path)
    return files


def test_concurrent_http_uploads_and_cli_ingest_make_one_gapless_log(
    settings: Settings, tmp_path: Path
) -> None:
    require_shared(HTTP_BASE_FILE)
    require_shared(CLI_BASE_FILE)
    run_witness(settings, "init", "--origin", "server.test/log")
    verifier = parse_verifier_key(settings.verifier_key_path.read_text())
    http_files = distinct_copies(HTTP_BASE_FILE, tmp_path / "http", "http", HTTP_UPLOADS)
    cli_files = [
        distinct_copies(CLI_BASE_FILE, tmp_path / f"cli{p}", f"cli{p}", CLI_FILES_EACH)
        for p in range(CLI_PROCESSES)
    ]
    every_file = http_files + [f for group in cli_files for f in group]
    sha_of = {hashlib.sha256(f.read_bytes()).hexdigest(): f for f in every_file}
    assert len(sha_of) == TOTAL

    port = free_port()
    with serving(
        settings, tmp_path / "server.log", "--port", str(port), base=f"http://127.0.0.1:{port}"
    ) as base:
        gate = threading.Event()
        responses: list[tuple[Path, httpx.Response]] = []
        errors: list[BaseException] = []

        def upload(path: Path) -> None:
            data = path.read_bytes()

            def body() -> Iterator[bytes]:
                yield data[:4096]
                # Hold the upload open (its staging file locked) until the CLI is ingesting.
                gate.wait(timeout=WORK_TIMEOUT)
                yield data[4096:]

            try:
                response = httpx.post(
                    f"{base}/api/v1/evidence", content=body(), timeout=WORK_TIMEOUT
                )
                responses.append((path, response))
            except BaseException as exc:
                errors.append(exc)

        uploads = http_files + [http_files[0]] * DUPLICATES
        threads = [threading.Thread(target=upload, args=(f,), daemon=True) for f in uploads]
        cli: list[subprocess.Popen[str]] = []
        try:
            for thread in threads:
                thread.start()
            staging = settings.staging_dir

            def parts() -> int:
                return len(list(staging.glob("*.part"))) if staging.exists() else 0

            wait_for(lambda: parts() == len(uploads), START_TIMEOUT, "all uploads in progress")
            in_progress = set(staging.glob("*.part"))
            for p, group in enumerate(cli_files):
                cli.append(
                    subprocess.Popen(
                        [
                            WITNESS,
                            "evidence",
                            "add",
                            *map(str, group),
                            "--receipt-dir",
                            str(tmp_path / f"receipts{p}"),
                        ],
                        env=server_env(settings),
                        stdout=subprocess.PIPE,
                        stderr=subprocess.PIPE,
                        text=True,
                    )
                )

            def log_size() -> int:
                return int(httpx.get(f"{base}/api/v1/log/checkpoint", timeout=10).json()["size"])

            # Once the CLI has logged a file it has run its staging recovery: the server's
            # in-progress uploads must have survived it.
            wait_for(
                lambda: log_size() > 0 or any(c.poll() is not None for c in cli),
                WORK_TIMEOUT,
                "the CLI's first entry",
            )
            assert in_progress <= set(staging.glob("*.part"))  # none was recovered away
        finally:
            gate.set()
            for thread in threads:
                thread.join(timeout=WORK_TIMEOUT)
            outputs = []
            for proc in cli:
                try:
                    outputs.append(proc.communicate(timeout=WORK_TIMEOUT))
                except subprocess.TimeoutExpired:
                    proc.kill()
                    outputs.append(proc.communicate(timeout=15))
        assert not errors, errors
        assert not any(t.is_alive() for t in threads)
        for proc, (out, err) in zip(cli, outputs, strict=True):
            assert proc.returncode == 0, out + err
            assert out.count("stored") == CLI_FILES_EACH, out + err

        # -- every HTTP upload was stored and got a receipt -------------------------------------
        assert len(responses) == len(uploads)
        receipts: list[tuple[str, Path]] = []
        for path, response in responses:
            assert response.status_code in (200, 201), response.text
            assert response.json()["created"] is (response.status_code == 201)
            assert (
                response.json()["evidence"]["sha256"]
                == hashlib.sha256(path.read_bytes()).hexdigest()
            )
            receipts.append((response.json()["receipt"], path))
        # Each distinct file was created exactly once, even when uploaded four times at once.
        created = sorted(str(path) for path, r in responses if r.status_code == 201)
        assert created == sorted(map(str, http_files))
        duplicate_indices = {
            r.json()["evidence"]["log_index"] for path, r in responses if path == http_files[0]
        }
        assert len(duplicate_indices) == 1
        for p, group in enumerate(cli_files):
            for path in group:
                receipts.append(
                    ((tmp_path / f"receipts{p}" / f"{path.name}.tlog-proof").read_text(), path)
                )

        # -- the log: 0..29, no gap, no duplicate, one entry per file --------------------------
        checkpoint_json = httpx.get(f"{base}/api/v1/log/checkpoint", timeout=10).json()
        assert checkpoint_json["size"] == TOTAL
        listing = httpx.get(
            f"{base}/api/v1/log/entries", params={"start": 0, "end": 1000}, timeout=10
        ).json()["entries"]
        assert [item["index"] for item in listing] == list(range(TOTAL))
        leaf_hashes = [base64.b64decode(item["leaf_hash"]) for item in listing]
        bundle = httpx.get(f"{base}/tile/entries/000.p/{TOTAL}", timeout=10).content
        entries, offset = [], 0
        while offset < len(bundle):
            length = int.from_bytes(bundle[offset : offset + 2], "big")
            entries.append(bundle[offset + 2 : offset + 2 + length])
            offset += 2 + length
        assert [merkle.leaf_hash(e) for e in entries] == leaf_hashes
        parsed = [parse_entry(e) for e in entries]
        assert sorted(e.sha256 for e in parsed) == sorted(sha_of)
        for index, entry in enumerate(parsed):
            assert entry.size == sha_of[entry.sha256].stat().st_size
            blob = settings.blob_dir / entry.sha256[:2] / entry.sha256[2:4] / entry.sha256
            assert file_sha256(blob) == (entry.sha256, entry.size)
            record = httpx.get(f"{base}/api/v1/evidence/{entry.sha256}", timeout=10).json()
            assert record["log_index"] == index
        assert not settings.staging_dir.exists() or list(settings.staging_dir.iterdir()) == []

        final_note = checkpoint_json["note"]
        final = open_checkpoint(final_note, verifier)
        assert final.size == TOTAL
        assert final.root_hash == merkle.root(entries)
        assert checkpoint_json["root_hash"] == base64.b64encode(final.root_hash).decode()

        # -- every receipt verifies, and its checkpoint is a prefix of the final tree --------
        sizes = set()
        for text, path in receipts:
            receipt = parse_receipt(text)
            verified = verify_receipt(receipt, verifier, path)
            assert receipt.entry == entries[receipt.index]
            sizes.add(verified.checkpoint.size)
            if verified.checkpoint.size == TOTAL:
                assert verified.checkpoint.root_hash == final.root_hash
                continue
            proof = httpx.get(
                f"{base}/api/v1/log/proof/consistency",
                params={"old": verified.checkpoint.size, "new": TOTAL},
                timeout=10,
            ).json()["hashes"]
            old, new = verify_consistency(
                receipt, final_note, [base64.b64decode(h) for h in proof], verifier
            )
            assert (old.size, new.size) == (verified.checkpoint.size, TOTAL)
        assert max(sizes) <= TOTAL


def test_oversized_and_aborted_uploads_to_a_real_server_leave_nothing(
    sqlite_settings: Settings, tmp_path: Path
) -> None:
    limit = 64 * 1024
    settings = replace(sqlite_settings, max_upload_bytes=limit)
    run_witness(settings, "init", "--origin", "server.test/log")
    require_shared(HTTP_BASE_FILE)
    port = free_port()
    with serving(
        settings, tmp_path / "server.log", "--port", str(port), base=f"http://127.0.0.1:{port}"
    ) as base:
        jpeg = HTTP_BASE_FILE.read_bytes()
        oversized = jpeg + b"\0" * (limit + 1024 - len(jpeg))

        def chunks() -> Iterator[bytes]:
            for i in range(0, len(oversized), 1024):
                yield oversized[i : i + 1024]

        for content in (chunks(), oversized):
            response = httpx.post(f"{base}/api/v1/evidence", content=content, timeout=30)
            assert response.status_code == 413, response.text
            assert response.json() == {
                "detail": f"file is larger than the limit of {limit:,} bytes"
            }
            assert "Traceback" not in response.text
        assert list(settings.staging_dir.glob("*")) == []

        # A client that goes away mid-upload (announced or chunked body) leaves no file behind.
        heads = [
            b"Content-Length: 50000\r\n\r\n" + jpeg[:3000],
            b"Transfer-Encoding: chunked\r\n\r\n" + b"%x\r\n" % 3000 + jpeg[:3000] + b"\r\n",
        ]
        for head in heads:
            with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
                sock.sendall(b"POST /api/v1/evidence HTTP/1.1\r\nHost: test\r\n" + head)
                wait_for(
                    lambda: len(list(settings.staging_dir.glob("*.part"))) == 1,
                    START_TIMEOUT,
                    "the upload to start",
                )
            wait_for(
                lambda: list(settings.staging_dir.iterdir()) == [],
                START_TIMEOUT,
                "the aborted upload's staging file to be removed",
            )

        assert not settings.blob_dir.exists() or not any(
            p.is_file() for p in settings.blob_dir.rglob("*")
        )
        assert httpx.get(f"{base}/api/v1/log/checkpoint", timeout=10).json()["size"] == 0
        accepted = httpx.post(f"{base}/api/v1/evidence", content=jpeg, timeout=30)
        assert accepted.status_code == 201, accepted.text


def test_serve_without_options_listens_on_localhost_8000(
    sqlite_settings: Settings, tmp_path: Path
) -> None:
    if port_in_use(8000):
        pytest.skip("port 8000 on 127.0.0.1 is already in use, so the default cannot be tested")
    assert not sqlite_settings.signer_key_path.exists()
    log_file = tmp_path / "server.log"
    with serving(sqlite_settings, log_file, base="http://127.0.0.1:8000") as base:
        response = httpx.get(f"{base}/openapi.json", timeout=10)
        assert response.status_code == 200
        schema = response.json()
        assert schema["info"]["title"] == "OpenWitness"
        assert "/api/v1/evidence" in schema["paths"]
        assert "/tile/{level}/{path}" in schema["paths"]
        checkpoint = httpx.get(f"{base}/checkpoint", timeout=10)
        assert checkpoint.status_code == 200
    # serve initialised the data folder on first use
    assert sqlite_settings.signer_key_path.exists()
    verifier = parse_verifier_key(sqlite_settings.verifier_key_path.read_text())
    assert open_checkpoint(checkpoint.text, verifier).size == 0
    output = log_file.read_text(errors="replace")
    assert "Serving OpenWitness on http://127.0.0.1:8000" in output
