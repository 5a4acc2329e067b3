"""Decoding events a store wrote itself, for folding them back.

A stored body was validated when it was appended (or accepted from a server, whose pages
are validated before they are stored) and is covered by the hash chain, so reading it
back needs no second look at which model its ``kind`` picks: the known kinds are told
apart by a plain ``kind`` discriminator, which pydantic resolves while it parses, where
``Payload`` calls ``_payload_tag`` in Python for every event to route unknown kinds.
A batch holding any kind this version does not know decodes through ``EVENT_LIST``, so
the result is always the event the validated path gives (property-tested).

Every field the fold reads is still validated (the fields it does not read are left
out, see ``FoldedEvent``): a row damaged on disk is refused, and ``StoredRowError`` says
which row and what is wrong in the user's words — never pydantic's. Payloads decode as
their kind's fold view (``fold_view``): the same fields with the same types and
constraints, in a slotted dataclass instead of a model, a third of the decode's cost. Input from
outside (push bodies, pulled pages before they are stored, files) keeps going through
``Event``/``EVENT_LIST`` directly. Callers fold with the cyclic collector held
(``warroom.core.collector``).
"""

import dataclasses
import json
from collections.abc import Sequence
from typing import Annotated, Any, Union

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter, ValidationError
from pydantic.dataclasses import dataclass

from warroom.core.errors import StoreError
from warroom.core.events import EVENT_LIST, KINDS, Event, Name
from warroom.core.wording import field_path, plain_message


def fold_view(model: type[BaseModel]) -> type:
    """What the fold decodes a payload of ``model``'s kind as: a frozen, slotted pydantic
    dataclass with ``model``'s fields — types, constraints, defaults — that ignores extra
    fields (the fold reads none; the stored body keeps them). Building one costs about
    half what building the model does (no instance dict, no set of fields, no dict of
    extras), and the handlers read the same attributes. A model with validators of its
    own is its own view, so nothing it checks goes unchecked."""
    decorators = model.__pydantic_decorators__
    if decorators.model_validators or decorators.field_validators:
        return model
    annotations: dict[str, Any] = {}
    namespace: dict[str, Any] = {"__module__": __name__, "__annotations__": annotations}
    for name, info in model.model_fields.items():
        annotation = info.annotation
        annotations[name] = Annotated[(annotation, *info.metadata)] if info.metadata else annotation
        if info.default_factory is not None:
            namespace[name] = dataclasses.field(default_factory=info.default_factory)
        elif not info.is_required():
            namespace[name] = info.default
    namespace["__doc__"] = f"The fold's view of ``{model.__name__}``."
    plain = type(f"Folded{model.__name__}", (), namespace)
    ignoring_extras = ConfigDict(extra="ignore")
    return dataclass(plain, frozen=True, slots=True, kw_only=True, config=ignoring_extras)


_VIEWS = tuple(fold_view(model) for model in KINDS.values())


@dataclass(frozen=True, slots=True, config=ConfigDict(extra="ignore"))
class FoldedEvent:
    """What the fold reads of a stored event whose ``kind`` is known: the envelope
    fields its handlers use and the payload, keyed on ``kind`` itself. The other fields
    (``recorded_at``, ``device_id``, ``device_seq``) go unread, and a slotted dataclass
    is cheaper to build than an ``Event`` (no instance dict, no set of fields). Same
    attributes as an ``Event`` for the handlers (the property tests fold every kind both
    ways)."""

    id: str
    incident_id: str
    actor: Name
    occurred_at: AwareDatetime
    payload: Annotated[Union[(*_VIEWS,)], Field(discriminator="kind")]

    @property
    def kind(self) -> str:
        return self.payload.kind


_STORED_LIST = TypeAdapter(list[FoldedEvent])
_KNOWN = frozenset(KINDS)


class StoredRowError(StoreError):
    """A stored event body no longer decodes (edited or damaged on disk)."""


StoredRow = tuple[int, str, str]
"""A stored event as the fold reads it: its local position, its kind column, its body."""


def decode_stored(rows: Sequence[StoredRow]) -> list[FoldedEvent] | list[Event]:
    """The events of stored ``rows``, in order; ``StoredRowError`` names the first
    damaged one (by position and kind) and what is wrong with it."""
    if not rows:
        return []
    # comprehensions, not generators: no generator frame resumed per row
    known = {kind for _, kind, _ in rows} <= _KNOWN
    adapter = _STORED_LIST if known else EVENT_LIST
    try:
        return adapter.validate_json("[" + ",".join([body for _, _, body in rows]) + "]")
    except ValidationError as exc:
        raise StoredRowError(_damaged_row(exc, rows)) from None


def _damaged_row(exc: ValidationError, rows: Sequence[StoredRow]) -> str:
    error = exc.errors()[0]
    loc = error["loc"]
    if not loc or not isinstance(loc[0], int):  # a body is not JSON: find which
        seq, kind = next(((s, k) for s, k, body in rows if not _parses(body)), ("?", "?"))
        return f"event {seq} ({kind}) cannot be read: it is not JSON"
    seq, kind, _ = rows[loc[0]]
    field = field_path([part for part in loc[1:] if part != "payload" and part not in KINDS])
    return f"event {seq} ({kind}) cannot be read: {field or 'event'}: {plain_message(error)}"


def _parses(body: str) -> bool:
    try:
        json.loads(body)
    except ValueError:
        return False
    return True
