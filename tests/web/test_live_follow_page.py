"""The follow page in Chromium, from the link in a mail a real SMTP server received: it shows
the parts as they arrive without being reloaded, plays one, and says when the recording ends."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from openwitness.core.config import Settings
from openwitness.services import initialise
from tests.api.test_api_server import free_port, serving
from tests.live.conftest import chunks
from tests.live.test_contact import CONTACT, SENDER, Mailbox, follow_path, smtp
from tests.web.conftest import assert_fits, serious_violations

__all__ = ["chunks", "smtp"]  # fixtures used here

POLL_MS = 20_000  # the page asks every 5 s


def put(base: str, recording: str, token: str, seq: int, data: bytes, prev: str | None) -> str:
    headers = {
        "X-Recording-Token": token,
        "X-Content-SHA256": hashlib.sha256(data).hexdigest(),
        "X-Chunk-End-Ms": str((seq + 1) * 1000),
    }
    if prev:
        headers["X-Prev-SHA256"] = prev
    answer = httpx.put(
        f"{base}/api/v1/live/{recording}/chunks/{seq}", content=data, headers=headers, timeout=30
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["sha256"])


def test_the_follow_page_keeps_up_with_the_recording_in_a_browser(
    tmp_path: Path,
    smtp: tuple[Mailbox, int],
    page: Any,
    chunks: list[bytes],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    mailbox, smtp_port = smtp
    home = tmp_path / "home"
    settings = Settings(home=home, database_url=f"sqlite:///{home / 'witness.db'}")
    services, _ = initialise(settings, "web.test/log")
    services.close()
    monkeypatch.setenv("OPENWITNESS_SMTP_URL", f"smtp://127.0.0.1:{smtp_port}")
    monkeypatch.setenv("OPENWITNESS_MAIL_FROM", SENDER)
    monkeypatch.delenv("OPENWITNESS_PUBLIC_URL", raising=False)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with serving(settings, home / "server.log", "--port", str(port), base=base):
        started = httpx.post(f"{base}/api/v1/live", json={"contact": CONTACT}, timeout=30)
        assert started.status_code == 201, started.text
        recording, token = started.json()["recording"], started.json()["token"]
        mailbox.wait_for(1)
        link_base, follow = follow_path(mailbox.received[0][2])
        assert link_base == base  # no OPENWITNESS_PUBLIC_URL: the address the request came to

        page.goto(f"{base}/live/follow/{follow}")
        assert "Nothing has arrived yet" in page.inner_text("#follow-state")
        page.evaluate("() => { window.sameDocument = true; }")
        prev = None
        for seq in range(3):
            prev = put(base, recording, token, seq, chunks[seq], prev)
        page.wait_for_function(
            "() => document.querySelectorAll('a.play').length === 3", timeout=POLL_MS
        )
        assert page.evaluate("() => window.sameDocument") is True  # polled, not reloaded
        assert "in 3 parts" in page.inner_text("#follow-seconds")

        page.click("a.play[data-upto='3']")
        page.wait_for_function(
            "() => { const p = document.getElementById('follow-player');"
            " return !p.hidden && p.readyState >= 2 && !p.error; }",
            timeout=POLL_MS,
        )
        assert page.evaluate("() => document.getElementById('follow-player').videoWidth") > 0
        assert serious_violations(page) == []
        assert_fits(page)

        for seq in range(3, len(chunks)):
            prev = put(base, recording, token, seq, chunks[seq], prev)
        finished = httpx.post(
            f"{base}/api/v1/live/{recording}/finish",
            headers={"X-Recording-Token": token},
            timeout=30,
        )
        assert finished.status_code == 200, finished.text
        page.wait_for_function(
            "() => document.getElementById('follow-state').textContent.includes('Ended')",
            timeout=POLL_MS,
        )
        assert page.evaluate("() => window.sameDocument") is True
        assert page.locator("a.play").count() == len(chunks)
        # the part that was playing stays marked as it was
        assert page.get_attribute("a.play[data-upto='3']", "aria-current") == "true"
        assert page.get_attribute("#follow-live", "data-refresh") == ""  # no more polling
        with page.expect_download() as download:
            page.click("#follow-bundle")
        bundle = json.loads(Path(download.value.path()).read_text())
        assert bundle["recording"] == recording and bundle["whole"] is not None
        assert [c["seq"] for c in bundle["chunks"]] == list(range(len(chunks)))
    assert len(mailbox.received) == 1
