"""The server's access log without query strings.

Query strings carry full-text searches, which caseworkers type names into, and filters that
can single a person out; the access log keeps the method, path and status only.
"""

from __future__ import annotations

import copy
import logging
from typing import Any


class WithoutQueryString(logging.Filter):
    """Drops everything after '?' in uvicorn's access log records."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], args[2].split("?", 1)[0], *args[3:])
        return True


def uvicorn_log_config() -> dict[str, Any]:
    """uvicorn's own logging configuration, with the filter on its access handler."""
    from uvicorn.config import LOGGING_CONFIG

    config: dict[str, Any] = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["without_query"] = {"()": WithoutQueryString}
    config["handlers"]["access"]["filters"] = ["without_query"]
    return config
