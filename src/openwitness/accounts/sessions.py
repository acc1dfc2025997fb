"""Web sessions: a signed-in browser's cookie, and the CSRF token that goes with it.

The cookie is a random token of which only the SHA-256 is stored. The CSRF token is an HMAC of
the cookie's token, so the server needs to store nothing more to check it, and a page can
always be given it again; a request made with the cookie that changes anything must carry it
in a header, which another site's page cannot read or set.

A session ends when its person signs out, after ``idle`` without a request, ``absolute`` after
signing in however busy, and at once when its account is disabled or its password changed.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, insert, select, update

from openwitness.accounts.service import Account, Accounts, AuthenticationFailed, account_from_row
from openwitness.core.clock import as_utc, now
from openwitness.storage.db import Database
from openwitness.storage.models import Account as AccountRow
from openwitness.storage.models import WebSession

SESSION_PREFIX = "ows_"
#: A session's last request is recorded at most this often, so reading pages is not a write
#: each time; the idle timeout is kept to within this.
SEEN_EVERY = timedelta(minutes=1)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def csrf_token(session_token: str) -> str:
    return hmac.new(session_token.encode(), b"openwitness csrf v1", hashlib.sha256).hexdigest()


def csrf_matches(session_token: str, given: str | None) -> bool:
    return given is not None and hmac.compare_digest(csrf_token(session_token), given)


class Sessions:
    def __init__(
        self,
        db: Database,
        accounts: Accounts,
        idle: timedelta = timedelta(minutes=30),
        absolute: timedelta = timedelta(hours=12),
        clock: Callable[[], datetime] = now,
    ) -> None:
        self.db = db
        self.accounts = accounts
        self.idle = idle
        self.absolute = absolute
        self.clock = clock  # tests move time with their own clock; nothing sleeps

    @property
    def max_age(self) -> int:
        """Seconds the cookie is kept by the browser: the session's absolute lifetime."""
        return int(self.absolute.total_seconds())

    def sign_in(self, username: str, password: str) -> tuple[str, Account]:
        """Check the password (argon2id) and start a session; returns its cookie token."""
        account = self.accounts.authenticate(username, password)
        token = SESSION_PREFIX + secrets.token_urlsafe(32)
        started = self.clock()
        with self.db.write() as conn:
            conn.execute(
                insert(WebSession).values(
                    token_sha256=_digest(token),
                    account_id=account.id,
                    created_at=started,
                    expires_at=started + self.absolute,
                    last_seen_at=started,
                )
            )
        return token, account

    def account(self, token: str) -> Account:
        """The session's account; refused once the session is idle, too old or ended."""
        ended = AuthenticationFailed("not signed in, or the session has ended")
        if not token.startswith(SESSION_PREFIX):
            raise ended
        with self.db.read() as conn:
            row = conn.execute(
                select(
                    AccountRow,
                    WebSession.id.label("session_id"),
                    WebSession.created_at.label("started_at"),
                    WebSession.expires_at,
                    WebSession.last_seen_at,
                )
                .join(WebSession, WebSession.account_id == AccountRow.id)
                .where(
                    WebSession.token_sha256 == _digest(token),
                    WebSession.ended_at.is_(None),
                    AccountRow.disabled.is_(False),
                )
            ).first()
        if row is None:
            raise ended
        current = self.clock()
        started = as_utc(row.started_at) or current
        # The stored end, or sooner if the absolute timeout has been shortened since.
        expires = min(as_utc(row.expires_at) or current, started + self.absolute)
        seen = as_utc(row.last_seen_at) or started
        if expires <= current or current - seen >= self.idle:
            self._end(WebSession.id == row.session_id)
            raise ended
        if current - seen >= SEEN_EVERY:
            with self.db.write() as conn:
                conn.execute(
                    update(WebSession)
                    .where(WebSession.id == row.session_id)
                    .values(last_seen_at=current)
                )
        return account_from_row(row)

    def sign_out(self, token: str) -> None:
        self._end(WebSession.token_sha256 == _digest(token))

    def _end(self, which: ColumnElement[bool]) -> None:
        with self.db.write() as conn:
            conn.execute(
                update(WebSession)
                .where(which, WebSession.ended_at.is_(None))
                .values(ended_at=self.clock())
            )
