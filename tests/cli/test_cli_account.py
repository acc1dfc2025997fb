"""`witness org`, `account` and `token` through the real command."""

from __future__ import annotations

import subprocess

from fastapi.testclient import TestClient

from openwitness.app import create_app
from openwitness.core.config import Settings
from openwitness.services import initialise
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


def password_command(
    settings: Settings, username: str, password: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [WITNESS, "account", "password", username, "--password-stdin"],
        input=password + "\n",
        env=env_for(settings),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_disable_cuts_off_a_signed_in_browser_and_a_token_at_once(settings: Settings) -> None:
    witness(settings, "init")
    assert create_account(settings, "mallory", "--role", "admin").returncode == 0
    token = witness(settings, "token", "create", "mallory").stdout.strip()
    with TestClient(create_app(settings), base_url="https://testserver") as client:
        auth = {"Authorization": f"Bearer {token}"}
        mallory = {"username": "mallory", "password": PASSWORD}
        assert client.post("/api/v1/session", json=mallory).status_code == 200
        cookie = {"Cookie": f"ow_session={client.cookies['ow_session']}"}
        client.cookies.clear()
        for credentials in (auth, cookie):
            assert client.get("/api/v1/cases", headers=credentials).status_code == 200
        assert client.get("/cases", headers=cookie).status_code == 200

        disabled = witness(settings, "account", "disable", "mallory")
        assert "disabled mallory: ended 1 session(s), revoked 1 token(s)" in disabled.stdout
        # The same running server, no restart: both stop working on their next request.
        for credentials in (auth, cookie):
            assert client.get("/api/v1/cases", headers=credentials).status_code == 401
        page = client.get("/cases", headers=cookie, follow_redirects=False)
        assert page.status_code == 303 and page.headers["location"].startswith("/sign-in")
        assert client.post("/api/v1/session", json=mallory).status_code == 401
        listing = witness(settings, "account", "list").stdout
        assert "disabled" in listing

        assert witness(settings, "account", "enable", "mallory").stdout.strip() == "enabled mallory"
        for credentials in (auth, cookie):  # enabling revives neither
            assert client.get("/api/v1/cases", headers=credentials).status_code == 401
        assert client.post("/api/v1/session", json=mallory).status_code == 200
    twice = witness(settings, "account", "enable", "mallory", check=False)
    assert twice.returncode == 1 and "mallory is not disabled" in twice.stderr
    unknown = witness(settings, "account", "disable", "nobody", check=False)
    assert unknown.returncode == 1 and "no account 'nobody'" in unknown.stderr


def test_a_new_password_ends_the_accounts_sessions(settings: Settings) -> None:
    witness(settings, "init")
    assert create_account(settings, "alice", "--role", "admin").returncode == 0
    new = PASSWORD + " again"
    with TestClient(create_app(settings), base_url="https://testserver") as client:
        signed_in = client.post("/api/v1/session", json={"username": "alice", "password": PASSWORD})
        assert signed_in.status_code == 200
        assert client.get("/api/v1/session").status_code == 200

        short = password_command(settings, "alice", "short")
        assert short.returncode == 1 and "at least 12 characters" in short.stderr
        assert client.get("/api/v1/session").status_code == 200  # a refused change ends nothing

        changed = password_command(settings, "alice", new)
        assert changed.returncode == 0, changed.stderr
        assert "changed the password of alice; ended 1 session(s)" in changed.stdout
        assert client.get("/api/v1/session").status_code == 401
        old = client.post("/api/v1/session", json={"username": "alice", "password": PASSWORD})
        assert old.status_code == 401
        assert (
            client.post("/api/v1/session", json={"username": "alice", "password": new}).status_code
            == 200
        )
    # Never on the command line, where the process list and shell history would keep it.
    argv = witness(settings, "account", "password", "alice", new, check=False)
    assert argv.returncode == 2 and "unexpected extra argument" in argv.stderr
    unknown = password_command(settings, "nobody", new)
    assert unknown.returncode == 1 and "no account 'nobody'" in unknown.stderr


def test_the_new_password_is_asked_for_twice(settings: Settings) -> None:
    witness(settings, "init")
    assert create_account(settings, "alice", "--role", "admin").returncode == 0
    new = PASSWORD + " again"

    def prompted(typed: str) -> subprocess.CompletedProcess[str]:
        # A new session has no terminal, so the hidden prompt reads standard input.
        return subprocess.run(
            [WITNESS, "account", "password", "alice"],
            input=typed,
            env=env_for(settings),
            capture_output=True,
            text=True,
            timeout=60,
            start_new_session=True,
        )

    mismatched = prompted(f"{new}\n{new}!\n")
    assert mismatched.returncode != 0 and "do not match" in mismatched.stdout + mismatched.stderr
    assert new not in mismatched.stdout + mismatched.stderr  # hidden, not echoed
    matched = prompted(f"{new}\n{new}\n")
    assert matched.returncode == 0, matched.stderr
    assert "Repeat for confirmation" in matched.stdout + matched.stderr
    assert new not in matched.stdout + matched.stderr
    svc, _ = initialise(settings)
    try:
        assert svc.accounts.authenticate("alice", new).username == "alice"
    finally:
        svc.close()
