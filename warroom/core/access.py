"""Incident-role rules a server checks when it accepts an event.

The decision is made against the incident's folded state *at that point of the log*, by
the server, in the order it sequences events: a responder who was commander when their
severity change reached the server is allowed even if command passed on a moment later,
and a change that raced a handoff is judged by whoever held command first. Because the
state is itself the fold of the log, every decision can be re-derived from the record.

Pure: the server supplies the state and who is asking.
"""

from collections.abc import Callable
from datetime import datetime

from warroom.core import events as ev
from warroom.core.automatic import automatic_raise_refusal
from warroom.core.ids import is_risk_stream
from warroom.core.kinds import kind_test
from warroom.core.ladder import fired_step_refusal
from warroom.core.learning_rules import (
    learning_refusal,
    risk_link_refusal,
    risk_log_refusal,
    wont_do_refusal,
)
from warroom.core.notices import needs_approval, notice_refusal
from warroom.core.policy import Policy
from warroom.core.repin import GATE, pin_changes
from warroom.core.review import publication_refusal
from warroom.core.state import IncidentState
from warroom.core.timeparse import utcnow
from warroom.core.validity import (
    closed_refusal,
    milestone_refusal,
    runbook_refusal,
    time_refusal,
    vocabulary_refusal,
)


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
    never from the event, so a client cannot relabel a gate — and the state keeps a step
    an approval once any pin made it one, so a re-pin cannot either.
    """
    pinned = state.runbooks.get(mark.runbook_id)
    step = pinned.step(mark.step_id) if pinned else None
    roles = policy.access.approval_steps
    if step is None or step.type != GATE or mark.action not in ("done", "skip"):
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
    now: datetime | None = None,
    automation: bool = False,
    log_of: Callable[[str], IncidentState | None] = lambda _id: None,
) -> str | None:
    """Why ``event`` may not be appended now, or ``None`` if it may.

    ``author`` is the person the request is authenticated as (the local actor when no
    server is involved); ``state`` is the incident as folded so far (``None`` when the
    incident does not exist yet). What an entry says — names the policy knows, sane
    times, milestones in order, a closed incident, steps and commands that are pinned,
    an honest re-pin — binds admins too;
    only the role rules make way for them.

    ``automation`` is for the server's own batches and the local ladder and intake only,
    never a client's push: their severity changes are judged by the policy rule they name
    (``warroom.core.automatic``) instead of by a role.

    ``log_of`` gives the state of another log by its id (``None`` when unknown), for an
    entry that names one: a risk's link names the incident and action item it links to.
    The default knows no other log, so such an entry is refused where nobody can check it.
    """
    if event.actor != author and not admin:
        return f"entries from this token must be written as {author!r}, not {event.actor!r}"
    payload = event.payload
    problem = (
        vocabulary_refusal(policy, payload)
        or time_refusal(event, now or utcnow())
        or milestone_refusal(state, event)
    )
    if problem:
        return problem
    if is_risk_stream(event.incident_id) or isinstance(payload, ev.RiskRaised):
        problem = risk_log_refusal(policy, state, event)
        if problem is None and isinstance(payload, ev.RiskLinked):
            problem = risk_link_refusal(payload, log_of(payload.incident_ref))
        return problem
    if state is None:
        if not isinstance(payload, ev.Declaration):
            return f"{event.incident_id} does not exist on the server (its declaration is missing)"
        return None if admin else _declarer_command_refusal(policy, payload)
    if isinstance(payload, ev.Declaration):
        return f"{event.incident_id} is already declared"
    problem = (
        closed_refusal(state, payload)
        or runbook_refusal(state, payload)
        or fired_step_refusal(state, payload)
        or notice_refusal(state, payload)
        or learning_refusal(state, payload)
        or publication_refusal(state, payload)
    )
    if problem is None and isinstance(payload, ev.RunbookAttached):
        problem = repin_refusal(state, payload)
    if problem or admin:
        return problem
    if automation and isinstance(payload, ev.SeverityChanged):
        return automatic_raise_refusal(policy, state, payload)
    return _role_refusal(policy, state, event)


def _declarer_command_refusal(policy: Policy, declaration: ev.Declaration) -> str | None:
    """A declaration that seats its declarer as commander is the declarer seating the first
    commander, which either rule allows; refused only when the policy allows neither."""
    rules = policy.access
    if not declaration.declarer_commands or rules.declarer_takes_command:
        return None
    if rules.declarer_while_vacant:
        return None
    return (
        "the policy does not let the declarer take command (`[access] declarer_takes_command`"
        " and `declarer_while_vacant` are off): declare without taking command"
    )


def repin_refusal(state: IncidentState, attach: ev.RunbookAttached) -> str | None:
    """Why an attachment does not say truthfully what it replaces and changes."""
    pinned = state.runbooks.get(attach.runbook_id)
    if pinned is None:
        if attach.replaces or attach.changes:
            return f"{attach.runbook_id} is not attached to {state.id}: nothing to re-pin"
        return None
    if attach.replaces != pinned.content_hash:
        return (
            f"a re-pin of {attach.runbook_id} must name the version it replaces"
            f" ({pinned.content_hash[:8]}); attach it again from the current record"
        )
    expected = pin_changes(pinned.steps, attach.steps, pinned.approval_ids)
    if tuple(attach.changes) != expected:
        listed = "; ".join(expected) or "no step type or command changed"
        return f"a re-pin of {attach.runbook_id} must list what it changes: {listed}"
    return None


_ROLE_RULED = kind_test(
    ev.SeverityChanged,
    ev.RoleAssigned,
    ev.RoleReleased,
    ev.Handoff,
    ev.HandoffAccepted,
    ev.StatusUpdate,
    ev.RunbookAttached,
    ev.RunbookStepMarked,
    ev.NoticeApproved,
    ev.NoticeReturned,
    ev.ActionItemUpdated,
)
"""The kinds ``_role_refusal``'s cases name; any other needs no role."""


def _role_refusal(policy: Policy, state: IncidentState, event: ev.Event) -> str | None:
    if not _ROLE_RULED[type(event.payload)]:
        return None  # most entries: no walk down the cases below, no closure made
    rules = policy.access
    actor = event.actor

    def need(roles: tuple[str, ...], what: str) -> str | None:
        # whether the declarer may act while command is vacant is asked only here: most
        # entries need no role, and finding the commander costs a scan of every tenure
        vacant_declarer = (
            rules.declarer_while_vacant and actor == state.declared_by and state.commander is None
        )
        if _holds(state, actor, roles) or vacant_declarer:
            return None
        refusal = f"{what} needs the {' or '.join(roles)} of {state.id}; {actor} is not"
        if state.commander is not None:
            return refusal
        if rules.declarer_while_vacant:
            return (
                f"{refusal}. Nobody holds command of {state.id} yet: its declarer"
                f" ({state.declared_by}) may, or whoever takes command"
                " (`assign commander NAME`) may"
            )
        return (
            f"{refusal}. Nobody holds command of {state.id}, and the policy lets only a"
            " server admin seat a commander while it is vacant"
        )

    payload = event.payload
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
            return f"only {person} can accept a handoff to {person}"
        case ev.StatusUpdate(audience=audience) if audience in rules.approved_audiences:
            if _holds(state, actor, rules.approvers):
                return None
            return (
                f"a status update to {audience} needs the approval of the"
                f" {' or '.join(rules.approvers)}: ask them to publish it"
            )
        case ev.RunbookAttached(runbook_id=runbook_id) if runbook_id in state.runbooks:
            return need(rules.runbooks, f"re-pinning runbook {runbook_id}")
        case ev.RunbookStepMarked():
            return step_refusal(policy, state, payload, actor)
        case ev.NoticeApproved() | ev.NoticeReturned():
            return _approval_refusal(policy, state, payload, actor)
        case ev.ActionItemUpdated(status="wont_do"):
            return wont_do_refusal(state, payload, actor, rules.roles)
    return None


def _approval_refusal(
    policy: Policy, state: IncidentState, payload: ev.NoticeApproved | ev.NoticeReturned, actor: str
) -> str | None:
    """Only the policy's approvers for a notice's audience approve it or send it back."""
    audience = state.notices[payload.draft_id].audience  # notice_refusal: it exists
    roles = needs_approval(policy, audience)
    if not roles or _holds(state, actor, roles):
        return None
    verb = "approving" if isinstance(payload, ev.NoticeApproved) else "sending back"
    who = " or ".join(roles)
    return f"{verb} a notice to {audience} needs the {who} of {state.id}; {actor} is not"
