"""A stored file as an HTTP answer, from the local folder or from object storage, with the
byte ranges a video player asks for when it seeks."""

from __future__ import annotations

import re
from collections.abc import Iterator

from fastapi import Request
from fastapi.responses import FileResponse, Response, StreamingResponse

from openwitness.evidence.service import Vault

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
_CHUNK = 1024 * 1024


def blob_response(request: Request, vault: Vault, sha256: str, media_type: str) -> Response:
    """The bytes of ``sha256``: Starlette's FileResponse for a local file; for object storage,
    streamed through this server (the store is never exposed to browsers), honouring one
    ``Range`` (several ranges, rarely asked for, get the whole file)."""
    path = vault.stored_path(sha256)
    if path is not None:
        return FileResponse(path, media_type=media_type)
    size = vault.blob_size(sha256)
    headers = {"Accept-Ranges": "bytes", "Cache-Control": "private, no-store"}
    start, end = 0, size - 1
    status = 200
    asked = _RANGE.match(request.headers.get("range", "").strip())
    if asked and (asked.group(1) or asked.group(2)):
        first, last = asked.groups()
        if first:
            start, end = int(first), min(int(last), size - 1) if last else size - 1
        else:  # the last N bytes
            start = max(size - int(last), 0)
        if start >= size or start > end:
            return Response(status_code=416, headers={"Content-Range": f"bytes */{size}"})
        status = 206
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    headers["Content-Length"] = str(end - start + 1)

    def stream() -> Iterator[bytes]:
        with vault.open_blob(sha256, start, end) as source:
            while data := source.read(_CHUNK):
                yield data

    return StreamingResponse(stream(), status_code=status, media_type=media_type, headers=headers)
