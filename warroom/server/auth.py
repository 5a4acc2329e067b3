"""Who a request comes from, decided from its headers alone, before its body is read.

FastAPI reads and parses a route's body before it runs the route's dependencies, so an
authentication dependency alone lets anyone without a token make the server receive and
parse 8 MB. ``TokenFirst`` checks the token of every request that carries a body first
and answers 401 without reading any of it (closing the connection, so the unread bytes
are never parsed as a next request); the route's dependency then finds the same token in
the storage's cache.
"""

import json

from fastapi import HTTPException
from fastapi.security.utils import get_authorization_scheme_param
from starlette.types import ASGIApp, Receive, Scope, Send

from warroom.server.storage import EventStorage, Principal

CHALLENGE = {"WWW-Authenticate": "Bearer"}


async def identify(storage: EventStorage, token: str | None) -> Principal:
    """The token's owner, or ``HTTPException(401)`` saying what is missing."""
    if not token:
        raise HTTPException(
            401,
            "a bearer token is required (warroom login URL --token T, or WARROOM_TOKEN)",
            headers=CHALLENGE,
        )
    found = await storage.authenticate(token)
    if found is None:
        raise HTTPException(401, "the token is unknown or revoked", headers=CHALLENGE)
    return found


def bearer_token(authorization: str | None) -> str | None:
    """The credentials of an ``Authorization: Bearer …`` header (as ``HTTPBearer`` reads it)."""
    scheme, credentials = get_authorization_scheme_param(authorization)
    return credentials if scheme.lower() == "bearer" else None


def _has_body(headers: dict[bytes, bytes]) -> bool:
    return b"transfer-encoding" in headers or headers.get(b"content-length", b"0") != b"0"


class TokenFirst:
    """ASGI middleware: a request with a body and no valid token gets 401, body unread."""

    def __init__(self, app: ASGIApp, storage: EventStorage) -> None:
        self.app, self.storage = app, storage

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = dict(scope["headers"])
            if _has_body(headers):
                authorization = headers.get(b"authorization", b"").decode("latin-1")
                try:
                    await identify(self.storage, bearer_token(authorization))
                except HTTPException as refused:
                    await _refuse(send, refused)
                    return
        await self.app(scope, receive, send)


async def _refuse(send: Send, refused: HTTPException) -> None:
    body = json.dumps({"detail": refused.detail}).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
        *((name.lower().encode(), value.encode()) for name, value in CHALLENGE.items()),
    ]
    await send({"type": "http.response.start", "status": refused.status_code, "headers": headers})
    await send({"type": "http.response.body", "body": body})
