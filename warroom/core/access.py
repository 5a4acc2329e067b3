"""Incident-role rules a server checks when it accepts an event.

The decision is made against the incident's folded state *at that point of the log*, by
the server, in the order it sequences events: a responder who was commander when their
severity change reached the server is allowed even if command passed on a moment later,
and a change that raced a handoff is judged by whoever held command first. Because the
state is itself the fold of the log, every decision can be re-derived from the record.

Pure: the server supplies the state and who is asking.
"""

from pydantic import BaseModel

from warroom.core import events as ev
from warroom.core.policy import Policy
from warroom.core.state import IncidentState

APPROVAL_STEP_TYPES = frozenset({"approval"})
RUNBOOK_STEP_KIND = "runbook_step"


def _holds(state: IncidentState, person: str, roles: tuple[str, ...]) -> bool:
    return any(
        t.person == person and not t.shadow and t.role in roles and t.active for t in state.tenures
    )


def _step_type(payload: BaseModel) -> str | None:
    """The type of a runbook step event, whichever field name the payload uses."""
    for field in ("step_type", "type"):
        value = getattr(payload, field, None)
        if isinstance(value, str):
            return value
    return None


def check_append(
    policy: Policy,
    state: IncidentState | None,
    event: ev.Event,
    *,
    author: str,
    admin: bool,
) -> str | None:
    """Why ``event`` may not be appended now, or ``None`` if it may.

    ``author`` is the person the request is authenticated as; ``state`` is the incident
    as folded so far (``None`` when the incident does not exist yet).
    """
    if event.actor != author and not admin:
        return f"entries from this token must be written as {author!r}, not {event.actor!r}"
    payload = event.payload
    if state is None:
        if not isinstance(payload, ev.Declaration):
            return f"{event.incident_id} does not exist on the server (its declaration is missing)"
        return None
    if isinstance(payload, ev.Declaration):
        return f"{event.incident_id} is already declared"
    if admin:
        return None
    rules = policy.access
    actor = event.actor
    vacant_declarer = (
        rules.declarer_while_vacant and state.commander is None and actor == state.declared_by
    )

    def need(roles: tuple[str, ...], what: str, *, vacancy: bool = True) -> str | None:
        if _holds(state, actor, roles) or (vacancy and vacant_declarer):
            return None
        return f"{what} needs the {' or '.join(roles)} of {state.id}; {actor} is not"

    match payload:
        case ev.SeverityChanged():
            return need(rules.severity, "changing severity")
        case ev.RoleReleased(person=person) if person == actor:
            return None
        case ev.RoleAssigned() | ev.RoleReleased():
            return need(rules.roles, "assigning roles")
        case ev.Handoff():
            return need(rules.roles, "handing off a role")
        case ev.HandoffAccepted(person=person) if person != actor:
            return f"only {person} can acknowledge a handoff to {person}"
        case ev.StatusUpdate(audience=audience) if audience in rules.approved_audiences:
            if _holds(state, actor, rules.approvers):
                return None
            return (
                f"a status update to {audience} needs the approval of the"
                f" {' or '.join(rules.approvers)}: ask them to publish it"
            )
    if event.kind == RUNBOOK_STEP_KIND and _step_type(payload) in APPROVAL_STEP_TYPES:
        return need(rules.approval_steps, "an approval step", vacancy=False)
    return None
