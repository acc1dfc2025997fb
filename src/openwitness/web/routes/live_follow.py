"""/live/follow/{token}: the page a trusted contact's e-mail links to (``openwitness.live``).

The follow token is the only key; it opens the recording for reading, never for writing (the
recorder's write token is another one). A link that opens nothing gets the site's plain 404
page, the same for a token that never existed as for a mistyped one, so the page never says
whether a recording exists; such failures are counted per client address
(``OPENWITNESS_RATE_LIVE_FOLLOW``). Nothing here may be cached, and the site's
``Referrer-Policy: no-referrer`` keeps the link out of every other site's logs.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, StreamingResponse
from starlette.exceptions import HTTPException

from openwitness.api.deps import ServicesDep, client_address, rate_limits
from openwitness.api.routes.live import bundle_response, media_response
from openwitness.core.clock import now
from openwitness.core.errors import NotFoundError
from openwitness.ledger.entry import MAX_SEQ
from openwitness.live.records import LoggedChunk, RecordingStatus
from openwitness.services import Services
from openwitness.web.errors import PLAIN
from openwitness.web.ratelimit import try_again_in
from openwitness.web.templating import templates

router = APIRouter(prefix="/live/follow", include_in_schema=False)

#: a follow page shows a recording as it is now, to whoever holds the link: never stored
PRIVATE = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex, nofollow"}
#: how often the page asks again while the recording goes on (seconds)
REFRESH_SECONDS = 5


def _not_found() -> HTTPException:
    return HTTPException(404, headers=PRIVATE)


def _followed(request: Request, services: Services, token: str) -> str | None:
    """The recording the link follows, or None. Once an address has tried too many links
    that open nothing, every link is refused for a while (429), the right one too, so that
    guessing cannot go on."""
    budget = rate_limits(request).live_follow
    address = client_address(request)
    if (wait := budget.refused(address)) is not None:
        raise HTTPException(
            429,
            detail=try_again_in(wait, "follow links tried that open nothing"),
            headers={"Retry-After": str(wait), **PRIVATE},
        )
    try:
        return services.live.recording_for_follow(token)
    except NotFoundError:
        budget.hit(address)
        return None


def _duration(ms: int) -> str:
    """'45 seconds', '1 minute 5 seconds': how much of the recording, for a person to read."""
    seconds = round(ms / 1000)
    minutes, seconds = divmod(seconds, 60)
    words = [f"{minutes} minute{'' if minutes == 1 else 's'}"] if minutes else []
    if seconds or not minutes:
        words.append(f"{seconds} second{'' if seconds == 1 else 's'}")
    return " ".join(words)


def _clock(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC") if moment else "—"


def _ago(moment: datetime | None) -> str:
    if moment is None:
        return ""
    seconds = max(0, int((now() - moment).total_seconds()))
    return f"{_duration(seconds * 1000)} ago" if seconds < 3600 else ""


def _state_words(status: RecordingStatus) -> str:
    length = _duration(status.logged_ms)
    if status.state == "finished":
        return f"Ended. The recording lasted about {length}."
    if status.state == "cut_short":
        return (
            f"Cut short after about {length}: nothing has arrived for a while and it was not "
            "ended. The phone may have been taken, switched off or lost its connection."
        )
    if status.chunks == 0:
        return "Recording now. Nothing has arrived yet."
    return "Recording now."


def _parts(token: str, chunks: list[LoggedChunk]) -> list[dict[str, Any]]:
    return [
        {
            "upto": chunk.seq + 1,
            "length": _duration(chunk.end_ms),
            "arrived": _clock(chunk.received_at),
            "href": f"/live/follow/{token}/media?upto={chunk.seq + 1}",
        }
        for chunk in chunks
    ]


@router.get("/{token}", response_class=HTMLResponse)
def follow_page(token: str, request: Request, services: ServicesDep) -> HTMLResponse:
    """How far the recording has arrived, its parts as a playable list, and its receipts."""
    recording = _followed(request, services, token)
    if recording is None:
        return templates.TemplateResponse(
            request,
            "error.html",
            {"status": 404, "message": PLAIN[404]},
            status_code=404,
            headers=PRIVATE,
        )
    status = services.live.status_of(recording)
    audio = status.audio_only or (status.media_type or "").startswith("audio/")
    context = {
        "token": token,
        "status": status,
        "state_words": _state_words(status),
        "seconds": _duration(status.logged_ms),
        "started": _clock(status.started_at),
        "last": _clock(status.last_chunk_at),
        "last_ago": _ago(status.last_chunk_at),
        "parts": _parts(token, services.live.chunks(recording)),
        "player": "audio" if audio else "video",
        "refresh": REFRESH_SECONDS if status.state != "finished" else None,
        "checked": _clock(now()),
    }
    return templates.TemplateResponse(request, "live_follow.html", context, headers=PRIVATE)


@router.get("/{token}/media")
def follow_media(
    token: str,
    request: Request,
    services: ServicesDep,
    upto: Annotated[int | None, Query(ge=1, le=MAX_SEQ + 1)] = None,
) -> StreamingResponse:
    """The recording from its start to the end of part ``upto``: the parts put end to end
    from the first are a playable file; a later part alone is not."""
    recording = _followed(request, services, token)
    if recording is None:
        raise _not_found()
    response = media_response(services.live, services.live.status_of(recording), upto)
    response.headers.update(PRIVATE)
    return response


@router.get("/{token}/bundle")
def follow_bundle(token: str, request: Request, services: ServicesDep) -> JSONResponse:
    """Every part's receipt and, once ended, the whole file's: checked on /verify."""
    recording = _followed(request, services, token)
    if recording is None:
        raise _not_found()
    response = bundle_response(services.live, recording)
    response.headers.update(PRIVATE)
    return response
