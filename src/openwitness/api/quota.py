"""Anonymous uploads' budget per client address: files an hour and bytes a day.

Every anonymous upload becomes a permanent entry in the public log and takes disk, so one
address may not lodge without end. The budget is sized for real use (a report with dozens of
photos and a few long videos goes through) and counted when an upload starts, on its declared
size where it has one. In memory, per server process, like the other rate limits.
"""

from __future__ import annotations

import time

from fastapi import Request
from limits import RateLimitItemPerDay, RateLimitItemPerHour
from limits.storage import MemoryStorage
from limits.strategies import FixedWindowRateLimiter

from openwitness.core.errors import OpenWitnessError


class QuotaExceeded(OpenWitnessError):
    """This address has used its upload budget; ``retry_after`` says when it renews."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class UploadQuota:
    def __init__(self, files_per_hour: int, bytes_per_day: int) -> None:
        self._files = RateLimitItemPerHour(files_per_hour)
        self._bytes = RateLimitItemPerDay(bytes_per_day)
        self._limiter = FixedWindowRateLimiter(MemoryStorage())

    def _retry_after(self, item: RateLimitItemPerHour | RateLimitItemPerDay, client: str) -> int:
        stats = self._limiter.get_window_stats(item, "uploads", client)
        return max(1, int(stats.reset_time - time.time()))

    def charge(self, request: Request, files: int, size: int) -> None:
        """Count an upload against the client's budget, or refuse it (nothing counted)."""
        client = request.client.host if request.client else "unknown"
        if not self._limiter.test(self._files, "uploads", client, cost=files):
            raise QuotaExceeded(
                f"too many files from this address: at most {self._files.amount} an hour",
                self._retry_after(self._files, client),
            )
        if not self._limiter.test(self._bytes, "uploads", client, cost=max(size, 1)):
            raise QuotaExceeded(
                f"this address has uploaded its {self._bytes.amount:,} bytes for today",
                self._retry_after(self._bytes, client),
            )
        self._limiter.hit(self._files, "uploads", client, cost=files)
        self._limiter.hit(self._bytes, "uploads", client, cost=max(size, 1))

    def add_bytes(self, request: Request, size: int) -> None:
        """Count bytes an upload of undeclared length turned out to have (the next upload
        from the client is refused once the day's bytes are spent)."""
        client = request.client.host if request.client else "unknown"
        if size > 0:
            self._limiter.hit(self._bytes, "uploads", client, cost=size)


def upload_quota(request: Request) -> UploadQuota:
    quota: UploadQuota = request.app.state.upload_quota
    return quota
