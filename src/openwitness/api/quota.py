"""Anonymous uploads' bytes per client address and day.

Every anonymous upload becomes a permanent entry in the public log and takes disk, so one
address may not lodge without end: the uploads rate (``api.deps``) counts files, this counts
their bytes, on the declared size where there is one. A fixed window, because a moving one
keeps a timestamp per unit counted, here per byte. In memory, per server process, like the
other budgets.
"""

from __future__ import annotations

import math
import time

from fastapi import Request
from limits import RateLimitItemPerDay
from limits.storage import MemoryStorage, Storage
from limits.strategies import FixedWindowRateLimiter

from openwitness.api.deps import client_address, wait_words
from openwitness.core.errors import OpenWitnessError


class QuotaExceeded(OpenWitnessError):
    """This address has sent its bytes for the day; ``retry_after`` says when it renews."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class UploadQuota:
    def __init__(self, bytes_per_day: int, storage: Storage | None = None) -> None:
        self._bytes = RateLimitItemPerDay(bytes_per_day)
        self._limiter = FixedWindowRateLimiter(storage or MemoryStorage())

    def charge(self, request: Request, size: int) -> None:
        """Count an upload's declared size, or refuse it (nothing counted)."""
        client = client_address(request)
        if not self._limiter.hit(self._bytes, "upload-bytes", client, cost=max(size, 1)):
            stats = self._limiter.get_window_stats(self._bytes, "upload-bytes", client)
            wait = max(1, math.ceil(stats.reset_time - time.time()))
            raise QuotaExceeded(
                f"this address has sent its {self._bytes.amount:,} bytes of uploads for "
                f"today: try again in {wait_words(wait)}",
                wait,
            )

    def add_bytes(self, request: Request, size: int) -> None:
        """Count the bytes an upload of undeclared length turned out to have (the next upload
        from the address is refused once the day's bytes are spent)."""
        if size > 0:
            self._limiter.hit(self._bytes, "upload-bytes", client_address(request), cost=size)


def upload_quota(request: Request) -> UploadQuota:
    quota: UploadQuota = request.app.state.upload_quota
    return quota
