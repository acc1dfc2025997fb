"""The allegation taxonomy: consistent, documented, and served by the CLI and the API."""

from __future__ import annotations

import json
import re
import subprocess

import pytest
from fastapi.testclient import TestClient

from openwitness.app import create_app
from openwitness.cases.taxonomy import (
    IOPC_CATEGORIES,
    LEGACY_CODES,
    check_category,
    from_legacy_code,
)
from openwitness.core.errors import InvalidRequestError
from openwitness.services import Services
from tests.cli.test_cli_evidence import WITNESS
from tests.support import REPO

DOC = (REPO / "docs" / "taxonomy.md").read_text()


def test_every_legacy_code_maps_to_a_current_category() -> None:
    assert sorted(LEGACY_CODES) == list("ABCDEFGHJKLMNPQRSTUVWXY")  # no I or O
    for code, (_, target) in LEGACY_CODES.items():
        assert check_category(target) == target
        assert from_legacy_code(code.lower()) == target


@pytest.mark.parametrize("bad", ["assault", "sexual-conduct/groping", "", "/decisions"])
def test_unknown_categories_are_refused_naming_the_field(bad: str) -> None:
    with pytest.raises(InvalidRequestError, match=r"^category: unknown allegation category"):
        check_category(bad)


def test_unknown_legacy_codes_are_refused() -> None:
    with pytest.raises(InvalidRequestError, match="unknown legacy IPCC code 'I'"):
        from_legacy_code("I")


def test_the_documentation_matches_the_code() -> None:
    documented = set(re.findall(r"^\| `([a-z-]+)` \|", DOC, re.M))
    assert documented == {c.id for c in IOPC_CATEGORIES}
    rows = re.findall(r"^\| ([A-Z]) \| (.+?) \| `(.+?)` \|$", DOC, re.M)
    assert {code: (name, target) for code, name, target in rows} == LEGACY_CODES
    unverified = {c.id for c in IOPC_CATEGORIES if not c.verified}
    assert unverified == {"use-of-force", "detention"}
    for category_id in unverified:
        assert re.search(rf"`{category_id}` \|.*\*\*not verified\*\*", DOC)


def test_taxonomy_through_the_cli_and_the_api(services: Services) -> None:
    cli = subprocess.run([WITNESS, "taxonomy", "--json"], capture_output=True, text=True)
    with TestClient(create_app(services.settings)) as client:
        served = client.get("/api/v1/taxonomy").json()
    assert json.loads(cli.stdout) == served
    ids = {s["id"] for c in served["categories"] for s in c["subcategories"]}
    assert "discriminatory-behaviour/race" in ids and len(served["legacy_codes"]) == 23
