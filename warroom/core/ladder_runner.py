"""The ladder's runner: each ``tick(now)`` records the steps that are due, once each.

The runner decides nothing itself: ``warroom.core.ladder`` says which steps are due, and
a ``StepWriter`` appends through the same admit as every other change — ``WarRoom`` in a
solo session (``warroom.tui.ladder_worker``), server-authored events in ``warroom serve``
(``warroom.server.ladder_task``). A firing is an ``escalation`` carrying the step's key;
the admit refuses a second one, so a runner restarted after a crash, or two racing, fire
each step once. Whoever calls ``tick`` decides when (a TUI worker thread, a server task,
a leader-lease holder); the runner holds no state between ticks.
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from warroom.core import events as ev
from warroom.core.errors import InvalidInput
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

    def set_severity(self, incident_id: str, severity: str, reason: str, at: datetime) -> None:
        """Raise the severity; ``InvalidInput`` when the access rules refuse it."""
        ...

    def escalate(self, incident_id: str, escalation: ev.Escalation, at: datetime) -> ev.Event:
        """Append the firing; ``InvalidInput`` when refused (already fired, closed, ...)."""
        ...


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
            try:
                self.writer.set_severity(state.id, severity, escalation.reason, now)
            except InvalidInput as refusal:
                reason = f"{escalation.reason}; could not raise to {severity}: {refusal}"
                escalation = escalation.model_copy(update={"reason": reason})
        try:
            return self.writer.escalate(state.id, escalation, now)
        except InvalidInput as refusal:  # fired meanwhile by another runner, or closed
            log.info("ladder step %s of %s not fired: %s", step.key, state.id, refusal)
            return None
