"""Indented JSON text, exactly as ``json.dumps(value, indent=2)`` writes it, made fast.

The standard library's indenting encoder is pure Python (its C encoder only writes
compact JSON): ~60 µs an incident in ``warroom list --json``, ~15 µs an event in a JSON
export. pydantic-core's encoder writes the same text for the values JSON itself yields —
dicts with string keys, lists, strings, integers, booleans, None — in a fraction of
that, so those go to it; a float (whose digits the two encoders spell differently, e.g.
``1e-07`` and ``1e-7``), a string it cannot encode (a lone surrogate, which ``\\ud800``
in JSON decodes to) or any other type keeps the standard library's text.
"""

import json
import re
from collections.abc import Callable
from typing import Any

_ESCAPED = re.compile(r"[^\x00-\x7e]")
"""What ``ensure_ascii`` escapes beyond the control characters both encoders escape."""


def dumps_indented(value: Any, *, ascii_only: bool = True, default: Callable | None = None) -> str:
    """``json.dumps(value, indent=2, ensure_ascii=ascii_only, default=default)``."""
    if _records(value):
        return _records_text(value, ascii_only)
    if _plain(value):
        fast = _encoded(value, ascii_only)
        if fast is not None:
            return fast
    return json.dumps(value, indent=2, ensure_ascii=ascii_only, default=default)


class _HasFloat(Exception):
    """A number with a fraction or exponent, or NaN or Infinity, was met."""


def _refuse(token: str) -> float:
    raise _HasFloat(token)


_FLOATLESS = json.JSONDecoder(parse_float=_refuse, parse_constant=_refuse)
"""One decoder for every call: making one per call costs as much as the decoding."""


def reindented(text: str, indent: str) -> str | None:
    """``json.dumps(json.loads(text), indent=2)`` as it appears nested at ``indent``, or
    None when the standard library has to write it (a float, a lone surrogate). A value
    decoded without a float is ``_plain`` by construction: no walk over it is needed."""
    try:
        value = _FLOATLESS.decode(text)
    except _HasFloat:
        return None
    encoded = _encoded(value, ascii_only=True)
    return None if encoded is None else encoded.replace("\n", "\n" + indent)


def array_items(text: str, indent: str) -> str | None:
    """The items of the JSON array ``text`` as ``json.dumps(array, indent=2)`` writes
    them in an array nested at ``indent`` (each at ``indent`` plus two spaces, joined by
    ``,\\n``, no brackets), or None as for ``reindented``; at least one item."""
    encoded = reindented(text, indent)
    return None if encoded is None else indent + encoded[2 + len(indent) : -2 - len(indent)]


def _encoded(value: Any, ascii_only: bool) -> str | None:
    from pydantic_core import PydanticSerializationError, to_json  # ~0.1 s: when used

    try:
        text = to_json(value, indent=2).decode()
    except PydanticSerializationError:  # a lone surrogate: not UTF-8
        return None
    if ascii_only and (not text.isascii() or "\x7f" in text):  # only inside strings
        text = _ESCAPED.sub(_escape, text)
    return text


def _escape(match: re.Match) -> str:
    code = ord(match.group())
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 | (code >> 10):04x}\\u{0xDC00 | (code & 0x3FF):04x}"


_SCALARS = frozenset({str, int, bool, type(None)})

_RECORD_VALUES = _SCALARS | {float}
"""A float is spelt alike by the standard library's two encoders (``float.__repr__``)."""


def _records(value: Any) -> bool:
    """Whether ``value`` is a list of records — dicts of string keys and scalar values,
    ``warroom list --json``'s shape — which ``_records_text`` writes."""
    if type(value) is not list or not value:
        return False
    for row in value:
        if type(row) is not dict or not row:
            return False
        for key, item in row.items():
            if type(key) is not str or type(item) not in _RECORD_VALUES:
                return False
    return True


_RECORD_SEPARATORS = (",\n    ", ": ")
"""A record's fields one per line, at the indentation of a dict inside a list."""


def _records_text(rows: list[dict], ascii_only: bool) -> str:
    """``json.dumps(rows, indent=2)`` of records, by the standard library's C encoder:
    its indenting encoder is pure Python, but its compact one takes any separators, and
    the separators of a flat dict in a list are its indentation. No pydantic-core
    either: the 10,000 lines of ``warroom list --json`` in ~20 ms, nothing more to load."""
    encode = json.JSONEncoder(
        ensure_ascii=ascii_only, separators=_RECORD_SEPARATORS, allow_nan=True
    ).encode
    return "[\n  " + ",\n  ".join(["{\n    " + encode(row)[1:-1] + "\n  }" for row in rows]) + "\n]"


def _plain(value: Any) -> bool:
    """Whether ``value`` holds only what both encoders spell alike.

    Scalars are checked in place, without a call each: ``warroom list --json`` asks this
    of 10,000 incidents' 110,000 values, and a call per value was a sixth of its time."""
    kind = type(value)
    if kind in _SCALARS:
        return True
    if kind is dict:
        for key, item in value.items():
            if type(key) is not str or (type(item) not in _SCALARS and not _plain(item)):
                return False
        return True
    if kind is list or kind is tuple:
        for item in value:  # noqa: SIM110 - a loop, not all(): no generator step per row
            if type(item) not in _SCALARS and not _plain(item):
                return False
        return True
    return False
