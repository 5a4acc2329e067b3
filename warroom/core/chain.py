"""Tamper evidence: canonical bytes, the per-incident hash chain, signed checkpoints.

The server gives every accepted event of an incident a dense sequence number and links it
to the one before: ``hash_n = sha256(hash_{n-1} || seq_n || canonical(event_n))``. Anyone
holding the events can recompute the chain, so a changed, dropped, reordered or inserted
entry breaks every hash after it. Checkpoints are the server's Ed25519 signature over
``(incident, seq, head hash)`` every N events and on resolution, so a copy of the log
(an export, a client's store) can prove what the server acknowledged without asking it.

Canonical bytes are JSON with sorted keys, no whitespace and UTF-8 text; the event is
first normalised by the model (``Event.model_dump(mode="json")``), so every client and
the server derive the same bytes from the same event. Floats are written with Python's
shortest round-trip repr; a non-Python verifier must do the same (RFC 8785 agrees for
the values the model allows). Changing any of this is a chain format change and needs a
new ``CHAIN_FORMAT``.

Pure: no I/O, no SQLite, no HTTP.
"""

import base64
import hashlib
import json
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, ValidationError

from warroom.core.canonical_json import ENCODE
from warroom.core.errors import WarroomError

if TYPE_CHECKING:  # the event model and the signature check are imported where used, so
    from warroom.core.events import Event  # a command that only reads (list) skips them

CHAIN_FORMAT = "warroom-chain/1"
CHECKPOINT_ORIGIN = "warroom-checkpoint/1"


class ChainError(WarroomError):
    """The log does not verify: something was altered, dropped, reordered or forged."""

    exit_code = 3


def canonical_bytes(value: "Event | dict[str, Any]") -> bytes:
    """The exact bytes that are hashed for an event (or any JSON-able mapping)."""
    return canonical_text(value).encode("utf-8")


def canonical_text(value: "Event | dict[str, Any]") -> str:
    """``canonical_bytes`` as text: what servers store and clients keep as the body
    (encoded once, so a caller that needs both encodes the text rather than decoding
    the bytes back)."""
    if isinstance(value, BaseModel):
        writer = _model_texts[type(value)]
        text = writer(value) if writer is not None else None
        if text is not None:
            return text
        data = value.model_dump(mode="json")
    else:
        data = value
    if ENCODE is None or type(data) is not dict:
        return json.dumps(
            data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )
    return "".join(ENCODE(data, 0))


class _ModelTexts(dict[type, Any]):
    """Per model class, the function that writes its canonical text directly (see
    ``warroom.core.event_text``), or ``None``; imported when a model is first encoded,
    so a command that only reads skips the event model."""

    def __missing__(self, kind: type) -> Any:
        from warroom.core.event_text import event_text
        from warroom.core.events import Event

        self[kind] = writer = event_text if kind is Event and ENCODE is not None else None
        return writer


_model_texts = _ModelTexts()


def genesis(incident_id: str) -> str:
    """The hash before an incident's first event, binding the chain to its incident id."""
    return hashlib.sha256(f"{CHAIN_FORMAT}|{incident_id}".encode()).hexdigest()


def link(previous: str, seq: int, canonical: bytes) -> str:
    """The hash of event number ``seq`` given the hash before it (all hex strings)."""
    digest = hashlib.sha256(bytes.fromhex(previous))
    digest.update(seq.to_bytes(8, "big"))
    digest.update(canonical)
    return digest.hexdigest()


class Head(BaseModel):
    """Where a verified chain ends: sequence number and hash (seq 0 is the genesis)."""

    model_config = ConfigDict(frozen=True)

    seq: int
    hash: str

    @classmethod
    def start(cls, incident_id: str) -> "Head":
        return cls(seq=0, hash=genesis(incident_id))


class ChainedEvent(BaseModel):
    """One event as the server sequenced it."""

    model_config = ConfigDict(frozen=True)

    server_seq: int
    hash: str
    event: dict[str, Any]


def extend(head: Head, incident_id: str, items: Iterable[tuple[int, str, bytes]]) -> Head:
    """Check that ``(seq, hash, canonical bytes)`` items continue the chain from ``head``.

    Raises ``ChainError`` naming the first bad position, so a user learns where the
    record diverges, not only that it does.
    """
    at, previous = head.seq, head.hash
    for seq, claimed, canonical in items:
        check_link(incident_id, at, previous, seq, claimed, canonical)
        at, previous = seq, claimed
    return head if at == head.seq else Head(seq=at, hash=previous)


def check_link(
    incident_id: str, at: int, previous: str, seq: int, claimed: str, canonical: bytes
) -> None:
    """Raise ``ChainError`` unless event ``seq`` with hash ``claimed`` directly follows
    the chain's position ``at`` (whose hash is ``previous``): one step of ``extend``, for
    callers that verify item by item (catch-up) without a ``Head`` per event."""
    if seq != at + 1:
        raise ChainError(
            f"{incident_id}: expected event #{at + 1} after #{at}, got #{seq}"
            " (an entry is missing, duplicated or out of order)"
        )
    expected = link(previous, seq, canonical)
    if claimed != expected:
        raise ChainError(
            f"{incident_id}: event #{seq} does not match its hash"
            f" (claimed {claimed[:16]}…, computed {expected[:16]}…): the record was altered"
        )


class Checkpoint(BaseModel):
    """A server's signature over an incident's head at one sequence number."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    incident_id: str
    seq: int
    head: str
    signed_at: datetime
    key_id: str
    signature: str

    def message(self) -> bytes:
        return checkpoint_message(self.incident_id, self.seq, self.head, self.signed_at)


def checkpoint_message(incident_id: str, seq: int, head: str, signed_at: datetime) -> bytes:
    """The signed bytes: canonical JSON of what the checkpoint vouches for."""
    return canonical_bytes(
        {
            "origin": CHECKPOINT_ORIGIN,
            "incident_id": incident_id,
            "seq": seq,
            "head": head,
            "signed_at": signed_at.isoformat(),
        }
    )


def key_id(public_key: str) -> str:
    """A short name for a public key (first 16 hex digits of its SHA-256)."""
    return hashlib.sha256(_b64(public_key)).hexdigest()[:16]


def verify_checkpoint(checkpoint: Checkpoint, public_key: str, hash_at_seq: str | None) -> None:
    """Check the signature and that the log holds the signed hash at the signed seq."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    if checkpoint.key_id != key_id(public_key):
        raise ChainError(
            f"{checkpoint.incident_id}: checkpoint #{checkpoint.seq} is signed by key"
            f" {checkpoint.key_id}, not the server key {key_id(public_key)}"
        )
    try:
        key = Ed25519PublicKey.from_public_bytes(_b64(public_key))
        key.verify(_b64(checkpoint.signature), checkpoint.message())
    except (InvalidSignature, ValueError):
        raise ChainError(
            f"{checkpoint.incident_id}: checkpoint #{checkpoint.seq} has an invalid signature"
        ) from None
    if hash_at_seq is None:
        raise ChainError(
            f"{checkpoint.incident_id}: checkpoint #{checkpoint.seq} covers an event this"
            " record does not have"
        )
    if hash_at_seq != checkpoint.head:
        raise ChainError(
            f"{checkpoint.incident_id}: event #{checkpoint.seq} differs from the signed"
            " checkpoint: the record was rewritten after the server signed it"
        )


def _b64(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except ValueError:
        raise ChainError(f"not valid base64: {text[:24]!r}") from None


class Verification(BaseModel):
    """What a verification established, for people and for ``--json``."""

    incident_id: str
    verified_events: int
    head: Head
    checkpoints_verified: int
    last_checkpoint_seq: int | None
    unsequenced_events: int = 0
    """Events present but never acknowledged by a server (pending or rejected)."""


def verify_log(
    incident_id: str,
    chained: Iterable[ChainedEvent],
    checkpoints: Iterable[Checkpoint],
    public_key: str | None,
) -> Verification:
    """Verify a whole sequenced log from its genesis, and every checkpoint over it.

    Each body is hashed as it was stored (canonicalised as a mapping, so only its content
    counts, not its spacing or key order) and must still validate as an event. Hashing the
    stored mapping rather than the model's re-encoding keeps an entry a server sequenced
    before a field with a default joined its kind verifiable after an upgrade; any edit of
    the body still changes its hash.
    """
    from warroom.core.events import Event

    head = Head.start(incident_id)
    hashes: dict[int, str] = {}

    def items() -> Iterable[tuple[int, str, bytes]]:
        for item in chained:
            try:
                event = Event.model_validate(item.event)
            except ValidationError as exc:
                raise ChainError(
                    f"{incident_id}: event #{item.server_seq} is not a valid event: "
                    f"{exc.errors()[0]['msg']}"
                ) from None
            if event.incident_id != incident_id:
                raise ChainError(
                    f"{incident_id}: event #{item.server_seq} belongs to {event.incident_id}"
                )
            hashes[item.server_seq] = item.hash
            yield item.server_seq, item.hash, canonical_bytes(item.event)

    head = extend(head, incident_id, items())
    verified = 0
    last = None
    for checkpoint in sorted(checkpoints, key=lambda c: c.seq):
        if checkpoint.incident_id != incident_id:
            raise ChainError(
                f"{incident_id}: a checkpoint for {checkpoint.incident_id} is mixed in"
            )
        if public_key is None:
            raise ChainError(
                f"{incident_id}: there are checkpoints but no server public key to check them"
            )
        verify_checkpoint(checkpoint, public_key, hashes.get(checkpoint.seq))
        verified += 1
        last = checkpoint.seq
    return Verification(
        incident_id=incident_id,
        verified_events=head.seq,
        head=head,
        checkpoints_verified=verified,
        last_checkpoint_seq=last,
    )


def verify_bundle(bundle: dict[str, Any], public_key: str | None = None) -> Verification:
    """Verify an exported JSON bundle offline (``warroom export --format json``).

    ``public_key`` pins the server key; without it the key recorded in the bundle is
    used, which proves internal consistency but not who signed.
    """
    if not isinstance(bundle, dict) or not str(bundle.get("format", "")).startswith(
        "warroom-export/"
    ):
        raise ChainError("not a warroom export bundle (no 'format': 'warroom-export/…')")
    incident_id = bundle.get("incident_id")
    events = bundle.get("events")
    if not isinstance(incident_id, str) or not isinstance(events, list):
        raise ChainError("the bundle has no 'incident_id' or no 'events' list")
    sync = bundle.get("sync")
    if not isinstance(sync, dict):
        raise ChainError(
            f"{incident_id}: the bundle has no server sequence numbers or hashes"
            " (it was exported from a warroom that never synced), so there is nothing to verify"
        )
    try:
        by_id = {e["id"]: e for e in events}
        chained = [
            ChainedEvent(
                server_seq=link_["server_seq"], hash=link_["hash"], event=by_id[link_["id"]]
            )
            for link_ in sync.get("chain", [])
        ]
        checkpoints = [Checkpoint.model_validate(c) for c in sync.get("checkpoints", [])]
    except (KeyError, TypeError, ValidationError) as exc:
        raise ChainError(
            f"{incident_id}: the bundle's chain section is malformed ({exc})"
        ) from None
    key = public_key or sync.get("public_key")
    if public_key and sync.get("public_key") and sync["public_key"] != public_key:
        raise ChainError(f"{incident_id}: the bundle was signed by a different server key")
    result = verify_log(incident_id, chained, checkpoints, key)
    head = sync.get("head")
    if isinstance(head, dict) and head != result.head.model_dump():
        raise ChainError(
            f"{incident_id}: the bundle claims head #{head.get('seq')} but its events end at"
            f" #{result.head.seq}"
        )
    result.unsequenced_events = len(events) - len(chained)
    return result
