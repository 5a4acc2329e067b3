"""The hash chain and checkpoints: canonical bytes, verification, tamper detection."""

import base64
import json
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from tests.factories import declaration, make_event
from warroom.core.chain import (
    ChainedEvent,
    ChainError,
    Checkpoint,
    Head,
    canonical_bytes,
    checkpoint_message,
    extend,
    key_id,
    link,
    verify_bundle,
    verify_log,
)

INC = "inc-test01"


def _key() -> tuple[Ed25519PrivateKey, str]:
    private = Ed25519PrivateKey.generate()
    raw = private.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    return private, base64.b64encode(raw).decode()


def _chain(events) -> list[ChainedEvent]:
    head, out = Head.start(INC), []
    for seq, event in enumerate(events, 1):
        digest = link(head.hash, seq, canonical_bytes(event))
        out.append(ChainedEvent(server_seq=seq, hash=digest, event=event.model_dump(mode="json")))
        head = Head(seq=seq, hash=digest)
    return out


def _sign(private, item: ChainedEvent, public: str) -> Checkpoint:
    at = datetime(2026, 11, 24, 10, tzinfo=UTC)
    message = checkpoint_message(INC, item.server_seq, item.hash, at)
    return Checkpoint(
        incident_id=INC,
        seq=item.server_seq,
        head=item.hash,
        signed_at=at,
        key_id=key_id(public),
        signature=base64.b64encode(private.sign(message)).decode(),
    )


def _log(n: int = 5):
    return [declaration(INC)] + [make_event("note", INC, text=f"n{i}") for i in range(n - 1)]


def test_canonical_bytes_are_sorted_compact_utf8():
    event = make_event("note", INC, text="Zürich ☕")
    raw = canonical_bytes(event)
    data = json.loads(raw)
    assert (
        raw == json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    )
    assert "Zürich ☕".encode() in raw
    assert b" " not in raw.replace("Zürich ☕".encode(), b"")


@given(st.text(min_size=1, max_size=50).filter(lambda s: s.strip()))
def test_canonical_bytes_survive_a_round_trip(text):
    event = make_event("note", INC, text=text)
    again = type(event).model_validate_json(canonical_bytes(event))
    assert canonical_bytes(again) == canonical_bytes(event)


def test_a_whole_log_with_checkpoints_verifies():
    private, public = _key()
    chained = _chain(_log(6))
    checkpoints = [_sign(private, chained[2], public), _sign(private, chained[5], public)]
    result = verify_log(INC, chained, checkpoints, public)
    assert result.verified_events == 6
    assert result.checkpoints_verified == 2
    assert result.head.hash == chained[-1].hash


@pytest.mark.parametrize("tamper", ["edit", "drop", "swap", "duplicate", "other-incident"])
def test_tampering_is_detected(tamper):
    chained = _chain(_log(5))
    if tamper == "edit":
        event = dict(chained[2].event, payload={"kind": "note", "text": "rewritten"})
        chained[2] = chained[2].model_copy(update={"event": event})
    elif tamper == "drop":
        del chained[2]
    elif tamper == "swap":
        chained[1], chained[2] = chained[2], chained[1]
    elif tamper == "duplicate":
        chained.insert(2, chained[1])
    else:
        event = dict(chained[3].event, incident_id="inc-other1")
        chained[3] = chained[3].model_copy(update={"event": event})
    with pytest.raises(ChainError):
        verify_log(INC, chained, [], None)


def test_a_forged_or_foreign_checkpoint_is_refused():
    private, public = _key()
    other, other_public = _key()
    chained = _chain(_log(4))
    good = _sign(private, chained[3], public)
    forged = good.model_copy(update={"head": chained[2].hash})
    with pytest.raises(ChainError, match="invalid signature"):
        verify_log(INC, chained, [forged], public)
    with pytest.raises(ChainError, match="signed by key"):
        verify_log(INC, chained, [_sign(other, chained[3], other_public)], public)
    rewritten = _chain(_log(4))  # a whole new, self-consistent history
    with pytest.raises(ChainError, match=r"invalid signature|differs"):
        verify_log(INC, rewritten, [good], public)


def test_extend_names_the_missing_position():
    chained = _chain(_log(3))
    items = [(c.server_seq, c.hash, canonical_bytes(c.event)) for c in chained]
    head = extend(Head.start(INC), INC, items[:1])
    with pytest.raises(ChainError, match="expected event #2"):
        extend(head, INC, items[2:])


def test_bundles_verify_offline_and_refuse_junk():
    private, public = _key()
    chained = _chain(_log(4))
    bundle = {
        "format": "warroom-export/1",
        "incident_id": INC,
        "events": [c.event for c in chained],
        "sync": {
            "public_key": public,
            "head": {"seq": 4, "hash": chained[-1].hash},
            "chain": [
                {"id": c.event["id"], "server_seq": c.server_seq, "hash": c.hash} for c in chained
            ],
            "checkpoints": [_sign(private, chained[3], public).model_dump(mode="json")],
        },
    }
    assert verify_bundle(bundle).checkpoints_verified == 1
    with pytest.raises(ChainError, match="different server key"):
        verify_bundle(bundle, public_key=_key()[1])
    bundle["events"][1]["payload"]["text"] = "edited"
    with pytest.raises(ChainError, match="altered"):
        verify_bundle(bundle)
    for junk in ({}, {"format": "warroom-export/1"}, {"format": "x"}, []):
        with pytest.raises(ChainError):
            verify_bundle(junk)
    unsynced = {"format": "warroom-export/1", "incident_id": INC, "events": []}
    with pytest.raises(ChainError, match="never synced"):
        verify_bundle(unsynced)


@pytest.mark.parametrize("number", [float("nan"), float("inf"), -float("inf")])
def test_an_event_holding_a_non_finite_number_has_no_canonical_form(number):
    """Pydantic would dump it as null; the chain must refuse it instead of hashing that."""
    event = make_event("note", text="gauge", gauge={"p99": [number]})
    with pytest.raises(ValueError):
        canonical_bytes(event)
    assert canonical_bytes(make_event("note", text="gauge", gauge={"p99": [1e308]}))


def test_a_body_stored_before_a_field_was_added_still_verifies():
    """Bodies are hashed as stored: an entry a server sequenced before a field with a default
    joined its kind (an escalation before ``drill``, ``rule`` and ``step``) verifies after an
    upgrade, while an edit of it is still caught."""
    escalation = make_event("escalation", INC, target="next-tier", reason="paged")
    old_body = escalation.model_dump(mode="json")
    for added in ("drill", "rule", "step", "action"):
        old_body["payload"].pop(added, None)
    head = Head.start(INC)
    first = _chain([declaration(INC)])[0]
    head = Head(seq=1, hash=first.hash)
    digest = link(head.hash, 2, canonical_bytes(old_body))
    chained = [first, ChainedEvent(server_seq=2, hash=digest, event=old_body)]
    assert verify_log(INC, chained, [], None).verified_events == 2
    edited = dict(old_body, payload=dict(old_body["payload"], target="nobody"))
    with pytest.raises(ChainError):
        verify_log(INC, [first, chained[1].model_copy(update={"event": edited})], [], None)
