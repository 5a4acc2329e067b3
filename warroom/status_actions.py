"""The write path of an incident's single-valued fields and its checklist: severity,
status, reopening, phase, services, milestones and checklist marks, as methods of
``warroom.actions.WarRoom`` (which mixes this class in).

Kept out of ``actions.py`` so that module keeps one reason to change; each method checks
the intent against the policy and the state, builds one payload and goes through
``WarRoom._append`` — the same access rules as every other change.
"""

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from pydantic import BaseModel

from warroom.core import events as ev
from warroom.core.errors import InvalidInput
from warroom.core.policy import Policy
from warroom.core.state import IncidentState
from warroom.store.local import LocalStore


class StatusActions:
    """Severity, status, phase, services, milestones, checklist; see ``WarRoom``."""

    store: LocalStore
    policy: Policy
    actor: str
    if TYPE_CHECKING:
        _current: Callable[[str], IncidentState]
        _payload: Callable[..., BaseModel]
        _append: Callable[..., ev.Event]

    def set_severity(
        self,
        incident_ref: str,
        severity: str,
        reason: str = "",
        *,
        at: datetime | None = None,
        rule: str = "",
        event_id: str | None = None,
    ) -> ev.Event:
        """Change the severity; ``rule`` names the policy rule of an automatic raise."""
        state = self._current(incident_ref)
        name = self.policy.severity(severity).name
        if name == state.severity:
            raise InvalidInput(f"{state.id} is already {name}")
        payload = self._payload(ev.SeverityChanged, severity=name, reason=reason, rule=rule)
        return self._append(state, payload, at, event_id=event_id)

    def set_status(
        self, incident_ref: str, status: str, reason: str = "", *, at: datetime | None = None
    ) -> ev.Event:
        state = self._current(incident_ref)
        name = self.policy.status(status)
        if name == state.status:
            raise InvalidInput(f"{state.id} is already {name}")
        return self._append(state, self._payload(ev.StatusChanged, status=name, reason=reason), at)

    def reopen(
        self,
        incident_ref: str,
        reason: str,
        *,
        status: str = "investigating",
        at: datetime | None = None,
    ) -> ev.Event:
        """Open a closed incident again, saying why; a closed one takes nothing else."""
        state = self._current(incident_ref)
        payload = self._payload(ev.Reopened, status=self.policy.status(status), reason=reason)
        return self._append(state, payload, at)

    def set_phase(self, incident_ref: str, phase: str, *, at: datetime | None = None) -> ev.Event:
        state = self._current(incident_ref)
        name = self.policy.phase(phase).id
        if name == state.phase:
            raise InvalidInput(f"{state.id} is already in {name}")
        return self._append(state, self._payload(ev.PhaseChanged, phase=name), at)

    def set_services(
        self, incident_ref: str, services: Sequence[str], *, at: datetime | None = None
    ) -> ev.Event:
        state = self._current(incident_ref)
        return self._append(state, self._payload(ev.ServicesChanged, services=tuple(services)), at)

    def set_milestone(self, incident_ref: str, milestone: str, at: datetime) -> ev.Event:
        if milestone not in ev.MILESTONES:
            raise InvalidInput(
                f"unknown milestone {milestone!r}; choose one of {', '.join(ev.MILESTONES)}"
            )
        state = self._current(incident_ref)
        return self._append(state, self._payload(ev.MilestoneSet, milestone=milestone, at=at), None)

    # -- checklist -----------------------------------------------------------------------

    def check(
        self,
        incident_ref: str,
        item: str,
        *,
        checked: bool = True,
        note: str = "",
        at: datetime | None = None,
    ) -> ev.Event:
        state = self._current(incident_ref)
        phase, spec = self.policy.checklist_item(item, state.phase)
        if state.is_checked(phase.id, spec.id) == checked:
            word = "already checked" if checked else "not checked"
            raise InvalidInput(f"{phase.id}/{spec.id} is {word}")
        payload = self._payload(
            ev.ChecklistMarked, phase=phase.id, item=spec.id, checked=checked, note=note
        )
        return self._append(state, payload, at)
