"""The standing sections of the postmortem draft, read off the fold: hypotheses with
their outcomes, responders with time in role, runbooks with the steps skipped or
failed and why, action items, and the register's risks linked to the incident.

Values are strings ready to print, like the rest of the draft (``core/postmortem.py``).
"""

from collections.abc import Iterable
from datetime import datetime

from warroom.core.export import entry_text
from warroom.core.followups import standing_items
from warroom.core.learning_state import RiskState
from warroom.core.postmortem_prompts import stamp
from warroom.core.runbook import walk_steps
from warroom.core.state import IncidentState
from warroom.core.timeparse import format_duration


def shown_text(state: IncidentState, event_id: str, text: str) -> str:
    """An entry's text as views show it: a correction's text over the original."""
    return entry_text(event_id, text, state)[0]


def hypotheses(state: IncidentState) -> list[dict]:
    shown = []
    for h in state.hypotheses.values():
        if state.is_retracted(h.event_id):
            continue
        shown.append(
            {
                "text": shown_text(state, h.event_id, h.text),
                "by": h.by,
                "at": stamp(h.at),
                "outcome": (h.outcome or "open").replace("_", " "),
                "reason": h.outcome_reason,
                "outcome_by": h.outcome_by or "",
                "outcome_at": stamp(h.outcome_at) if h.outcome_at else "",
            }
        )
    return shown


def responders(state: IncidentState, end: datetime | None) -> list[dict]:
    rows = []
    for t in state.tenures:
        until = t.released_at or end
        rows.append(
            {
                "person": t.person,
                "role": t.role + (" (shadow)" if t.shadow else ""),
                "from": stamp(t.assumed_at),
                "until": stamp(t.released_at) if t.released_at else "still holding",
                "time_in_role": format_duration(until - t.assumed_at if until else None),
            }
        )
    return sorted(rows, key=lambda r: (r["person"], r["from"]))


def runbooks(state: IncidentState) -> list[dict]:
    shown = []
    for pinned in state.runbooks.values():
        steps = list(walk_steps(pinned.steps))
        progress = [(step, pinned.progress_of(step.id)) for step in steps]
        trouble = [
            {
                "step": step.id,
                "title": step.title,
                "status": p.status,
                "by": p.finished_by or "",
                "reason": p.note or "no reason given",
            }
            for step, p in progress
            if p.status in ("failed", "skipped")
        ]
        shown.append(
            {
                "id": pinned.runbook_id,
                "title": pinned.title,
                "version": pinned.content_hash[:8],
                "attached_by": pinned.attached_by,
                "attached_at": stamp(pinned.attached_at),
                "done": sum(p.status == "done" for _, p in progress),
                "total": len(steps),
                "not_done": sum(p.status not in ("done", "failed", "skipped") for _, p in progress),
                "skipped_or_failed": trouble,
            }
        )
    return shown


_STATUS_WORDS = {
    "open": "open",
    "in_progress": "in progress",
    "done": "done",
    "wont_do": "won't do",
}


def action_items(state: IncidentState, as_of: datetime | None) -> list[dict]:
    return [
        {
            "text": item.text,
            "owner": item.owner or "unassigned",
            "due": item.due.strftime("%Y-%m-%d") if item.due else "no due date",
            "priority": item.priority or "unset",
            "type": item.action_type or "unset",
            "status": _STATUS_WORDS.get(item.status, item.status),
            "reason": item.reason,
            "ticket": item.ticket or "",
            "overdue": bool(as_of and item.overdue(as_of)),
        }
        for item in standing_items(state)
    ]


def linked_risks(incident_id: str, risks: Iterable[tuple[str, RiskState]]) -> list[dict]:
    linked = [
        {
            "id": risk_id,
            "title": risk.title,
            "likelihood": risk.likelihood,
            "impact": risk.impact,
            "owner": risk.owner or "nobody",
            "status": risk.status,
            "review": risk.review_at.strftime("%Y-%m-%d") if risk.review_at else "not set",
            "mitigations": len(risk.mitigations),
        }
        for risk_id, risk in risks
        if any(link.incident_id == incident_id for link in risk.incidents)
    ]
    return sorted(linked, key=lambda r: r["id"])
