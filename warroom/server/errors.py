"""How the API answers mistakes, and how its OpenAPI document says so.

Every error answer, whatever its status, is ``{"detail": "<one line>"}`` — a person (or
the client, which shows it verbatim) can act on the line. FastAPI documents a 422 as a
list of pydantic errors, which this API never sends, and documents no other error at
all; ``errors(...)`` declares the real ones per route instead.
"""

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from warroom.core.wording import field_path, plain_message
from warroom.server.storage import EventTooLarge, InvalidCursor, StorageError


class Problem(BaseModel):
    """The body of every error answer."""

    detail: str


WHY: dict[int, str] = {
    400: "The cursor is ahead of this server's log (its data was replaced).",
    401: "No bearer token, or one that is unknown or revoked.",
    403: "The token's role may not do this.",
    404: "No such incident or token on this server.",
    409: "Refused to keep the server manageable: the last active admin token stays.",
    413: "The request body is larger than the server accepts.",
    422: "A malformed request: the detail names the field and what is wrong with it.",
    503: "The server's storage is unavailable; retry later.",
}

AUTHENTICATED = (401, 422, 503)
"""What any route behind a token may answer."""


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for a route: the statuses it may answer with a ``Problem``.

    Declaring 422 here also keeps FastAPI from documenting its own validation model."""
    return {status: {"model": Problem, "description": WHY[status]} for status in statuses}


def validation_message(exc: RequestValidationError) -> str:
    """The first error as ``field.path: what is wrong``, in the words of the one
    translator (``core/wording.py``), never pydantic's: the client shows it verbatim
    (``body`` left out of the path: it is implied)."""
    first = exc.errors()[0]
    where = field_path([part for part in first.get("loc", ()) if part != "body"])
    return f"{where or 'body'}: {plain_message(first, json=True)}"


PROBLEM_STATUS: dict[type[Exception], int] = {
    StorageError: 503,
    EventTooLarge: 422,
    InvalidCursor: 400,
}
"""The answer's status for each storage error (the detail is the error's own text)."""


def problem(exc: Exception) -> JSONResponse:
    """The one-line answer to a storage error (``PROBLEM_STATUS``), for routes and for the
    push lane (``fastpush``), which answers outside FastAPI's exception handlers."""
    status = next(code for kind, code in PROBLEM_STATUS.items() if isinstance(exc, kind))
    return JSONResponse(status_code=status, content={"detail": str(exc)})


def install(app: FastAPI) -> None:
    """Answer validation, storage and cursor errors as one-line ``Problem`` bodies."""

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(status_code=422, content={"detail": validation_message(exc)})

    async def _problem(request: Request, exc: Exception) -> JSONResponse:
        return problem(exc)

    for kind in PROBLEM_STATUS:
        app.add_exception_handler(kind, _problem)
