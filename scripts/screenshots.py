#!/usr/bin/env python3
"""Take the README's screenshots (docs/screenshots/*.png) of a real `witness serve --demo`.

Uses Debian's Chromium through Playwright, as the browser tests do. Phone pages are 360 px wide,
caseworker pages 1280 px. Run from the repository:  .venv/bin/python scripts/screenshots.py
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from playwright.sync_api import Page, sync_playwright

from openwitness.demo import DEMO_PASSWORD

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "docs" / "screenshots"
PHOTO = REPO.parent / "shared/data/media/ianare__exif-samples/jpg/gps/DSCN0010.jpg"
PHONE = {"width": 360, "height": 780}
DESKTOP = {"width": 1280, "height": 900}


def serve(home: Path) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENWITNESS_")}
    env["OPENWITNESS_HOME"] = str(home)
    witness = Path(sys.executable).parent / "witness"
    proc = subprocess.Popen(  # noqa: S603 - our own witness, fixed arguments
        [str(witness), "serve", "--demo", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if httpx.get(f"{base}/api/v1/taxonomy", timeout=2).status_code == 200:
                return proc, base
        except httpx.TransportError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("witness serve --demo did not start")


def shot(page: Page, name: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUT / f"{name}.png"))
    print(f"docs/screenshots/{name}.png")


def main() -> None:
    with tempfile.TemporaryDirectory() as home:
        proc, base = serve(Path(home))
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path="/usr/bin/chromium")
                phone = browser.new_page(viewport=PHONE)
                for path, name in (("/", "home"), ("/report", "report"), ("/rights", "rights")):
                    phone.goto(base + path)
                    shot(phone, name)
                phone.goto(base + "/report")
                phone.set_input_files("#files", str(PHOTO))
                phone.fill("#occurred_at", "2026-11-30T18:30")
                phone.fill("#place", "Outside the station")
                phone.select_option("#force", "metropolitan")
                phone.select_option("#encounter_type", "stop-and-search")
                phone.fill("#narrative", "A fictional report for the screenshots.")
                phone.click("#send-report")
                phone.locator(".lodged-item.matched").wait_for()
                shot(phone, "receipt")
                receipt = Path(home) / "photo.tlog-proof"
                sha = phone.locator(".lodged-item").get_attribute("data-sha256")
                receipt.write_text(httpx.get(f"{base}/api/v1/evidence/{sha}/receipt").text)
                phone.goto(base + "/verify")
                phone.set_input_files("#verify-file", str(PHOTO))
                phone.set_input_files("#verify-receipt", str(receipt))
                phone.click("#verify-button")
                phone.locator("#verify-result h2").wait_for()
                phone.locator("#verify-result").scroll_into_view_if_needed()
                shot(phone, "verify")

                desk = browser.new_page(viewport=DESKTOP)
                desk.goto(base + "/log")
                shot(desk, "log")
                desk.goto(base + "/sign-in?next=/cases")
                desk.fill("#username", "demo-caseworker")
                desk.fill("#password", DEMO_PASSWORD)
                desk.click("#sign-in")
                desk.wait_for_url(base + "/cases")
                shot(desk, "cases")
                desk.goto(base + "/overdue")
                shot(desk, "overdue")
                assert re.search(r"\d+", desk.locator("#overdue-total").text_content() or "")
                officer = desk.locator("#by-officer-h + ul a").first.get_attribute("href") or ""
                case = desk.locator("#overdue-table tbody a").first.get_attribute("href") or ""
                desk.goto(base + case.split("#")[0])
                shot(desk, "case")
                desk.goto(base + officer)
                shot(desk, "officer")
                browser.close()
        finally:
            proc.terminate()
            proc.wait(timeout=15)


if __name__ == "__main__":
    main()
