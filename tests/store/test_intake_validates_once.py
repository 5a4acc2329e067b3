"""Intake validates each alert's entry once: checked with the whole payload before the
first write, then recorded as it is (validating it again doubled the cost of an
``alert_received`` — the sanitising of every label, annotation and link)."""

from pathlib import Path

from warroom.actions import WarRoom
from warroom.core import events as ev
from warroom.core.alerts import parse_alerts
from warroom.core.policy import default_policy
from warroom.intake.apply import apply_alerts, intake_actor
from warroom.store.local import LocalStore


def _payload(count: int) -> dict:
    alert = {
        "status": "firing",
        "labels": {"alertname": "CheckoutLatencyHigh", "service": "checkout"},
        "annotations": {"summary": "Checkout p99 above 2 s", "p99_latency_ms": "2450"},
    }
    alerts = [alert | {"fingerprint": f"fp-{n}"} for n in range(count)]
    return {"version": "4", "groupKey": "g", "status": "firing", "alerts": alerts}


def test_each_alert_entry_is_validated_once(tmp_path: Path, monkeypatch):
    built: list[str] = []
    construct = ev.AlertReceived.__init__

    def counting(self, **fields) -> None:
        built.append(fields["fingerprint"])
        construct(self, **fields)

    monkeypatch.setattr(ev.AlertReceived, "__init__", counting)
    alerts = parse_alerts(_payload(3))
    with LocalStore(tmp_path / "w.db") as store:
        room = WarRoom(store, default_policy(), intake_actor(alerts), automation=True)
        applied = apply_alerts(room, alerts)
        assert {a.incident for a in applied} != {""}
        recorded = [e for e in store.events(applied[0].incident) if e.kind == "alert_received"]
    assert len(recorded) == 3
    assert sorted(built) == ["fp-0", "fp-1", "fp-2"]
