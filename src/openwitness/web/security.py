"""Response headers for every answer: a Content Security Policy without 'unsafe-inline', and the
usual hardening. Pages carry no inline script or style, so the policy can forbid them."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response

# 'wasm-unsafe-eval' lets hash-wasm compile its SHA-256 WebAssembly module; it does not allow
# eval() or inline script. Everything else comes from this origin only.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' 'wasm-unsafe-eval'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "media-src 'self' blob:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(self)",
}
#: only the live recording page may ask for the camera and microphone (for this origin alone)
RECORDING_PAGES = frozenset({"/live"})
RECORDING_PERMISSIONS = "camera=(self), microphone=(self), geolocation=(self)"


def install(app: FastAPI) -> None:
    @app.middleware("http")
    async def security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        # How long the app took (to the response's start): shown in browsers' developer tools,
        # and what bench/web.py reads as a page's server time.
        response.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.1f}"
        response.headers.update(HEADERS)
        if request.url.path in RECORDING_PAGES:
            response.headers["Permissions-Policy"] = RECORDING_PERMISSIONS
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        return response
