"""The /live page in Chromium with its fake camera and microphone: a recording whose connection
is cut and restored loses nothing and verifies offline, in the browser and with `witness verify
--bundle`, and plays; a page killed mid-recording leaves verifiable chunks and a recording the
server shows as cut short; a reload mid-recording finds the queue on the phone and sends it."""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx
import pytest

from openwitness.core.config import Settings
from tests.api.test_api_server import WITNESS
from tests.web.conftest import assert_fits, serious_violations, served

TIMESLICE_MS = 1000  # the page's default is 3 s; 1 s keeps these tests short
IDLE_SECONDS = 3  # the server shows a recording cut short after this long without a chunk
CHUNKS = "**/api/v1/live/*/chunks/*"
STATUS = "document.getElementById('live-status').dataset"


@pytest.fixture(scope="module")
def live_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A site that can send mail (so the trusted-contact field shows; none is named here) and
    calls a recording cut short after IDLE_SECONDS. `served` copies this environment."""
    home = tmp_path_factory.mktemp("live")
    patch = pytest.MonkeyPatch()
    patch.setenv("OPENWITNESS_LIVE_IDLE_SECONDS", str(IDLE_SECONDS))
    patch.setenv("OPENWITNESS_SMTP_URL", "smtp://127.0.0.1:9")
    try:
        with served(home) as base:
            patch.undo()  # the server has its environment; other servers get theirs
            yield base, home
    finally:
        patch.undo()


def log_key(home: Path) -> str:
    settings = Settings(home=home, database_url=f"sqlite:///{home / 'witness.db'}")
    return settings.verifier_key_path.read_text().strip()


@contextmanager
def phone(browser: Any) -> Iterator[tuple[Any, Any, list[str]]]:
    """A phone-sized context; yields it, its page and every URL the page asked for. Fails on a
    request leaving the site, a Content Security Policy violation or an uncaught error."""
    context = browser.new_context(viewport={"width": 360, "height": 800}, accept_downloads=True)
    page = context.new_page()
    asked: list[str] = []
    problems: list[str] = []
    page.on("request", lambda r: asked.append(r.url))
    page.on(
        "console",
        lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.on("pageerror", lambda error: problems.append(str(error)))
    try:
        yield context, page, asked
    finally:
        context.close()
    outside = [u for u in asked if urlparse(u.removeprefix("blob:")).hostname != "127.0.0.1"]
    assert outside == []
    assert problems == []


def start_recording(page: Any, base: str) -> None:
    page.goto(base + "/live")
    page.evaluate(f"document.getElementById('live').dataset.timesliceMs = '{TIMESLICE_MS}'")
    page.click("#live-start")
    wait_until(page, f"{STATUS}.state === 'recording'")


def wait_until(page: Any, condition: str, timeout: float = 30_000) -> None:
    """Wait for a JavaScript condition (passed as a function: the page's policy forbids eval)."""
    page.wait_for_function(f"() => {condition}", timeout=timeout)


def counts(page: Any, box: str = "live-status") -> dict[str, int]:
    data = page.evaluate(f"Object.assign({{}}, document.getElementById('{box}').dataset)")
    return {k: int(v) for k, v in data.items() if k != "state"}


def kept_on_phone(page: Any) -> list[dict[str, Any]]:
    """The recordings the page keeps in IndexedDB (id, token, counts), read as a test would
    read a seized phone."""
    return list(
        page.evaluate(
            """() => new Promise((resolve, reject) => {
                const open = indexedDB.open("ow-live");
                open.onerror = () => reject(open.error);
                open.onsuccess = () => {
                  const store = open.result.transaction("recordings").objectStore("recordings");
                  const all = store.getAll();
                  all.onsuccess = () => resolve(all.result.map((r) => ({
                    id: r.id, token: r.token, made: r.made, logged: r.logged.length,
                    finished: Boolean(r.finished)})));
                  all.onerror = () => reject(all.error);
                };
            })"""
        )
    )


def witness_verify(bundle: Path, key: str, file: Path | None = None) -> str:
    """The real CLI, offline: exit 0 only when every chunk, the chain and the file verify."""
    args = [WITNESS, "verify", "--bundle", str(bundle)]
    args += [str(file)] if file else []
    env = dict(os.environ, NO_COLOR="1", COLUMNS="200")
    result = subprocess.run(
        [*args, "--key", key], capture_output=True, text=True, timeout=60, env=env
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "NOT" not in result.stdout, result.stdout
    return result.stdout


def entry_of(receipt: str) -> dict[str, Any]:
    """The log entry a tlog-proof receipt carries (its "extra" line), read here directly."""
    extra = receipt.split("\n")[1]
    assert extra.startswith("extra ")
    return dict(json.loads(base64.b64decode(extra.removeprefix("extra "))))


def chain_of(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    entries = sorted((entry_of(c["receipt"]) for c in bundle["chunks"]), key=lambda e: e["seq"])
    assert [e["seq"] for e in entries] == list(range(len(entries)))
    for before, after in itertools.pairwise(entries):
        assert after["prev_sha256"] == before["sha256"]
    return entries


def demuxed(path: Path) -> dict[str, int]:
    """Packets per stream type, read by FFmpeg (PyAV), independently of the browser."""
    import av

    found: dict[str, int] = {}
    with av.open(str(path)) as container:
        for packet in container.demux():
            if packet.size:
                found[packet.stream.type] = found.get(packet.stream.type, 0) + 1
        first = next(container.decode(video=0), None) if container.streams.video else None
    assert first is None or first.width > 0
    return found


def test_a_recording_cut_off_from_the_network_loses_nothing_and_verifies(
    media_browser: Any, live_site: tuple[str, Path], tmp_path: Path
) -> None:
    base, home = live_site
    with phone(media_browser) as (context, page, asked):
        start_recording(page, base)
        wait_until(page, f"Number({STATUS}.loggedChunks) >= 2")
        [kept] = kept_on_phone(page)
        context.set_offline(True)
        wait_until(page, f"{STATUS}.state === 'offline' && Number({STATUS}.queued) >= 3")
        cut = counts(page)
        assert "no connection" in (page.locator("#live-waiting").text_content() or "")
        assert_fits(page)
        assert serious_violations(page) == []
        context.set_offline(False)
        wait_until(page, f"Number({STATUS}.loggedChunks) >= {cut['loggedChunks'] + cut['queued']}")
        page.click("#live-stop")
        page.locator("#live-check h3").wait_for(timeout=60_000)
        assert page.locator("#live-check h3").text_content() == "Checked in this browser"
        assert_fits(page)
        assert serious_violations(page) == []

        with page.expect_download() as saved:
            page.click("#live-bundle")
        bundle_path = tmp_path / "recording.bundle.json"
        saved.value.save_as(bundle_path)
        with page.expect_download() as saved:
            page.click("#live-download")
        recording = tmp_path / "recording.webm"
        saved.value.save_as(recording)

        # It plays in the page: the element has decoded data and its clock runs.
        wait_until(page, "document.getElementById('live-media').readyState >= 2")
        page.evaluate(
            "() => { const m = document.getElementById('live-media'); m.muted = true; m.play(); }"
        )
        wait_until(page, "document.getElementById('live-media').currentTime > 0.5")
        assert not any(kept["token"] in url for url in asked)  # the key never in an address

    bundle = json.loads(bundle_path.read_text())
    entries = chain_of(bundle)
    # Nothing lost: every chunk made, including those made while offline, is in the bundle.
    assert bundle["recorded_chunks"] == len(entries) >= cut["loggedChunks"] + cut["queued"]
    whole = entry_of(bundle["whole"]["receipt"])
    data = recording.read_bytes()
    assert whole["sha256"] == hashlib.sha256(data).hexdigest()
    assert whole["size"] == len(data) == sum(e["size"] for e in entries)
    out = witness_verify(bundle_path, log_key(home), recording)
    assert "is exactly these chunks end to end" in out
    streams = demuxed(recording)
    assert streams.get("video", 0) > 0 and streams.get("audio", 0) > 0, streams

    # And on the /verify page, in the browser, as a person would check it.
    with phone(media_browser) as (_context, page, _asked):
        page.goto(base + "/verify")
        page.set_input_files("#verify-file", str(recording))
        page.set_input_files("#verify-receipt", str(bundle_path))
        page.click("#verify-button")
        page.locator("#verify-result h2").wait_for()
        assert page.locator("#verify-result h2").text_content() == "Verified", page.locator(
            "#verify-result"
        ).text_content()


def server_status(base: str, kept: dict[str, Any]) -> dict[str, Any]:
    answer = httpx.get(
        f"{base}/api/v1/live/{kept['id']}", headers={"X-Recording-Token": kept["token"]}
    )
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def test_a_page_killed_mid_recording_leaves_verifiable_chunks_and_a_recording_cut_short(
    media_browser: Any, live_site: tuple[str, Path], tmp_path: Path
) -> None:
    base, home = live_site
    with phone(media_browser) as (context, page, _asked):
        start_recording(page, base)
        wait_until(page, f"Number({STATUS}.loggedChunks) >= 3")
        [kept] = kept_on_phone(page)  # what someone holding the phone would find
        logged = counts(page)["loggedChunks"]
        context.close()  # the page is gone at once: no Stop, no goodbye

    token = {"X-Recording-Token": kept["token"]}
    deadline = time.monotonic() + 30
    while (status := server_status(base, kept))["state"] != "cut_short":
        assert status["state"] == "recording", status
        assert time.monotonic() < deadline, f"not shown as cut short: {status}"
        time.sleep(0.5)
    assert status["chunks"] >= logged

    bundle_path = tmp_path / "cut.bundle.json"
    answer = httpx.get(f"{base}/api/v1/live/{kept['id']}/bundle", headers=token)
    bundle_path.write_bytes(answer.content)
    bundle = json.loads(answer.content)
    assert bundle["state"] == "cut_short" and bundle["whole"] is None
    entries = chain_of(bundle)
    assert len(entries) == status["chunks"]
    assert all(e["recording"] == kept["id"] for e in entries)
    media = tmp_path / "cut.webm"
    media.write_bytes(httpx.get(f"{base}/api/v1/live/{kept['id']}/media", headers=token).content)
    assert media.stat().st_size == sum(e["size"] for e in entries)
    out = witness_verify(bundle_path, log_key(home), media)
    assert f"chunks 0 to {len(entries) - 1} of recording {kept['id']}" in out
    assert "is exactly these chunks end to end" in out
    assert demuxed(media).get("video", 0) > 0  # what arrived before the cut plays


def test_a_reload_mid_recording_sends_the_queue_kept_on_the_phone_and_ends_it(
    media_browser: Any, live_site: tuple[str, Path], tmp_path: Path
) -> None:
    base, home = live_site
    with phone(media_browser) as (_context, page, _asked):
        start_recording(page, base)
        wait_until(page, f"Number({STATUS}.loggedChunks) >= 1")
        page.route(CHUNKS, lambda route: route.abort("internetdisconnected"))
        wait_until(page, f"Number({STATUS}.queued) >= 3")
        [kept] = kept_on_phone(page)
        on_server = server_status(base, kept)["chunks"]
        assert on_server < kept["made"]  # some chunks exist only on the phone
        page.unroute(CHUNKS)
        page.reload()

        # The queue is found and sent; the earlier recording is offered to be ended.
        page.locator("#live-leftover").wait_for()
        box = "document.getElementById('live-leftover-status').dataset"
        wait_until(page, f"{box}.queued === '0' && {box}.loggedChunks === {box}.made")
        [after] = kept_on_phone(page)
        assert after["made"] >= kept["made"]
        assert server_status(base, kept)["chunks"] == after["made"]
        page.click("#live-leftover-end")
        page.locator("#live-check h3").wait_for(timeout=60_000)
        assert page.locator("#live-check h3").text_content() == "Checked in this browser"
        assert page.locator("#live-leftover").is_hidden()
        assert [r["finished"] for r in kept_on_phone(page)] == [True]

        with page.expect_download() as saved:
            page.click("#live-bundle")
        bundle_path = tmp_path / "reloaded.bundle.json"
        saved.value.save_as(bundle_path)
        wait_until(page, "true")
        assert kept_on_phone(page) == []  # the bundle is in hand: the phone forgets the token
        bundle = json.loads(bundle_path.read_text())
        assert bundle["recorded_chunks"] == len(chain_of(bundle)) == after["made"]
        whole = entry_of(bundle["whole"]["receipt"])

        # Attached to a report: the form comes with the recording, and the report takes it.
        page.click("#live-attach")
        page.wait_for_url(base + "/report")
        row = page.locator(f"#lodged-files li[data-sha256='{whole['sha256']}']")
        assert row.count() == 1
        page.fill("#occurred_at", "2026-11-30T18:30")
        page.fill("#place", "Brixton Road")
        page.select_option("#force", "metropolitan")
        page.select_option("#encounter_type", "stop-and-search")
        page.fill("#narrative", "Filmed live; the phone was taken afterwards.")
        page.click("#send-report")
        page.wait_for_url(base + "/report/receipt")
        item = page.locator(f".lodged-item[data-sha256='{whole['sha256']}']")
        assert item.count() == 1
        assert "Matches the SHA-256 your browser computed" in (
            item.locator(".browser-match").text_content() or ""
        )
    witness_verify(bundle_path, log_key(home))


def test_the_live_page_without_javascript_points_to_the_report_page(
    browser: Any, live_site: tuple[str, Path], site: str
) -> None:
    base, _home = live_site
    context = browser.new_context(java_script_enabled=False, viewport={"width": 360, "height": 800})
    page = context.new_page()
    try:
        page.goto(base + "/live")
        needs = page.locator("#live-needs")
        assert needs.is_visible()
        assert "needs JavaScript" in (needs.text_content() or "")
        assert needs.locator("a[href='/report']").count() == 1
        assert page.locator("#live-setup").is_hidden()
        page.goto(site + "/live")  # a site that cannot send mail asks for no contact
        assert page.locator("#live-contact").count() == 0
    finally:
        context.close()


def test_only_the_live_page_may_use_the_camera_and_microphone(
    live_site: tuple[str, Path],
) -> None:
    base, _home = live_site
    live = httpx.get(base + "/live")
    assert live.status_code == 200
    assert "camera=(self)" in live.headers["permissions-policy"]
    assert "microphone=(self)" in live.headers["permissions-policy"]
    assert 'id="live-contact"' in live.text  # this site can send mail
    assert "unsafe-inline" not in live.headers["content-security-policy"]
    for other in ("/", "/report", "/verify"):
        policy = httpx.get(base + other).headers["permissions-policy"]
        assert "camera=()" in policy and "microphone=()" in policy, other


@pytest.mark.parametrize(
    ("tamper", "said"),
    [
        ("another chunk's receipt", "does not name this part's own SHA-256"),
        ("a forged signature", "does not verify"),
    ],
)
def test_a_receipt_that_does_not_prove_the_chunk_is_refused_and_the_chunk_kept(
    media_browser: Any, live_site: tuple[str, Path], tamper: str, said: str
) -> None:
    base, _home = live_site
    first: list[str] = []

    def lie(route: Any) -> None:
        """The server's answer, with a receipt for chunk 2 that proves something else."""
        answer = route.fetch()
        body = answer.json()
        if body.get("seq") == 0:
            first.append(body["receipt"])
        if body.get("seq") == 2:
            if tamper == "another chunk's receipt":
                body["receipt"] = first[0]
            else:
                signed = body["receipt"].rstrip("\n").rsplit(" ", 1)
                forged = base64.b64decode(signed[1])
                forged = forged[:10] + bytes([forged[10] ^ 1]) + forged[11:]
                body["receipt"] = f"{signed[0]} {base64.b64encode(forged).decode()}\n"
        route.fulfill(response=answer, json=body)

    with phone(media_browser) as (_context, page, _asked):
        page.route(CHUNKS, lie)
        start_recording(page, base)
        wait_until(page, f"{STATUS}.state === 'problem'")
        page.click("#live-stop")
        assert said in (page.locator("#live-problem").text_content() or "")
        wait_until(page, f"Number({STATUS}.made) > 3")
        seen = counts(page)
        assert seen["loggedChunks"] == 2  # chunks 0 and 1; chunk 2 is not counted as safe
        assert seen["queued"] == seen["made"] - 2  # and nothing after it was sent or dropped
        assert [r["logged"] for r in kept_on_phone(page)] == [2]
        assert page.locator("#live-done").is_hidden()


def test_the_person_is_told_when_their_trusted_contact_could_not_be_sent_the_link(
    media_browser: Any, live_site: tuple[str, Path]
) -> None:
    base, _home = live_site  # its mail server (port 9) refuses every connection
    with phone(media_browser) as (_context, page, asked):
        page.goto(base + "/live")
        page.evaluate(f"document.getElementById('live').dataset.timesliceMs = '{TIMESLICE_MS}'")
        page.check("#live-audio")
        page.fill("#live-contact", "friend@example.org")
        page.click("#live-start")
        page.locator("#live-clock", has_text="could not be sent").wait_for()
        assert page.locator("#live-preview").is_hidden()  # sound only: no camera preview
        page.click("#live-stop")
        page.locator("#live-check h3").wait_for(timeout=60_000)
        assert page.locator("#live-check h3").text_content() == "Checked in this browser"
        assert page.locator("#live-media").evaluate("m => m.tagName") == "AUDIO"
        assert not any("friend" in url for url in asked)
