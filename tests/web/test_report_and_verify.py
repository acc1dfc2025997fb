"""An anonymous report from a phone with JavaScript: a video and a photo hashed in the browser,
the video's upload cut off mid-way and resumed (not restarted), a receipt whose hashes match the
browser's, and that receipt verified in the browser; a file with one changed byte is refused."""

from __future__ import annotations

import hashlib
import struct
from pathlib import Path
from typing import Any

import httpx

from openwitness.ledger.note import parse_verifier_key
from openwitness.ledger.receipt import parse_receipt
from openwitness.ledger.verify import verify_receipt
from tests.support import MEDIA, require_shared
from tests.web.conftest import assert_fits, serious_violations

VIDEO_SOURCE = MEDIA / "jcodec__jcodec/src/test/resources/metaedit/keyed.mp4"
PHOTO = MEDIA / "ianare__exif-samples/jpg/gps/DSCN0010.jpg"
CHUNK = 4 * 1024 * 1024  # report.js's tus chunk size
VIDEO_SIZE = 9 * 1024 * 1024 + 12345  # three chunks, the last one short


def phone_video(path: Path) -> Path:
    """A real MP4 padded with one top-level ISO-BMFF ``free`` box to span three upload chunks;
    it still sniffs as video/mp4."""
    data = require_shared(VIDEO_SOURCE).read_bytes()
    padding = VIDEO_SIZE - len(data) - 8
    path.write_bytes(
        data
        + struct.pack(">I", padding + 8)
        + b"free"
        + bytes(range(256)) * (padding // 256)
        + b"\0" * (padding % 256)
    )
    return path


def verify_in_browser(page: Any, site: str, file: Path, receipt: Path) -> tuple[str, str]:
    page.goto(site + "/verify")
    page.set_input_files("#verify-file", str(file))
    page.set_input_files("#verify-receipt", str(receipt))
    page.click("#verify-button")
    result = page.locator("#verify-result h2")
    result.wait_for()
    assert_fits(page)  # a long hash or key in the result must wrap on a phone
    return result.text_content() or "", page.locator("#verify-result p").text_content() or ""


def test_a_report_resumes_after_a_dropped_connection_and_its_receipt_verifies_in_the_browser(
    page: Any, site: str, tmp_path: Path
) -> None:
    video = phone_video(tmp_path / "encounter.mp4")
    photo = require_shared(PHOTO)
    expected = {hashlib.sha256(p.read_bytes()).hexdigest(): p for p in (video, photo)}

    uploads: list[tuple[str, str | None]] = []  # (method, Upload-Offset) as the browser sent them
    dropped: list[str] = []

    def on_upload(route: Any) -> None:
        request = route.request
        uploads.append((request.method, request.headers.get("upload-offset")))
        patches = [m for m, _ in uploads if m == "PATCH"]
        if request.method == "PATCH" and len(patches) == 2 and not dropped:
            dropped.append(request.url)  # the connection drops during the video's second chunk
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route("**/uploads/**", on_upload)
    page.goto(site + "/report")
    page.set_input_files("#files", [str(video), str(photo)])
    page.fill("#occurred_at", "2026-11-30T18:30")
    page.fill("#place", "Outside Brixton station")
    page.select_option("#force", "metropolitan")
    page.select_option("#encounter_type", "stop-and-search")
    page.fill("#officer_description", "PC 1234")
    page.fill("#narrative", "Searched without grounds; he said nobody would believe me.")
    page.check("#kind-anonymous")
    page.click("#send-report")
    page.wait_for_url(site + "/report/receipt", wait_until="load")
    page.locator("h1", has_text="Your report has been received").wait_for(timeout=60_000)

    # Resumed, not restarted: after the drop the browser asked the server for its offset (HEAD)
    # and sent the video from the end of the first chunk, never from 0 again.
    assert dropped, "the test never cut the upload off"
    after = uploads[[m for m, _ in uploads].index("PATCH") + 2 :]
    assert after[0] == ("HEAD", None), uploads
    assert after[1] == ("PATCH", str(CHUNK)), uploads
    video_patches = [offset for m, offset in uploads if m == "PATCH"][:4]
    assert video_patches == ["0", str(CHUNK), str(CHUNK), str(2 * CHUNK)], uploads

    page.screenshot(path=str(tmp_path / "receipt.png"), full_page=True)
    assert_fits(page)
    assert serious_violations(page) == []
    items = page.locator(".lodged-item")
    assert sorted(items.evaluate_all("els => els.map(e => e.dataset.sha256)")) == sorted(expected)
    matches = page.locator(".lodged-item.matched .browser-match").all_text_contents()
    assert sorted(matches) == sorted(
        f"\u2713 Matches the SHA-256 your browser computed of {p.name}." for p in expected.values()
    )
    assert page.locator("#browser-mismatch").is_hidden()
    token = page.locator("#follow-up-token").text_content() or ""
    case = page.locator("#case-number").text_content()
    page.reload()  # a reload shows the same receipt: the report is not sent again
    assert page.locator("#case-number").text_content() == case
    assert page.locator("#follow-up-token").text_content() == token

    # The receipt file, downloaded from the page, verifies offline here and in the browser.
    video_sha = next(s for s, p in expected.items() if p == video)
    with page.expect_download() as download:
        page.locator(f'.lodged-item[data-sha256="{video_sha}"] a[download]').click()
    receipt = tmp_path / "encounter.mp4.tlog-proof"
    download.value.save_as(receipt)
    key = httpx.get(f"{site}/log").text.split('id="log-key">')[1].split("<")[0].strip()
    verify_receipt(parse_receipt(receipt.read_text()), parse_verifier_key(key), video)

    heading, detail = verify_in_browser(page, site, video, receipt)
    assert heading == "Verified", detail
    assert f"SHA-256 {video_sha}" in detail and f"signed by the key {key}" in detail

    altered = tmp_path / "altered.mp4"
    data = bytearray(video.read_bytes())
    data[len(data) // 2] ^= 0x01
    altered.write_bytes(bytes(data))
    heading, detail = verify_in_browser(page, site, altered, receipt)
    assert (heading, detail) == ("Does not verify", "file does not match receipt: sha256 differs")

    # Later, the token (and nothing else) shows how the report is getting on.
    page.goto(site + "/follow-up")
    page.fill("#token", token)
    page.click("#follow")
    progress = page.locator("#progress").text_content() or ""
    assert f"Report {case}, received" in progress and "2 files lodged" in progress
    assert "received" in page.locator("#progress tbody td").nth(1).text_content()
    page.fill("#token", token[:-2] + "xx")
    page.click("#follow")
    assert (
        page.locator("#token-error").text_content()
        == "No report has this token. Check it and try again."
    )


def test_the_browser_refuses_a_tampered_receipt_and_a_key_it_was_not_signed_by(
    page: Any, site: str, tmp_path: Path
) -> None:
    photo = require_shared(PHOTO)
    lodged = httpx.post(f"{site}/api/v1/evidence", content=photo.read_bytes())
    assert lodged.status_code in (200, 201)
    text = lodged.json()["receipt"]
    lines = text.split("\n")
    receipt = tmp_path / "photo.tlog-proof"
    receipt.write_text(text)
    assert verify_in_browser(page, site, photo, receipt)[0] == "Verified"

    checkpoint_at = lines.index("") + 1
    root = lines[checkpoint_at + 2]
    forged = lines.copy()
    forged[checkpoint_at + 2] = ("B" if root[0] != "B" else "C") + root[1:]  # another root
    receipt.write_text("\n".join(forged))
    assert verify_in_browser(page, site, photo, receipt) == (
        "Does not verify",
        "checkpoint signature is invalid for the pinned key",
    )

    receipt.write_text(text)
    page.goto(site + "/verify")
    other_key = "other.example/log+00000000+" + "A" * 44
    page.fill("#verify-key", other_key)
    page.set_input_files("#verify-file", str(photo))
    page.set_input_files("#verify-receipt", str(receipt))
    page.click("#verify-button")
    page.locator("#verify-result h2").wait_for()
    assert page.locator("#verify-result p").text_content() == ("the log key is not an Ed25519 key")
