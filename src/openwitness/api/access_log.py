"""The server's logs, kept free of what could identify a person.

Query strings carry full-text searches, which caseworkers type names into, and filters that
can single a person out; the access log keeps the method, path and status only. The routes an
anonymous reporter uses are logged without the client's address. Nothing logs an upload's
metadata (a file's name can be "home address.jpg"): the resumable uploads keep only its hash.
A trusted contact's follow link is a key in the path itself: it is logged as ``/live/follow/-``.
"""

from __future__ import annotations

import copy
import logging
from typing import Any

#: Paths a reporter uses without an account: the report and follow-up forms, resumable
#: uploads, the evidence upload and receipt API, the report API, and live recording (the page,
#: a trusted contact's link and the API).
ANONYMOUS_PREFIXES = (
    "/report", "/follow-up", "/uploads", "/api/v1/evidence", "/api/v1/reports", "/live",
    "/api/v1/live",
)  # fmt: skip
NO_ADDRESS = "-"
#: a trusted contact's link carries its secret in the path: the log keeps the path without it
_FOLLOW_LINKS = "/live/follow/"


def is_anonymous(path: str) -> bool:
    """Whether ``path`` (without a query string) is one of the anonymous reporter's routes."""
    return any(path == prefix or path.startswith(prefix + "/") for prefix in ANONYMOUS_PREFIXES)


def _without_secret(path: str) -> str:
    if path.startswith(_FOLLOW_LINKS):
        rest = path[len(_FOLLOW_LINKS) :].partition("/")[2]
        return f"{_FOLLOW_LINKS}[token]" + (f"/{rest}" if rest else "")
    return path


class PrivateAccessLog(logging.Filter):
    """Drops everything after '?' in uvicorn's access log records, follow links' keys, and the
    client address of requests to anonymous routes."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            path = _without_secret(args[2].split("?", 1)[0])
            client = NO_ADDRESS if is_anonymous(path) else args[0]
            record.args = (client, args[1], path, *args[3:])
        return True


def uvicorn_log_config() -> dict[str, Any]:
    """uvicorn's own logging configuration, with the filter on its access handler."""
    from uvicorn.config import LOGGING_CONFIG

    config: dict[str, Any] = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["private"] = {"()": PrivateAccessLog}
    config["handlers"]["access"]["filters"] = ["private"]
    return config
