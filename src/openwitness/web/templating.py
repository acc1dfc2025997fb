"""The Jinja2 environment the pages share (autoescaping on: every value is escaped)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates

from openwitness.core.config import DEFAULT_SITE_OPERATOR

HERE = Path(__file__).parent
STATIC = HERE / "static"
templates = Jinja2Templates(directory=HERE / "templates")


def plain(value: Any) -> str:
    """Extracted metadata (nested dicts and lists) as one readable line."""
    if isinstance(value, dict):
        return ", ".join(f"{k.replace('_', ' ')} {plain(v)}" for k, v in value.items() if v)
    if isinstance(value, list | tuple):
        return "; ".join(plain(v) for v in value)
    return str(value)


def when(value: str | None) -> str:
    """An ISO 8601 time as people write it: '2026-12-01 21:30 UTC' (or the text unchanged)."""
    if not value:
        return "—"
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    if moment.tzinfo is None:
        return moment.strftime("%Y-%m-%d %H:%M")
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def site(request: Request) -> dict[str, str]:
    """Who runs the site serving this request and how to reach them (every page's footer).

    Read from the app's own settings per request rather than stored in the shared Jinja
    environment, so two apps in one process (as in tests) each show their own."""
    services = getattr(request.app.state, "services", None)
    settings = getattr(services, "settings", None)
    operator = getattr(settings, "site_operator", "") or DEFAULT_SITE_OPERATOR
    contact = getattr(settings, "site_contact", "") or ""
    kind = "text"
    if contact.startswith(("https://", "http://")):
        kind = "url"
    elif "@" in contact and " " not in contact and "/" not in contact:
        kind = "email"
    return {"operator": operator, "contact": contact, "contact_kind": kind}


templates.env.filters["plain"] = plain
templates.env.filters["when"] = when
templates.env.globals["site"] = site
