"""Every request body is bounded as it streams, not by the length it declares.

A chunked body declares no length, and a declared length can lie; Starlette's body limit
counts the bytes as they arrive and fails the request with 413 at the first byte past the
limit, so no route can be made to spool or parse more than its limit (a 400 MiB JSON body to
the sign-in route once took the server to 2 GB). This only picks each route's limit: files
where files are taken, a small one for JSON and forms everywhere else.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.middleware.body_limit import RequestBodyLimitMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: JSON bodies and forms without files (a narrative of 50,000 characters fits many times)
DEFAULT_LIMIT = 1024 * 1024


class BodyLimit:
    """ASGI middleware: ``limit_for(method, path)`` gives each request's limit in bytes."""

    def __init__(self, app: ASGIApp, limit_for: Callable[[str, str], int]) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["method"], scope["path"])
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            # Refused before a byte is read, but by the route, not here: Starlette would answer
            # a bare "Content Too Large", and a person who chose too large a file should see
            # the page's own form with the reason (an API client gets it as JSON).
            async def refuse() -> Message:
                raise HTTPException(
                    413, f"what was sent is larger than the limit of {limit:,} bytes"
                )

            await self.app(scope, refuse, send)
            return
        await RequestBodyLimitMiddleware(self.app, limit)(scope, receive, send)
