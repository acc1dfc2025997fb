"""Expected errors on a page become a page (the API's paths keep their JSON answers)."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import Response

from openwitness.api import errors as api_errors
from openwitness.core.errors import OpenWitnessError
from openwitness.web.templating import templates

API_PATHS = ("/api/", "/uploads")


def install(app: FastAPI) -> None:
    async def expected(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, OpenWitnessError)
        if request.url.path.startswith(API_PATHS):
            return api_errors.json_error(exc)
        status = api_errors.status_for(exc)
        return templates.TemplateResponse(
            request, "error.html", {"status": status, "message": str(exc)}, status_code=status
        )

    app.add_exception_handler(OpenWitnessError, expected)
