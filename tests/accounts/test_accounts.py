"""Accounts, organisations and tokens through the service, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from openwitness.accounts.service import AuthenticationFailed, Role
from openwitness.core.errors import InvalidRequestError
from openwitness.services import Services
from openwitness.storage.models import Account as AccountRow
from openwitness.storage.models import ApiToken

PASSWORD = "correct horse battery staple"


@pytest.fixture
def svc(services: Services) -> Services:
    services.accounts.add_organisation("law-centre", "Hackney Law Centre")
    return services


def test_passwords_are_stored_as_argon2id_and_checked(svc: Services) -> None:
    account = svc.accounts.create("alice", PASSWORD, "caseworker", "law-centre")
    assert account.role is Role.CASEWORKER and account.organisation_id == "law-centre"
    with svc.db.read() as conn:
        stored = conn.execute(select(AccountRow.password_hash)).scalar_one()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert svc.accounts.authenticate("alice", PASSWORD) == account
    for username, password in (("alice", PASSWORD + "!"), ("nobody", PASSWORD)):
        with pytest.raises(AuthenticationFailed, match=r"^wrong username or password$"):
            svc.accounts.authenticate(username, password)


def test_tokens_are_shown_once_stored_hashed_and_revocable(svc: Services) -> None:
    svc.accounts.create("ana", PASSWORD, "analyst")
    token = svc.accounts.create_token("ana", "laptop")
    assert token.startswith("owt_") and len(token) > 40
    with svc.db.read() as conn:
        stored = conn.execute(select(ApiToken.token_sha256)).scalar_one()
    assert token not in stored and len(stored) == 64
    assert svc.accounts.by_token(token).username == "ana"
    assert svc.accounts.revoke_tokens("ana") == 1
    with pytest.raises(AuthenticationFailed):
        svc.accounts.by_token(token)
    for bad in ("", "owt_", "owt_" + "A" * 43, token[:-1]):
        with pytest.raises(AuthenticationFailed):
            svc.accounts.by_token(bad)


@pytest.mark.parametrize(
    ("username", "password", "role", "org", "message"),
    [
        ("A", PASSWORD, "admin", None, "username"),
        ("bob", "short", "admin", None, "at least 12 characters"),
        ("bob", PASSWORD, "superuser", None, "role must be one of admin, caseworker, analyst"),
        ("bob", PASSWORD, "caseworker", None, "needs an organisation"),
        ("bob", PASSWORD, "caseworker", "atlantis", "unknown organisation 'atlantis'"),
    ],
)
def test_bad_accounts_are_refused_naming_the_field(
    svc: Services, username: str, password: str, role: str, org: str | None, message: str
) -> None:
    with pytest.raises(InvalidRequestError, match=message):
        svc.accounts.create(username, password, role, org)
    assert svc.accounts.list() == []


def test_usernames_and_organisations_are_unique(svc: Services) -> None:
    svc.accounts.create("alice", PASSWORD, "admin")
    with pytest.raises(InvalidRequestError, match="username 'alice' is taken"):
        svc.accounts.create("alice", PASSWORD, "analyst")
    with pytest.raises(InvalidRequestError, match="already exists"):
        svc.accounts.add_organisation("law-centre", "Again")
