"""The write path of roles: assigning and releasing them, offering a role in a handoff and
accepting one, as methods of ``warroom.actions.WarRoom`` (which mixes this class in).

Kept out of ``actions.py`` so that module keeps one reason to change; a role passes only
when its new holder accepts it, as incident command practice has it, and every change
goes through ``WarRoom._append`` — the same access rules as every other change.
"""

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from pydantic import BaseModel

from warroom.core import events as ev
from warroom.core.errors import InvalidInput
from warroom.core.policy import Policy
from warroom.core.state import IncidentState
from warroom.store.local import LocalStore


class RoleActions:
    """Roles and handoffs; see ``WarRoom`` for ``at`` and the access rules."""

    store: LocalStore
    policy: Policy
    actor: str
    if TYPE_CHECKING:
        _current: Callable[[str], IncidentState]
        _payload: Callable[..., BaseModel]
        _append: Callable[..., ev.Event]

    def assign(
        self,
        incident_ref: str,
        role: str,
        person: str,
        *,
        shadow: bool = False,
        at: datetime | None = None,
    ) -> ev.Event:
        state = self._current(incident_ref)
        spec = self.policy.role(role)
        holders = state.holders(spec.id)
        if any(t.person == person.strip() for t in holders):
            raise InvalidInput(f"{person} already holds {spec.id} on {state.id}")
        primaries = [t for t in holders if not t.shadow]
        if primaries and not spec.multiple and not shadow:
            raise InvalidInput(
                f"{spec.id} is held by {primaries[0].person}; use `warroom handoff` to pass it on"
            )
        payload = self._payload(ev.RoleAssigned, role=spec.id, person=person, shadow=shadow)
        return self._append(state, payload, at)

    def release(
        self, incident_ref: str, role: str, person: str, *, at: datetime | None = None
    ) -> ev.Event:
        state = self._current(incident_ref)
        spec = self.policy.role(role)
        if not any(t.person == person.strip() for t in state.holders(spec.id)):
            raise InvalidInput(f"{person} does not hold {spec.id} on {state.id}")
        return self._append(state, self._payload(ev.RoleReleased, role=spec.id, person=person), at)

    def handoff(
        self, incident_ref: str, role: str, to_person: str, *, at: datetime | None = None
    ) -> ev.Event:
        """Offer a role to someone; it passes to them only when they accept it."""
        state = self._current(incident_ref)
        spec = self.policy.role(role)
        primaries = [t.person for t in state.holders(spec.id) if not t.shadow]
        if to_person.strip() in primaries:
            raise InvalidInput(f"{to_person} already holds {spec.id} on {state.id}")
        offered = state.pending_handoff(spec.id)
        if offered is not None and offered.to_person == to_person.strip():
            raise InvalidInput(
                f"{spec.id} of {state.id} is already offered to {offered.to_person},"
                " awaiting their acceptance"
            )
        payload = self._payload(
            ev.Handoff,
            role=spec.id,
            to_person=to_person,
            from_person=primaries[0] if primaries else None,
        )
        return self._append(state, payload, at)

    def accept_handoff(
        self, incident_ref: str, role: str = "commander", *, at: datetime | None = None
    ) -> ev.Event:
        state = self._current(incident_ref)
        spec = self.policy.role(role)
        offered = state.pending_handoff(spec.id)
        if offered is None or offered.to_person != self.actor:
            raise InvalidInput(f"no handoff of {spec.id} to {self.actor} is waiting on {state.id}")
        payload = self._payload(ev.HandoffAccepted, role=spec.id, person=self.actor)
        return self._append(state, payload, at)
