"""Incident state: what the fold of an incident's events looks like right now.

These models are derived data. They are never written by hand; ``warroom.core.fold``
builds them from events, so two machines holding the same events show the same state.

The records a fold makes once per event (``CheckMark``, ``StatusUpdateMark``,
``EntryFix``, ``Crossing``; ``HypothesisRecord`` and ``FactorRecord`` in
``learning_state``) are slotted dataclasses, not models: the fold builds them from values
already validated, so a model's validation on construction (about 2 us each, a fifth of
folding such an event) checks nothing new.
Pydantic still validates them where a state is read back (a cached snapshot), and
dumps them exactly as it dumps a model.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, Field

from warroom.core.delivery_state import DeliveryRecord
from warroom.core.learning_state import ActionItem, FactorRecord, HypothesisRecord, RiskState
from warroom.core.runbook import RunbookStep, walk_steps


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


@dataclass(slots=True)
class CheckMark:
    """The latest mark on one checklist item; marks are set, not toggled."""

    checked: bool
    by: str
    at: datetime
    note: str = ""


class HandoffRecord(BaseModel):
    """One offer of a role; the role moves only when ``to_person`` accepts it."""

    role: str
    from_person: str | None
    to_person: str
    at: datetime
    """When the offer was made."""
    accepted_at: datetime | None = None
    superseded_at: datetime | None = None
    """A newer offer of the same role replaced this one before it was accepted."""

    @property
    def pending(self) -> bool:
        return self.accepted_at is None and self.superseded_at is None


@dataclass(slots=True)
class StatusUpdateMark:
    """When one status update went out, so a retraction can take it back off the clock."""

    audience: str
    at: datetime


@dataclass(slots=True)
class EntryFix:
    """A correction or retraction that views apply over the original entry."""

    by_event: str
    text: str
    retracted: bool = False


StepStatus = Literal["open", "claimed", "started", "done", "failed", "skipped"]


class CommandRecord(BaseModel):
    """One run of a step's pinned command (the output excerpt stays on the event)."""

    event_id: str
    by: str
    at: datetime
    exit_code: int | None
    duration_s: float


class StepProgress(BaseModel):
    """Where one runbook step stands; each mark sets it (last writer wins)."""

    status: StepStatus = "open"
    owner: str | None = None
    """Who claimed the step, or who started it when nobody had."""
    claimed_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    finished_by: str | None = None
    note: str = ""
    runs: list[CommandRecord] = Field(default_factory=list)


class AttachedRunbook(BaseModel):
    """A runbook pinned to the incident: the version in use, its steps, their progress.

    Progress is keyed by step id and survives a re-pin, so steps with explicit ids keep
    their marks when a fixed version of the runbook is pinned mid-incident.
    """

    runbook_id: str
    title: str
    content_hash: str
    source_path: str = ""
    attached_by: str
    attached_at: datetime
    pinned_at: datetime
    """When the version in use was pinned (``attached_at`` until the first re-pin)."""
    steps: list[RunbookStep]
    """The steps in use; a step any pin typed ``approval`` stays an approval (see
    ``approval_ids``), so a re-pin cannot lift a gate."""
    approval_ids: set[str] = Field(default_factory=set)
    """Every step id some pin of this runbook typed ``approval``."""
    progress: dict[str, StepProgress] = Field(default_factory=dict)

    def step(self, step_id: str) -> RunbookStep | None:
        return next((s for s in walk_steps(self.steps) if s.id == step_id), None)

    def progress_of(self, step_id: str) -> StepProgress:
        return self.progress.get(step_id) or StepProgress()


class FiredStep(BaseModel):
    """A ladder step the scheduler fired: on the record once, never fired again."""

    rule: str
    action: str
    """``page`` or ``notify``: what the ``escalation`` asked to go out."""
    target: str
    reason: str
    at: datetime
    event_id: str
    drill: bool = False
    """Fired on a drill incident: a drill page, for a drill channel or none."""


@dataclass(slots=True)
class Crossing:
    """A signal over its threshold, from ``threshold_crossed`` entries: since when, and
    the latest value seen."""

    value: float
    since: datetime
    at: datetime


NoticeStatus = str
"""``drafted`` (awaiting approval or needing none), ``approved``, ``returned``; delivery
adds its own (``delivered``, ``failed``), so this stays an open string."""


class NoticeState(BaseModel):
    """One notice as it stands: its current text and what was said about that text.

    ``approved_digest`` is the digest an approval was given to; the notice counts as
    approved only while it equals ``digest`` (``warroom.core.notices.ready_notices``).
    """

    draft_id: str
    audience: str
    text: str
    digest: str
    """sha256 (hex) of ``text`` encoded as UTF-8."""
    template: str = ""
    drafted_by: str
    drafted_at: datetime
    revision: int = 1
    approved_by: str | None = None
    approved_at: datetime | None = None
    approved_digest: str | None = None
    returned_by: str | None = None
    returned_reason: str = ""
    status: NoticeStatus = "drafted"


class IncidentState(BaseModel):
    """The folded picture of one incident."""

    id: str
    title: str = ""
    incident_type: str = ""
    severity: str = ""
    status: str = "investigating"
    phase: str = "triage"
    services: list[str] = Field(default_factory=list)
    alerts: dict[str, str] = Field(default_factory=dict)
    """Fingerprint → last status (firing/resolved) of every alert on the record: what
    intake deduplicates by, kept by the fold so no one re-reads the events for it."""
    alert_groups: dict[str, int] = Field(default_factory=dict)
    """Alert group (Alertmanager ``groupKey``) → how many alerts of it the record holds:
    a map, not a list, because intake looks a group up for every alert of a storm."""
    drill: bool = False
    declared_by: str = ""
    milestones: dict[str, datetime] = Field(default_factory=dict)
    tenures: list[Tenure] = Field(default_factory=list)
    handoffs: list[HandoffRecord] = Field(default_factory=list)
    checklist: dict[str, CheckMark] = Field(default_factory=dict)
    fixes: dict[str, EntryFix] = Field(default_factory=dict)
    last_update: dict[str, datetime] = Field(default_factory=dict)
    """When the last status update (not retracted) went to each audience (the cadence
    clock)."""
    status_updates: dict[str, StatusUpdateMark] = Field(default_factory=dict)
    """Every status update by event id, retracted ones included, to recompute the above."""
    runbooks: dict[str, AttachedRunbook] = Field(default_factory=dict)
    """Attached runbooks by id, in the order they were first attached."""
    deliveries: dict[str, DeliveryRecord] = Field(default_factory=dict)
    """Each delivery of a notice or page to one channel, by delivery id (``core/delivery``)."""
    notices: dict[str, NoticeState] = Field(default_factory=dict)
    """Notices by draft id, in the order first drafted."""
    action_items: dict[str, ActionItem] = Field(default_factory=dict)
    """Follow-up actions (TODOs) by the event id of their ``todo``, in the order raised."""
    hypotheses: dict[str, HypothesisRecord] = Field(default_factory=dict)
    """Hypotheses by event id, with their outcome once one is recorded."""
    factors: dict[str, FactorRecord] = Field(default_factory=dict)
    """Contributing factors by event id."""
    risk: RiskState | None = None
    """Set on a risk's own log (``risk-…``, opened by ``risk_raised``); ``None`` on an
    incident's."""
    severity_since: datetime | None = None
    crossings: dict[str, Crossing] = Field(default_factory=dict)
    """Signals that crossed a threshold, by metric (what threshold ladder steps read)."""
    rule_escalations: list[str] = Field(default_factory=list)
    """``rule|action|target`` of each page or notice an alert rule made here: a rule pages
    a target once per incident, however many of its alerts arrive."""
    fired_steps: dict[str, FiredStep] = Field(default_factory=dict)
    """Ladder steps already fired, by step key (``warroom.core.ladder``)."""
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
        """Offers waiting for the new holder's acceptance (at most one per role)."""
        return [h for h in self.handoffs if h.pending]

    def pending_handoff(self, role: str) -> HandoffRecord | None:
        """The offer of ``role`` waiting for acceptance, if any (``IC eli → bo``)."""
        return next((h for h in reversed(self.handoffs) if h.role == role and h.pending), None)

    @property
    def closed(self) -> bool:
        """A closed incident takes no entries until it is explicitly reopened."""
        return self.status == CLOSED

    def is_retracted(self, event_id: str) -> bool:
        """Whether the entry ``event_id`` was retracted (views strike it, rules skip it)."""
        fix = self.fixes.get(event_id)
        return bool(fix and fix.retracted)

    def is_checked(self, phase: str, item: str) -> bool:
        mark = self.checklist.get(checklist_key(phase, item))
        return bool(mark and mark.checked)


CLOSED = "closed"
"""The status that closes an incident's record (until a ``reopened`` entry)."""


def checklist_key(phase: str, item: str) -> str:
    return f"{phase}/{item}"
