"""Build events for tests without a store: the fold and policy are pure."""

from datetime import UTC, datetime, timedelta
from itertools import count

from warroom.core.events import Event

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
_counter = count(1)


def make_event(
    kind: str,
    incident_id: str = "inc-test01",
    *,
    minute: float = 0,
    actor: str = "alice",
    event_id: str | None = None,
    **payload,
) -> Event:
    n = next(_counter)
    return Event(
        id=event_id or f"ev-{n:08d}",
        incident_id=incident_id,
        actor=actor,
        occurred_at=T0 + timedelta(minutes=minute),
        recorded_at=T0 + timedelta(minutes=minute),
        device_id="dev-test",
        device_seq=n,
        payload={"kind": kind, **payload},
    )


def declaration(incident_id: str = "inc-test01", **overrides) -> Event:
    fields = {"title": "Checkout 502s", "incident_type": "outage", "severity": "SEV2"} | overrides
    return make_event("declaration", incident_id, **fields)
