"""The folded records of "learning after": action items, hypothesis outcomes,
contributing factors, and the risk of a ``risk-…`` log.

Derived data, like the rest of ``IncidentState``: ``warroom.core.learning_fold`` builds
them from events, so every machine holding the same events shows the same items.
"""

from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, Field


class ActionItem(BaseModel):
    """One follow-up action (a ``todo`` entry) as its updates leave it.

    ``history`` keeps the event id of every update in log order, so a view or the
    postmortem can show who changed what without re-reading the whole log.
    """

    event_id: str
    text: str
    created_by: str
    created_at: datetime
    owner: str | None = None
    due: datetime | None = None
    priority: str | None = None
    action_type: str | None = None
    ticket: str | None = None
    status: str = "open"
    reason: str = ""
    """Why it was closed as won't do (or the note of the latest status change)."""
    updated_at: datetime | None = None
    done_at: datetime | None = None
    history: list[str] = Field(default_factory=list)

    @property
    def closed(self) -> bool:
        """Done or dropped: no longer counts as open work (nor as overdue)."""
        return self.status in ("done", "wont_do")

    def overdue(self, now: datetime) -> bool:
        return not self.closed and self.due is not None and self.due < now


@dataclass(slots=True)
class HypothesisRecord:
    """A hypothesis and, once someone has said, whether it was confirmed or ruled out."""

    event_id: str
    text: str
    by: str
    at: datetime
    outcome: str | None = None
    outcome_reason: str = ""
    outcome_by: str | None = None
    outcome_at: datetime | None = None


@dataclass(slots=True)
class FactorRecord:
    """A contributing factor named on the record."""

    event_id: str
    text: str
    by: str
    at: datetime


class RiskLink(BaseModel):
    """An incident where the risk materialised, or an action item that mitigates it."""

    incident_id: str
    action_id: str | None = None
    by: str
    at: datetime


class RiskState(BaseModel):
    """One risk of the register, folded from its own ``risk-…`` log."""

    title: str
    likelihood: str
    impact: str
    owner: str | None = None
    review_at: datetime | None = None
    description: str = ""
    status: str = "open"
    raised_by: str
    raised_at: datetime
    updated_at: datetime
    incidents: list[RiskLink] = Field(default_factory=list)
    """Where it materialised, in the order they were linked."""
    mitigations: list[RiskLink] = Field(default_factory=list)
    """The action items that mitigate it, in the order they were linked."""
