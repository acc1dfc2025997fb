"""`witness org`, `account` and `token` through the real command."""

from __future__ import annotations

import subprocess

from fastapi.testclient import TestClient

from openwitness.api.app import create_app
from openwitness.core.config import Settings
from tests.cli.test_cli_evidence import WITNESS, witness
from tests.support import env_for

PASSWORD = "correct horse battery staple"


def create_account(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [WITNESS, "account", "create", *args, "--password-stdin"],
        input=PASSWORD + "\n",
        env={**env_for(settings), "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_accounts_and_tokens_from_the_command_line(settings: Settings) -> None:
    witness(settings, "init")
    witness(settings, "org", "add", "law-centre", "--name", "Hackney Law Centre")
    made = create_account(settings, "carol", "--role", "caseworker", "--org", "law-centre")
    assert made.returncode == 0 and "created caseworker account carol" in made.stdout
    refused = create_account(settings, "dave", "--role", "caseworker")
    assert (
        refused.returncode == 1 and "a caseworker account needs an organisation" in refused.stderr
    )
    admin = create_account(settings, "root", "--role", "admin")
    assert admin.returncode == 0
    listing = subprocess.run(
        [WITNESS, "account", "list"],
        env={**env_for(settings), "COLUMNS": "200"},
        capture_output=True,
        text=True,
    ).stdout
    assert "carol" in listing and "law-centre" in listing and "dave" not in listing
    assert PASSWORD not in listing

    token = witness(settings, "token", "create", "root").stdout.strip()
    assert token.startswith("owt_")
    body = {"id": "us-nypd", "name": "New York City Police Department", "country": "US"}
    with TestClient(create_app(settings)) as client:
        auth = {"Authorization": f"Bearer {token}"}
        assert client.post("/api/v1/forces", json=body, headers=auth).status_code == 201
        assert "revoked 1 token(s) of root" in witness(settings, "token", "revoke", "root").stdout
        body["id"] = "us-lapd"
        assert client.post("/api/v1/forces", json=body, headers=auth).status_code == 401
    again = witness(settings, "token", "revoke", "root", check=False)
    assert again.returncode == 1 and "no active tokens" in again.stderr
