"""Fold handlers for the records of "learning after" (registered by ``core/fold.py``).

Action items are TODOs plus every ``action_item_updated`` aimed at them; hypotheses
carry their latest outcome; contributing factors are listed; a ``risk-…`` log folds
into ``IncidentState.risk``. An update whose target is not in this log changes nothing
(the access rules refuse one before it is written; an old or foreign log still folds).
Pure and idempotent per event id, like the rest of the fold (``note_event`` sees to it).
"""

from collections.abc import Callable

from warroom.core import events as ev
from warroom.core.learning_state import (
    ActionItem,
    FactorRecord,
    HypothesisRecord,
    RiskLink,
    RiskState,
)
from warroom.core.state import IncidentState

_ITEM_FIELDS = ("owner", "due", "priority", "action_type", "ticket")
_RISK_FIELDS = ("title", "likelihood", "impact", "owner", "review_at", "status")


def _todo(state: IncidentState, event: ev.Event) -> None:
    p: ev.Todo = event.payload
    state.action_items[event.id] = ActionItem(
        event_id=event.id,
        text=p.text,
        created_by=event.actor,
        created_at=event.occurred_at,
        **{name: getattr(p, name) for name in _ITEM_FIELDS},
    )


def _action_item_updated(state: IncidentState, event: ev.Event) -> None:
    p: ev.ActionItemUpdated = event.payload
    item = state.action_items.get(p.target_id)
    if item is None:
        return
    for name in _ITEM_FIELDS:
        value = getattr(p, name)
        if value is not None:
            setattr(item, name, value)
    if p.status is not None:
        item.status, item.reason = p.status, p.reason
        item.done_at = event.occurred_at if p.status == "done" else None
    item.updated_at = event.occurred_at
    item.history.append(event.id)


def _hypothesis(state: IncidentState, event: ev.Event) -> None:
    state.hypotheses[event.id] = HypothesisRecord(
        event_id=event.id, text=event.payload.text, by=event.actor, at=event.occurred_at
    )


def _hypothesis_outcome(state: IncidentState, event: ev.Event) -> None:
    p: ev.HypothesisOutcome = event.payload
    record = state.hypotheses.get(p.target_id)
    if record is None:
        return
    record.outcome, record.outcome_reason = p.outcome, p.reason
    record.outcome_by, record.outcome_at = event.actor, event.occurred_at


def _factor(state: IncidentState, event: ev.Event) -> None:
    state.factors[event.id] = FactorRecord(
        event_id=event.id, text=event.payload.text, by=event.actor, at=event.occurred_at
    )


def _risk_raised(state: IncidentState, event: ev.Event) -> None:
    p: ev.RiskRaised = event.payload
    if state.risk is not None:
        return  # only the first opens the risk (the access rules allow no second)
    state.title = p.title
    state.risk = RiskState(
        title=p.title,
        likelihood=p.likelihood,
        impact=p.impact,
        owner=p.owner,
        review_at=p.review_at,
        description=p.description,
        raised_by=event.actor,
        raised_at=event.occurred_at,
        updated_at=event.occurred_at,
    )


def _risk_updated(state: IncidentState, event: ev.Event) -> None:
    p: ev.RiskUpdated = event.payload
    risk = state.risk
    if risk is None:
        return
    for name in _RISK_FIELDS:
        value = getattr(p, name)
        if value is not None:
            setattr(risk, name, value)
    state.title = risk.title
    risk.updated_at = event.occurred_at


def _risk_linked(state: IncidentState, event: ev.Event) -> None:
    p: ev.RiskLinked = event.payload
    risk = state.risk
    if risk is None:
        return
    links = risk.mitigations if p.action_id else risk.incidents
    kept = [
        link
        for link in links
        if (link.incident_id, link.action_id) != (p.incident_ref, p.action_id)
    ]
    if not p.removed:
        kept.append(
            RiskLink(
                incident_id=p.incident_ref,
                action_id=p.action_id,
                by=event.actor,
                at=event.occurred_at,
            )
        )
    links[:] = kept
    risk.updated_at = event.occurred_at


LEARNING_HANDLERS: dict[str, Callable[[IncidentState, ev.Event], None]] = {
    "todo": _todo,
    "action_item_updated": _action_item_updated,
    "hypothesis": _hypothesis,
    "hypothesis_outcome": _hypothesis_outcome,
    "contributing_factor": _factor,
    "risk_raised": _risk_raised,
    "risk_updated": _risk_updated,
    "risk_linked": _risk_linked,
}
