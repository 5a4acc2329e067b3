"""A realistic sample incident, written through ``WarRoom`` like any real one.

``warroom demo`` builds it in a throwaway home and opens the screen on it, so the first
thing a newcomer sees is the product at work: a SEV1 checkout outage forty minutes in,
roles held (and a handoff of command waiting for acknowledgement), a timeline of every
kind of entry, the triage checklist done and containment under way, and a rollback
runbook attached with its triage steps done and the rollback itself started.
"""

from datetime import datetime, timedelta

from warroom.actions import WarRoom
from warroom.core.runbook import Runbook
from warroom.core.timeparse import utcnow

TITLE = "Checkout API returning 502s in eu-west-1"
RUNBOOK = "bad-deploy-canary-rollback"
"""The shipped runbook the demo follows, when the runbooks folder is there."""


def build_demo(room: WarRoom, now: datetime | None = None, runbook: Runbook | None = None) -> str:
    """Write the sample incident; returns its id. Times end a minute before ``now``.

    With a ``runbook`` (a rollback runbook suits the story) it is attached and followed:
    triage steps done, approvals given by the commander, the rollback step started and
    the next step claimed.
    """
    now = now or utcnow()
    start = now - timedelta(minutes=42)

    def at(minutes: float) -> datetime:
        return start + timedelta(minutes=minutes)

    def act_as(actor: str) -> WarRoom:
        return WarRoom(room.store, room.policy, actor)

    ana, bo, chen, dee = (act_as(n) for n in ("ana", "bo", "chen", "dee"))
    iid = ana.declare(
        TITLE,
        severity="SEV2",
        incident_type="outage",
        services=["checkout-api", "payments-gateway"],
        impact_started_at=at(-6),
        detected_at=at(-2),
        at=at(0),
    ).incident_id
    ana.alert(
        iid,
        "alertmanager",
        "5xx ratio 14% on checkout-api (eu-west-1)",
        {"sev": "page"},
        at=at(0.2),
    )
    ana.assign(iid, "scribe", "bo", at=at(1))
    bo.log(
        iid,
        "p99 latency 4.2s on checkout-api, error rate 14% and rising",
        kind="observation",
        at=at(2),
    )
    ana.check(iid, "confirm-impact", note="EU card payments failing", at=at(3))
    bo.log(
        iid,
        "Release 2026.11.24-3 went out at 09:12, 6 minutes before impact",
        kind="observation",
        at=at(4),
    )
    bo.log(
        iid,
        "Bad release: connection pool size halved in the config diff",
        kind="hypothesis",
        at=at(5),
    )
    ana.set_severity(iid, "SEV1", "EU customers cannot pay", at=at(6))
    ana.check(iid, "set-severity", at=at(6.2))
    ana.assign(iid, "comms", "chen", at=at(7))
    ana.assign(iid, "sector-lead", "dee", at=at(7.5))
    ana.assign(iid, "deputy", "eli", at=at(8))
    ana.check(iid, "assign-roles", at=at(8.5))
    ana.check(iid, "open-channel", note="bridge #inc-checkout", at=at(9))
    chen.log(
        iid,
        "Checkout degraded for EU customers; we are on it.",
        kind="status_update",
        audience="internal",
        at=at(10),
    )
    ana.check(iid, "first-update", at=at(10.5))
    ana.escalate(iid, "payments-oncall", "payments-gateway timeouts in the traces", at=at(11))
    bo.log(
        iid,
        "Decided: roll back 2026.11.24-3 rather than hotfix the pool size",
        kind="decision",
        at=at(12),
    )
    ana.set_phase(iid, "containment", at=at(12.5))
    if runbook is not None:
        _follow(runbook, iid, ana, dee, bo, start + timedelta(minutes=12.8))
    dee.log(iid, "Rolling back checkout-api to 2026.11.24-2", kind="action", at=at(13))
    bo.log(iid, "Freeze deploys to checkout and payments", kind="todo", owner="eli", at=at(14))
    ana.check(iid, "freeze-changes", at=at(14.5))
    dee.log(iid, "Rollback finished on 2 of 6 pods", kind="note", at=at(17))
    slow = bo.log(
        iid, "Error rate down to 9% after partial rollback", kind="observation", at=at(19)
    )
    bo.correct(iid, slow.id, "Error rate down to 11% after partial rollback", at=at(20))
    dee.log(iid, "Rollback complete on all 6 pods", kind="action", stage="result", at=at(23))
    bo.log(iid, "Error rate 3% and falling; p99 1.1s", kind="observation", at=at(25))
    ana.log(  # comms drafts it; the commander publishes external updates
        iid,
        "Payments in the EU are recovering; next update in 20 minutes.",
        kind="status_update",
        audience="external",
        at=at(27),
    )
    bo.log(iid, "Payments gateway still timing out for 3DS flows", kind="observation", at=at(29))
    bo.log(
        iid, "3DS timeouts are the gateway's own incident, not ours", kind="hypothesis", at=at(31)
    )
    wrong = bo.log(iid, "Customer support reports duplicate charges", kind="observation", at=at(32))
    bo.correct(iid, wrong.id, "a single support ticket; not reproduced", retract=True, at=at(33))
    ana.handoff(iid, "commander", "eli", at=at(36))
    bo.log(iid, "Ana hands command to Eli for the next shift", kind="note", at=at(36.5))
    bo.log(
        iid,
        "Keep the payments-gateway team on the bridge until 3DS recovers",
        kind="decision",
        at=at(38),
    )
    ana.check(iid, "preserve-evidence", at=at(40))
    bo.log(
        iid,
        "Write up the pool-size config review for the postmortem",
        kind="todo",
        owner="dee",
        at=at(41),
    )
    return iid


def _follow(
    runbook: Runbook, iid: str, commander: WarRoom, lead: WarRoom, scribe: WarRoom, when: datetime
) -> None:
    """Attach ``runbook`` and work through it as far as the story has got."""
    minute = timedelta(minutes=1)
    commander.attach_runbook(iid, runbook, at=when)
    steps = list(runbook.walk())
    for step in steps:
        when += minute / 2
        if step.phase not in ("triage", "containment"):
            break
        if step.type == "rollback":
            lead.mark_step(iid, step.id, "start", at=when)
            following = steps[steps.index(step) + 1 :]
            if following:
                scribe.mark_step(iid, following[0].id, "claim", at=when + minute)
            return
        doer = commander if step.type == "approval" else lead
        doer.mark_step(iid, step.id, "done", at=when)
