"""The ladder's runner: each ``tick(now)`` records the steps that are due, once each.

The runner decides nothing itself: ``warroom.core.ladder`` says which steps are due, and
a ``StepWriter`` appends through the same admit as every other change — ``WarRoom`` in a
solo session (``warroom.tui.ladder_worker``), server-authored events in ``warroom serve``
(``warroom.server.ladder_task``). A firing is an ``escalation`` carrying the step's key;
the admit refuses a second one, so a runner restarted after a crash, or two racing, fire
each step once. A firing's events have ids derived from the incident and the step
(``derived_event_id``), so two runners that both saw a step due before either wrote —
two solo screens on one home — write the same events, and the store keeps the first.
Whoever calls ``tick`` decides when (a TUI worker thread, a server task,
a leader-lease holder); the runner holds no state between ticks.
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from warroom.core import events as ev
from warroom.core.errors import InvalidInput
from warroom.core.ids import derived_event_id
from warroom.core.ladder import LadderStep, due_steps, severity_raise, step_escalation
from warroom.core.policy import Policy
from warroom.core.state import IncidentState

log = logging.getLogger(__name__)

LADDER_ACTOR = "warroom:ladder"
"""Who the record says fired a step: the ladder, not whoever had the screen open."""

FINISHED = ("resolved", "closed")
"""Statuses whose incidents the ladder no longer watches."""


@dataclass(frozen=True)
class Fired:
    """One step the runner recorded, for the caller to show or log."""

    incident_id: str
    step: str
    target: str
    action: str
    event_id: str


class StepWriter(Protocol):
    """Where the runner reads incidents and appends firings (the admit checks both)."""

    policy: Policy

    def active_states(self) -> Iterable[IncidentState]:
        """The incidents not resolved or closed, as folded now."""
        ...

    def set_severity(
        self, incident_id: str, severity: str, reason: str, at: datetime, rule: str, event_id: str
    ) -> None:
        """Raise the severity as ``rule`` says; ``InvalidInput`` when the admit refuses it."""
        ...

    def escalate(
        self, incident_id: str, escalation: ev.Escalation, at: datetime, event_id: str
    ) -> ev.Event:
        """Append the firing; ``InvalidInput`` when refused (already fired, closed, ...)."""
        ...


class RoomSteps:
    """A ``StepWriter``'s two writes made through a ``WarRoom`` (the one write path) that
    ``room_for`` names per incident: the local home's, or a server-authored batch's."""

    def room_for(self, incident_id: str) -> Any:
        raise NotImplementedError

    def set_severity(
        self, incident_id: str, severity: str, reason: str, at: datetime, rule: str, event_id: str
    ) -> None:
        self.room_for(incident_id).set_severity(
            incident_id, severity, reason, at=at, rule=rule, event_id=event_id
        )

    def escalate(
        self, incident_id: str, escalation: ev.Escalation, at: datetime, event_id: str
    ) -> ev.Event:
        return self.room_for(incident_id).escalate(
            incident_id,
            escalation.target,
            escalation.reason,
            at=at,
            action=escalation.action,
            rule=escalation.rule,
            step=escalation.step,
            event_id=event_id,
        )


class LadderRunner:
    """Fires due ladder steps through a ``StepWriter``; small enough to run anywhere."""

    def __init__(self, writer: StepWriter) -> None:
        self.writer = writer

    def tick(self, now: datetime) -> list[Fired]:
        """Record every step due at ``now``; a step another runner fired first is skipped."""
        fired: list[Fired] = []
        policy = self.writer.policy
        if not policy.escalations:
            return fired
        for state in self.writer.active_states():
            for step in due_steps(policy, state, now):
                event = self._fire(state, step, now)
                if event is not None:
                    payload = event.payload
                    fired.append(
                        Fired(state.id, step.key, payload.target, payload.action, event.id)
                    )
        return fired

    def _fire(self, state: IncidentState, step: LadderStep, now: datetime) -> ev.Event | None:
        escalation = step_escalation(step, state)
        severity = severity_raise(self.writer.policy, step, state)
        if severity is not None:
            raise_id = derived_event_id(state.id, step.key, "severity")
            try:
                self.writer.set_severity(
                    state.id, severity, escalation.reason, now, step.rule.id, raise_id
                )
            except InvalidInput as refusal:
                reason = f"{escalation.reason}; could not raise to {severity}: {refusal}"
                escalation = escalation.model_copy(update={"reason": reason})
        try:
            firing_id = derived_event_id(state.id, step.key, "escalation")
            return self.writer.escalate(state.id, escalation, now, firing_id)
        except InvalidInput as refusal:  # fired meanwhile by another runner, or closed
            log.info("ladder step %s of %s not fired: %s", step.key, state.id, refusal)
            return None
