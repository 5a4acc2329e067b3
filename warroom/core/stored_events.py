"""Decoding events a store wrote itself, for folding them back.

A stored body was validated when it was appended (or accepted from a server, whose pages
are validated before they are stored) and is covered by the hash chain, so reading it
back needs no second look at which model its ``kind`` picks: the known kinds are told
apart by a plain ``kind`` discriminator, which pydantic resolves while it parses, where
``Payload`` calls ``_payload_tag`` in Python for every event to route unknown kinds.
A batch holding any kind this version does not know decodes through ``EVENT_LIST``, so
the result is always the event the validated path gives (property-tested).

Every field the fold reads is still validated (the fields it does not read are left
out, see ``folded_event``): a row damaged on disk is refused, and ``StoredRowError`` says
which row and what is wrong in the user's words — never pydantic's. Payloads decode as
their kind's fold view (``fold_view``): the same fields with the same types and
constraints, in a slotted dataclass instead of a model, a third of the decode's cost.
A view is built the first time a batch holds its kind (the ``kind`` column says which
before anything is decoded), and the batch is decoded through a union of the kinds met
so far, rebuilt when one is new. Input from
outside (push bodies, pulled pages before they are stored, files) keeps going through
``Event``/``EVENT_LIST`` directly. Callers fold with the cyclic collector held
(``warroom.core.collector``).
"""

import dataclasses
import json
import threading
from collections.abc import Sequence
from typing import Annotated, Any, Union

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter, ValidationError
from pydantic.dataclasses import dataclass

from warroom.core.errors import StoreError
from warroom.core.events import EVENT_LIST, KINDS, Name
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


_VIEWS: dict[str, type] = {}
"""Each known kind's fold view, built the first time a stored batch holds that kind: an
incident uses a few of the 40 kinds, and building all of them cost a fresh process 34 ms
(a 10k-event catch-up's sixth)."""


def folded_event(views: tuple[type, ...]) -> type:
    """``FoldedEvent`` over payloads of ``views`` (the kinds met so far)."""

    @dataclass(frozen=True, slots=True, config=ConfigDict(extra="ignore"))
    class FoldedEvent:
        """What the fold reads of a stored event whose ``kind`` is known: the envelope
        fields its handlers use and the payload, keyed on ``kind`` itself. The other
        fields (``recorded_at``, ``device_id``, ``device_seq``) go unread, and a slotted
        dataclass is cheaper to build than an ``Event`` (no instance dict, no set of
        fields). Same attributes as an ``Event`` for the handlers (the property tests
        fold every kind both ways)."""

        id: str
        incident_id: str
        actor: Name
        occurred_at: AwareDatetime
        payload: Annotated[Union[(*views,)], Field(discriminator="kind")]

        @property
        def kind(self) -> str:
            return self.payload.kind

    return FoldedEvent


NARROW_UNIONS = 4
"""Unions built over the kinds met so far before a new kind brings every kind in: each
rebuild costs more as the union grows (kinds met one by one, 40 rebuilds, cost 85 ms
where building every view at once costs 36 ms), so past a few the decoder stops
guessing that the next batch brings nothing new."""


class _Decoder:
    """The one-pass decoder of stored batches: a list of ``folded_event`` over the kinds
    met so far, rebuilt (views cached in ``_VIEWS``) when a batch brings a new one.

    Shared by every thread of the process (the screen's reader, writer and ladder fold at
    once): the kinds and their union are published together as one pair, only once the
    union is built, and built under a lock. Published apart, a thread that saw the new
    kinds before their union got none (the screen's reader died on it at start-up)."""

    def __init__(self) -> None:
        self.unions = 0
        self.current: tuple[frozenset[str], TypeAdapter | None] = (frozenset(), None)
        """The kinds the union covers, and the union (``None`` before any batch)."""
        self.everything: TypeAdapter | None = None
        """Over every known kind: a batch that fails the narrower one is decoded again
        through it, so a body whose payload is of another kind than its row's column
        decodes, or is refused, exactly as it would be with every kind known."""
        self._building = threading.Lock()

    def covering(self, kinds: set[str]) -> TypeAdapter:
        covered, adapter = self.current  # one read: the pair is published whole
        if kinds <= covered:
            return adapter
        with self._building:
            covered, adapter = self.current  # another thread may have built it meanwhile
            if not kinds <= covered:
                self.unions += 1
                covered = covered | kinds if self.unions <= NARROW_UNIONS else _KNOWN
                adapter = _list_over(covered)
                self.current = (covered, adapter)
            return adapter

    def widest(self) -> TypeAdapter:
        covered, adapter = self.current
        if covered == _KNOWN:  # the narrow union already is the widest
            return adapter
        with self._building:
            if self.everything is None:
                self.everything = _list_over(_KNOWN)
            return self.everything


def _list_over(kinds: frozenset[str]) -> TypeAdapter:
    for kind in kinds - _VIEWS.keys():
        _VIEWS[kind] = fold_view(KINDS[kind])
    return TypeAdapter(list[folded_event(tuple(_VIEWS[kind] for kind in sorted(kinds)))])


_KNOWN = frozenset(KINDS)
_DECODER = _Decoder()


class StoredRowError(StoreError):
    """A stored event body no longer decodes (edited or damaged on disk)."""


StoredRow = tuple[int, str, str]
"""A stored event as the fold reads it: its local position, its kind column, its body."""


def decode_stored(rows: Sequence[StoredRow]) -> list[Any]:
    """The events of stored ``rows``, in order (``folded_event``s, or ``Event``s for a
    batch with a kind this version does not know); ``StoredRowError`` names the first
    damaged one (by position and kind) and what is wrong with it."""
    if not rows:
        return []
    # comprehensions, not generators: no generator frame resumed per row
    kinds = {kind for _, kind, _ in rows}
    joined = "[" + ",".join([body for _, _, body in rows]) + "]"
    if not kinds <= _KNOWN:
        return _decoded(EVENT_LIST, joined, rows)
    try:
        return _DECODER.covering(kinds).validate_json(joined)
    except ValidationError:
        return _decoded(_DECODER.widest(), joined, rows)


def _decoded(adapter: TypeAdapter, joined: str, rows: Sequence[StoredRow]) -> list[Any]:
    try:
        return adapter.validate_json(joined)
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
