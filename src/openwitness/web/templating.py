"""The Jinja2 environment the pages share (autoescaping on: every value is escaped)."""

from __future__ import annotations

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


templates.env.filters["plain"] = plain
