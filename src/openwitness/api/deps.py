"""Dependencies shared by the routes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from openwitness.accounts.service import Account, AuthenticationFailed, Role
from openwitness.services import Services

_bearer = HTTPBearer(auto_error=False, description="An API token from `witness token create`.")


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


def current_account(
    services: ServicesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Account:
    """The account behind the bearer token; 401 without a valid one."""
    unauthenticated = HTTPException(
        status_code=401,
        detail="authentication required: send 'Authorization: Bearer <token>'",
        headers={"WWW-Authenticate": "Bearer"},
    )
    if credentials is None:
        raise unauthenticated
    try:
        return services.accounts.by_token(credentials.credentials)
    except AuthenticationFailed:
        unauthenticated.detail = "invalid or revoked token"
        raise unauthenticated from None


def require(*roles: Role) -> Callable[[Account], Account]:
    """A dependency that lets through only the given roles (403 for the others)."""

    def check(account: Annotated[Account, Depends(current_account)]) -> Account:
        if account.role not in roles:
            allowed = ", ".join(r.value for r in roles)
            raise HTTPException(status_code=403, detail=f"this needs the role {allowed}")
        return account

    return check


AdminDep = Annotated[Account, Depends(require(Role.ADMIN))]
