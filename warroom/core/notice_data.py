"""What a notice template may say: plain data built from the fold and the timeline.

Templates see only what is here — strings, numbers, lists and dicts, never an object
with methods — so a template has nothing to call, and the same incident always gives
a template the same data. Corrections apply and retracted entries are left out, as in
every other view of the record. Times are written for people (``14:32 UTC``).

Pure: the caller passes the incident's events and the time.
"""

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from warroom.core import events as ev
from warroom.core.clocks import update_clocks
from warroom.core.policy import Policy
from warroom.core.state import IncidentState

LATEST = {"decision": 3, "action": 5, "observation": 3, "todo": 5}
"""How many of the newest entries of each kind a template is given."""


def clock(moment: datetime | None) -> str:
    """A time as a notice says it: ``14:32 UTC`` (empty when unknown)."""
    return moment.astimezone(UTC).strftime("%H:%M UTC") if moment else ""


def notice_context(
    policy: Policy,
    state: IncidentState,
    events: Iterable[ev.Event],
    audience: str,
    now: datetime,
) -> dict[str, Any]:
    """The variables a template for ``audience`` is rendered with."""
    latest = _latest_entries(state, events)
    clocks = update_clocks(policy, state, now)
    due = next((c.due_at for c in clocks if c.audience == audience), None)
    severity = next((s for s in policy.severities if s.name == state.severity), None)
    return {
        "incident": {
            "id": state.id,
            "title": state.title,
            "type": state.incident_type,
            "severity": state.severity,
            "severity_description": severity.description if severity else "",
            "major": bool(severity and severity.major),
            "status": state.status,
            "phase": state.phase,
            "services": list(state.services),
            "drill": state.drill,
            "commander": state.commander or "",
            "declared_at": clock(state.milestones.get("declared")),
            "impact_started_at": clock(state.milestones.get("impact_started")),
            "mitigated_at": clock(state.milestones.get("mitigated")),
            "resolved_at": clock(state.milestones.get("resolved")),
        },
        "roles": {t.role: t.person for t in reversed(state.tenures) if t.active and not t.shadow},
        "audience": audience,
        "now": clock(now),
        "next_update_at": clock(due),
        "decisions": latest["decision"],
        "actions": latest["action"],
        "observations": latest["observation"],
        "todos": latest["todo"],
    }


def _latest_entries(
    state: IncidentState, events: Iterable[ev.Event]
) -> dict[str, list[dict[str, str]]]:
    """The newest entries of each kind in ``LATEST``, oldest first, as corrected."""
    found: dict[str, list[dict[str, str]]] = {kind: [] for kind in LATEST}
    for event in events:
        entries = found.get(event.kind)
        if entries is None:
            continue
        fix = state.fixes.get(event.id)
        if fix and fix.retracted:
            continue
        entry = {
            "text": fix.text if fix else event.payload.text,
            "at": clock(event.occurred_at),
            "by": event.actor,
        }
        if isinstance(event.payload, ev.Action):
            entry["stage"] = event.payload.stage
        entries.append(entry)
        if len(entries) > LATEST[event.kind]:
            del entries[0]
    return found
