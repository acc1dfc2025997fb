"""The C2SP tlog-tiles read API, so standard tooling can mirror and audit the log."""

from __future__ import annotations

import gzip
import re

from fastapi import APIRouter, Request, Response

from openwitness.api.deps import ServicesDep
from openwitness.core.errors import NotFoundError
from openwitness.ledger.store import TILE_WIDTH

router = APIRouter(tags=["tlog-tiles"])

_ELEMENT = re.compile(r"^x[0-9]{3}$")
_LAST = re.compile(r"^[0-9]{3}$")
_WIDTH = re.compile(r"^[1-9][0-9]{0,2}$")
IMMUTABLE = "public, max-age=31536000, immutable"
OCTETS = "application/octet-stream"


def parse_tile_index(path: str) -> tuple[int, int]:
    """Decode ``x001/x234/067[.p/W]`` into (index, width); raises NotFoundError if malformed."""
    parts = path.split("/")
    width = TILE_WIDTH
    if len(parts) >= 2 and parts[-2].endswith(".p"):
        if not _WIDTH.match(parts[-1]) or int(parts[-1]) >= TILE_WIDTH:
            raise NotFoundError("malformed partial tile width")
        width = int(parts[-1])
        parts = [*parts[:-2], parts[-2][:-2]]
    if not parts or not _LAST.match(parts[-1]) or not all(_ELEMENT.match(p) for p in parts[:-1]):
        raise NotFoundError("malformed tile path")
    index = 0
    for part in parts:
        index = index * 1000 + int(part.lstrip("x"))
    return index, width


@router.get("/checkpoint", response_class=Response)
def checkpoint(services: ServicesDep) -> Response:
    """The latest signed checkpoint (C2SP tlog-checkpoint), served as text."""
    return Response(
        services.log.latest_checkpoint(),
        media_type="text/plain; charset=utf-8",
        headers={"Cache-Control": "no-cache, max-age=0"},
    )


def accepts_gzip(accept_encoding: str) -> bool:
    """Whether an Accept-Encoding header allows gzip (named, or ``*``, without ``q=0``)."""
    allowed: dict[str, bool] = {}
    for item in accept_encoding.lower().split(","):
        coding, *params = (part.strip() for part in item.split(";"))
        refused = any(p.replace(" ", "") in ("q=0", "q=0.0", "q=0.00", "q=0.000") for p in params)
        allowed[coding] = not refused
    return allowed.get("gzip", allowed.get("x-gzip", allowed.get("*", False)))


@router.get("/tile/entries/{path:path}", response_class=Response)
def entry_bundle(path: str, request: Request, services: ServicesDep) -> Response:
    """Entries of one tile, each prefixed by its big-endian uint16 length; gzip-compressed when
    the client accepts it, as the tlog-tiles spec asks (entries compress well, hashes do not)."""
    index, width = parse_tile_index(path)
    body = services.log.entry_bundle(index, width)
    headers = {"Cache-Control": IMMUTABLE, "Vary": "Accept-Encoding"}
    if accepts_gzip(request.headers.get("accept-encoding", "")):
        body = gzip.compress(body, mtime=0)  # mtime 0: the same bytes every time, as cached
        headers["Content-Encoding"] = "gzip"
    return Response(body, media_type=OCTETS, headers=headers)


@router.get("/tile/{level}/{path:path}", response_class=Response)
def tile(level: str, path: str, services: ServicesDep) -> Response:
    """256 consecutive hashes at tree level 8*level (fewer for a partial tile)."""
    if not re.fullmatch(r"0|[1-9][0-9]?", level) or int(level) > 63:
        raise NotFoundError("malformed tile level")
    index, width = parse_tile_index(path)
    body = services.log.tile(int(level), index, width)
    return Response(body, media_type=OCTETS, headers={"Cache-Control": IMMUTABLE})
