"""Web sessions: a signed-in browser's cookie, and the CSRF token that goes with it.

The cookie is a random token of which only the SHA-256 is stored. The CSRF token is an HMAC of
the cookie's token, so the server needs to store nothing more to check it, and a page can
always be given it again; a request made with the cookie that changes anything must carry it
in a header, which another site's page cannot read or set.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from sqlalchemy import insert, select, update

from openwitness.accounts.service import Account, Accounts, AuthenticationFailed, account_from_row
from openwitness.core.clock import as_utc, now
from openwitness.storage.db import Database
from openwitness.storage.models import Account as AccountRow
from openwitness.storage.models import WebSession

SESSION_PREFIX = "ows_"
SESSION_HOURS = 12


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def csrf_token(session_token: str) -> str:
    return hmac.new(session_token.encode(), b"openwitness csrf v1", hashlib.sha256).hexdigest()


def csrf_matches(session_token: str, given: str | None) -> bool:
    return given is not None and hmac.compare_digest(csrf_token(session_token), given)


class Sessions:
    def __init__(self, db: Database, accounts: Accounts) -> None:
        self.db = db
        self.accounts = accounts

    def sign_in(self, username: str, password: str) -> tuple[str, Account]:
        """Check the password (argon2id) and start a session; returns its cookie token."""
        account = self.accounts.authenticate(username, password)
        token = SESSION_PREFIX + secrets.token_urlsafe(32)
        started = now()
        with self.db.write() as conn:
            conn.execute(
                insert(WebSession).values(
                    token_sha256=_digest(token),
                    account_id=account.id,
                    created_at=started,
                    expires_at=started + timedelta(hours=SESSION_HOURS),
                )
            )
        return token, account

    def account(self, token: str) -> Account:
        if not token.startswith(SESSION_PREFIX):
            raise AuthenticationFailed("not signed in, or the session has ended")
        with self.db.read() as conn:
            row = conn.execute(
                select(AccountRow, WebSession.expires_at)
                .join(WebSession, WebSession.account_id == AccountRow.id)
                .where(
                    WebSession.token_sha256 == _digest(token),
                    WebSession.ended_at.is_(None),
                    AccountRow.disabled.is_(False),
                )
            ).first()
        expires = as_utc(row.expires_at) if row else None
        if row is None or expires is None or expires <= now():
            raise AuthenticationFailed("not signed in, or the session has ended")
        return account_from_row(row)

    def sign_out(self, token: str) -> None:
        with self.db.write() as conn:
            conn.execute(
                update(WebSession)
                .where(WebSession.token_sha256 == _digest(token), WebSession.ended_at.is_(None))
                .values(ended_at=now())
            )
