"""The postmortem draft's data: what a team edits and publishes, built from the record.

Pure (no store, no templates): the fold gives the standing picture — roles with their
history, hypotheses with outcomes, factors, action items, runbooks, milestones and the
metrics — and one pass over the incident's events, in order of occurrence, picks the
entries that mattered for the timeline. The pass never holds the whole log: an entry
of a kind the draft does not show is skipped without being parsed, and the timeline
keeps at most ``MAX_TIMELINE`` entries, so a 100k-event incident costs what its
decisions cost, not what its chatter does.

Every value is a string ready to print (times as ``YYYY-MM-DD HH:MM:SS UTC``, spans as
``1h05m``, "unknown" where a milestone is missing), so a template only lays them out
and the same record always gives the same document: nothing here reads the clock.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from warroom.core import events as ev
from warroom.core.clocks import update_clocks
from warroom.core.delivery_state import DeliveryRecord
from warroom.core.fold import apply
from warroom.core.learning_state import RiskState
from warroom.core.metrics import DEFINITIONS, incident_metrics
from warroom.core.policy import Policy
from warroom.core.postmortem_prompts import review_prompts, stamp
from warroom.core.postmortem_sections import (
    action_items,
    hypotheses,
    linked_risks,
    responders,
    runbooks,
    shown_text,
)
from warroom.core.state import IncidentState
from warroom.core.timeparse import format_duration

MAX_TIMELINE = 500
"""Entries the draft's timeline holds at most; the rest are counted (``export`` has all)."""

TIMELINE_KINDS = frozenset(
    {
        "declaration",
        "severity_changed",
        "status_changed",
        "reopened",
        "phase_changed",
        "decision",
        "action",
        "handoff",
        "handoff_accepted",
        "escalation",
        "status_update",
        "hypothesis",
        "hypothesis_outcome",
        "contributing_factor",
        "runbook_attached",
        "milestone",
        "notice_approved",
        "notice_delivered",
    }
)
"""The kinds of entry that make the timeline of what mattered."""

_TRACKED = frozenset(
    {"declaration", "severity_changed", "status_changed", "reopened", "escalation"}
    | {"status_update", "milestone"}
)
"""Kinds the pass reads even once the timeline is full: severity history, notices,
pages and the cadence clock depend on them."""

_TURNS = frozenset({"decision", "severity_changed", "status_changed", "phase_changed"})
"""Turning points: the observation just before one is the evidence it was made on."""

_LABELS = {
    "declaration": "declared",
    "severity_changed": "severity",
    "status_changed": "status",
    "phase_changed": "phase",
    "handoff_accepted": "handoff",
    "status_update": "update",
    "hypothesis_outcome": "hypothesis",
    "contributing_factor": "factor",
    "runbook_attached": "runbook",
    "alert_received": "alert",
    "notice_approved": "notice",
    "notice_delivered": "notice",
}

RawEvent = tuple[str, "str | ev.Event"]
"""One event of the pass: its kind and either its stored JSON (parsed only when the
draft needs it) or the model itself."""


def _model(body: "str | ev.Event") -> ev.Event:
    return body if isinstance(body, ev.Event) else ev.Event.model_validate_json(body)


@dataclass
class _Pass:
    """What one pass over the events keeps."""

    state: IncidentState
    policy: Policy
    running: IncidentState
    """The fold so far of the entries the pass parsed: the cadence clock at each update."""
    timeline: list[dict] = field(default_factory=list)
    omitted: int = 0
    severities: list[dict] = field(default_factory=list)
    notices: list[dict] = field(default_factory=list)
    pages: list[ev.Event] = field(default_factory=list)
    late_updates: list[str] = field(default_factory=list)
    first_observation_seen: bool = False
    first_alert_seen: bool = False
    pending_observation: "tuple[str | ev.Event, int] | None" = None
    """The latest observation not shown yet, and where in the timeline it belongs."""

    def feed(self, kind: str, body: "str | ev.Event") -> None:
        if kind == "observation":
            if self.first_observation_seen:  # kept in its place until a turn shows it
                self.pending_observation = (body, len(self.timeline))
                return
            self.first_observation_seen = True
        elif kind == "alert_received":
            if self.first_alert_seen:
                return
            self.first_alert_seen = True
        elif kind not in TIMELINE_KINDS:
            return
        if len(self.timeline) >= MAX_TIMELINE and kind not in _TRACKED:
            self.omitted += 1  # shown nowhere else: not worth parsing
            return
        if kind in _TURNS and self.pending_observation is not None:
            pending, place = self.pending_observation
            self._entry(_model(pending), place)
            self.pending_observation = None
        event = _model(body)
        self._track(event)
        self._entry(event)

    def _track(self, event: ev.Event) -> None:
        """Severity history, notices, pages and the cadence, as the record went."""
        payload = event.payload
        if isinstance(payload, ev.Declaration | ev.SeverityChanged):
            reason = getattr(payload, "reason", "") or "declared"
            self.severities.append(
                {"at": stamp(event.occurred_at), "severity": payload.severity, "by": event.actor}
                | {"reason": reason}
            )
        elif isinstance(payload, ev.Escalation) and payload.action == "page":
            self.pages.append(event)
        if isinstance(payload, ev.StatusUpdate) and not self.state.is_retracted(event.id):
            self._check_cadence(event, payload.audience)
            text = shown_text(self.state, event.id, payload.text)
            self.notices.append(
                {"at": stamp(event.occurred_at), "audience": payload.audience, "text": text}
                | {"by": event.actor, "channel": "", "failed": ""}
            )
        if isinstance(payload, ev.StatusChanged) and payload.status == "resolved":
            for clock in update_clocks(self.policy, self.running, event.occurred_at):
                if clock.overdue:
                    late = format_duration(event.occurred_at - clock.due_at)
                    self.late_updates.append(
                        f"the {clock.audience} update due {stamp(clock.due_at)} had not gone"
                        f" out when the incident was resolved ({late} late)"
                    )
        if not self.state.is_retracted(event.id):  # a retracted update is off the clock
            apply(self.running, event)

    def _check_cadence(self, event: ev.Event, audience: str) -> None:
        for clock in update_clocks(self.policy, self.running, event.occurred_at):
            if clock.audience == audience and clock.overdue:
                late = format_duration(event.occurred_at - clock.due_at)
                self.late_updates.append(
                    f"the {audience} update of {stamp(event.occurred_at)} went out {late}"
                    f" late (due {stamp(clock.due_at)}, every {format_duration(clock.every)})"
                )

    def _outcome(self, payload: ev.HypothesisOutcome) -> str:
        """``Confirmed: <the hypothesis> — why``: the hypothesis by its text, not its id."""
        record = self.state.hypotheses.get(payload.target_id)
        said = shown_text(self.state, record.event_id, record.text) if record else payload.target_id
        verdict = payload.outcome.replace("_", " ").capitalize()
        return f"{verdict}: {said}" + (f" — {payload.reason}" if payload.reason else "")

    def _entry(self, event: ev.Event, place: int | None = None) -> None:
        if self.state.is_retracted(event.id):
            return
        if len(self.timeline) >= MAX_TIMELINE:
            self.omitted += 1
            return
        payload = event.payload
        text = ev.payload_text(payload)
        if isinstance(payload, ev.Action | ev.Decision | ev.Observation | ev.Hypothesis):
            text = shown_text(self.state, event.id, payload.text)
        elif isinstance(payload, ev.HypothesisOutcome):
            text = self._outcome(payload)
        what = _LABELS.get(event.kind, event.kind.replace("_", " "))
        if isinstance(payload, ev.Action) and payload.stage == "result":
            what = "result"
        entry = {"at": stamp(event.occurred_at), "who": event.actor, "what": what, "text": text}
        self.timeline.insert(len(self.timeline) if place is None else place, entry)


def postmortem_data(
    state: IncidentState,
    events: Iterable[RawEvent],
    policy: Policy,
    risks: Iterable[tuple[str, RiskState]] = (),
    as_of: datetime | None = None,
) -> dict:
    """The draft's data for ``state``'s incident.

    ``events`` are the incident's, in order of occurrence (then of recording). ``risks``
    are the register's risks (id, state); those linked to this incident are listed.
    ``as_of`` is the moment the draft speaks for (overdue action items); without it the
    draft speaks for the end of the record and says nothing is overdue.
    """
    running = IncidentState(id=state.id)
    walk = _Pass(state=state, policy=policy, running=running)
    for kind, body in events:
        walk.feed(kind, body)
    end = _end_of_record(state)
    prompts = review_prompts(state, policy, walk.pages, walk.late_updates, end)
    return {
        "incident": _summary(state, end),
        "severity_history": walk.severities,
        "impact": _impact(state),
        "notices": walk.notices + _delivered_notices(state),
        "metrics": _metrics(state),
        "timeline": walk.timeline,
        "timeline_omitted": walk.omitted,
        "hypotheses": hypotheses(state),
        "factors": [
            {"text": shown_text(state, f.event_id, f.text), "by": f.by, "at": stamp(f.at)}
            for f in state.factors.values()
            if not state.is_retracted(f.event_id)
        ],
        "went_well": prompts.went_well,
        "went_badly": prompts.went_badly,
        "responders": responders(state, end),
        "runbooks": runbooks(state),
        "action_items": action_items(state, as_of),
        "risks": linked_risks(state.id, risks),
        "as_of": stamp(as_of) if as_of else "",
        "event_count": state.event_count,
    }


def _end_of_record(state: IncidentState) -> datetime | None:
    """Where the draft's spans end: the resolution, or the last entry while unresolved."""
    return state.milestones.get("resolved") or state.last_event_at


def _summary(state: IncidentState, end: datetime | None) -> dict:
    began = state.milestones.get("impact_started") or state.milestones.get("declared")
    resolved = state.milestones.get("resolved")
    duration = format_duration(resolved - began) if began and resolved else "unknown"
    if began and not resolved and end:
        duration = f"unresolved; {format_duration(end - began)} to the last entry"
    return {
        "id": state.id,
        "title": state.title,
        "type": state.incident_type,
        "severity": state.severity,
        "status": state.status,
        "phase": state.phase,
        "services": list(state.services),
        "drill": state.drill,
        "declared_by": state.declared_by,
        "declared_at": stamp(state.milestones.get("declared")),
        "commander": state.commander or "nobody",
        "duration": duration,
    }


def _impact(state: IncidentState) -> dict:
    m = state.milestones
    impact = {name: stamp(m.get(name)) for name in ev.MILESTONES}
    metrics = incident_metrics(state)
    impact["to_mitigation"] = format_duration(metrics.mttm)
    impact["to_resolution"] = format_duration(metrics.mttr)
    return impact


def _metrics(state: IncidentState) -> list[dict]:
    values = incident_metrics(state).model_dump()
    return [
        {
            "name": name.upper(),
            "value": format_duration(values[name]),
            "from": start.replace("_", " "),
            "to": end.replace("_", " "),
        }
        for name, (start, end) in DEFINITIONS.items()
    ]


def _delivered_notices(state: IncidentState) -> list[dict]:
    """Notices the delivery queue sent (``notice_delivered``), at their receipt's time,
    and those a channel failed to deliver (``notice_failed``, no receipt yet), at the
    time they were released, with why: a review asks who never got the word."""
    notices = getattr(state, "notices", None) or {}
    found = []
    for delivery in (getattr(state, "deliveries", None) or {}).values():
        notice = notices.get(delivery.subject_id)
        if notice is None or not (delivery.delivered or delivery.failures):
            continue
        at = delivery.delivered_at or notice.approved_at or notice.drafted_at
        found.append(
            {"at": stamp(at), "audience": notice.audience, "text": notice.text}
            | {"by": notice.drafted_by, "channel": delivery.channel}
            | {"failed": "" if delivery.delivered else _failure(delivery)}
        )
    return sorted(found, key=lambda n: n["at"])


def _failure(delivery: DeliveryRecord) -> str:
    tries = f"{delivery.failures} attempt{'s' if delivery.failures != 1 else ''}"
    error = delivery.last_error or "no error given"
    if delivery.gave_up:
        return f"gave up after {tries} ({error})"
    return f"{tries} failed so far ({error}), still retrying"
