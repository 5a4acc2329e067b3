"""What went well and what didn't: prompts the postmortem draft fills from the record.

A review starts from facts, not from memory: late updates, people who held a role long
enough to tire, pages nobody acknowledged, handoffs (made, or offered and never taken),
hypotheses left without an outcome, follow-ups without an owner or a date. Each prompt
names what the record shows, so the team argues about causes, not about what happened.
Where the record says nothing, the draft says so rather than inventing praise.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from warroom.core import events as ev
from warroom.core.export import iso_ts
from warroom.core.followups import standing_items
from warroom.core.policy import Policy
from warroom.core.state import IncidentState
from warroom.core.timeparse import format_duration

LONG_IN_ROLE = timedelta(hours=4)
"""A stretch in one role past which the draft raises fatigue (a common rotation span for
incident command; the seed's "fatigue indicators")."""


@dataclass
class Prompts:
    went_well: list[str] = field(default_factory=list)
    went_badly: list[str] = field(default_factory=list)


def stamp(moment: datetime | None) -> str:
    """How the draft prints a time: ``YYYY-MM-DD HH:MM:SS UTC``, "unknown" when missing.

    As the export prints it (``iso_ts``), from ``isoformat``: a draft of 20k hypotheses
    stamps 40k times, and ``strftime`` is five times slower."""
    return iso_ts(moment.isoformat()) if moment else "unknown"


def review_prompts(
    state: IncidentState,
    policy: Policy,
    pages: list[ev.Event],
    late_updates: list[str],
    end: datetime | None,
) -> Prompts:
    """The prompts for ``state``; ``pages`` and ``late_updates`` come from the pass over
    the events (in order of occurrence), ``end`` is where spans still open end."""
    prompts = Prompts()
    _updates(prompts, state, policy, late_updates)
    _time_in_role(prompts, state, end)
    _pages(prompts, state, policy, pages)
    _handoffs(prompts, state)
    _follow_through(prompts, state)
    return prompts


def _updates(prompts: Prompts, state: IncidentState, policy: Policy, late: list[str]) -> None:
    if late:
        prompts.went_badly += [f"Late update: {line}." for line in late]
    elif state.last_update and any(rule.severity == state.severity for rule in policy.cadence):
        audiences = ", ".join(sorted(state.last_update))
        prompts.went_well.append(f"Every status update went out on time ({audiences}).")
    elif not state.last_update:
        prompts.went_badly.append("No status update is on the record.")


def _time_in_role(prompts: Prompts, state: IncidentState, end: datetime | None) -> None:
    for tenure in state.tenures:
        until = tenure.released_at or end
        if until and until - tenure.assumed_at > LONG_IN_ROLE:
            span = format_duration(until - tenure.assumed_at)
            prompts.went_badly.append(
                f"{tenure.person} held {tenure.role} for {span} without a handoff"
                f" (longer than {format_duration(LONG_IN_ROLE)}: a fatigue risk)."
            )


def _pages(prompts: Prompts, state: IncidentState, policy: Policy, pages: list[ev.Event]) -> None:
    acknowledged = state.milestones.get("acknowledged")
    unacknowledged_rules = {r.id for r in policy.escalations if r.when == "unacknowledged"}
    complaints = []
    for page in pages:
        p: ev.Escalation = page.payload
        if acknowledged is None:
            complaints.append(
                f"The page to {p.target} at {stamp(page.occurred_at)} was never acknowledged."
            )
        elif p.rule in unacknowledged_rules:
            complaints.append(
                f"Rule {p.rule} (unacknowledged) paged {p.target} at"
                f" {stamp(page.occurred_at)}; the incident was acknowledged at"
                f" {stamp(acknowledged)}."
            )
    prompts.went_badly += complaints
    if pages and not complaints:
        prompts.went_well.append(f"Every page ({len(pages)}) was acknowledged.")


def _handoffs(prompts: Prompts, state: IncidentState) -> None:
    for h in state.handoffs:
        giver = h.from_person or "nobody"
        if h.accepted_at is not None:
            wait = format_duration(h.accepted_at - h.at)
            prompts.went_well.append(
                f"{h.role} handed from {giver} to {h.to_person} at {stamp(h.accepted_at)},"
                f" accepted {wait} after the offer."
            )
        elif h.superseded_at is None:
            prompts.went_badly.append(
                f"The handoff of {h.role} from {giver} to {h.to_person} offered at"
                f" {stamp(h.at)} was never accepted."
            )


def _follow_through(prompts: Prompts, state: IncidentState) -> None:
    open_questions = [
        h
        for h in state.hypotheses.values()
        if h.outcome is None and not state.is_retracted(h.event_id)
    ]
    if open_questions:
        prompts.went_badly.append(
            f"{len(open_questions)} hypothesis(es) have no outcome on the record"
            " (confirmed or ruled out)."
        )
    elif state.hypotheses:
        prompts.went_well.append("Every hypothesis was confirmed or ruled out on the record.")
    loose = [i for i in standing_items(state) if not i.closed and not (i.owner and i.due)]
    if loose:
        prompts.went_badly.append(f"{len(loose)} open action item(s) lack an owner or a due date.")
    for pinned in state.runbooks.values():
        for step_id, progress in pinned.progress.items():
            if progress.status in ("failed", "skipped"):
                why = progress.note or "no reason given"
                prompts.went_badly.append(
                    f"Runbook step {pinned.runbook_id}/{step_id} {progress.status}: {why}."
                )
    if not state.factors:
        prompts.went_badly.append("No contributing factor is on the record yet.")
