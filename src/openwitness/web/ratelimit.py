"""A page refused by a rate limit: the form comes back as it was typed, with a plain message
saying when to try again, status 429 and Retry-After (the API answers JSON instead)."""

from __future__ import annotations

from fastapi.responses import HTMLResponse

from openwitness.api.deps import wait_words


def try_again_in(wait: int, what: str) -> str:
    return (
        f"There have been too many {what} from your connection in the last few minutes. "
        f"Please wait {wait_words(wait)} and try again."
    )


def limited(page: HTMLResponse, wait: int) -> HTMLResponse:
    page.headers["Retry-After"] = str(wait)
    return page
