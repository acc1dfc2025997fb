"""Accounts, organisations and tokens through the service, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select, update

from openwitness.accounts.service import AuthenticationFailed, Role
from openwitness.core.errors import InvalidRequestError, NotFoundError
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


def test_disabling_ends_sessions_and_tokens_at_once_and_enabling_revives_neither(
    svc: Services,
) -> None:
    svc.accounts.create("mallory", PASSWORD, "analyst")
    token = svc.accounts.create_token("mallory")
    cookie, _ = svc.sessions.sign_in("mallory", PASSWORD)
    assert svc.sessions.account(cookie).username == "mallory"

    assert svc.accounts.disable("mallory") == (1, 1)
    assert svc.accounts.get("mallory").disabled
    for check in (
        lambda: svc.accounts.by_token(token),
        lambda: svc.sessions.account(cookie),
        lambda: svc.accounts.authenticate("mallory", PASSWORD),
    ):
        with pytest.raises(AuthenticationFailed):
            check()

    assert svc.accounts.enable("mallory") is True
    assert svc.accounts.enable("mallory") is False  # already enabled
    assert svc.accounts.authenticate("mallory", PASSWORD).disabled is False
    with pytest.raises(AuthenticationFailed):
        svc.accounts.by_token(token)  # revoked, not merely suspended
    with pytest.raises(AuthenticationFailed):
        svc.sessions.account(cookie)
    with pytest.raises(NotFoundError, match="no account 'nobody'"):
        svc.accounts.disable("nobody")


def test_a_new_password_replaces_the_old_and_ends_the_other_sessions(svc: Services) -> None:
    svc.accounts.create("alice", PASSWORD, "admin")
    token = svc.accounts.create_token("alice")
    mine, _ = svc.sessions.sign_in("alice", PASSWORD)
    other, _ = svc.sessions.sign_in("alice", PASSWORD)
    with pytest.raises(InvalidRequestError, match="at least 12 characters"):
        svc.accounts.set_password("alice", "short")
    assert svc.accounts.authenticate("alice", PASSWORD)  # a refused change changes nothing

    keep = hashlib.sha256(mine.encode()).hexdigest()
    assert svc.accounts.set_password("alice", PASSWORD + " 2", keep_session=keep) == 1
    with pytest.raises(AuthenticationFailed):
        svc.accounts.authenticate("alice", PASSWORD)
    assert svc.accounts.authenticate("alice", PASSWORD + " 2").username == "alice"
    assert svc.sessions.account(mine).username == "alice"
    with pytest.raises(AuthenticationFailed):
        svc.sessions.account(other)
    assert svc.accounts.by_token(token).username == "alice"  # tokens: `witness token revoke`
    assert svc.accounts.set_password("alice", PASSWORD) == 1  # from the CLI: every session


def test_an_empty_password_never_authenticates(svc: Services) -> None:
    svc.accounts.create("alice", PASSWORD, "admin")
    with pytest.raises(AuthenticationFailed):
        svc.accounts.authenticate("alice", "")
    # Even an account whose stored hash is of the empty string (written by hand, or by an
    # older tool that did not check lengths) is refused.
    with svc.db.write() as conn:
        conn.execute(update(AccountRow).values(password_hash=PasswordHasher().hash("")))
    with pytest.raises(AuthenticationFailed, match=r"^wrong username or password$"):
        svc.accounts.authenticate("alice", "")
    with pytest.raises(AuthenticationFailed):
        svc.sessions.sign_in("alice", "")


class Clock:
    """The sessions' clock, moved by hand: timeouts are tested without waiting."""

    def __init__(self) -> None:
        self.now = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def test_a_session_ends_after_30_idle_minutes_but_not_while_in_use(svc: Services) -> None:
    svc.accounts.create("alice", PASSWORD, "admin")
    clock = Clock()
    svc.sessions.clock = clock
    busy, _ = svc.sessions.sign_in("alice", PASSWORD)
    idle, _ = svc.sessions.sign_in("alice", PASSWORD)
    for _ in range(4):  # used every 29 minutes: nearly two hours, never idle for 30
        clock.advance(minutes=29)
        assert svc.sessions.account(busy).username == "alice"
    with pytest.raises(AuthenticationFailed, match="session has ended"):
        svc.sessions.account(idle)
    clock.advance(minutes=30)
    with pytest.raises(AuthenticationFailed):
        svc.sessions.account(busy)
    clock.now -= timedelta(minutes=30)  # a clock set back does not revive an ended session
    with pytest.raises(AuthenticationFailed):
        svc.sessions.account(busy)


def test_a_session_ends_12_hours_after_sign_in_however_busy(svc: Services) -> None:
    svc.accounts.create("alice", PASSWORD, "admin")
    clock = Clock()
    svc.sessions.clock = clock
    cookie, _ = svc.sessions.sign_in("alice", PASSWORD)
    for _ in range(47):  # every 15 minutes for 11 h 45 min
        clock.advance(minutes=15)
        assert svc.sessions.account(cookie).username == "alice"
    clock.advance(minutes=15)
    with pytest.raises(AuthenticationFailed, match="session has ended"):
        svc.sessions.account(cookie)


def test_shortened_timeouts_apply_to_sessions_already_open(svc: Services) -> None:
    svc.accounts.create("alice", PASSWORD, "admin")
    clock = Clock()
    svc.sessions.clock = clock
    cookie, _ = svc.sessions.sign_in("alice", PASSWORD)  # under the 12-hour default
    svc.sessions.absolute = timedelta(hours=1)  # as after a restart with a shorter setting
    for minutes in (20, 20, 19):
        clock.advance(minutes=minutes)
        assert svc.sessions.account(cookie).username == "alice"
    clock.advance(minutes=1)  # an hour after signing in
    with pytest.raises(AuthenticationFailed):
        svc.sessions.account(cookie)
