"""A request waiting on the database's write lock does not hold up anyone else.

Found by the outside attack: the web handlers were ``async`` and called the synchronous
services on the event loop, so a sign-in waiting on SQLite's write lock made an unrelated
``GET /checkpoint`` wait 4.9 s. Here the write lock is held from outside the server while a
sign-in waits on it; the checkpoint must be answered before the lock is let go.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

from openwitness.core.config import Settings
from openwitness.services import initialise
from tests.api.test_api_server import free_port, run_witness, serving

PASSWORD = "correct horse battery staple"
#: how long the lock is held at most; a server whose loop is blocked answers only after it
HOLD_SECONDS = 20.0


@contextmanager
def sqlite_write_lock(settings: Settings) -> Iterator[None]:
    path = settings.database_url.removeprefix("sqlite:///")
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")  # the write lock every writer needs
    try:
        yield
    finally:
        conn.execute("ROLLBACK")
        conn.close()


@contextmanager
def postgres_session_lock(settings: Settings) -> Iterator[None]:
    engine = create_engine(settings.database_url)
    with engine.connect() as conn:
        conn.execute(text("LOCK TABLE web_session IN EXCLUSIVE MODE"))  # sign-in writes there
        try:
            yield
        finally:
            conn.rollback()
    engine.dispose()


def test_a_sign_in_waiting_on_the_write_lock_does_not_delay_other_routes(
    settings: Settings, tmp_path: Path
) -> None:
    run_witness(settings, "init", "--origin", "loop.test/log")
    services, _ = initialise(settings)
    services.accounts.add_organisation("law-centre", "Law Centre")
    services.accounts.create("case", PASSWORD, "caseworker", "law-centre")
    services.close()
    sqlite = settings.database_url.startswith("sqlite")
    lock = sqlite_write_lock(settings) if sqlite else postgres_session_lock(settings)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with serving(settings, tmp_path / "server.log", "--port", str(port), base=base):
        answers: dict[str, float] = {}

        def sign_in() -> None:
            response = httpx.post(
                f"{base}/sign-in",
                data={"username": "case", "password": PASSWORD},
                timeout=90,
            )
            answers["sign-in"] = time.monotonic()
            answers["sign-in status"] = response.status_code

        with lock:
            waiting = threading.Thread(target=sign_in)
            waiting.start()
            time.sleep(1.0)  # the sign-in has reached the database and waits on the lock
            reader = threading.Thread(
                target=lambda: answers.setdefault(
                    "checkpoint", httpx.get(f"{base}/checkpoint", timeout=90).status_code
                )
            )
            reader.start()
            reader.join(timeout=HOLD_SECONDS)
            answered_while_locked = "checkpoint" in answers
            assert "sign-in" not in answers  # it really was waiting on the lock
        waiting.join(timeout=90)
        reader.join(timeout=90)
    assert answered_while_locked, "GET /checkpoint waited for a sign-in blocked on the lock"
    assert answers["checkpoint"] == 200
    assert answers["sign-in status"] in (200, 303)
