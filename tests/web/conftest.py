"""Browser tests: a real `witness serve` and Debian's Chromium driven by Playwright.

They skip, saying why, where Chromium or Playwright is missing; with OPENWITNESS_REQUIRE_BROWSER
set (as `scripts/test` sets it when it has installed Chromium, and CI does) they fail instead.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from openwitness.core.config import Settings
from openwitness.services import Services, initialise
from tests.api.test_api_server import free_port, serving

CHROMIUM = Path("/usr/bin/chromium")
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
ORIGIN = "web.test/log"
FAKE_MEDIA = ("--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream")


def _unavailable(reason: str) -> None:
    if os.environ.get("OPENWITNESS_REQUIRE_BROWSER"):
        pytest.fail(f"browser tests are required here but {reason}")
    pytest.skip(f"{reason} (install Debian's chromium, or run scripts/test)")


@pytest.fixture(scope="session")
def chromium_driver() -> Iterator[Any]:
    """One Playwright driver for every browser the tests launch (a second one in the same
    thread is refused)."""
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is not installed")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed")
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(chromium_driver: Any) -> Iterator[Any]:
    chromium = chromium_driver.chromium.launch(executable_path=str(CHROMIUM), headless=True)
    yield chromium
    chromium.close()


@pytest.fixture(scope="session")
def media_browser(chromium_driver: Any) -> Iterator[Any]:
    """Chromium with its fake camera and microphone (a test pattern and a tone), which pages
    may use without a prompt: what the /live recorder records in tests."""
    chromium = chromium_driver.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=list(FAKE_MEDIA)
    )
    yield chromium
    chromium.close()


@contextmanager
def served(home: Path, seed: Callable[[Services], None] = lambda _s: None) -> Iterator[str]:
    """A fresh installation on SQLite, ``seed`` run on it, then served by a real `witness
    serve`; yields its base URL."""
    settings = Settings(home=home, database_url=f"sqlite:///{home / 'witness.db'}")
    services, _ = initialise(settings, ORIGIN)
    try:
        seed(services)
    finally:
        services.close()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with serving(settings, home / "server.log", "--port", str(port), base=base):
        yield base


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with served(tmp_path_factory.mktemp("site")) as base:
        yield base


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser context on a phone-sized screen; fails the test on any request that
    leaves this machine's test servers (a third-party asset) or any Content Security Policy
    violation."""
    context = browser.new_context(viewport={"width": 360, "height": 800}, accept_downloads=True)
    tab = context.new_page()
    outside: list[str] = []
    csp: list[str] = []
    tab.on(
        "request",
        lambda r: outside.append(r.url) if urlparse(r.url).hostname != "127.0.0.1" else None,
    )
    tab.on(
        "console",
        lambda m: csp.append(m.text) if "Content Security Policy" in m.text else None,
    )
    yield tab
    context.close()
    assert outside == [], f"requests left the site: {outside}"
    assert csp == [], f"Content Security Policy violations: {csp}"


def serious_violations(page: Any) -> list[str]:
    """axe-core's serious and critical WCAG 2.2 A/AA violations on the page as it is now."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def assert_fits(page: Any) -> None:
    """No horizontal overflow: the page is no wider than the screen it is shown on."""
    scroll, client = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert scroll <= client, f"{page.url} overflows horizontally: {scroll} px on {client} px"
