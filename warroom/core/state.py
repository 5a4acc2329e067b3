"""Incident state: what the fold of an incident's events looks like right now.

These models are derived data. They are never written by hand; ``warroom.core.fold``
builds them from events, so two machines holding the same events show the same state.
"""

from datetime import datetime, timedelta

from pydantic import BaseModel, Field


class Tenure(BaseModel):
    """One person holding one role for a span of time (history is never trimmed)."""

    role: str
    person: str
    shadow: bool = False
    assumed_at: datetime
    released_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.released_at is None

    def time_in_role(self, now: datetime) -> timedelta:
        return (self.released_at or now) - self.assumed_at


class CheckMark(BaseModel):
    """The latest mark on one checklist item; marks are set, not toggled."""

    checked: bool
    by: str
    at: datetime
    note: str = ""


class HandoffRecord(BaseModel):
    role: str
    from_person: str | None
    to_person: str
    at: datetime
    accepted_at: datetime | None = None


class EntryFix(BaseModel):
    """A correction or retraction that views apply over the original entry."""

    by_event: str
    text: str
    retracted: bool = False


class IncidentState(BaseModel):
    """The folded picture of one incident."""

    id: str
    title: str = ""
    incident_type: str = ""
    severity: str = ""
    status: str = "investigating"
    phase: str = "triage"
    services: list[str] = Field(default_factory=list)
    drill: bool = False
    declared_by: str = ""
    milestones: dict[str, datetime] = Field(default_factory=dict)
    tenures: list[Tenure] = Field(default_factory=list)
    handoffs: list[HandoffRecord] = Field(default_factory=list)
    checklist: dict[str, CheckMark] = Field(default_factory=dict)
    fixes: dict[str, EntryFix] = Field(default_factory=dict)
    last_update: dict[str, datetime] = Field(default_factory=dict)
    """When the last status update went to each audience (the cadence clock)."""
    severity_since: datetime | None = None
    event_count: int = 0
    unknown_count: int = 0
    last_event_at: datetime | None = None
    seen_ids: set[str] = Field(default_factory=set, exclude=True)

    def holders(self, role: str) -> list[Tenure]:
        """Current holders of a role, primary holders before shadows."""
        active = [t for t in self.tenures if t.role == role and t.active]
        return sorted(active, key=lambda t: t.shadow)

    def roles_of(self, person: str) -> set[str]:
        return {t.role for t in self.tenures if t.person == person and t.active}

    @property
    def commander(self) -> str | None:
        primary = [t for t in self.holders("commander") if not t.shadow]
        return primary[0].person if primary else None

    def pending_handoffs(self) -> list[HandoffRecord]:
        return [h for h in self.handoffs if h.accepted_at is None]

    def is_checked(self, phase: str, item: str) -> bool:
        mark = self.checklist.get(checklist_key(phase, item))
        return bool(mark and mark.checked)


def checklist_key(phase: str, item: str) -> str:
    return f"{phase}/{item}"
