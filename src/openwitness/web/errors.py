"""Expected errors on a page become a page; everything else keeps the API's JSON answers.

A page is what a browser navigates to: it asks for text/html. The API, the tus uploads and
the log's tiles are fetched by programs (and by the pages' own scripts), which do not."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exception_handlers import (
    http_exception_handler,
    request_validation_exception_handler,
)
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException

from openwitness.api import errors as api_errors
from openwitness.core.errors import OpenWitnessError
from openwitness.web.templating import templates

API_PATHS = ("/api/", "/uploads")
#: what a person reads for the framework's own errors (its details are for programs)
PLAIN = {
    400: "the request could not be read",
    404: "there is no page at this address",
    405: "this page cannot be used that way",
    413: "what was sent is too large",
    422: "some of what was sent could not be read",
    429: "too many requests: please wait a minute and try again",
}


def wants_page(request: Request) -> bool:
    accepted = request.headers.get("accept", "")
    return "text/html" in accepted and not request.url.path.startswith(API_PATHS)


def _page(request: Request, status: int, message: str, headers: dict[str, str] | None) -> Response:
    return templates.TemplateResponse(
        request,
        "error.html",
        {"status": status, "message": message},
        status_code=status,
        headers=headers,
    )


async def response_for(request: Request, exc: Exception) -> Response:
    """The answer to an expected error: a page for a browser, JSON for everyone else."""
    if isinstance(exc, OpenWitnessError):
        if not wants_page(request):
            return api_errors.json_error(exc)
        return _page(request, api_errors.status_for(exc), str(exc), None)
    assert isinstance(exc, HTTPException)
    if not wants_page(request):
        return await http_exception_handler(request, exc)
    detail = exc.detail if isinstance(exc.detail, str) and exc.status_code in (413, 429) else None
    message = detail or PLAIN.get(exc.status_code, "that cannot be done")
    return _page(request, exc.status_code, message, dict(exc.headers or {}))


async def invalid(request: Request, exc: Exception) -> Response:
    """A page address with a bad id or value (e.g. /cases/99999999999): a page, not JSON."""
    assert isinstance(exc, RequestValidationError)
    if not wants_page(request):
        return await request_validation_exception_handler(request, exc)
    problems = "; ".join(
        f"{item['loc'][-1]}: {item['msg']}" if item["loc"] else str(item["msg"])
        for item in exc.errors()
    )
    message = f"this address is not one the site can show ({problems})"
    return _page(request, 422, message, None)


def install(app: FastAPI) -> None:
    app.add_exception_handler(OpenWitnessError, response_for)
    app.add_exception_handler(HTTPException, response_for)
    app.add_exception_handler(RequestValidationError, invalid)
