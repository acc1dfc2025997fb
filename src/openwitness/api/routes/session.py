"""/api/v1/session: signing a browser in and out (a cookie and its CSRF token)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field

from openwitness.accounts.sessions import SESSION_HOURS, csrf_token
from openwitness.api.deps import (
    CSRF_HEADER,
    SESSION_COOKIE,
    Reader,
    ServicesDep,
    public_rate_limit,
)

router = APIRouter(prefix="/api/v1/session", tags=["session"])


class SignIn(BaseModel):
    username: str = Field(max_length=64)
    password: str = Field(max_length=1024)


@router.post("", dependencies=[Depends(public_rate_limit)])
def sign_in(body: SignIn, services: ServicesDep, response: Response) -> dict[str, Any]:
    """Check the password and set the session cookie (HttpOnly, Secure, SameSite=Strict).
    The answer holds the CSRF token to send in X-CSRF-Token with every change."""
    token, account = services.sessions.sign_in(body.username, body.password)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=SESSION_HOURS * 3600,
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
def who_am_i(request: Request, reader: Reader) -> dict[str, Any]:
    """The signed-in account, and the CSRF token again (for a page loaded later)."""
    cookie = request.cookies.get(SESSION_COOKIE)
    return {"account": reader.to_dict(), "csrf_token": csrf_token(cookie) if cookie else None}


@router.delete("")
def sign_out(
    request: Request, response: Response, services: ServicesDep, _reader: Reader
) -> dict[str, Any]:
    """End the session (the cookie stops working at once, wherever it was copied to)."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        services.sessions.sign_out(cookie)
    response.delete_cookie(SESSION_COOKIE, path="/", secure=True, httponly=True, samesite="strict")
    return {"signed_out": bool(cookie)}
