"""Decoding JSON request bodies so that every number in them can be recorded.

Python's JSON reader accepts what the record cannot hold: ``NaN`` and ``Infinity``
literals, decimals that overflow to infinity (a 400-digit ``1000…0.0``), whole numbers
of any size (SQLite stores 64 bits, other clients' JSON readers often 53), and nesting
deep enough to exhaust the stack of every later encoder. Each used to surface as a 500
somewhere after the model had accepted it — which a client takes for "offline" and
retries for ever.

``StrictJSONRoute`` decodes every JSON body before FastAPI's own reading, refusing such
values with a 422 that names the field (``events.0.device_seq: …``), for every route and
every model alike, known fields and kept-unknown ones. Typed fields carry their own
bounds as well (``warroom.core.events.Int64``), for numbers that only become too large in
validation, such as ``1e19`` given for a whole number.
"""

import json
import math
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic_core import from_json

from warroom.core.events import INT64_MAX, INT64_MIN

MAX_DEPTH = 64
"""Deepest nesting of objects and arrays in a body. A push of notes needs four; a runbook
pin two more per level of nested steps."""

NOT_FINITE = "NaN and infinite numbers cannot be recorded"
OUT_OF_RANGE = f"whole numbers must lie between {INT64_MIN} and {INT64_MAX}"
TOO_DEEP = f"nested more than {MAX_DEPTH} levels deep"

Path = list[str | int]


class _HugeInteger(str):
    """A whole number too long to be worth converting (Python refuses past 4,300 digits)."""


def _integer(text: str) -> int | _HugeInteger:
    return int(text) if len(text) <= 20 else _HugeInteger(text)


def _problem(container: dict | list, depth: int) -> tuple[Path, str] | None:
    """The first unrecordable value in ``container``: its path, innermost key first.

    Scalars are judged inline, without a call each: this runs on every body."""
    if depth >= MAX_DEPTH:
        return [], TOO_DEEP
    for key, item in container.items() if type(container) is dict else enumerate(container):
        kind = type(item)
        if kind is str or kind is bool or item is None:
            continue
        if kind is dict or kind is list:
            found = _problem(item, depth + 1)
        elif kind is float:
            found = None if math.isfinite(item) else ([], NOT_FINITE)
        elif kind is int:
            found = None if INT64_MIN <= item <= INT64_MAX else ([], OUT_OF_RANGE)
        else:  # _HugeInteger
            found = [], OUT_OF_RANGE
        if found is not None:
            found[0].append(key)
            return found
    return None


def _refuse(path: Path, message: str) -> RequestValidationError:
    return RequestValidationError(
        [{"type": "value_error", "loc": ("body", *path), "msg": message, "input": None}]
    )


def decode(body: bytes) -> Any:
    """The body's JSON value, or ``RequestValidationError`` naming what cannot be held."""
    try:
        value = json.loads(body, parse_int=_integer)
    except json.JSONDecodeError as exc:
        raise _refuse(
            [], f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from None
    except RecursionError:
        raise _refuse([], TOO_DEEP) from None
    except ValueError:  # bytes that are not UTF-8, -16 or -32 text
        raise _refuse([], "not valid JSON: the body is not UTF-8 text") from None
    found = _problem([value], -1)  # wrapped, so a bare scalar body is judged too
    if found is not None:
        path, message = found
        raise _refuse(path[-2::-1], message)  # the last key is the wrapper's 0
    return value


def quick_decode(body: bytes) -> Any | None:
    """The body's JSON value when it is plain UTF-8 JSON holding only what the record can
    hold, or None: then ``decode`` judges it, and says what is wrong.

    For the push lane: pydantic's JSON reader is several times faster than ``json.loads``
    with ``_integer`` for every number (a tenth of the server's time per append), and
    where it differs from ``decode`` it refuses — NaN and Infinity, lone surrogates, a
    byte-order mark, whole numbers past 4,300 digits, nesting past its own limit — so
    every body it takes is one ``decode`` takes too, with the same value; the values the
    record cannot hold are then refused by the same ``_problem``."""
    try:
        value = from_json(body, allow_inf_nan=False)
    except ValueError:
        return None
    return None if _problem([value], -1) is not None else value


class StrictJSONRequest(Request):
    """A request whose ``json()`` is ``decode`` (FastAPI reads bodies through it)."""

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = decode(await self.body())
        return self._json


def _is_json(request: Request) -> bool:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return kind == "application/json" or (
        kind.startswith("application/") and kind.endswith("+json")
    )


class StrictJSONRoute(APIRoute):
    """A route whose JSON body is decoded strictly before FastAPI validates it.

    The decoding runs here, outside FastAPI's body reading, because FastAPI turns any
    error other than a JSON syntax error raised there into a bare 400."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        if self.body_field is None:
            return handler

        async def decode_first(request: Request) -> Response:
            if _is_json(request):
                request = StrictJSONRequest(request.scope, request.receive)
                await request.json()
            return await handler(request)

        return decode_first
