"""Expected errors on a page become a page; everything else keeps the API's JSON answers.

A page is what a browser navigates to: it asks for text/html. The API, the tus uploads and
the log's tiles are fetched by programs (and by the pages' own scripts), which do not."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response

from openwitness.api import errors as api_errors
from openwitness.core.errors import OpenWitnessError
from openwitness.web.templating import templates

API_PATHS = ("/api/", "/uploads")


def wants_page(request: Request) -> bool:
    accepted = request.headers.get("accept", "")
    return "text/html" in accepted and not request.url.path.startswith(API_PATHS)


def install(app: FastAPI) -> None:
    async def expected(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, OpenWitnessError)
        if not wants_page(request):
            return api_errors.json_error(exc)
        status = api_errors.status_for(exc)
        return templates.TemplateResponse(
            request, "error.html", {"status": status, "message": str(exc)}, status_code=status
        )

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
        return templates.TemplateResponse(
            request, "error.html", {"status": 422, "message": message}, status_code=422
        )

    app.add_exception_handler(OpenWitnessError, expected)
    app.add_exception_handler(RequestValidationError, invalid)
