"""Fixtures the API tests share."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from openwitness.app import create_app
from openwitness.services import Services

PASSWORD = "correct horse battery staple"


@pytest.fixture
def api(services: Services) -> Iterator[tuple[TestClient, dict[str, dict[str, str]]]]:
    """An app with a caseworker of law-centre ("case"), one of another organisation
    ("outsider"), an analyst ("ana") and an admin ("root"), and their bearer headers."""
    accounts = services.accounts
    for org in ("law-centre", "other-group"):
        accounts.add_organisation(org, org)
    accounts.create("case", PASSWORD, "caseworker", "law-centre")
    accounts.create("outsider", PASSWORD, "caseworker", "other-group")
    accounts.create("ana", PASSWORD, "analyst")
    accounts.create("root", PASSWORD, "admin")
    auth = {
        user: {"Authorization": f"Bearer {accounts.create_token(user)}"}
        for user in ("case", "outsider", "ana", "root")
    }
    with TestClient(create_app(services.settings)) as client:
        yield client, auth
