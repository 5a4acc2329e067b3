"""The write path of "learning after": action items, hypothesis outcomes and the risk
register, as methods of ``warroom.actions.WarRoom`` (which mixes this class in).

Kept out of ``actions.py`` so that module keeps one reason to change; the methods
check the intent, build one payload and go through ``WarRoom._append`` — the same
access rules as every other change, locally and on the server.
"""

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from pydantic import BaseModel

from warroom.core import events as ev
from warroom.core.errors import InvalidInput, NotFound
from warroom.core.followups import find_item
from warroom.core.ids import RISK_PREFIX, is_risk_stream, new_risk_id
from warroom.core.policy import Policy
from warroom.core.state import IncidentState
from warroom.core.timeparse import utcnow
from warroom.store.local import LocalStore

if TYPE_CHECKING:
    from collections.abc import Callable

_ITEM_CHANGES = ("status", "owner", "due", "priority", "action_type", "ticket")
_RISK_CHANGES = ("title", "likelihood", "impact", "owner", "review_at", "status")


class FollowUpActions:
    """Follow-up actions and risks; see ``WarRoom`` for ``at`` and the access rules."""

    store: LocalStore
    policy: Policy
    actor: str
    if TYPE_CHECKING:
        _current: Callable[[str], IncidentState]
        _payload: Callable[..., BaseModel]
        _append: Callable[..., ev.Event]

    # -- action items --------------------------------------------------------------------

    def add_action_item(
        self, incident_ref: str, text: str, *, at: datetime | None = None, **fields: object
    ) -> ev.Event:
        """Raise a follow-up action (a TODO); ``fields`` are owner, due, priority,
        action_type and ticket."""
        state = self._incident(incident_ref)
        payload = self._payload(ev.Todo, text=text, **_set(fields))
        return self._append(state, payload, at)

    def update_action_item(
        self,
        incident_ref: str,
        item_ref: str,
        *,
        reason: str = "",
        at: datetime | None = None,
        **changes: object,
    ) -> ev.Event:
        """Change an action item: done, reassigned, re-dated, its status, priority, type or
        ticket. A change to what it already is is refused, so the record shows real
        changes only."""
        state = self._incident(incident_ref)
        item = find_item(state, item_ref)
        wanted = _set(changes)
        unknown = set(wanted) - set(_ITEM_CHANGES)
        if unknown:
            raise InvalidInput(f"an action item has no {', '.join(sorted(unknown))}")
        if wanted and all(getattr(item, name) == value for name, value in wanted.items()):
            shown = ", ".join(f"{name.replace('_', ' ')} {value}" for name, value in wanted.items())
            raise InvalidInput(f"action item {item.event_id[:13]} already has {shown}")
        if wanted.get("status") == "wont_do" and not reason.strip():
            raise InvalidInput("to mark an action item won't do, say why (--reason)")
        payload = self._payload(
            ev.ActionItemUpdated, target_id=item.event_id, reason=reason, **wanted
        )
        return self._append(state, payload, at)

    def hypothesis_outcome(
        self,
        incident_ref: str,
        hypothesis_ref: str,
        outcome: str,
        reason: str = "",
        *,
        at: datetime | None = None,
    ) -> ev.Event:
        """Say whether a hypothesis was confirmed or ruled out (``ruled-out`` accepted)."""
        state = self._incident(incident_ref)
        verdict = outcome.strip().lower().replace("-", "_").replace(" ", "_")
        if verdict not in ("confirmed", "ruled_out"):
            raise InvalidInput(f"an outcome is confirmed or ruled-out, not {outcome!r}")
        wanted = hypothesis_ref.strip().lower()
        found = [key for key in state.hypotheses if key.startswith(wanted)]
        if len(found) != 1:
            problem = "no hypothesis" if not found else "several hypotheses"
            raise InvalidInput(f"{problem} in {state.id} with id starting {hypothesis_ref!r}")
        payload = self._payload(
            ev.HypothesisOutcome, target_id=found[0], outcome=verdict, reason=reason
        )
        return self._append(state, payload, at)

    def _incident(self, incident_ref: str) -> IncidentState:
        state = self._current(incident_ref)
        if state.risk is not None:
            raise InvalidInput(f"{state.id} is a risk of the register, not an incident")
        return state

    # -- the risk register ---------------------------------------------------------------

    def raise_risk(
        self,
        title: str,
        *,
        likelihood: str,
        impact: str,
        owner: str | None = None,
        review_at: datetime | None = None,
        description: str = "",
        at: datetime | None = None,
    ) -> ev.Event:
        """Open a risk in its own log; without a review date it is due for review after
        the policy's ``[risks] review_days``."""
        scales = self.policy.risks
        risk_id = new_risk_id()
        while self.store.has_incident(risk_id):
            risk_id = new_risk_id()
        payload = self._payload(
            ev.RiskRaised,
            title=title,
            likelihood=scales.level("likelihood", likelihood),
            impact=scales.level("impact", impact),
            owner=owner,
            review_at=review_at or (at or utcnow()) + timedelta(days=scales.review_days),
            description=description,
        )
        return self._append(None, payload, at, incident_id=risk_id)

    def update_risk(
        self, risk_ref: str, *, reason: str = "", at: datetime | None = None, **changes: object
    ) -> ev.Event:
        """Change a risk's title, likelihood, impact, owner, review date or status."""
        state = self._risk(risk_ref)
        wanted = _set(changes)
        unknown = set(wanted) - set(_RISK_CHANGES)
        if unknown:
            raise InvalidInput(f"a risk has no {', '.join(sorted(unknown))}")
        for scale in ("likelihood", "impact"):
            if scale in wanted:
                wanted[scale] = self.policy.risks.level(scale, str(wanted[scale]))
        if wanted and all(getattr(state.risk, name) == value for name, value in wanted.items()):
            raise InvalidInput(f"{state.id} already has that; nothing to change")
        payload = self._payload(ev.RiskUpdated, reason=reason, **wanted)
        return self._append(state, payload, at)

    def link_risk(
        self,
        risk_ref: str,
        incident_ref: str,
        action_ref: str | None = None,
        *,
        removed: bool = False,
        at: datetime | None = None,
    ) -> ev.Event:
        """Link a risk to an incident where it materialised or, with ``action_ref``, to one
        of its action items that mitigates it. The incident and the item must be known
        here: the risk's log cannot see the incident's, so this is where that is checked."""
        state = self._risk(risk_ref)
        incident = self._incident(incident_ref)
        action_id = find_item(incident, action_ref).event_id if action_ref else None
        links = state.risk.mitigations if action_id else state.risk.incidents
        linked = any((x.incident_id, x.action_id) == (incident.id, action_id) for x in links)
        what = f"action {action_id[:13]} of {incident.id}" if action_id else incident.id
        if linked and not removed:
            raise InvalidInput(f"{state.id} is already linked to {what}")
        if removed and not linked:
            raise InvalidInput(f"{state.id} is not linked to {what}")
        payload = self._payload(
            ev.RiskLinked, incident_ref=incident.id, action_id=action_id, removed=removed
        )
        return self._append(state, payload, at)

    def _risk(self, risk_ref: str) -> IncidentState:
        ref = risk_ref.strip().lower()
        try:
            state = self._current(ref if is_risk_stream(ref) else RISK_PREFIX + ref)
        except NotFound:
            raise NotFound(
                f"no risk {risk_ref!r}; `warroom risks list` shows the register"
            ) from None
        if state.risk is None:
            raise NotFound(f"{state.id} is not a risk; `warroom risks list` shows the register")
        return state


def _set(fields: dict[str, object]) -> dict[str, object]:
    """The fields given (``None`` means not given)."""
    return {name: value for name, value in fields.items() if value is not None}
