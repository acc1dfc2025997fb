"""Accounts with argon2id passwords, organisations, roles and bearer tokens.

Roles: ``admin`` (everything), ``caseworker`` (reads and edits the cases of their
organisation, sees complainants' personal data), ``analyst`` (reads de-identified data only).

A disabled account cannot sign in, and disabling it ends its browser sessions and revokes its
tokens at once, so enabling it again brings none of them back.
"""

from __future__ import annotations

import functools
import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, insert, select, update

from openwitness.core.errors import InvalidRequestError, NotFoundError, OpenWitnessError
from openwitness.storage.db import Database
from openwitness.storage.models import Account as AccountRow
from openwitness.storage.models import ApiToken, Organisation, WebSession

TOKEN_PREFIX = "owt_"  # noqa: S105 - a public marker that makes leaked tokens greppable
MIN_PASSWORD_LENGTH = 12
_USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,63}")
_ORG_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters


class Role(StrEnum):
    ADMIN = "admin"
    CASEWORKER = "caseworker"
    ANALYST = "analyst"
    #: reviews its organisation's screened chats (openwitness.screening); elsewhere it sees
    #: what an analyst sees
    SCREENER = "screener"


class AuthenticationFailed(OpenWitnessError):
    """Wrong or unknown credentials; deliberately says no more than that."""


@dataclass(frozen=True)
class Account:
    id: int
    username: str
    role: Role
    organisation_id: str | None
    disabled: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "username": self.username,
            "role": self.role.value,
            "organisation": self.organisation_id,
        }


def account_from_row(row: Any) -> Account:
    return Account(row.id, row.username, Role(row.role), row.organisation_id, bool(row.disabled))


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


def check_organisation(conn: Connection, organisation_id: str | None) -> None:
    """Refuse an organisation id that does not exist (None, no organisation, is fine)."""
    if (
        organisation_id is not None
        and not conn.execute(
            select(Organisation.id).where(Organisation.id == organisation_id)
        ).first()
    ):
        raise InvalidRequestError(f"organisation: unknown organisation {organisation_id!r}")


class Accounts:
    def __init__(self, db: Database) -> None:
        self.db = db

    def add_organisation(self, org_id: str, name: str) -> None:
        if not _ORG_ID.fullmatch(org_id) or len(org_id) > 64:
            raise InvalidRequestError("organisation id: lower-case letters, digits and hyphens")
        if not name.strip():
            raise InvalidRequestError("organisation name must not be empty")
        with self.db.write() as conn:
            if conn.execute(select(Organisation.id).where(Organisation.id == org_id)).first():
                raise InvalidRequestError(f"organisation {org_id!r} already exists")
            conn.execute(insert(Organisation).values(id=org_id, name=name.strip()))

    def create(
        self, username: str, password: str, role: str, organisation_id: str | None = None
    ) -> Account:
        if not _USERNAME.fullmatch(username):
            raise InvalidRequestError(
                "username: 2-64 lower-case letters, digits, '.', '_' or '-', starting with a "
                "letter or digit"
            )
        try:
            parsed_role = Role(role)
        except ValueError:
            roles = ", ".join(r.value for r in Role)
            raise InvalidRequestError(f"role must be one of {roles}") from None
        _check_password(password)
        if parsed_role in (Role.CASEWORKER, Role.SCREENER) and organisation_id is None:
            raise InvalidRequestError(f"a {parsed_role.value} account needs an organisation")
        password_hash = _hasher.hash(password)
        with self.db.write() as conn:
            check_organisation(conn, organisation_id)
            if conn.execute(select(AccountRow.id).where(AccountRow.username == username)).first():
                raise InvalidRequestError(f"username {username!r} is taken")
            account_id = conn.execute(
                insert(AccountRow)
                .values(
                    username=username,
                    password_hash=password_hash,
                    role=parsed_role.value,
                    organisation_id=organisation_id,
                    created_at=_now(),
                    disabled=False,
                )
                .returning(AccountRow.id)
            ).scalar_one()
        return Account(account_id, username, parsed_role, organisation_id)

    def get(self, username: str) -> Account:
        with self.db.read() as conn:
            row = conn.execute(select(AccountRow).where(AccountRow.username == username)).first()
        if row is None:
            raise NotFoundError(f"no account {username!r}")
        return account_from_row(row)

    def list(self) -> list[Account]:
        with self.db.read() as conn:
            rows = conn.execute(select(AccountRow).order_by(AccountRow.username))
            return [account_from_row(row) for row in rows]

    def authenticate(self, username: str, password: str) -> Account:
        """Check a password; the same error for unknown users and wrong passwords."""
        with self.db.read() as conn:
            row = conn.execute(select(AccountRow).where(AccountRow.username == username)).first()
        try:
            # Hash even for unknown users so timing does not reveal which usernames exist.
            _hasher.verify(row.password_hash if row else _dummy_hash(), password)
        except (VerificationError, InvalidHashError):
            raise AuthenticationFailed("wrong username or password") from None
        # No stored hash is of an empty password, but refuse it outright all the same.
        if row is None or row.disabled or not password:
            raise AuthenticationFailed("wrong username or password")
        return account_from_row(row)

    def disable(self, username: str) -> tuple[int, int]:
        """Refuse the account from now on: its sessions end and its tokens are revoked at once.
        Returns how many sessions ended and tokens were revoked."""
        with self.db.write() as conn:
            account_id = _account_id(conn, username)
            conn.execute(
                update(AccountRow).where(AccountRow.id == account_id).values(disabled=True)
            )
            sessions = _end_sessions(conn, account_id)
            tokens = conn.execute(
                update(ApiToken)
                .where(ApiToken.account_id == account_id, ApiToken.revoked_at.is_(None))
                .values(revoked_at=_now())
            ).rowcount
        return sessions, int(tokens)

    def enable(self, username: str) -> bool:
        """Let a disabled account sign in again; False if it was not disabled. Its old
        sessions and tokens stay ended: it signs in afresh and needs new tokens."""
        with self.db.write() as conn:
            account_id = _account_id(conn, username)
            changed = conn.execute(
                update(AccountRow)
                .where(AccountRow.id == account_id, AccountRow.disabled.is_(True))
                .values(disabled=False)
            ).rowcount
        return bool(changed)

    def set_password(self, username: str, password: str, keep_session: str | None = None) -> int:
        """Change the password and end the account's sessions, except ``keep_session`` (the
        SHA-256 of the one making the change, if any); returns how many ended. Its API tokens
        are separate credentials and are kept (``revoke_tokens`` ends them)."""
        _check_password(password)
        password_hash = _hasher.hash(password)
        with self.db.write() as conn:
            account_id = _account_id(conn, username)
            conn.execute(
                update(AccountRow)
                .where(AccountRow.id == account_id)
                .values(password_hash=password_hash)
            )
            return _end_sessions(conn, account_id, keep_session)

    def create_token(self, username: str, label: str = "cli") -> str:
        """A new bearer token for the account; shown once, stored only as a hash."""
        account = self.get(username)
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self.db.write() as conn:
            conn.execute(
                insert(ApiToken).values(
                    account_id=account.id,
                    token_sha256=_token_digest(token),
                    label=label[:100],
                    created_at=_now(),
                )
            )
        return token

    def revoke_tokens(self, username: str) -> int:
        account = self.get(username)
        with self.db.write() as conn:
            result = conn.execute(
                update(ApiToken)
                .where(ApiToken.account_id == account.id, ApiToken.revoked_at.is_(None))
                .values(revoked_at=_now())
            )
        return int(result.rowcount)

    def by_token(self, token: str) -> Account:
        if not token.startswith(TOKEN_PREFIX):
            raise AuthenticationFailed("invalid or revoked token")
        with self.db.read() as conn:
            row = conn.execute(
                select(AccountRow)
                .join(ApiToken, ApiToken.account_id == AccountRow.id)
                .where(
                    ApiToken.token_sha256 == _token_digest(token),
                    ApiToken.revoked_at.is_(None),
                    AccountRow.disabled.is_(False),
                )
            ).first()
        if row is None:
            raise AuthenticationFailed("invalid or revoked token")
        return account_from_row(row)


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidRequestError(f"password must be at least {MIN_PASSWORD_LENGTH} characters")


def _account_id(conn: Connection, username: str) -> int:
    found = conn.execute(select(AccountRow.id).where(AccountRow.username == username)).first()
    if found is None:
        raise NotFoundError(f"no account {username!r}")
    return int(found.id)


def _end_sessions(conn: Connection, account_id: int, keep: str | None = None) -> int:
    """End the account's open browser sessions (but the one whose SHA-256 is ``keep``)."""
    which = [WebSession.account_id == account_id, WebSession.ended_at.is_(None)]
    if keep is not None:
        which.append(WebSession.token_sha256 != keep)
    return int(conn.execute(update(WebSession).where(*which).values(ended_at=_now())).rowcount)


@functools.cache
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(16))
