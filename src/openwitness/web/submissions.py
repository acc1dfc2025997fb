"""One-time keys for forms that must not act twice: a report sent again (a retry on a bad
connection, a double tap, the back button) finds the first one's answer instead.

In memory, per server process, for an hour: long enough for a retry, and the answer (it holds
a follow-up token) does not outlive it. Hand-written: a dict with expiry and a pending state,
too small for a cache library.
"""

from __future__ import annotations

import secrets
import threading
import time
from typing import Any

_KEY_LENGTH = 43  # token_urlsafe(32)
PENDING: dict[str, Any] = {"pending": True}


def new_key() -> str:
    return secrets.token_urlsafe(32)


class OneTimeKeys:
    def __init__(self, ttl_seconds: float) -> None:
        self.ttl_seconds = ttl_seconds
        self._answers: dict[str, tuple[float, dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> dict[str, Any] | None:
        """The answer kept under the key, ``PENDING`` while it is being made, or None."""
        with self._lock:
            self._expire()
            found = self._answers.get(key)
        return found[1] if found else None

    def begin(self, key: str) -> str | None:
        """Start acting on a form: its key (a fresh one if it sent none usable), or None if
        that key was already used or is in use (the caller shows that answer instead)."""
        if len(key) != _KEY_LENGTH:
            key = new_key()
        with self._lock:
            self._expire()
            if key in self._answers:
                return None
            self._answers[key] = (time.monotonic() + self.ttl_seconds, PENDING)
        return key

    def finish(self, key: str, answer: dict[str, Any]) -> None:
        with self._lock:
            self._answers[key] = (time.monotonic() + self.ttl_seconds, answer)

    def abandon(self, key: str) -> None:
        """The form was refused: it may be sent again, corrected, under the same key."""
        with self._lock:
            self._answers.pop(key, None)

    def _expire(self) -> None:
        now = time.monotonic()
        for key in [k for k, (until, _) in self._answers.items() if until < now]:
            del self._answers[key]
