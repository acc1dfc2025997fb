"""The /live page: record with the phone's camera and microphone, the recording sent a few
seconds at a time while it is made (static/js/live.js over /api/v1/live), so a phone taken or
wiped mid-recording loses nothing already sent.

No account is needed. The page itself holds nothing secret: the recording's token lives only in
the browser (IndexedDB), never in an address.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from openwitness.api.deps import ServicesDep
from openwitness.web.templating import templates

router = APIRouter(include_in_schema=False)

#: how much each chunk holds: a few seconds, so a cut loses at most that much
TIMESLICE_MS = 3000


@router.get("/live", response_class=HTMLResponse)
def live_page(request: Request, services: ServicesDep) -> HTMLResponse:
    """The recorder; the trusted-contact field only where the site can send mail."""
    context = {
        "log_key": services.log.signer.verifier.vkey,
        "can_mail": services.mailer is not None,
        "timeslice_ms": TIMESLICE_MS,
        "chunk_max_bytes": services.live.chunk_max_bytes,
    }
    return templates.TemplateResponse(request, "live.html", context)
