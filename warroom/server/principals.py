"""Who is asking and what they may do: the bearer-token dependencies every route of the
API uses, and the role check with its one-line 403.

The routers (``app``, ``feed_routes``, ``token_routes``, ``intake``) take these as
arguments, so each authenticates the same way without importing the app.
"""

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, HTTPException
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from warroom.server.auth import identify
from warroom.server.storage import EventStorage, Principal

PrincipalDependency = Callable[..., Coroutine[Any, Any, Principal]]
"""An ``async`` FastAPI dependency that answers with the request's ``Principal``."""


def principal_dependencies(
    storage: EventStorage,
) -> tuple[PrincipalDependency, PrincipalDependency]:
    """``anyone`` (any valid token, intake included) and ``principal`` (any but intake,
    whose token may only post alerts)."""
    bearer = HTTPBearer(auto_error=False)

    async def anyone(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> Principal:
        return await identify(storage, credentials.credentials if credentials else None)

    async def principal(who: Annotated[Principal, Depends(anyone)]) -> Principal:
        if who.role == "intake":
            raise HTTPException(403, "an intake token may only post alerts")
        return who

    return anyone, principal


def require(who: Principal, *roles: str, doing: str) -> None:
    """Refuse (403) a token whose role is not one of ``roles``, saying what it may not do."""
    if who.role not in roles:
        raise HTTPException(403, f"a {who.role} token may not {doing}")
