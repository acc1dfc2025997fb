"""Dependencies shared by the routes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Path, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from limits import RateLimitItemPerMinute
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from openwitness.accounts.service import Account, AuthenticationFailed, Role
from openwitness.accounts.sessions import csrf_matches
from openwitness.cases.access import Viewer
from openwitness.cases.forms import MAX_ID
from openwitness.services import Services

_bearer = HTTPBearer(auto_error=False, description="An API token from `witness token create`.")


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]
#: A record id in a path: 1 to 2**31 - 1, so an absurd number is a 422, not a database error.
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]


SESSION_COOKIE = "ow_session"
CSRF_HEADER = "X-CSRF-Token"
_SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
_session_cookie = APIKeyCookie(
    name=SESSION_COOKIE, auto_error=False, description="A web session (POST /api/v1/session)."
)


def current_account(
    request: Request,
    services: ServicesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    session: Annotated[str | None, Depends(_session_cookie)],
) -> Account:
    """The account behind the bearer token or the session cookie; 401 without a valid one.

    With the cookie, a request that changes anything must also carry the session's CSRF
    token in the X-CSRF-Token header (403 without it): a browser sends cookies with requests
    another site makes it send, but that site cannot read the token."""
    unauthenticated = HTTPException(
        status_code=401,
        detail="authentication required: send 'Authorization: Bearer <token>'",
        headers={"WWW-Authenticate": "Bearer"},
    )
    if credentials is None and session:
        try:
            account = services.sessions.account(session)
        except AuthenticationFailed:
            unauthenticated.detail = "not signed in, or the session has ended"
            raise unauthenticated from None
        if request.method not in _SAFE_METHODS and not csrf_matches(
            session, request.headers.get(CSRF_HEADER)
        ):
            raise HTTPException(403, f"CSRF token missing or wrong: send it in {CSRF_HEADER}")
        return account
    if credentials is None:
        raise unauthenticated
    try:
        return services.accounts.by_token(credentials.credentials)
    except AuthenticationFailed:
        unauthenticated.detail = "invalid or revoked token"
        raise unauthenticated from None


def optional_account(
    request: Request,
    services: ServicesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    session: Annotated[str | None, Depends(_session_cookie)],
) -> Account | None:
    """The account on a route anyone may use, or None. A bearer token must be valid (401);
    a session cookie counts only with its CSRF token, since another site can make a browser
    send the cookie: without the token the request is anonymous."""
    if credentials is None and not (session and request.headers.get(CSRF_HEADER)):
        return None
    return current_account(request, services, credentials, session)


OptionalAccount = Annotated[Account | None, Depends(optional_account)]


def require(*roles: Role) -> Callable[[Account], Account]:
    """A dependency that lets through only the given roles (403 for the others)."""

    def check(account: Annotated[Account, Depends(current_account)]) -> Account:
        if account.role not in roles:
            allowed = ", ".join(r.value for r in roles)
            raise HTTPException(status_code=403, detail=f"this needs the role {allowed}")
        return account

    return check


AdminDep = Annotated[Account, Depends(require(Role.ADMIN))]
Reader = Annotated[Account, Depends(require(Role.ADMIN, Role.CASEWORKER, Role.ANALYST))]
Editor = Annotated[Account, Depends(require(Role.ADMIN, Role.CASEWORKER))]


def viewer(account: Account) -> Viewer:
    return Viewer(account.username, account.role.value, account.organisation_id)


class PublicRateLimit:
    """Requests a client address may make a minute to the public report routes.

    In memory, per server process: enough to slow a brute-force or flooding client on one
    machine; a deployment behind a proxy must pass the client address through (uvicorn's
    ``--forwarded-allow-ips``) or every client shares one budget.
    """

    def __init__(self, per_minute: int) -> None:
        self._rate = RateLimitItemPerMinute(per_minute)
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    def check(self, client: str) -> None:
        if not self._limiter.hit(self._rate, "public", client):
            raise HTTPException(
                status_code=429,
                detail="too many requests from this address: try again in a minute",
                headers={"Retry-After": "60"},
            )


def public_rate_limit(request: Request) -> None:
    """A dependency: counts this request against the client address's budget (429 beyond)."""
    limit: PublicRateLimit = request.app.state.public_rate_limit
    limit.check(request.client.host if request.client else "unknown")
