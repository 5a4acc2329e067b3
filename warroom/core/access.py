"""Incident-role rules a server checks when it accepts an event.

The decision is made against the incident's folded state *at that point of the log*, by
the server, in the order it sequences events: a responder who was commander when their
severity change reached the server is allowed even if command passed on a moment later,
and a change that raced a handoff is judged by whoever held command first. Because the
state is itself the fold of the log, every decision can be re-derived from the record.

Pure: the server supplies the state and who is asking.
"""

from warroom.core import events as ev
from warroom.core.policy import Policy
from warroom.core.state import IncidentState


def _holds(state: IncidentState, person: str, roles: tuple[str, ...]) -> bool:
    return any(
        t.person == person and not t.shadow and t.role in roles and t.active for t in state.tenures
    )


def step_refusal(
    policy: Policy, state: IncidentState, mark: ev.RunbookStepMarked, actor: str
) -> str | None:
    """Why ``actor`` may not make this mark: only the approval roles complete a gate.

    Completing is ``done`` or ``skip``; anyone may claim or start an approval step (to go
    and get the approval). The step's type is read from the pinned runbook in the state,
    never from the event, so a client cannot relabel a gate.
    """
    pinned = state.runbooks.get(mark.runbook_id)
    step = pinned.step(mark.step_id) if pinned else None
    roles = policy.access.approval_steps
    if step is None or step.type != "approval" or mark.action not in ("done", "skip"):
        return None
    if _holds(state, actor, roles):
        return None
    return (
        f"completing an approval step needs the {' or '.join(roles)} of {state.id}; {actor} is not"
    )


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
        case ev.RunbookStepMarked():
            return step_refusal(policy, state, payload, actor)
    return None
