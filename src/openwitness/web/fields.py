"""Errors put beside the form field they are about.

The core names the field at the start of its messages ("force: unknown force 'x'"), and
pydantic names it in each error's location; either way the page can show it next to the field.
"""

from __future__ import annotations

from pydantic import ValidationError


def field_errors(error: Exception, fallback: str = "form") -> dict[str, str]:
    """{field: message} for a refused form; messages that name no field go under ``fallback``."""
    if isinstance(error, ValidationError):
        found: dict[str, str] = {}
        for item in error.errors():
            found.setdefault(str(item["loc"][0]) if item["loc"] else fallback, item["msg"])
        return found
    message = str(error)
    field, _, rest = message.partition(":")
    field = field.strip()
    if rest and field and " " not in field:
        return {field: rest.strip()}
    return {fallback: message}
