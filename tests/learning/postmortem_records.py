"""Incidents for the postmortem draft's tests and bench, written through the one write
path into a real home, at fixed times, so their drafts can be compared with golden files."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

from warroom.actions import WarRoom
from warroom.cli.runtime import Runtime
from warroom.core.runbook import parse_runbook
from warroom.demo import RUNBOOK, build_demo

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
"""The moment the records end near (and the draft's ``as_of``)."""

_RUNBOOK = b"""# Cache flush

## Triage
- [check] Confirm the cache hit ratio dropped {#ratio}
- Page the cache owners {#page}

## Containment
- [action] Flush the edge cache {#flush}
- [rollback] Restore the previous cache config {#restore}
"""


def demo_incident(home: Path) -> tuple[Runtime, str]:
    """The demo incident (``warroom demo``'s story), ending a minute before ``NOW``."""
    runtime = Runtime(home, "eli")
    entry = runtime.runbooks.catalog.entries.get(RUNBOOK)
    incident_id = build_demo(runtime.room, now=NOW, runbook=entry.runbook if entry else None)
    return runtime, incident_id


def every_kind_incident(home: Path) -> tuple[Runtime, str]:
    """An incident with an entry of every kind the draft reads, resolved and reviewed."""
    runtime = Runtime(home, "ana")
    start = NOW - timedelta(hours=6)

    def at(minutes: float) -> datetime:
        return start + timedelta(minutes=minutes)

    def person(name: str) -> WarRoom:
        return WarRoom(runtime.store, runtime.policy, name)

    ana, bo, cy = person("ana"), person("bo"), person("cy")
    iid = ana.declare(
        "Edge cache serving stale | prices",
        severity="SEV2",
        incident_type="degradation",
        services=["edge-cache", "pricing"],
        impact_started_at=at(-10),
        detected_at=at(-4),
        at=at(0),
    ).incident_id
    ana.alert(iid, "alertmanager", "cache hit ratio 12%", {"sev": "page"}, at=at(0.5))
    ana.alert(iid, "alertmanager", "cache hit ratio 9%", {"sev": "page"}, at=at(0.6))
    ana.assign(iid, "scribe", "bo", at=at(1))
    bo.log(iid, "hit ratio fell from 95% to 12%", kind="observation", at=at(2))
    bo.log(iid, "purge queue 40k deep", kind="observation", at=at(3))
    typo = bo.log(iid, "CDN config pushed at 08:55", kind="observation", at=at(4))
    bo.correct(iid, typo.id, "CDN config pushed at 08:50", at=at(4.5))
    bo.log(iid, "just chatter", kind="note", at=at(5))
    hyp_config = bo.log(iid, "The config push broke the cache keys", kind="hypothesis", at=at(6))
    hyp_dns = bo.log(iid, "DNS is sending traffic to the cold PoP", kind="hypothesis", at=at(7))
    wrong = bo.log(iid, "wrong incident", kind="hypothesis", at=at(7.5))
    bo.correct(iid, wrong.id, "logged on the wrong incident", retract=True, at=at(7.6))
    ana.set_severity(iid, "SEV1", reason="checkout prices wrong for all EU", at=at(8))
    ana.escalate(iid, "cache-oncall", "SEV1 unacknowledged", rule="sev1-unacknowledged", at=at(9))
    ana.log(
        iid,
        "Investigating stale prices at the edge",
        kind="status_update",
        audience="external",
        at=at(10),
    )
    ana.log(iid, "Roll back the CDN config", kind="decision", at=at(12))
    ana.set_phase(iid, "containment", at=at(13))
    book, problems = parse_runbook(_RUNBOOK, "cache-flush.md")
    assert book is not None, problems
    ana.attach_runbook(iid, book, at=at(14))
    cy_action = cy.log(iid, "Rolling back CDN config to v41", kind="action", at=at(15))
    cy.log(iid, "Rollback done; hit ratio 80%", kind="action", stage="result", at=at(25))
    del cy_action
    bo.mark_step(iid, "ratio", "done", at=at(15))
    bo.mark_step(iid, "page", "skip", note="owners already on the bridge", at=at(16))
    bo.mark_step(iid, "flush", "fail", note="flush API timed out", at=at(20))
    bo.hypothesis_outcome(
        iid, hyp_config.id, "confirmed", reason="diff shows key change", at=at(30)
    )
    bo.hypothesis_outcome(iid, hyp_dns.id, "ruled_out", reason="PoP traffic normal", at=at(31))
    ana.log(
        iid,
        "Prices correct again; monitoring",
        kind="status_update",
        audience="external",
        at=at(70),
    )
    ana.set_status(iid, "monitoring", at=at(72))
    ana.handoff(iid, "commander", "cy", at=at(80))
    cy.accept_handoff(iid, "commander", at=at(82))
    cy.handoff(iid, "scribe", "dee", at=at(90))  # offered, never taken
    bo.log(iid, "Config pushes skip the cache-key check", kind="contributing_factor", at=at(95))
    cy.set_status(iid, "resolved", reason="hit ratio back at 95%", at=at(320))
    todo = cy.add_action_item(
        iid,
        "Add a cache-key check to the CDN pipeline",
        owner="bo",
        due=NOW + timedelta(days=14),
        priority="high",
        action_type="preventive",
        ticket="https://tracker.example/CDN-7",
        at=at(330),
    )
    cy.add_action_item(iid, "Alert on purge queue depth", at=at(331))
    done = cy.add_action_item(iid, "Document the rollback", owner="cy", due=NOW, at=at(332))
    cy.update_action_item(iid, done.id, status="done", at=at(340))
    late = cy.add_action_item(iid, "Retire v40 config", owner="cy", due=at(335), at=at(333))
    cy.update_action_item(iid, late.id, status="wont_do", reason="v40 already gone", at=at(341))
    risk = cy.raise_risk(
        "Unchecked CDN config pushes",
        likelihood="likely",
        impact="major",
        owner="bo",
        review_at=NOW + timedelta(days=30),
        at=at(342),
    )
    cy.link_risk(risk.incident_id, iid, at=at(343))
    cy.link_risk(risk.incident_id, iid, todo.id, at=at(344))
    return runtime, iid
