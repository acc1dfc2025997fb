"""/api/v1/session: signing a browser in and out (a cookie and its CSRF token)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from openwitness.accounts.service import AuthenticationFailed
from openwitness.accounts.sessions import csrf_token
from openwitness.api.deps import (
    CSRF_HEADER,
    SESSION_COOKIE,
    AnyAccount,
    ServicesDep,
    sign_in_refused,
    sign_in_result,
    too_many,
)

router = APIRouter(prefix="/api/v1/session", tags=["session"])


class SignIn(BaseModel):
    username: str = Field(max_length=64)
    password: str = Field(max_length=1024)


@router.post("")
def sign_in(
    body: SignIn, request: Request, services: ServicesDep, response: Response
) -> dict[str, Any]:
    """Check the password and set the session cookie (HttpOnly, Secure, SameSite=Strict).
    The answer holds the CSRF token to send in X-CSRF-Token with every change.

    Attempts are limited per client address, and failures per username (429)."""
    if (wait := sign_in_refused(request, body.username)) is not None:
        raise too_many(wait, "sign-in attempts")
    try:
        token, account = services.sessions.sign_in(body.username, body.password)
    except AuthenticationFailed:
        sign_in_result(request, body.username, succeeded=False)
        raise
    sign_in_result(request, body.username, succeeded=True)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=services.sessions.max_age,
        httponly=True,
        secure=True,
        samesite="strict",
        path="/",
    )
    return {
        "account": account.to_dict(),
        "csrf_token": csrf_token(token),
        "csrf_header": CSRF_HEADER,
    }


@router.get("")
def who_am_i(request: Request, reader: AnyAccount) -> dict[str, Any]:
    """The signed-in account, and the CSRF token again (for a page loaded later)."""
    cookie = request.cookies.get(SESSION_COOKIE)
    return {"account": reader.to_dict(), "csrf_token": csrf_token(cookie) if cookie else None}


@router.delete("")
def sign_out(
    request: Request, response: Response, services: ServicesDep, _reader: AnyAccount
) -> dict[str, Any]:
    """End the session (the cookie stops working at once, wherever it was copied to)."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        services.sessions.sign_out(cookie)
    response.delete_cookie(SESSION_COOKIE, path="/", secure=True, httponly=True, samesite="strict")
    return {"signed_out": bool(cookie)}
