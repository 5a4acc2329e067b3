"""Pydantic's validation errors in a user's words.

Every message a person sees about a value they typed or a file they wrote goes through
``plain_message``: the policy and layout files (``file:line: field: message``), the
config file and the write path. Pydantic's own wording ("Tuple should have at least 1
item after validation") names types a user never wrote; this says what is wrong with
what they did write, and how big, long or which it may be.
"""

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # only a failed validation hands one in: nothing else loads pydantic
    from pydantic import ValidationError

_KINDS = {"list": "list", "tuple": "list", "set": "list", "frozenset": "list", "dict": "table"}


_FIELD_NOUNS = {"text": "entry", "summary": "summary", "reason": "reason", "note": "note"}
"""What a person calls the field they typed into, in messages about an entry."""


def entry_message(exc: "ValidationError") -> str:
    """The first problem of an entry in the user's words: ``entry is 12,034 characters;
    the limit is 10,000``, ``title: must not be empty``."""
    from warroom.core.events import KINDS  # what made the error loaded it already

    error = exc.errors()[0]
    loc = [part for part in error["loc"] if part != "payload" and part not in KINDS]
    field = field_path(loc) or "value"
    noun = _FIELD_NOUNS.get(field, field)
    if error["type"] == "string_too_long":
        return f"{noun} is {plain_message(error)}"
    return f"{noun}: {plain_message(error)}"


def field_path(loc: tuple | list) -> str:
    """``("phases", 2, "items")`` as ``phases.2.items``."""
    return ".".join(str(part) for part in loc)


def plain_message(error: Mapping[str, Any], *, json: bool = False) -> str:
    """What is wrong, worded to follow ``field: `` (the field is named by the caller).

    ``json`` for a value that came as JSON (an HTTP body, a monitoring system's payload):
    its writer knows objects, strings and arrays, not the TOML tables and quoted text the
    files' messages speak of."""
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    value = error.get("input")
    simple = (json and _JSON_WORDS.get(kind)) or _SIMPLE.get(kind)
    if simple:
        return simple
    if kind == "string_too_long":
        return f"{_chars(value)}; the limit is {ctx.get('max_length', 0):,}"
    if kind == "string_too_short":
        least = ctx.get("min_length", 1)
        if least <= 1:
            return "must not be empty"
        return f"{_chars(value)}; at least {least:,} are needed"
    if kind in ("too_short", "too_long"):
        return _count_message(kind, ctx, value)
    if kind == "literal_error":
        return f"{value!r} is not one of the choices: {ctx.get('expected', '')}"
    if kind == "string_pattern_mismatch":
        return (
            f"{value!r} is not a valid name: use letters, digits, '.', '_' and '-',"
            " starting with a letter or a digit"
        )
    if kind in _BOUNDS:
        word, key = _BOUNDS[kind]
        return f"must be {word} {_number(ctx.get(key))}; it is {_number(value)}"
    if kind in ("value_error", "assertion_error"):
        message = str(error.get("msg", ""))
        return message.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if kind.startswith(("datetime_", "date_", "time_")) or kind in ("timezone_naive",):
        return f"{value!r} is not a date and time (ISO 8601, e.g. 2026-11-24T09:30:00Z)"
    if kind.endswith("_type") and kind.removesuffix("_type") in _KINDS:
        return f"must be a {_KINDS[kind.removesuffix('_type')]}"
    return str(error.get("msg", "is not valid"))


def _number(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value) if isinstance(value, int | float) else repr(value)


def _chars(value: object) -> str:
    length = len(value.strip()) if isinstance(value, str) else 0
    return f"{length:,} character{'' if length == 1 else 's'}"


def _count_message(kind: str, ctx: Mapping[str, Any], value: object) -> str:
    actual = ctx.get("actual_length")
    if actual is None and hasattr(value, "__len__"):
        actual = len(value)
    has = "none" if not actual else f"{actual:,}"
    if kind == "too_short":
        least = ctx.get("min_length", 1)
        return f"needs at least {least:,} item{'' if least == 1 else 's'}; it has {has}"
    return f"has {has} items; the limit is {ctx.get('max_length', 0):,}"


_SIMPLE = {
    "missing": "is required and missing",
    "extra_forbidden": "is not a known setting here (check its spelling)",
    "unexpected_keyword_argument": "is not a known setting here (check its spelling)",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "finite_number": "must be a finite number",
    "string_type": "must be text (in quotes)",
    "model_type": "must be a table of settings",
    "model_attributes_type": "must be a table of settings",
    "timezone_aware": "needs a time zone (e.g. Z or +01:00)",
    "union_tag_invalid": "is not a kind of entry this warroom knows",
    "frozen_instance": "cannot be changed",
}
_JSON_WORDS = {
    "model_type": "must be a JSON object",
    "model_attributes_type": "must be a JSON object",
    "dict_type": "must be a JSON object",
    "string_type": "must be a JSON string",
    "list_type": "must be a JSON array",
    "tuple_type": "must be a JSON array",
    "set_type": "must be a JSON array",
    "frozen_set_type": "must be a JSON array",
}
"""Where JSON's names differ from the files' (``_SIMPLE``, ``_KINDS``)."""
_BOUNDS = {
    "greater_than": ("more than", "gt"),
    "greater_than_equal": ("at least", "ge"),
    "less_than": ("less than", "lt"),
    "less_than_equal": ("at most", "le"),
}
