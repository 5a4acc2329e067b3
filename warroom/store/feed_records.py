"""The server's feed decoded for ``Replica.ingest``: each record's parts, its ``events``
row and the exact bytes its hash covers, from one pass of C per page where it can.

A fresh client catching up on a million events spent most of its time here in Python:
``json.loads`` built a dict per event, a shape check read it field by field, and the
canonical encoding rebuilt the bytes the server had sent. The server's feed already
carries each event as its canonical text (its record is stored that way), so a page is
decoded by ``msgspec`` into typed records — the shape check done by the decoder — with
each event kept as the raw bytes it arrived in, and those bytes are hashed.

That is exact, not trusting: the chain hashes ``canonical(event)``, so the raw bytes
are used only once they are shown to *be* that encoding. They are decoded (every float
sent to the exact path) and encoded again with sorted keys; if that gives the same
bytes, and they hold no backslash, Python's canonical encoder gives them too:

* no backslash means no escape in any string, so both encoders write every string
  as its raw UTF-8 (Python's, with ``ensure_ascii=False``, escapes only ``"``, ``\\``
  and control characters, which raw JSON text cannot hold unescaped);
* ``msgspec`` sorts keys by their UTF-8 bytes, which is code point order, Python's;
* integers are written alike, and any float, big integer or other surprise either
  goes to the exact path or re-encodes differently (then the exact path decides).

Anything else — a backslash, a float, a field this version does not know, a page the
typed decoder refuses — goes through the exact path of before: ``json.loads`` and
``canonical_text``. So every page is judged exactly as before, only faster.

The events of a page are checked together: their raw texts, joined into one JSON list,
are decoded and encoded again in one call each, and one comparison of the two lists'
bytes shows every event canonical (the list's text splits into its elements one way
only, so equal lists have equal elements), where each event apart cost a call, a
``try`` and a comparison. If the list is not shown canonical, each event is judged on
its own, as before; events holding a backslash go to the exact path before the others
are joined. The typed records are not tracked by the cyclic collector (``gc=False``:
decoded JSON holds no cycle), which otherwise walked the thousands of them a page
holds, over and over. Both together: 2.5 us per event instead of 2.8 (100k events).
"""

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgspec

from warroom.core.chain import ChainError, canonical_text

FeedRecord = tuple[str, int, str, str, bytes, tuple, dict[str, Any] | None, str | None]
"""(incident id, server seq, hash, canonical text, canonical bytes, its ``events`` row,
checkpoint, cursor): one record of the feed, its shape checked. The row is every column
``Replica.ingest_records`` inserts, in order (the envelope's, then the text, the server
seq and the hash): the catch-up's loop appends it as it is."""


class _Record(msgspec.Struct, gc=False):
    incident_id: str
    server_seq: int
    hash: str
    event: msgspec.Raw
    cursor: str | None = None
    checkpoint: dict[str, Any] | None = None


class _Page(msgspec.Struct, gc=False):
    items: list[_Record]
    cursor: str
    up_to_date: bool = True


class _Envelope(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    """Every field of ``Event``, in order of name (how the sorted encoding lists them)."""

    actor: str
    device_id: str
    device_seq: int
    id: str
    incident_id: str
    occurred_at: str
    payload: dict[str, Any]
    recorded_at: str


class _Inexact(Exception):
    """A value the fast check does not vouch for: the exact path decides."""


def _no_float(text: str) -> float:
    raise _Inexact(text)


_PAGE = msgspec.json.Decoder(_Page)
_ENVELOPE = msgspec.json.Decoder(_Envelope, float_hook=_no_float)
_ENVELOPES = msgspec.json.Decoder(list[_Envelope], float_hook=_no_float)
_SORTED = msgspec.json.Encoder(order="sorted")


@dataclass(frozen=True)
class DecodedPage:
    """A page of ``/v1/events`` or ``/v1/poll``, ready for ``Replica.ingest_records``."""

    records: list[FeedRecord]
    cursor: str
    up_to_date: bool


class GarbledPage(ValueError):
    """The answer is not JSON at all (a transport problem: fetch it again)."""


def decode_page(raw: bytes) -> DecodedPage:
    """Decode a feed page's body. Raises ``GarbledPage`` for text that is not JSON and
    ``ChainError`` for a malformed record, as the exact path always did."""
    try:
        page = _PAGE.decode(raw)
    except (msgspec.ValidationError, msgspec.DecodeError):
        return _decode_exactly(raw)
    items = page.items
    return DecodedPage(
        _records(items, [bytes(item.event) for item in items]), page.cursor, page.up_to_date
    )


def _decode_exactly(raw: bytes) -> DecodedPage:
    try:
        page = json.loads(raw)
    except ValueError:
        raise GarbledPage("not JSON") from None
    if not isinstance(page, dict) or not isinstance(page.get("cursor"), str):
        raise ChainError(f"the server sent a malformed page: {str(page)[:120]}")
    items = page.get("items") or []
    if not isinstance(items, list):
        raise ChainError(f"the server sent a malformed page: {str(page)[:120]}")
    return DecodedPage(
        [record_of(item) for item in items], page["cursor"], page.get("up_to_date", True)
    )


def _records(items: list[_Record], raws: list[bytes]) -> list[FeedRecord]:
    """The records of ``items``, whose events' raw texts are ``raws``, in order; the
    first malformed one raises, as when each was judged in turn."""
    blob = b"[" + b",".join(raws) + b"]"
    if b"\\" in blob:
        return _with_escapes(items, raws)
    try:
        events = _ENVELOPES.decode(blob)
        canonical = _SORTED.encode(events) == blob
    except (_Inexact, msgspec.ValidationError, msgspec.DecodeError):
        canonical = False
    if canonical:
        try:
            return _canonical_records(items, raws, events)
        except UnicodeDecodeError:  # msgspec refuses bad UTF-8 itself; if not, as before
            pass
    return [_fast(item, raw) for item, raw in zip(items, raws, strict=True)]


def _with_escapes(items: list[_Record], raws: list[bytes]) -> list[FeedRecord]:
    """A page some of whose events hold a backslash: those take the exact path, the
    others are checked together. If one of those is malformed, every event is judged
    in turn, so the error raised is the first one's, as before."""
    escaped = [b"\\" in raw for raw in raws]
    try:
        plain = iter(
            _records(
                [item for item, out in zip(items, escaped, strict=True) if not out],
                [raw for raw, out in zip(raws, escaped, strict=True) if not out],
            )
        )
    except ChainError:
        return [_fast(item, raw) for item, raw in zip(items, raws, strict=True)]
    return [
        _record_exactly(item, raw) if out else next(plain)
        for item, raw, out in zip(items, raws, escaped, strict=True)
    ]


def _fast(record: _Record, raw: bytes) -> FeedRecord:
    """One record, its event judged on its own: shown canonical, or the exact path."""
    try:
        if b"\\" in raw:
            raise _Inexact("an escape")
        event = _ENVELOPE.decode(raw)
        if _SORTED.encode(event) != raw:
            raise _Inexact("not canonical")
        raw.decode()
    except (_Inexact, msgspec.ValidationError, msgspec.DecodeError, UnicodeDecodeError):
        return _record_exactly(record, raw)
    return _canonical_records([record], [raw], [event])[0]


def _canonical_records(
    items: list[_Record], raws: list[bytes], events: list[_Envelope]
) -> list[FeedRecord]:
    """Records whose events' raw bytes are shown to be their canonical encoding (the
    loop of every caught-up event: ``_iso``'s common case is written out in it)."""
    records: list[FeedRecord] = []
    append = records.append
    for item, raw, event in zip(items, raws, events, strict=True):
        incident_id, seq, digest, text = item.incident_id, item.server_seq, item.hash, raw.decode()
        if event.incident_id != incident_id:
            raise ChainError(f"the server sent a malformed record: {text[:120]}")
        occurred, recorded = event.occurred_at, event.recorded_at
        row = (
            event.id,
            incident_id,
            event.payload.get("kind", ""),
            event.actor,
            occurred[:-1] + "+00:00"
            if len(occurred) in _UTC and occurred[-1] == "Z"
            else _iso(occurred),
            recorded[:-1] + "+00:00"
            if len(recorded) in _UTC and recorded[-1] == "Z"
            else _iso(recorded),
            event.device_id,
            event.device_seq,
            text,
            seq,
            digest,
        )
        append((incident_id, seq, digest, text, raw, row, item.checkpoint, item.cursor))
    return records


def _record_exactly(record: _Record, raw: bytes) -> FeedRecord:
    try:
        event = json.loads(raw)
    except ValueError:
        raise ChainError(f"the server sent a malformed record: {raw[:120]!r}") from None
    item = {
        "incident_id": record.incident_id,
        "server_seq": record.server_seq,
        "hash": record.hash,
        "event": event,
        "cursor": record.cursor,
        "checkpoint": record.checkpoint,
    }
    return record_of(item)


def record_of(item: Any) -> FeedRecord:
    """The exact path: a record decoded by ``json.loads`` (a page the typed decoder
    refused, a live frame), its shape checked before anything of it is trusted, and its
    event encoded canonically."""
    try:
        incident_id, seq, digest, event = (
            item["incident_id"],
            item["server_seq"],
            item["hash"],
            item["event"],
        )
        payload, device_seq = event["payload"], event["device_seq"]
        event_id, actor, device_id = event["id"], event["actor"], event["device_id"]
        occurred_at, recorded_at = event["occurred_at"], event["recorded_at"]
        checkpoint, cursor = item.get("checkpoint"), item.get("cursor")
        ok = (
            type(seq) is int
            and type(digest) is str
            and event["incident_id"] == incident_id
            and type(incident_id) is str
            and type(payload) is dict
            and type(device_seq) is int
            and type(event_id) is str  # the envelope's text fields, one by one
            and type(actor) is str
            and type(occurred_at) is str
            and type(recorded_at) is str
            and type(device_id) is str
        )
    except (KeyError, TypeError, AttributeError):
        ok = False
    if not ok:
        raise ChainError(f"the server sent a malformed record: {str(item)[:120]}")
    try:
        text = canonical_text(event)
        canonical = text.encode()
    except (ValueError, TypeError):  # a NaN, a lone surrogate: no canonical form
        raise ChainError(f"the server sent a malformed record: {str(item)[:120]}") from None
    row = (
        event_id,
        incident_id,
        payload.get("kind", ""),
        actor,
        _iso(occurred_at),
        _iso(recorded_at),
        device_id,
        device_seq,
        text,
        seq,
        digest,
    )
    return incident_id, seq, digest, text, canonical, row, checkpoint, cursor


_UTC = (20, 27)
"""The lengths of the model's UTC form (``...T10:00:00Z``, ``...T10:00:00.000000Z``)."""


def _iso(text: str) -> str:
    """A time in the store's own ISO form (``datetime.isoformat`` of an aware time)."""
    if text.endswith("Z") and len(text) in _UTC:  # the model's UTC form, the common case
        return text[:-1] + "+00:00"
    try:
        return datetime.fromisoformat(text).isoformat()
    except ValueError:
        raise ChainError(f"the server sent a malformed time {text[:40]!r}") from None
