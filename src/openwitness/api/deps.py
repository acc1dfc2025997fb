"""Dependencies shared by the routes."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Annotated, cast

from fastapi import Depends, HTTPException, Path, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from limits import parse as parse_rate
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from openwitness.accounts.service import Account, AuthenticationFailed, Role
from openwitness.accounts.sessions import csrf_matches
from openwitness.cases.access import Viewer
from openwitness.cases.forms import MAX_ID
from openwitness.core.config import DEFAULT_RATES
from openwitness.core.errors import InvalidRequestError
from openwitness.jobs.queue import JobQueue
from openwitness.services import Services

_bearer = HTTPBearer(auto_error=False, description="An API token from `witness token create`.")


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


def get_job_queue(request: Request) -> JobQueue:
    queue: JobQueue = request.app.state.job_queue
    return queue


JobQueueDep = Annotated[JobQueue, Depends(get_job_queue)]
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
#: any signed-in account, whatever its role (its session; screening, which checks per item)
AnyAccount = Annotated[Account, Depends(current_account)]
Editor = Annotated[Account, Depends(require(Role.ADMIN, Role.CASEWORKER))]


def viewer(account: Account) -> Viewer:
    return Viewer(account.username, account.role.value, account.organisation_id)


class RateBudget:
    """How many requests of one kind a key (a client address, a username) may make in a
    moving window, e.g. "20 per 10 minutes".

    In memory, per server process, by default; in Redis (OPENWITNESS_REDIS_URL) when several
    server processes share the budgets, so four workers do not allow four times the sign-in
    attempts. Behind a reverse proxy the client address is the proxy's unless ``witness serve``
    is told to trust it (``--forwarded-allow-ips``); then uvicorn passes the real one through.
    """

    def __init__(self, name: str, rate: str, storage: Storage | None = None) -> None:
        try:
            self.item = parse_rate(rate)
        except ValueError:
            raise InvalidRequestError(
                f"OPENWITNESS_RATE_{name.upper()}: {rate!r} is not a rate such as "
                "'20 per 10 minutes'"
            ) from None
        self.name = name
        self._limiter = MovingWindowRateLimiter(storage or MemoryStorage())

    def hit(self, key: str, cost: int = 1) -> int | None:
        """Count ``cost`` requests; None if they are within the budget, else the seconds to
        wait before trying again (and nothing is counted)."""
        if self._limiter.hit(self.item, self.name, key, cost=cost):
            return None
        return self.retry_after(key)

    def refused(self, key: str) -> int | None:
        """Like ``hit`` but counts nothing: whether the budget is already spent."""
        return None if self._limiter.test(self.item, self.name, key) else self.retry_after(key)

    def retry_after(self, key: str) -> int:
        stats = self._limiter.get_window_stats(self.item, self.name, key)
        return max(1, math.ceil(stats.reset_time - time.time()))

    def clear(self, key: str) -> None:
        self._limiter.clear(self.item, self.name, key)


class RateLimits:
    """The public budgets, kept apart so that lodging a report's files cannot use up the
    report itself, nor a flood of follow-ups block signing in (settings: ``rates``)."""

    def __init__(self, rates: dict[str, str], storage: Storage | None = None) -> None:
        budgets = {**DEFAULT_RATES, **rates}
        self.storage = storage

        def budget(name: str) -> RateBudget:
            return RateBudget(name, budgets[name], storage)

        self.sign_in = budget("sign_in")  # every attempt, per address
        #: failed attempts per username from anywhere (cleared by a successful sign-in)
        self.sign_in_account = budget("sign_in_account")
        self.reports = budget("reports")
        self.follow_up = budget("follow_up")
        self.uploads = budget("uploads")  # per file lodged
        self.live = budget("live")  # live recordings started
        self.contacts = budget("contacts")  # contacts e-mailed
        #: follow links tried that open no recording (the right link is never counted)
        self.live_follow = budget("live_follow")


def limits_storage(redis_url: str | None, namespace: str) -> Storage | None:
    """Where the budgets are counted: Redis when configured (shared by every process of this
    installation, its keys under ``namespace``), else None (each process's memory)."""
    if not redis_url:
        return None
    if not redis_url.startswith(("redis://", "rediss://", "unix://")):
        raise InvalidRequestError(
            f"OPENWITNESS_REDIS_URL must be redis://host:port/db, not {redis_url!r}"
        )
    storage = storage_from_string(redis_url, key_prefix=f"openwitness:{namespace}")
    if not storage.check():
        raise InvalidRequestError(f"cannot reach Redis at {redis_url} (OPENWITNESS_REDIS_URL)")
    return cast(Storage, storage)


def rate_limits(request: Request) -> RateLimits:
    limits: RateLimits = request.app.state.rate_limits
    return limits


def client_address(request: Request) -> str:
    """The connecting address (uvicorn sets it from X-Forwarded-For only for trusted proxies)."""
    return request.client.host if request.client else "unknown"


def wait_words(seconds: int) -> str:
    """ "30 seconds", "1 minute", "5 minutes": how long to wait, for a person to read."""
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def too_many(retry_after: int, what: str = "requests") -> HTTPException:
    """The API's 429: JSON, with Retry-After."""
    return HTTPException(
        status_code=429,
        detail=f"too many {what} from this address: try again in {wait_words(retry_after)}",
        headers={"Retry-After": str(retry_after)},
    )


def report_rate_limit(request: Request) -> None:
    """A dependency: a report submitted (429 beyond the address's budget)."""
    if (wait := rate_limits(request).reports.hit(client_address(request))) is not None:
        raise too_many(wait, "reports")


def follow_up_rate_limit(request: Request) -> None:
    """A dependency: a follow-up look-up (429 beyond the address's budget)."""
    if (wait := rate_limits(request).follow_up.hit(client_address(request))) is not None:
        raise too_many(wait, "follow-up look-ups")


def upload_rate_limit(request: Request) -> None:
    """A dependency (or a call) for every route that starts a public upload: counts one file
    against the client address's uploads budget; beyond it, a 429 HTTPException with
    Retry-After. A form that lodges several files at once counts them with ``uploads_refused``."""
    if (wait := uploads_refused(request, 1)) is not None:
        raise too_many(wait, "uploads")


def uploads_refused(request: Request, files: int) -> int | None:
    """Count ``files`` uploads: None if within the budget, else the seconds to wait."""
    return rate_limits(request).uploads.hit(client_address(request), files) if files else None


def sign_in_refused(request: Request, username: str) -> int | None:
    """Count a sign-in attempt: None if it may go ahead, else the seconds to wait. Refused when
    the address has tried too often, or the username has failed too often from anywhere."""
    limits = rate_limits(request)
    return limits.sign_in.hit(client_address(request)) or limits.sign_in_account.refused(username)


def sign_in_result(request: Request, username: str, succeeded: bool) -> None:
    """Record the outcome: a failure counts against the username, a success clears it."""
    budget = rate_limits(request).sign_in_account
    if succeeded:
        budget.clear(username)
    else:
        budget.hit(username)
