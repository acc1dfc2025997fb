"""The trusted contact of a live recording, against a real SMTP server on loopback (aiosmtpd).

The mail that arrives is read as the SMTP server received it; its link is followed as a contact
would; what the follow page serves is compared with the recording's own bytes (hashlib).
"""

from __future__ import annotations

import hashlib
import logging
import re
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient

from openwitness.api.access_log import PrivateAccessLog
from openwitness.app import create_app
from openwitness.core.config import Settings
from openwitness.services import initialise
from tests.api.test_api_server import free_port
from tests.live.conftest import Recorder

CONTACT = "trusted.contact.7f3a@example.org"
SENDER = "witness@openwitness.example"
PUBLIC = "https://witness.example.org"
LINK = re.compile(r"(https?://\S+)/live/follow/(owf_[A-Za-z0-9_-]+)")
PLAY = re.compile(r'href="(/live/follow/owf_[A-Za-z0-9_-]+/media\?upto=(\d+))"')


@dataclass
class Mailbox:
    """What the SMTP server received: each message's envelope and its parsed text."""

    received: list[tuple[str, list[str], EmailMessage]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def wait_for(self, count: int, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while len(self.received) < count:
            assert time.monotonic() < deadline, f"{len(self.received)} of {count} mails arrived"
            time.sleep(0.02)


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, int]]:
    """A real SMTP server on 127.0.0.1, on a free port."""
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield mailbox, controller.port
    finally:
        controller.stop()


def settings_for(tmp_path: Path, smtp_port: int | None, **rates: str) -> Settings:
    home = tmp_path / "home"
    settings = Settings(home=home, database_url=f"sqlite:///{home / 'openwitness.db'}")
    services, _ = initialise(settings, "test.openwitness.local/log")
    services.close()
    return replace(
        settings,
        smtp_url=f"smtp://127.0.0.1:{smtp_port}" if smtp_port else None,
        mail_from=SENDER,
        public_url=PUBLIC,
        rates={**settings.rates, **rates},
    )


@contextmanager
def app_client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as client:
        yield client


class ContactRecorder(Recorder):
    """A recording started with a trusted contact named; sends chunks as the /live page does."""

    def __init__(self, client: TestClient, contact: str = CONTACT) -> None:
        self.client = client
        self.answer = client.post("/api/v1/live", json={"audio_only": False, "contact": contact})
        assert self.answer.status_code == 201, self.answer.text
        self.id = self.answer.json()["recording"]
        self.token = self.answer.json()["token"]
        self.prev = None

    def status(self) -> dict[str, Any]:
        answer = self.client.get(
            f"/api/v1/live/{self.id}", headers={"X-Recording-Token": self.token}
        )
        assert answer.status_code == 200, answer.text
        return dict(answer.json())


def wait_for_contact(recorder: ContactRecorder, state: str) -> None:
    deadline = time.monotonic() + 10
    while recorder.status()["contact"] != state:
        assert time.monotonic() < deadline, f"contact is {recorder.status()['contact']!r}"
        time.sleep(0.02)


def follow_path(message: EmailMessage) -> tuple[str, str]:
    """The follow link's base and token, from the mail's text as the SMTP server got it."""
    body = message.get_body(("plain",))
    assert body is not None
    found = LINK.search(body.get_content())
    assert found, body.get_content()
    return found.group(1), found.group(2)


def page(client: TestClient, path: str) -> Any:
    return client.get(path, headers={"Accept": "text/html"})


def test_the_contact_is_mailed_a_link_that_follows_the_recording_as_it_arrives(
    tmp_path: Path, smtp: tuple[Mailbox, int], chunks: list[bytes]
) -> None:
    mailbox, port = smtp
    with app_client(settings_for(tmp_path, port)) as client:
        recorder = ContactRecorder(client)
        assert recorder.answer.json()["status"]["contact"] == "sending"
        mailbox.wait_for(1)
        sender, recipients, message = mailbox.received[0]
        assert (sender, recipients) == (SENDER, [CONTACT])
        assert message["To"] == CONTACT and message["From"] == SENDER
        base, token = follow_path(message)
        assert base == PUBLIC  # OPENWITNESS_PUBLIC_URL, not the address the request came to
        wait_for_contact(recorder, "sent")
        assert token != recorder.token

        url = f"/live/follow/{token}"
        empty = page(client, url)
        assert empty.status_code == 200
        assert "Recording now. Nothing has arrived yet." in empty.text
        assert PLAY.findall(empty.text) == []
        assert empty.headers["Cache-Control"] == "no-store"
        assert empty.headers["Referrer-Policy"] == "no-referrer"
        assert '<meta name="referrer" content="no-referrer">' in empty.text
        assert 'http-equiv="refresh"' in empty.text  # inside <noscript>: the script polls
        assert "js/live-follow.js" in empty.text
        assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", empty.text) == []  # no inline script

        for n, data in enumerate(chunks, start=1):
            assert recorder.put(n - 1, data).status_code == 201
            shown = page(client, url)
            assert shown.status_code == 200
            assert f"in {n} part{'' if n == 1 else 's'}" in shown.text
            links = PLAY.findall(shown.text)
            assert [int(upto) for _, upto in links] == list(range(1, n + 1))
            for href, upto in links:
                media = client.get(href)
                assert media.status_code == 200
                assert media.headers["Cache-Control"] == "no-store"
                assert media.headers["Content-Type"].startswith("video/webm")
                expected = hashlib.sha256(b"".join(chunks[: int(upto)])).hexdigest()
                assert hashlib.sha256(media.content).hexdigest() == expected
        whole = client.get(f"{url}/media")
        assert whole.content == b"".join(chunks)

        assert (
            client.post(
                f"/api/v1/live/{recorder.id}/finish",
                json={"recorded_chunks": len(chunks)},
                headers={"X-Recording-Token": recorder.token},
            ).status_code
            == 200
        )
        ended = page(client, url)
        assert "Ended. The recording lasted about 6 seconds." in ended.text
        assert hashlib.sha256(b"".join(chunks)).hexdigest() in ended.text
        assert 'http-equiv="refresh"' not in ended.text
        bundle = client.get(f"{url}/bundle")
        assert bundle.status_code == 200
        assert bundle.headers["Cache-Control"] == "no-store"
        assert "attachment" in bundle.headers["Content-Disposition"]
        own = client.get(
            f"/api/v1/live/{recorder.id}/bundle", headers={"X-Recording-Token": recorder.token}
        )
        assert bundle.json() == own.json()
        assert len(bundle.json()["chunks"]) == len(chunks) and bundle.json()["whole"]
    assert len(mailbox.received) == 1


def test_the_follow_token_and_the_write_token_open_only_their_own_doors(
    tmp_path: Path, smtp: tuple[Mailbox, int], chunks: list[bytes]
) -> None:
    mailbox, port = smtp
    with app_client(settings_for(tmp_path, port)) as client:
        recorder = ContactRecorder(client)
        mailbox.wait_for(1)
        _, token = follow_path(mailbox.received[0][2])
        assert recorder.put(0, chunks[0]).status_code == 201
        as_writer = {"X-Recording-Token": token}
        base = f"/api/v1/live/{recorder.id}"
        sha = hashlib.sha256(chunks[1]).hexdigest()
        put = client.put(
            f"{base}/chunks/1",
            content=chunks[1],
            headers={**as_writer, "X-Content-SHA256": sha, "X-Prev-SHA256": recorder.prev or ""},
        )
        assert put.status_code == 403
        assert client.get(base, headers=as_writer).status_code == 403
        assert client.get(f"{base}/media", headers=as_writer).status_code == 403
        assert client.post(f"{base}/finish", headers=as_writer).status_code == 403
        assert recorder.status()["chunks"] == 1  # nothing was added or ended

        unknown = page(client, "/no-such-page")
        assert unknown.status_code == 404
        for wrong in (recorder.token, token[:-2] + "xx", "owf_" + "A" * 43, recorder.id):
            shown = page(client, f"/live/follow/{wrong}")
            assert shown.status_code == 404
            assert shown.headers["Cache-Control"] == "no-store"
            assert shown.text == unknown.text  # says nothing of whether a recording exists
            assert client.get(f"/live/follow/{wrong}/media?upto=1").status_code == 404
            assert client.get(f"/live/follow/{wrong}/bundle").status_code == 404
        assert page(client, f"/live/follow/{token}").status_code == 200


def test_failed_follow_look_ups_are_limited_per_address(
    tmp_path: Path, smtp: tuple[Mailbox, int]
) -> None:
    mailbox, port = smtp
    with app_client(settings_for(tmp_path, port, live_follow="3 per 10 minutes")) as client:
        ContactRecorder(client)
        mailbox.wait_for(1)
        _, token = follow_path(mailbox.received[0][2])
        for _ in range(5):  # the right link is never counted
            assert page(client, f"/live/follow/{token}").status_code == 200
        for n in range(3):
            assert page(client, f"/live/follow/owf_wrong{n}").status_code == 404
        refused = page(client, f"/live/follow/{token}")  # then every link, the right one too
        assert refused.status_code == 429
        assert int(refused.headers["Retry-After"]) > 0
        assert "Please wait" in refused.text
        assert client.get(f"/live/follow/{token}/bundle").status_code == 429


def test_with_the_smtp_server_down_the_contact_fails_and_the_recording_goes_on(
    tmp_path: Path, chunks: list[bytes]
) -> None:
    with app_client(settings_for(tmp_path, free_port())) as client:  # nothing listens there
        recorder = ContactRecorder(client)
        wait_for_contact(recorder, "failed")
        for seq, data in enumerate(chunks):
            assert recorder.put(seq, data).status_code == 201
        finished = client.post(
            f"/api/v1/live/{recorder.id}/finish", headers={"X-Recording-Token": recorder.token}
        )
        assert finished.status_code == 200
        assert finished.json()["whole"]["sha256"] == hashlib.sha256(b"".join(chunks)).hexdigest()
        assert finished.json()["status"]["contact"] == "failed"


def test_without_smtp_a_contact_is_refused_plainly_and_recording_still_starts(
    tmp_path: Path,
) -> None:
    with app_client(settings_for(tmp_path, None)) as client:
        refused = client.post("/api/v1/live", json={"contact": CONTACT})
        assert refused.status_code == 400
        assert "cannot send e-mail" in refused.json()["detail"]
        started = client.post("/api/v1/live", json={})
        assert started.status_code == 201
        assert started.json()["status"]["contact"] is None


@pytest.mark.parametrize(
    "address",
    [
        f"{CONTACT}\r\nBcc: someone.else@example.net",
        f"{CONTACT}\nBcc: someone.else@example.net",
        f"someone.else@example.net\r\nTo: {CONTACT}",
        f"{CONTACT}, someone.else@example.net",
        f"Friend <{CONTACT}>",
        "not an address",
        "no-at-sign.example.org",
        "@example.org",
        "someone@localhost",
        "someone@exa mple.org",
    ],
)
def test_an_address_that_is_not_one_plain_address_is_refused_and_nothing_is_sent(
    tmp_path: Path, smtp: tuple[Mailbox, int], address: str
) -> None:
    mailbox, port = smtp
    settings = settings_for(tmp_path, port)
    with app_client(settings) as client:
        refused = client.post("/api/v1/live", json={"contact": address})
        assert refused.status_code == 400, refused.text
        assert "is not an e-mail address" in refused.json()["detail"]
        ContactRecorder(client, "after@example.org")  # the server is up: this one does arrive
        mailbox.wait_for(1)
    assert [recipients for _, recipients, _ in mailbox.received] == [["after@example.org"]]
    assert b"someone.else" not in mailbox.received[0][2].as_bytes()
    with sqlite3.connect(settings.home / "openwitness.db") as db:
        assert db.execute("SELECT count(*) FROM live_recording").fetchone() == (1,)


def test_contacts_are_rate_limited_per_address(tmp_path: Path, smtp: tuple[Mailbox, int]) -> None:
    mailbox, port = smtp
    with app_client(settings_for(tmp_path, port, contacts="2 per hour")) as client:
        ContactRecorder(client, "first@example.org")
        ContactRecorder(client, "second@example.org")
        third = client.post("/api/v1/live", json={"contact": "third@example.org"})
        assert third.status_code == 429
        assert 0 < int(third.headers["Retry-After"]) <= 3600
        assert "contacts" in third.json()["detail"]
        assert client.post("/api/v1/live", json={}).status_code == 201  # without one: fine
        mailbox.wait_for(2)
        time.sleep(0.2)  # a third mail, if one were sent, would be here by now
    assert sorted(r for _, rs, _ in mailbox.received for r in rs) == [
        "first@example.org",
        "second@example.org",
    ]


def test_the_contacts_address_is_kept_nowhere(
    tmp_path: Path,
    smtp: tuple[Mailbox, int],
    chunks: list[bytes],
    caplog: pytest.LogCaptureFixture,
) -> None:
    mailbox, port = smtp
    settings = settings_for(tmp_path, port)
    caplog.set_level(logging.DEBUG)
    with app_client(settings) as client:
        recorder = ContactRecorder(client)
        mailbox.wait_for(1)
        wait_for_contact(recorder, "sent")
        for seq, data in enumerate(chunks):
            assert recorder.put(seq, data).status_code == 201
        assert (
            client.post(
                f"/api/v1/live/{recorder.id}/finish", headers={"X-Recording-Token": recorder.token}
            ).status_code
            == 200
        )
        entries = client.get("/api/v1/log/entries", params={"start": 0, "end": 1000})
        assert entries.status_code == 200
        logged = entries.json()["entries"]
        assert len(logged) >= len(chunks) + 1
        assert any(e["entry"].get("recording") == recorder.id for e in logged)
        assert CONTACT not in entries.text
    # The app is closed: every file under the home folder, the database among them.
    needles = [CONTACT.encode(), CONTACT.split("@")[0].encode(), CONTACT.encode("utf-16-le")]
    files = [path for path in settings.home.rglob("*") if path.is_file()]
    assert settings.home / "openwitness.db" in files
    for path in files:
        data = path.read_bytes()
        assert not any(needle in data for needle in needles), f"{path} holds the address"
    with sqlite3.connect(settings.home / "openwitness.db") as db:
        rows = db.execute("SELECT data FROM log_entry").fetchall()
        assert len(rows) >= len(chunks) + 1
        assert all(CONTACT.encode() not in bytes(data) for (data,) in rows)
    ours = [r for r in caplog.records if not r.name.startswith("mail.log")]  # not aiosmtpd's
    assert ours and all(CONTACT not in r.getMessage() for r in ours)


def test_the_access_log_keeps_neither_the_follow_key_nor_the_followers_address() -> None:
    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
        ("203.0.113.7:5000", "GET", "/live/follow/owf_secretkey/media?upto=3", "1.1", 200),
        None,
    )  # fmt: skip
    assert PrivateAccessLog().filter(record)
    assert record.getMessage() == '- - "GET /live/follow/[token]/media HTTP/1.1" 200'
    page_record = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
        ("203.0.113.7:5000", "GET", "/live/follow/owf_secretkey", "1.1", 200), None,
    )  # fmt: skip
    PrivateAccessLog().filter(page_record)
    assert "owf_" not in page_record.getMessage()
    assert "203.0.113.7" not in page_record.getMessage()
