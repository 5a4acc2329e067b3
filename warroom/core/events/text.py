"""One human line per payload, as timelines, exports and notices word it.

The wording is apart from the models: it changes with how things read, they with what the
record holds.
"""

from pydantic import BaseModel

from warroom.core.events.envelope import UnknownPayload
from warroom.core.events.incident import (
    Action,
    AlertReceived,
    ChecklistMarked,
    Correction,
    Declaration,
    Escalation,
    Handoff,
    HandoffAccepted,
    MilestoneSet,
    PhaseChanged,
    Reopened,
    Retraction,
    RoleAssigned,
    RoleReleased,
    ServicesChanged,
    SeverityChanged,
    StatusChanged,
    StatusUpdate,
    ThresholdCrossed,
)
from warroom.core.events.learning import (
    ActionItemUpdated,
    ContributingFactor,
    HypothesisOutcome,
    PostmortemPublished,
    RiskLinked,
    RiskRaised,
    RiskUpdated,
    Todo,
)
from warroom.core.events.notices import (
    DeliveryRetry,
    NoticeApproved,
    NoticeDelivered,
    NoticeDrafted,
    NoticeFailed,
    NoticeReturned,
)
from warroom.core.events.steps import (
    STEP_STATUS,
    STOPPED_ON_QUIT,
    CommandRun,
    RunbookAttached,
    RunbookStepMarked,
)
from warroom.core.runbook import step_count


def payload_text(payload: BaseModel) -> str:
    """One human line describing a payload, for timelines and exports."""
    match payload:
        case Declaration():
            declared = f"Declared {payload.severity} {payload.incident_type}: {payload.title}"
            return declared + (" (the declarer takes command)" if payload.declarer_commands else "")
        case Action(stage="result"):
            return f"(result) {payload.text}"
        case Todo(owner=str() as owner):
            return f"{payload.text} (owner {owner})"
        case StatusUpdate():
            return f"[{payload.audience}] {payload.text}"
        case SeverityChanged():
            return _with_reason(f"Severity -> {payload.severity}", payload.reason)
        case StatusChanged():
            return _with_reason(f"Status -> {payload.status}", payload.reason)
        case Reopened():
            return _with_reason(f"Reopened -> {payload.status}", payload.reason)
        case PhaseChanged():
            return f"Phase -> {payload.phase}"
        case RoleAssigned():
            label = f"{payload.role} (shadow)" if payload.shadow else payload.role
            return f"{payload.person} assumed {label}"
        case RoleReleased():
            return f"{payload.person} released {payload.role}"
        case Handoff():
            giver = payload.from_person or "nobody"
            return (
                f"{payload.role} offered from {giver} to {payload.to_person} (awaiting acceptance)"
            )
        case HandoffAccepted():
            return f"{payload.person} accepted {payload.role}"
        case ChecklistMarked():
            mark = "checked" if payload.checked else "unchecked"
            return _with_reason(f"{payload.phase}/{payload.item} {mark}", payload.note)
        case Escalation(action="notify"):
            return _with_reason(f"Notify {payload.target}", payload.reason)
        case Escalation():
            return _with_reason(f"Escalated to {payload.target}", payload.reason)
        case AlertReceived(status="resolved"):
            return f"Alert resolved ({payload.source}): {payload.summary}"
        case AlertReceived():
            return f"Alert from {payload.source}: {payload.summary}"
        case ThresholdCrossed():
            detail = f"{payload.metric}={payload.value:g} crossed {payload.threshold:g}"
            return _with_reason(detail, payload.text)
        case Correction():
            return f"Correction of {payload.target_id}: {payload.text}"
        case Retraction():
            return f"Retraction of {payload.target_id}: {payload.reason}"
        case MilestoneSet():
            return f"Milestone {payload.milestone} at {payload.at.isoformat()}"
        case ServicesChanged():
            return "Services: " + (", ".join(payload.services) or "none")
        case RunbookAttached():
            version = f"version {payload.content_hash[:8]}, {step_count(payload.steps)} steps"
            if payload.replaces is None:
                return f"Runbook {payload.runbook_id} attached: {payload.title} ({version})"
            changed = "; ".join(payload.changes) or "no step type or command changed"
            return (
                f"Runbook {payload.runbook_id} re-pinned from {payload.replaces[:8]}:"
                f" {payload.title} ({version}); {changed}"
            )
        case RunbookStepMarked():
            done = "reopened" if payload.action == "reopen" else STEP_STATUS[payload.action]
            return _with_reason(f"Step {payload.runbook_id}/{payload.step_id} {done}", payload.note)
        case CommandRun():
            ran = f"Ran {payload.runbook_id}/{payload.step_id}: "
            if payload.exit_code is None:
                quit = payload.output.startswith(STOPPED_ON_QUIT)
                why = "when warroom quit" if quit else "at the timeout"
                return ran + f"stopped {why} after {payload.duration_s:.1f} s"
            return ran + f"exit {payload.exit_code} in {payload.duration_s:.1f} s"
        case NoticeDelivered():
            return f"Delivered to {payload.channel}{_timeliness(payload.late_s)}"
        case NoticeFailed():
            then = f"; next try {payload.retry_at:%H:%M:%S}" if payload.retry_at else "; gave up"
            failed = f"Delivery to {payload.channel} failed (try {payload.attempt})"
            return f"{failed}: {payload.error}{then}"
        case DeliveryRetry():
            return f"Delivery {payload.delivery_id[:12]} to be tried again"
        case NoticeDrafted():
            first_line = payload.text.strip().splitlines()[0]
            return f"Notice {payload.draft_id} drafted for {payload.audience}: {first_line}"
        case NoticeApproved():
            return f"Notice {payload.draft_id} approved (text {payload.digest[:8]})"
        case NoticeReturned():
            return f"Notice {payload.draft_id} sent back — {payload.reason}"
        case ActionItemUpdated():
            changed = f"Action {payload.target_id[:13]}: {_changes(payload)}"
            return _with_reason(changed, payload.reason)
        case HypothesisOutcome():
            verdict = payload.outcome.replace("_", " ")
            return _with_reason(f"Hypothesis {payload.target_id[:13]} {verdict}", payload.reason)
        case ContributingFactor():
            return f"Contributing factor: {payload.text}"
        case RiskRaised():
            return f"Risk raised: {payload.title} ({payload.likelihood} x {payload.impact})"
        case RiskUpdated():
            return _with_reason(f"Risk updated: {_changes(payload)}", payload.reason)
        case RiskLinked():
            target = payload.incident_ref
            target += f" action {payload.action_id[:13]}" if payload.action_id else ""
            return f"Risk {'unlinked from' if payload.removed else 'linked to'} {target}"
        case PostmortemPublished():
            return "Postmortem published" + (f" at {payload.url}" if payload.url else "")
        case UnknownPayload():
            return f"(unknown event kind {payload.kind!r})"
    return str(getattr(payload, "text", payload.kind))


def _with_reason(text: str, reason: str) -> str:
    return f"{text} — {reason}" if reason else text


def _timeliness(late_s: float | None) -> str:
    """How a delivered update met its cadence: on time, or how late."""
    if late_s is None:
        return ""
    if late_s <= 0:
        return " (on time)"
    minutes, seconds = divmod(round(late_s), 60)
    return f" ({minutes}m{seconds:02d}s late)" if minutes else f" ({seconds}s late)"


def _changes(payload: BaseModel) -> str:
    """``field=value`` for each field an update sets (its kind, target and reason aside)."""
    shown = []
    for name, value in payload:
        if name in ("kind", "target_id", "reason") or value is None:
            continue
        text = value.isoformat() if hasattr(value, "isoformat") else str(value)
        shown.append(f"{name.replace('_', ' ')} {text}")
    return ", ".join(shown)
