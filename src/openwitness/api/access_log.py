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
#: uploads, the evidence upload and receipt API, and the report API; and a trusted contact's
#: follow page.
ANONYMOUS_PREFIXES = (
    "/report",
    "/follow-up",
    "/uploads",
    "/api/v1/evidence",
    "/api/v1/reports",
    "/live/follow",
)
NO_ADDRESS = "-"
FOLLOW = "/live/follow/"


def private_path(path: str) -> str:
    """``path`` without its query string, and without the key a follow link carries."""
    path = path.split("?", 1)[0]
    if path.startswith(FOLLOW):
        rest = path[len(FOLLOW) :]
        path = FOLLOW + NO_ADDRESS + (rest[rest.index("/") :] if "/" in rest else "")
    return path


def is_anonymous(path: str) -> bool:
    """Whether ``path`` (without a query string) is one of the anonymous reporter's routes."""
    return any(path == prefix or path.startswith(prefix + "/") for prefix in ANONYMOUS_PREFIXES)


class PrivateAccessLog(logging.Filter):
    """Drops everything after '?' in uvicorn's access log records, follow links' keys, and the
    client address of requests to anonymous routes."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            path = private_path(args[2])
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
