"""Access rules for the records of "learning after": action items, hypothesis
outcomes, contributing factors, and the risk register's own logs.

Called from ``warroom.core.access.check_append``, so the local write path and the
server judge these entries alike, against the log's fold at that point.

Why some of them are allowed on a closed incident: a postmortem is written after the
close. The review finds new follow-ups, closes or re-dates the old ones over weeks,
names contributing factors and says which hypotheses held; none of that reopens the
response, so those kinds (``events.AFTER_CLOSE_KINDS``) pass a closed incident's
refusal, and everything else still needs ``reopen``.

A risk lives in a log of its own (``risk-…``): opened by ``risk_raised``, changed by
``risk_updated`` and ``risk_linked``, and nothing else. Risk entries never go on an
incident's log, nor incident entries on a risk's. A link names an incident (and maybe
an action item) of another log, which the risk's own fold cannot see: the caller passes
that log's state (``risk_link_refusal``), the local store's locally and the server's own
on the server, so a link to an action that does not exist is refused on both alike.

Pure: the caller supplies the policy and the state.
"""

from warroom.core import events as ev
from warroom.core.errors import NotFound
from warroom.core.ids import RISK_PREFIX, is_risk_stream
from warroom.core.kinds import kind_test
from warroom.core.policy import Policy
from warroom.core.state import IncidentState

_RISK_KINDS = (ev.RiskRaised, ev.RiskUpdated, ev.RiskLinked)


_LEARNING_WORK = kind_test(*_RISK_KINDS, ev.ActionItemUpdated, ev.HypothesisOutcome)
"""The kinds ``learning_refusal``'s cases name."""


def learning_refusal(state: IncidentState, payload: object) -> str | None:
    """Why an entry of an incident's log does not fit its records: an update of an action
    item or an outcome of a hypothesis must name one of this incident, still standing."""
    if not _LEARNING_WORK[type(payload)]:
        return None  # most entries: no walk down the cases below
    match payload:
        case ev.RiskRaised() | ev.RiskUpdated() | ev.RiskLinked():
            return (
                f"{state.id} is an incident; risks are kept in the register"
                " (`warroom risks add|update|link`)"
            )
        case ev.ActionItemUpdated(target_id=target):
            if target not in state.action_items:
                return f"no action item {target[:12]!r} in {state.id}"
            return _withdrawn(state, target, "action item")
        case ev.HypothesisOutcome(target_id=target):
            if target not in state.hypotheses:
                return f"no hypothesis {target[:12]!r} in {state.id}"
            return _withdrawn(state, target, "hypothesis")
    return None


def _withdrawn(state: IncidentState, target: str, what: str) -> str | None:
    fix = state.fixes.get(target)
    if fix is not None and fix.retracted:
        return f"the {what} {target[:12]} of {state.id} was retracted: {fix.text}"
    return None


def wont_do_refusal(
    state: IncidentState, update: ev.ActionItemUpdated, actor: str, roles: tuple[str, ...]
) -> str | None:
    """Dropping a follow-up (won't do) is a decision: its owner, whoever raised it, or a
    holder of the policy's role-assigning roles (commander, deputy) makes it."""
    item = state.action_items[update.target_id]
    if actor in (item.owner, item.created_by):
        return None
    if any(t.person == actor and t.role in roles and not t.shadow for t in state.tenures):
        return None  # held at any time: after the close nobody "holds" command any more
    return (
        f"marking an action item won't do needs its owner ({item.owner or 'nobody'}),"
        f" whoever raised it ({item.created_by}) or the {' or '.join(roles)} of {state.id};"
        f" {actor} is none of them"
    )


def risk_log_refusal(policy: Policy, state: IncidentState | None, event: ev.Event) -> str | None:
    """Why ``event`` may not go on a risk's log (or open one)."""
    payload, stream = event.payload, event.incident_id
    if not is_risk_stream(stream):
        return f"a risk's log is named {RISK_PREFIX}…, not {stream!r}"
    if not isinstance(payload, _RISK_KINDS):
        return f"{stream} is a risk of the register; it takes only risk entries"
    if state is None or state.risk is None:
        if not isinstance(payload, ev.RiskRaised):
            return f"{stream} does not exist (its risk_raised entry is missing)"
    elif isinstance(payload, ev.RiskRaised):
        return f"{stream} is already raised"
    if isinstance(payload, ev.RiskLinked) and payload.removed:
        links = state.risk.mitigations if payload.action_id else state.risk.incidents
        wanted = (payload.incident_ref, payload.action_id)
        if not any((link.incident_id, link.action_id) == wanted for link in links):
            return f"{stream} has no such link to take back"
    return _scale_refusal(policy, payload)


def risk_link_refusal(link: ev.RiskLinked, incident: IncidentState | None) -> str | None:
    """Why a risk may not be linked to the incident (and action item) ``link`` names;
    ``incident`` is that log's state where the check is made (``None``: not known there).

    Taking a link back needs only the risk's own log (``risk_log_refusal``): a link made
    before an incident's entries were lost must still be removable."""
    if link.removed:
        return None
    ref = link.incident_ref
    if incident is None:
        return f"no incident {ref[:40]!r} is known here: a risk links to an incident on the record"
    if incident.risk is not None:
        return f"{ref} is a risk of the register, not an incident: link a risk to one"
    if link.action_id is None:
        return None
    if link.action_id not in incident.action_items:
        return f"no action item {link.action_id[:13]!r} in {ref}"
    return _withdrawn(incident, link.action_id, "action item")


def _scale_refusal(policy: Policy, payload: object) -> str | None:
    for scale in ("likelihood", "impact"):
        value = getattr(payload, scale, None)
        if value is None:
            continue
        try:
            known = policy.risks.level(scale, value)
        except NotFound as exc:
            return str(exc)
        if known != value:
            return f"{scale} {value!r} must be written {known!r}, as the policy has it"
    return None
