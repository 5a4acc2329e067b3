"""The JSON encoder of canonical bytes (``warroom.core.chain``), made once.

Its own module so that both ways of writing canonical text — the general one in
``chain`` and an event's field by field in ``event_text`` — share one encoder without
importing each other.
"""

import json
from typing import Any


def _not_json(value: object) -> Any:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


ENCODE = (
    json.encoder.c_make_encoder(
        None, _not_json, json.encoder.encode_basestring, None, ":", ",", True, False, False
    )
    if json.encoder.c_make_encoder is not None
    else None
)
"""``json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
allow_nan=False)`` made once: ``dumps`` builds a new encoder for every call, which cost
about as much as the encoding of a whole event (catch-up hashes every event it stores).
The same C encoder ``dumps`` uses, with the same arguments, so the bytes are identical —
except the check for circular references (``dumps`` gives each call a fresh record of
the containers it is in; a shared one keeps stale entries after an error): JSON read
from text has no cycles, and a cycle still fails, as a ``RecursionError``."""
