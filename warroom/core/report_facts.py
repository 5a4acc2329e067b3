"""What the report across incidents needs of one incident, projected from its record.

The report over 10,000 incidents must not fold 10,000 logs on every call, so the store
keeps this projection per incident beside the events (``store/report_facts.py``) and
refreshes it only when the log grew. It holds facts, never judgements: whether an
update was late or a review on time depends on the policy of the day, so the report
(``core/report.py``) decides that each time from these facts.

Besides the folded state it reads the few events the fold does not keep in time order
(``FACT_KINDS``: the severity history, every page, the publications) and the count of
entries per kind (is there a timeline?).
"""

from collections.abc import Iterable, Mapping
from datetime import datetime

from pydantic import BaseModel, Field

from warroom.core import events as ev
from warroom.core.followups import standing_items
from warroom.core.state import IncidentState

FACT_KINDS = ("declaration", "severity_changed", "escalation", "postmortem_published")
"""The kinds whose events ``incident_facts`` reads besides the state."""
TIMELINE_KINDS = ("decision", "observation", "action")
"""Entries that make a timeline worth the name (a review-quality criterion)."""


class PageFact(BaseModel):
    """One page that went out (an ``escalation`` with action ``page``)."""

    at: datetime
    target: str
    step: str = ""
    """The ladder step that fired it; empty for an alert rule's or a person's page."""


class ActionFact(BaseModel):
    """One standing action item, as the report counts it."""

    owner: str | None = None
    due: datetime | None = None
    status: str = "open"

    @property
    def closed(self) -> bool:
        return self.status in ("done", "wont_do")


class IncidentFacts(BaseModel):
    """One incident, as the report across incidents reads it."""

    id: str
    title: str = ""
    incident_type: str = ""
    severity: str = ""
    status: str = ""
    services: list[str] = Field(default_factory=list)
    drill: bool = False
    milestones: dict[str, datetime] = Field(default_factory=dict)
    severity_history: list[tuple[datetime, str]] = Field(default_factory=list)
    """(since, severity) from the declaration on, in log order."""
    updates: dict[str, list[datetime]] = Field(default_factory=dict)
    """When each status update went out, per audience, in time order; retracted ones
    are left out, as the cadence clock leaves them out."""
    pages: list[PageFact] = Field(default_factory=list)
    steps_fired: int = 0
    """Escalation-ladder steps fired on this incident."""
    published_at: datetime | None = None
    """The first publication of the postmortem."""
    published_url: str | None = None
    actions: list[ActionFact] = Field(default_factory=list)
    factors: int = 0
    hypotheses: int = 0
    hypotheses_settled: int = 0
    """Hypotheses with an outcome (confirmed or ruled out)."""
    timeline_entries: int = 0
    """Decisions, observations and actions on the record."""


def incident_facts(
    state: IncidentState, events: Iterable[ev.Event], kind_counts: Mapping[str, int]
) -> IncidentFacts:
    """The facts of ``state``'s incident; ``events`` are its events of ``FACT_KINDS`` in
    log order (others are ignored), ``kind_counts`` its number of entries per kind."""
    history: list[tuple[datetime, str]] = []
    pages: list[PageFact] = []
    published: ev.Event | None = None
    for event in events:
        match event.payload:
            case ev.Declaration(severity=severity) | ev.SeverityChanged(severity=severity):
                history.append((event.occurred_at, severity))
            case ev.Escalation(action="page") as page:
                pages.append(PageFact(at=event.occurred_at, target=page.target, step=page.step))
            case ev.PostmortemPublished() if published is None:
                published = event
    updates: dict[str, list[datetime]] = {}
    for event_id, mark in state.status_updates.items():
        if not state.is_retracted(event_id):
            updates.setdefault(mark.audience, []).append(mark.at)
    hypotheses = [h for h in state.hypotheses.values() if not state.is_retracted(h.event_id)]
    return IncidentFacts(
        id=state.id,
        title=state.title,
        incident_type=state.incident_type,
        severity=state.severity,
        status=state.status,
        services=list(state.services),
        drill=state.drill,
        milestones=dict(state.milestones),
        severity_history=history,
        updates={audience: sorted(times) for audience, times in sorted(updates.items())},
        pages=sorted(pages, key=lambda p: p.at),
        steps_fired=len(state.fired_steps),
        published_at=published.occurred_at if published else None,
        published_url=published.payload.url if published else None,
        actions=[
            ActionFact(owner=item.owner, due=item.due, status=item.status)
            for item in standing_items(state)
        ],
        factors=sum(not state.is_retracted(f) for f in state.factors),
        hypotheses=len(hypotheses),
        hypotheses_settled=sum(h.outcome is not None for h in hypotheses),
        timeline_entries=sum(kind_counts.get(kind, 0) for kind in TIMELINE_KINDS),
    )
