"""The token routes an admin uses over HTTP: list, create (the secret in that answer only)
and revoke, which refuses to revoke the last admin token (409).

``warroom token`` does the same on the server's machine, through the storage directly.
"""

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, Field

from warroom.server import errors
from warroom.server.errors import AUTHENTICATED
from warroom.server.jsonbody import StrictJSONRoute
from warroom.server.principals import PrincipalDependency, require
from warroom.server.storage import (
    NAME_MAX,
    EventStorage,
    LastAdminToken,
    Principal,
    TokenInfo,
    TokenRole,
    token_fields,
)


class TokenCreate(BaseModel):
    """Name and device are checked by ``token_fields``, as ``warroom token create`` does."""

    name: str = Field(max_length=NAME_MAX)
    role: TokenRole
    device: str = Field(default="", max_length=NAME_MAX)


class TokenOut(BaseModel):
    id: str
    name: str
    role: TokenRole
    device: str
    created_at: str
    revoked_at: str | None
    token: str | None = None
    """Only in the answer to creation: the secret is never shown again."""


def _token_out(info: TokenInfo, secret: str | None = None) -> TokenOut:
    return TokenOut(
        id=info.id,
        name=info.name,
        role=info.role,
        device=info.device,
        created_at=info.created_at.isoformat(),
        revoked_at=info.revoked_at.isoformat() if info.revoked_at else None,
        token=secret,
    )


def token_router(storage: EventStorage, principal: PrincipalDependency) -> APIRouter:
    """The three token routes over ``storage``, for admin tokens only."""
    router = APIRouter(route_class=StrictJSONRoute)  # malformed bodies: errors.install
    Who = Annotated[Principal, Depends(principal)]

    @router.get("/v1/tokens", responses=errors.errors(*AUTHENTICATED, 403))
    async def tokens(who: Who) -> list[TokenOut]:
        require(who, "admin", doing="list tokens")
        return [_token_out(info) for info in await storage.list_tokens()]

    @router.post("/v1/tokens", status_code=201, responses=errors.errors(*AUTHENTICATED, 403, 413))
    async def create_token(body: TokenCreate, who: Who) -> TokenOut:
        """Create a token; the secret is in this answer only (it is stored hashed)."""
        require(who, "admin", doing="create tokens")
        try:
            name, device = token_fields(body.name, body.device)
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from None
        info, secret = await storage.create_token(name, body.role, device)
        return _token_out(info, secret)

    @router.delete("/v1/tokens/{token_id}", responses=errors.errors(*AUTHENTICATED, 403, 404, 409))
    async def revoke_token(token_id: str, who: Who) -> dict[str, str]:
        require(who, "admin", doing="revoke tokens")
        try:
            revoked = await storage.revoke_token(token_id, keep_an_admin=True)
        except LastAdminToken as exc:
            raise HTTPException(409, str(exc)) from None
        if not revoked:
            raise HTTPException(404, f"no active token {token_id!r}")
        return {"revoked": token_id}

    return router
