"""The Jinja2 environment the pages share (autoescaping on: every value is escaped)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi.templating import Jinja2Templates

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


templates.env.filters["plain"] = plain
templates.env.filters["when"] = when
