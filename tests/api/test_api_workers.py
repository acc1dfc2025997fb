"""`witness serve --workers 4` on PostgreSQL with Redis: uploads, sign-ins and reports sent to
all four processes at once. The log gets one sequence (no gap, no duplicate, one checkpoint
series that verifies), sign-in throttling is one budget across the workers, and a session
made on one worker is good on every other."""

from __future__ import annotations

import io
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from openwitness.api.deps import SESSION_COOKIE
from openwitness.core.config import Settings
from openwitness.ledger import merkle
from openwitness.ledger.checkpoint import open_checkpoint
from openwitness.services import initialise, open_services
from tests.api.test_api_reports import REPORT
from tests.api.test_api_server import free_port, serving

PASSWORD = "correct horse battery staple"
WORKERS = 4
SIGN_IN_BUDGET = 6


def photo(i: int) -> bytes:
    """A small PNG of its own (distinct bytes: each is a new log entry)."""
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (i % 256, i // 256, 7)).save(out, "PNG")
    return out.getvalue()


def children(pid: int) -> list[int]:
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return [int(p) for p in text.split()]


def test_four_workers_share_one_log_one_budget_and_the_sessions(
    postgres_schema_url: str, redis_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(home=tmp_path / "home", database_url=postgres_schema_url)
    services, _ = initialise(settings, "test.openwitness.local/workers")
    services.accounts.add_organisation("law-centre", "Law Centre")
    services.accounts.create("case", PASSWORD, "caseworker", "law-centre")
    token = services.accounts.create_token("case")
    services.close()
    monkeypatch.setenv("OPENWITNESS_REDIS_URL", redis_url)
    monkeypatch.setenv("OPENWITNESS_RATE_SIGN_IN", f"{SIGN_IN_BUDGET} per 10 minutes")
    monkeypatch.setenv("OPENWITNESS_RATE_UPLOADS", "100000 per minute")
    monkeypatch.setenv("OPENWITNESS_RATE_REPORTS", "100000 per minute")
    base = f"http://127.0.0.1:{free_port()}"
    port = base.rsplit(":", 1)[1]
    log = tmp_path / "serve.log"
    with serving(settings, log, "--port", port, "--workers", str(WORKERS), base=base):
        signed = httpx.post(
            f"{base}/api/v1/session", json={"username": "case", "password": PASSWORD}
        )
        assert signed.status_code == 200, signed.text
        session = {"Cookie": f"{SESSION_COOKIE}={signed.cookies[SESSION_COOKIE]}"}
        bearer = {"Authorization": f"Bearer {token}"}

        def upload(i: int) -> int:
            answer = httpx.post(f"{base}/api/v1/evidence", content=photo(i), headers=bearer)
            return answer.status_code

        def sign_in(_: int) -> int:
            wrong = {"username": "case", "password": "not the password"}
            return httpx.post(f"{base}/api/v1/session", json=wrong).status_code

        def report(_: int) -> int:
            return httpx.post(f"{base}/api/v1/reports", json=REPORT).status_code

        def with_session(_: int) -> int:
            return httpx.get(f"{base}/api/v1/session", headers=session).status_code

        work: list[tuple[Any, int]] = [(upload, i) for i in range(60)]
        work += [(sign_in, i) for i in range(24)] + [(report, i) for i in range(12)]
        work += [(with_session, i) for i in range(24)]
        with ThreadPoolExecutor(max_workers=24) as pool:
            answers = list(pool.map(lambda job: (job[0].__name__, job[0](job[1])), work))
        serving_pid = int(
            subprocess.check_output(["pgrep", "-f", f"serve --port {port}"]).split()[0]
        )
        assert len(children(serving_pid)) >= WORKERS  # four worker processes served them
    by_kind: dict[str, list[int]] = {}
    for kind, status in answers:
        by_kind.setdefault(kind, []).append(status)
    assert by_kind["upload"] == [201] * 60, by_kind["upload"]
    assert by_kind["report"] == [201] * 12
    assert by_kind["with_session"] == [200] * 24  # a session is good on every worker
    # one budget across the workers: the right sign-in and 5 wrong ones, then 429s
    assert sorted(by_kind["sign_in"]) == [401] * (SIGN_IN_BUDGET - 1) + [429] * (
        24 - SIGN_IN_BUDGET + 1
    )
    reopened = open_services(replace(settings))
    try:
        size = reopened.log.size()
        entries = reopened.log.entries(0, size)
        assert size == 60 and len(set(entries)) == size  # the uploads: no gap, no duplicate
        checkpoint = open_checkpoint(reopened.log.latest_checkpoint(), reopened.log.signer.verifier)
        assert checkpoint.size == size and checkpoint.root_hash == merkle.root(entries)
    finally:
        reopened.close()
    assert "Traceback" not in log.read_text()
