"""Shared fixtures: an installation per test, on SQLite and (when available) PostgreSQL.

PostgreSQL tests run when OPENWITNESS_TEST_POSTGRES_URL names a server; without it they skip
with a reason, unless OPENWITNESS_REQUIRE_POSTGRES=1 (set by .ci/run), which makes them fail.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from openwitness.core.config import Settings
from openwitness.services import Services, initialise
from tests.support import MEDIA, REPO, SHARED, VECTORS, env_for, require_shared

POSTGRES_URL = os.environ.get("OPENWITNESS_TEST_POSTGRES_URL", "")
REQUIRE_POSTGRES = os.environ.get("OPENWITNESS_REQUIRE_POSTGRES") == "1"


@pytest.fixture(scope="session")
def postgres_url() -> str:
    if not POSTGRES_URL:
        if REQUIRE_POSTGRES:
            pytest.fail("OPENWITNESS_REQUIRE_POSTGRES=1 but OPENWITNESS_TEST_POSTGRES_URL is unset")
        pytest.skip("no PostgreSQL server: set OPENWITNESS_TEST_POSTGRES_URL to run these tests")
    return POSTGRES_URL


@pytest.fixture
def postgres_schema_url(postgres_url: str) -> Iterator[str]:
    """A fresh schema on the PostgreSQL server, dropped afterwards."""
    schema = f"ow_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:
        admin.dispose()
        if REQUIRE_POSTGRES:
            raise
        pytest.skip(f"PostgreSQL at {postgres_url} is not reachable: {exc}")
    separator = "&" if "?" in postgres_url else "?"
    yield f"{postgres_url}{separator}options=-csearch_path%3D{schema}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'openwitness.db'}"
    url: str = request.getfixturevalue("postgres_schema_url")
    return url


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(home=tmp_path / "home", database_url=database_url)


@pytest.fixture
def sqlite_settings(tmp_path: Path) -> Settings:
    """Settings for tests of behaviour that does not depend on the database server."""
    home = tmp_path / "home"
    return Settings(home=home, database_url=f"sqlite:///{home / 'openwitness.db'}")


@pytest.fixture
def services(settings: Settings) -> Iterator[Services]:
    svc, _ = initialise(settings, "test.openwitness.local/log")
    yield svc
    svc.close()


@pytest.fixture
def sqlite_services(sqlite_settings: Settings) -> Iterator[Services]:
    svc, _ = initialise(sqlite_settings, "test.openwitness.local/log")
    yield svc
    svc.close()


__all__ = ["MEDIA", "REPO", "SHARED", "VECTORS", "env_for", "require_shared"]


REDIS_URL = os.environ.get("OPENWITNESS_TEST_REDIS_URL", "")


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Redis: the one OPENWITNESS_TEST_REDIS_URL names, else a redis-server started on
    loopback for the run; skipped without either unless OPENWITNESS_REQUIRE_REDIS=1 (CI)."""
    if REDIS_URL:
        yield REDIS_URL
        return
    server = shutil.which("redis-server")
    if server is None:
        if os.environ.get("OPENWITNESS_REQUIRE_REDIS") == "1":
            pytest.fail("OPENWITNESS_REQUIRE_REDIS=1 but there is no Redis to use")
        pytest.skip("no Redis: install redis-server or set OPENWITNESS_TEST_REDIS_URL")
    from tests.api.test_api_server import free_port

    port = free_port()
    folder = tmp_path_factory.mktemp("redis")
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", str(folder)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if time.monotonic() > deadline or process.poll() is not None:
                pytest.fail("redis-server did not start")
            time.sleep(0.1)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=20)
