"""Answers anyone may cache: public figures that change only when new data is imported.

The entity tag is a digest of the data's generation (changed by every import) and the request's
path and query, so a client or proxy that revalidates gets ``304 Not Modified`` until an import
lands, and the server does no work for it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from fastapi import Request, Response

PUBLIC_CACHE = "public, max-age=300"


def entity_tag(generation: str, request: Request) -> str:
    query = "&".join(sorted(f"{k}={v}" for k, v in request.query_params.multi_items()))
    digest = hashlib.sha256(f"{generation}\n{request.url.path}\n{query}".encode()).hexdigest()
    return f'"{digest[:32]}"'


def _matches(header: str | None, tag: str) -> bool:
    if not header:
        return False
    if header.strip() == "*":
        return True
    return any(part.strip().removeprefix("W/") == tag for part in header.split(","))


def cached(request: Request, generation: str, answer: Callable[[], Response]) -> Response:
    """``answer()`` with public caching headers, or a bare 304 when the client's copy is current
    (then ``answer`` is never called). An answer that is not a 200 is not made cacheable."""
    tag = entity_tag(generation, request)
    headers = {"ETag": tag, "Cache-Control": PUBLIC_CACHE, "Vary": "Accept-Encoding"}
    if _matches(request.headers.get("if-none-match"), tag):
        return Response(status_code=304, headers=headers)
    response = answer()
    if response.status_code == 200:
        response.headers.update(headers)
    return response
