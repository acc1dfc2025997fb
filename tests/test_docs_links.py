"""Every relative link and image in README.md and docs/*.md names a file that exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support import REPO

DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")


@pytest.mark.parametrize("doc", DOCS, ids=[d.name for d in DOCS])
def test_relative_links_name_existing_files(doc: Path) -> None:
    targets = [t.split("#", 1)[0] for t in LINK.findall(doc.read_text(encoding="utf-8"))]
    relative = [t for t in targets if t and not re.match(r"^[a-z]+:", t)]
    assert [t for t in relative if not (doc.parent / t).exists()] == []


def test_the_caseworker_guide_shows_the_pages_it_describes() -> None:
    guide = (REPO / "docs" / "casework.md").read_text(encoding="utf-8")
    images = re.findall(r"!\[[^\]]+\]\((screenshots/[^)]+\.png)\)", guide)
    assert len(images) >= 4 and all((REPO / "docs" / i).is_file() for i in images)
