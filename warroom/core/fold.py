"""Fold events into incident state: pure, deterministic, prefix-composable.

``fold(events, fold(prefix))`` equals ``fold(prefix + events)`` and replaying an event
id twice changes nothing. Those two properties (property-tested) are what allow the
store to cache a folded snapshot and sync to deliver events more than once.

The fold applies no policy: it records what was said, and validation happens before an
event is written (``warroom.actions``) or accepted (the server). A log written under a
different policy therefore still folds.
"""

from collections.abc import Callable, Iterable
from datetime import datetime

from warroom.core import events as ev
from warroom.core.learning_fold import LEARNING_HANDLERS
from warroom.core.notice_fold import NOTICE_HANDLERS
from warroom.core.repin import approval_ids, keep_gates
from warroom.core.state import (
    AttachedRunbook,
    CheckMark,
    CommandRecord,
    Crossing,
    EntryFix,
    FiredStep,
    HandoffRecord,
    IncidentState,
    StatusUpdateMark,
    StepProgress,
    Tenure,
    checklist_key,
)

Handler = Callable[[IncidentState, ev.Event], None]


def fold(events: Iterable[ev.Event], state: IncidentState | None = None) -> IncidentState:
    """Apply events in order to a copy of ``state`` (or to a fresh state)."""
    events = iter(events)
    if state is None:
        first = next(events, None)
        if first is None:
            raise ValueError("cannot fold an empty log without an initial state")
        state = IncidentState(id=first.incident_id)
        apply(state, first)
    else:
        state = state.model_copy(deep=True)
    for event in events:
        apply(state, event)
    return state


def apply(state: IncidentState, event: ev.Event) -> None:
    """Apply one event in place; the only mutation point of incident state."""
    if note_event(state, event.id, event.incident_id, event.occurred_at):
        apply_effects(state, (event,))


def apply_effects(state: IncidentState, events: Iterable[ev.Event]) -> None:
    """What ``apply`` does to new events after ``note_event``; also for a store that
    noted a run of events itself, at once (``note_event``'s fields are read by no
    handler, so noting them in bulk gives the same state). Events of another incident
    are skipped, as ``note_event`` skips them. One loop, not a call per event: a store
    folds thousands at a time."""
    incident_id, handlers = state.id, _HANDLERS
    for event in events:
        if event.incident_id != incident_id:
            continue
        payload = event.payload
        handler = handlers.get(payload.kind)
        if handler is not None:
            handler(state, event)
        elif isinstance(payload, ev.UnknownPayload):
            state.unknown_count += 1


def note_event(
    state: IncidentState, event_id: str, incident_id: str, occurred_at: datetime
) -> bool:
    """The bookkeeping every event gets; False when the event is a repeat or a stranger.

    For kinds in ``INERT_KINDS`` this is the event's whole effect, so a store may call it
    with the envelope fields alone and skip validating the payload — the difference
    between folding 100k notes in a tenth of a second and in two.
    """
    if event_id in state.seen_ids or incident_id != state.id:
        return False
    state.seen_ids.add(event_id)
    state.event_count += 1
    if state.last_event_at is None or occurred_at > state.last_event_at:
        state.last_event_at = occurred_at
    return True


def _declaration(state: IncidentState, event: ev.Event) -> None:
    p: ev.Declaration = event.payload
    state.title, state.incident_type, state.severity = p.title, p.incident_type, p.severity
    state.services = list(p.services)
    state.drill = p.drill
    state.declared_by = event.actor
    state.severity_since = event.occurred_at
    state.milestones["declared"] = event.occurred_at
    state.milestones.setdefault("detected", p.detected_at or event.occurred_at)
    if p.impact_started_at:
        state.milestones.setdefault("impact_started", p.impact_started_at)
    if p.declarer_commands:
        state.tenures.append(
            Tenure(role="commander", person=event.actor, assumed_at=event.occurred_at)
        )
        state.milestones.setdefault("acknowledged", event.occurred_at)


def _severity(state: IncidentState, event: ev.Event) -> None:
    state.severity = event.payload.severity
    state.severity_since = event.occurred_at


def _escalation(state: IncidentState, event: ev.Event) -> None:
    """A ladder step on the record (``step``); the first firing of a step is the one that
    stands. An alert rule's is noted by rule, action and target (so it is made once);
    escalations made by hand change nothing here."""
    p: ev.Escalation = event.payload
    if p.step:
        fired = FiredStep(
            rule=p.rule,
            action=p.action,
            target=p.target,
            reason=p.reason,
            at=event.occurred_at,
            event_id=event.id,
            drill=p.drill,
        )
        state.fired_steps.setdefault(p.step, fired)
    elif p.rule:
        key = rule_escalation_key(p.rule, p.action, p.target)
        if key not in state.rule_escalations:
            state.rule_escalations.append(key)


def rule_escalation_key(rule: str, action: str, target: str) -> str:
    """How ``IncidentState.rule_escalations`` names an alert rule's page or notice."""
    return f"{rule}|{action}|{target}"


_STATUS_MILESTONES = {"monitoring": "mitigated", "resolved": "resolved"}


def _status(state: IncidentState, event: ev.Event) -> None:
    status = event.payload.status
    state.status = status
    milestone = _STATUS_MILESTONES.get(status)
    if milestone:
        state.milestones.setdefault(milestone, event.occurred_at)
    if status == "resolved":
        state.milestones.setdefault("mitigated", event.occurred_at)


def _reopened(state: IncidentState, event: ev.Event) -> None:
    """Back to work: the resolution no longer stands, so the next one is recorded anew."""
    state.status = event.payload.status
    state.milestones.pop("resolved", None)


def _phase(state: IncidentState, event: ev.Event) -> None:
    state.phase = event.payload.phase


def _assigned(state: IncidentState, event: ev.Event) -> None:
    p: ev.RoleAssigned = event.payload
    if any(t.person == p.person for t in state.holders(p.role)):
        return
    state.tenures.append(
        Tenure(role=p.role, person=p.person, shadow=p.shadow, assumed_at=event.occurred_at)
    )
    if p.role == "commander" and not p.shadow:
        state.milestones.setdefault("acknowledged", event.occurred_at)


def _release(state: IncidentState, role: str, person: str, at) -> None:
    for tenure in state.tenures:
        if tenure.role == role and tenure.person == person and tenure.active:
            tenure.released_at = at


def _released(state: IncidentState, event: ev.Event) -> None:
    _release(state, event.payload.role, event.payload.person, event.occurred_at)


def _handoff(state: IncidentState, event: ev.Event) -> None:
    """An offer only: the giver keeps the role until the new holder accepts it."""
    p: ev.Handoff = event.payload
    giver = p.from_person
    if giver is None:
        primaries = [t for t in state.holders(p.role) if not t.shadow]
        giver = primaries[0].person if primaries else None
    for record in state.handoffs:
        if record.role == p.role and record.pending:
            record.superseded_at = event.occurred_at
    state.handoffs.append(
        HandoffRecord(role=p.role, from_person=giver, to_person=p.to_person, at=event.occurred_at)
    )


def _handoff_accepted(state: IncidentState, event: ev.Event) -> None:
    """The handoff completes: the giver is released and the new holder seated."""
    p: ev.HandoffAccepted = event.payload
    record = state.pending_handoff(p.role)
    if record is None or record.to_person != p.person:
        return
    record.accepted_at = event.occurred_at
    if record.from_person:
        _release(state, p.role, record.from_person, event.occurred_at)
    _release(state, p.role, p.person, event.occurred_at)  # a shadow stepping up
    state.tenures.append(Tenure(role=p.role, person=p.person, assumed_at=event.occurred_at))
    if p.role == "commander":
        state.milestones.setdefault("acknowledged", event.occurred_at)


def _checklist(state: IncidentState, event: ev.Event) -> None:
    p: ev.ChecklistMarked = event.payload
    state.checklist[checklist_key(p.phase, p.item)] = CheckMark(
        checked=p.checked, by=event.actor, at=event.occurred_at, note=p.note
    )


def _correction(state: IncidentState, event: ev.Event) -> None:
    target = event.payload.target_id
    state.fixes[target] = EntryFix(by_event=event.id, text=event.payload.text)
    _fix_touches_update(state, target)


def _retraction(state: IncidentState, event: ev.Event) -> None:
    target = event.payload.target_id
    state.fixes[target] = EntryFix(by_event=event.id, text=event.payload.reason, retracted=True)
    _fix_touches_update(state, target)


def _status_update(state: IncidentState, event: ev.Event) -> None:
    audience = event.payload.audience
    state.status_updates[event.id] = StatusUpdateMark(audience=audience, at=event.occurred_at)
    if state.is_retracted(event.id):
        return
    previous = state.last_update.get(audience)
    if previous is None or event.occurred_at > previous:
        state.last_update[audience] = event.occurred_at


def _fix_touches_update(state: IncidentState, target: str) -> None:
    """A retracted status update no longer counts on the cadence clock (and a corrected
    one counts again): recompute its audience's last update."""
    mark = state.status_updates.get(target)
    if mark is None:
        return
    standing = [
        other.at
        for event_id, other in state.status_updates.items()
        if other.audience == mark.audience and not state.is_retracted(event_id)
    ]
    audience = mark.audience
    if standing:
        state.last_update[audience] = max(standing)
    else:
        state.last_update.pop(audience, None)


def _milestone(state: IncidentState, event: ev.Event) -> None:
    state.milestones[event.payload.milestone] = event.payload.at


def _services(state: IncidentState, event: ev.Event) -> None:
    state.services = list(event.payload.services)


def _runbook_attached(state: IncidentState, event: ev.Event) -> None:
    p: ev.RunbookAttached = event.payload
    pinned = state.runbooks.get(p.runbook_id)
    gates = (pinned.approval_ids if pinned else set()) | approval_ids(p.steps)
    version = {
        "title": p.title,
        "content_hash": p.content_hash,
        "source_path": p.source_path,
        "steps": keep_gates(p.steps, gates),  # an approval stays one, whatever a re-pin says
        "approval_ids": gates,
        "pinned_at": event.occurred_at,
    }
    if pinned is None:
        state.runbooks[p.runbook_id] = AttachedRunbook(
            runbook_id=p.runbook_id,
            attached_by=event.actor,
            attached_at=event.occurred_at,
            **version,
        )
    else:  # a re-pin: the new version is in use, progress carries over by step id
        for name, value in version.items():
            setattr(pinned, name, value)


def _runbook_step(state: IncidentState, event: ev.Event) -> None:
    p: ev.RunbookStepMarked = event.payload
    pinned = state.runbooks.get(p.runbook_id)
    if pinned is None:
        return  # a mark on a runbook this log never attached: nothing to show it on
    progress = pinned.progress.setdefault(p.step_id, StepProgress())
    if p.action == "claim":
        progress.owner, progress.claimed_at = event.actor, event.occurred_at
        if progress.status == "open":
            progress.status = "claimed"
    elif p.action == "start":  # also how a failed step is tried again
        progress.status, progress.started_at = "started", event.occurred_at
        progress.owner = progress.owner or event.actor
        progress.finished_at, progress.finished_by, progress.note = None, None, ""
    elif p.action == "reopen":  # a mark taken back: open again, its command runs kept
        pinned.progress[p.step_id] = StepProgress(runs=progress.runs)
    else:
        progress.status = ev.STEP_STATUS[p.action]
        progress.finished_at, progress.finished_by = event.occurred_at, event.actor
        progress.note = p.note


def _command_run(state: IncidentState, event: ev.Event) -> None:
    p: ev.CommandRun = event.payload
    pinned = state.runbooks.get(p.runbook_id)
    if pinned is None:
        return
    record = CommandRecord(
        event_id=event.id,
        by=event.actor,
        at=event.occurred_at,
        exit_code=p.exit_code,
        duration_s=p.duration_s,
    )
    pinned.progress.setdefault(p.step_id, StepProgress()).runs.append(record)


def _crossed(state: IncidentState, event: ev.Event) -> None:
    p: ev.ThresholdCrossed = event.payload
    known = state.crossings.get(p.metric)
    since = event.occurred_at if known is None else min(known.since, event.occurred_at)
    state.crossings[p.metric] = Crossing(value=p.value, since=since, at=event.occurred_at)


def _alert(state: IncidentState, event: ev.Event) -> None:
    p: ev.AlertReceived = event.payload
    if p.fingerprint:
        state.alerts[p.fingerprint] = p.status
    if p.group_key:
        state.alert_groups[p.group_key] = state.alert_groups.get(p.group_key, 0) + 1


_HANDLERS: dict[str, Handler] = {
    "declaration": _declaration,
    "severity_changed": _severity,
    "escalation": _escalation,
    "status_changed": _status,
    "reopened": _reopened,
    "phase_changed": _phase,
    "role_assigned": _assigned,
    "role_released": _released,
    "handoff": _handoff,
    "handoff_accepted": _handoff_accepted,
    "checklist_marked": _checklist,
    "correction": _correction,
    "retraction": _retraction,
    "status_update": _status_update,
    "milestone": _milestone,
    "services_changed": _services,
    "runbook_attached": _runbook_attached,
    "runbook_step": _runbook_step,
    "command_run": _command_run,
    "alert_received": _alert,
    "threshold_crossed": _crossed,
    **NOTICE_HANDLERS,
    **LEARNING_HANDLERS,
}

INERT_KINDS = frozenset(ev.KINDS) - frozenset(_HANDLERS)
"""Known kinds whose only effect on state is ``note_event`` (notes, actions, TODOs, ...)."""
