"""The event model: every change to an incident is one of these, appended, never edited.

An ``Event`` is an envelope (who, when, from which device) around a payload whose
``kind`` field discriminates the union below. Kinds this version does not know — written
by a newer client — validate as ``UnknownPayload`` and keep every field, so an older
client shows them as unknown instead of crashing or dropping them.
"""

from typing import Annotated, Any, Literal, Self

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    StringConstraints,
    Tag,
    TypeAdapter,
    model_validator,
)

from warroom.core.runbook import RunbookStep

MAX_TEXT = 10_000
"""Longest free text accepted in one entry; a runaway paste should not bloat the log."""

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_TEXT)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_TEXT)]

Milestone = Literal[
    "impact_started", "detected", "acknowledged", "declared", "mitigated", "resolved"
]
MILESTONES: tuple[str, ...] = Milestone.__args__


class _Payload(BaseModel):
    """Base of every known payload.

    Extra fields are kept, not refused: a newer warroom may add a field to a known kind,
    and an older client must still fold the event and pass the field on unchanged (the
    stored body, the export and the hash chain all see it verbatim).
    """

    model_config = ConfigDict(frozen=True, extra="allow")


class Declaration(_Payload):
    """Opens an incident; always the first event of its log."""

    kind: Literal["declaration"] = "declaration"
    title: Text
    incident_type: Name
    severity: Name
    services: tuple[Name, ...] = ()
    drill: bool = False
    impact_started_at: AwareDatetime | None = None
    detected_at: AwareDatetime | None = None


class Note(_Payload):
    kind: Literal["note"] = "note"
    text: Text


class Observation(_Payload):
    kind: Literal["observation"] = "observation"
    text: Text


class Decision(_Payload):
    kind: Literal["decision"] = "decision"
    text: Text


class Hypothesis(_Payload):
    kind: Literal["hypothesis"] = "hypothesis"
    text: Text


class Action(_Payload):
    """Something done; ``stage`` separates starting it from reporting its result."""

    kind: Literal["action"] = "action"
    text: Text
    stage: Literal["started", "result"] = "started"
    refers_to: str | None = None


class Todo(_Payload):
    """A follow-up, possibly with an owner and a due time."""

    kind: Literal["todo"] = "todo"
    text: Text
    owner: Name | None = None
    due: AwareDatetime | None = None


class StatusUpdate(_Payload):
    """A message sent (or to be sent) to an audience; the cadence clock watches these."""

    kind: Literal["status_update"] = "status_update"
    text: Text
    audience: Name = "internal"


class SeverityChanged(_Payload):
    kind: Literal["severity_changed"] = "severity_changed"
    severity: Name
    reason: Reason = ""


class StatusChanged(_Payload):
    kind: Literal["status_changed"] = "status_changed"
    status: Name
    reason: Reason = ""


class PhaseChanged(_Payload):
    kind: Literal["phase_changed"] = "phase_changed"
    phase: Name


class RoleAssigned(_Payload):
    kind: Literal["role_assigned"] = "role_assigned"
    role: Name
    person: Name
    shadow: bool = False


class RoleReleased(_Payload):
    kind: Literal["role_released"] = "role_released"
    role: Name
    person: Name


class Handoff(_Payload):
    """Command (or any single-holder role) passes from one person to another.

    The fold releases the previous holder and seats the new one at once, but marks the
    handoff unacknowledged until the new holder records ``handoff_accepted``.
    """

    kind: Literal["handoff"] = "handoff"
    role: Name
    to_person: Name
    from_person: Name | None = None


class HandoffAccepted(_Payload):
    kind: Literal["handoff_accepted"] = "handoff_accepted"
    role: Name
    person: Name


class ChecklistMarked(_Payload):
    """Sets (not toggles) one checklist item, so concurrent marks converge."""

    kind: Literal["checklist_marked"] = "checklist_marked"
    phase: Name
    item: Name
    checked: bool = True
    note: Reason = ""


class Escalation(_Payload):
    """A page or escalation to a person, team or tier."""

    kind: Literal["escalation"] = "escalation"
    target: Name
    reason: Reason = ""


class AlertReceived(_Payload):
    kind: Literal["alert_received"] = "alert_received"
    source: Name
    summary: Text
    labels: dict[str, str] = Field(default_factory=dict)


class ThresholdCrossed(_Payload):
    kind: Literal["threshold_crossed"] = "threshold_crossed"
    metric: Name
    value: float
    threshold: float
    text: Reason = ""


class Correction(_Payload):
    """Replaces the text of an earlier entry in every view; the record keeps both."""

    kind: Literal["correction"] = "correction"
    target_id: Name
    text: Text


class Retraction(_Payload):
    """Withdraws an earlier entry; views strike it through, the record keeps it."""

    kind: Literal["retraction"] = "retraction"
    target_id: Name
    reason: Text


class MilestoneSet(_Payload):
    """Records when impact started, was detected, acknowledged, mitigated or resolved."""

    kind: Literal["milestone"] = "milestone"
    milestone: Milestone
    at: AwareDatetime


class ServicesChanged(_Payload):
    kind: Literal["services_changed"] = "services_changed"
    services: tuple[Name, ...]


Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]

StepAction = Literal["claim", "start", "done", "fail", "skip", "reopen"]
"""``reopen`` takes a mark back (made by mistake): the step is open again, on the record."""
STEP_ACTIONS: tuple[str, ...] = StepAction.__args__
STEP_STATUS: dict[str, str] = {
    "claim": "claimed",
    "start": "started",
    "done": "done",
    "fail": "failed",
    "skip": "skipped",
    "reopen": "open",
}
"""The status a step is in after each action; also how the timeline words it."""


class RunbookAttached(_Payload):
    """Pins one version of a runbook to the incident: its hash and its parsed steps.

    The steps travel in the event so the record stays complete when the file later
    changes or disappears, and so a step's command can only ever come from what was
    pinned. Attaching a newer version is a new event (a re-pin); the old one stays.
    """

    kind: Literal["runbook_attached"] = "runbook_attached"
    runbook_id: Name
    title: Text
    content_hash: Sha256
    source_path: Reason = ""
    steps: tuple[RunbookStep, ...]


class RunbookStepMarked(_Payload):
    """Progress on one step of an attached runbook; failing or skipping it needs a note."""

    kind: Literal["runbook_step"] = "runbook_step"
    runbook_id: Name
    step_id: Name
    action: StepAction
    note: Reason = ""

    @model_validator(mode="after")
    def _reason_given(self) -> Self:
        if self.action in ("fail", "skip") and not self.note:
            raise ValueError(f"a step marked {self.action} needs a note saying why")
        return self


class CommandRun(_Payload):
    """A step's pinned command, run from warroom: how it ended and an excerpt of its output.

    ``exit_code`` is ``None`` when the command was stopped: at its timeout, or — the
    output then starts with ``STOPPED_ON_QUIT`` — because the screen running it quit.
    """

    kind: Literal["command_run"] = "command_run"
    runbook_id: Name
    step_id: Name
    command: Text
    exit_code: int | None
    duration_s: float = Field(ge=0)
    output: Reason = ""


STOPPED_ON_QUIT = "stopped: warroom quit while the command ran"


class UnknownPayload(BaseModel):
    """A kind from a newer warroom; kept whole so nothing is lost on re-sync or export."""

    model_config = ConfigDict(frozen=True, extra="allow")
    kind: str


KNOWN_PAYLOADS: tuple[type[_Payload], ...] = (
    Declaration,
    Note,
    Observation,
    Decision,
    Hypothesis,
    Action,
    Todo,
    StatusUpdate,
    SeverityChanged,
    StatusChanged,
    PhaseChanged,
    RoleAssigned,
    RoleReleased,
    Handoff,
    HandoffAccepted,
    ChecklistMarked,
    Escalation,
    AlertReceived,
    ThresholdCrossed,
    Correction,
    Retraction,
    MilestoneSet,
    ServicesChanged,
    RunbookAttached,
    RunbookStepMarked,
    CommandRun,
)
KINDS: dict[str, type[_Payload]] = {
    model.model_fields["kind"].default: model for model in KNOWN_PAYLOADS
}
TEXT_KINDS = ("note", "observation", "action", "decision", "hypothesis", "todo", "status_update")
"""Kinds a scribe types directly; each has a ``text`` field."""


def _payload_tag(value: Any) -> str:
    kind = value.get("kind") if isinstance(value, dict) else getattr(value, "kind", None)
    return kind if isinstance(kind, str) and kind in KINDS else "unknown"  # [] is unhashable


Payload = Annotated[
    Annotated[Declaration, Tag("declaration")]
    | Annotated[Note, Tag("note")]
    | Annotated[Observation, Tag("observation")]
    | Annotated[Decision, Tag("decision")]
    | Annotated[Hypothesis, Tag("hypothesis")]
    | Annotated[Action, Tag("action")]
    | Annotated[Todo, Tag("todo")]
    | Annotated[StatusUpdate, Tag("status_update")]
    | Annotated[SeverityChanged, Tag("severity_changed")]
    | Annotated[StatusChanged, Tag("status_changed")]
    | Annotated[PhaseChanged, Tag("phase_changed")]
    | Annotated[RoleAssigned, Tag("role_assigned")]
    | Annotated[RoleReleased, Tag("role_released")]
    | Annotated[Handoff, Tag("handoff")]
    | Annotated[HandoffAccepted, Tag("handoff_accepted")]
    | Annotated[ChecklistMarked, Tag("checklist_marked")]
    | Annotated[Escalation, Tag("escalation")]
    | Annotated[AlertReceived, Tag("alert_received")]
    | Annotated[ThresholdCrossed, Tag("threshold_crossed")]
    | Annotated[Correction, Tag("correction")]
    | Annotated[Retraction, Tag("retraction")]
    | Annotated[MilestoneSet, Tag("milestone")]
    | Annotated[ServicesChanged, Tag("services_changed")]
    | Annotated[RunbookAttached, Tag("runbook_attached")]
    | Annotated[RunbookStepMarked, Tag("runbook_step")]
    | Annotated[CommandRun, Tag("command_run")]
    | Annotated[UnknownPayload, Tag("unknown")],
    Discriminator(_payload_tag),
]


class Event(BaseModel):
    """The envelope: identity, provenance and time of one entry in an incident's log.

    ``occurred_at`` is when it happened (a scribe may backdate it); ``recorded_at`` is
    when this device wrote it. ``device_id`` and ``device_seq`` order a device's own
    events and let a server detect gaps.

    A NaN or an infinity (which a payload's extra fields can hold) stays one when the
    event is dumped, where pydantic would write ``null``: the canonical encoding then
    refuses the event rather than hashing something other than what was sent.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", ser_json_inf_nan="constants")

    id: str = Field(min_length=1, max_length=64)
    incident_id: str = Field(min_length=1, max_length=64)
    actor: Name
    occurred_at: AwareDatetime
    recorded_at: AwareDatetime
    device_id: str = Field(min_length=1, max_length=64)
    device_seq: int = Field(ge=1)
    payload: Payload

    @property
    def kind(self) -> str:
        return self.payload.kind


EVENT_LIST = TypeAdapter(list[Event])


def payload_text(payload: BaseModel) -> str:
    """One human line describing a payload, for timelines and exports."""
    match payload:
        case Declaration():
            return f"Declared {payload.severity} {payload.incident_type}: {payload.title}"
        case Action(stage="result"):
            return f"(result) {payload.text}"
        case Todo(owner=str() as owner):
            return f"{payload.text} (owner {owner})"
        case StatusUpdate():
            return f"[{payload.audience}] {payload.text}"
        case SeverityChanged():
            return _with_reason(f"Severity -> {payload.severity}", payload.reason)
        case StatusChanged():
            return _with_reason(f"Status -> {payload.status}", payload.reason)
        case PhaseChanged():
            return f"Phase -> {payload.phase}"
        case RoleAssigned():
            label = f"{payload.role} (shadow)" if payload.shadow else payload.role
            return f"{payload.person} assumed {label}"
        case RoleReleased():
            return f"{payload.person} released {payload.role}"
        case Handoff():
            giver = payload.from_person or "nobody"
            return f"{payload.role} handed from {giver} to {payload.to_person}"
        case HandoffAccepted():
            return f"{payload.person} acknowledged {payload.role}"
        case ChecklistMarked():
            mark = "checked" if payload.checked else "unchecked"
            return _with_reason(f"{payload.phase}/{payload.item} {mark}", payload.note)
        case Escalation():
            return _with_reason(f"Escalated to {payload.target}", payload.reason)
        case AlertReceived():
            return f"Alert from {payload.source}: {payload.summary}"
        case ThresholdCrossed():
            detail = f"{payload.metric}={payload.value:g} crossed {payload.threshold:g}"
            return _with_reason(detail, payload.text)
        case Correction():
            return f"Correction of {payload.target_id}: {payload.text}"
        case Retraction():
            return f"Retraction of {payload.target_id}: {payload.reason}"
        case MilestoneSet():
            return f"Milestone {payload.milestone} at {payload.at.isoformat()}"
        case ServicesChanged():
            return "Services: " + (", ".join(payload.services) or "none")
        case RunbookAttached():
            version = f"version {payload.content_hash[:8]}, {len(payload.steps)} steps"
            return f"Runbook {payload.runbook_id} attached: {payload.title} ({version})"
        case RunbookStepMarked():
            done = "reopened" if payload.action == "reopen" else STEP_STATUS[payload.action]
            return _with_reason(f"Step {payload.runbook_id}/{payload.step_id} {done}", payload.note)
        case CommandRun():
            ran = f"Ran {payload.runbook_id}/{payload.step_id}: "
            if payload.exit_code is None:
                quit = payload.output.startswith(STOPPED_ON_QUIT)
                why = "when warroom quit" if quit else "at the timeout"
                return ran + f"stopped {why} after {payload.duration_s:.1f} s"
            return ran + f"exit {payload.exit_code} in {payload.duration_s:.1f} s"
        case UnknownPayload():
            return f"(unknown event kind {payload.kind!r})"
    return str(getattr(payload, "text", payload.kind))


def _with_reason(text: str, reason: str) -> str:
    return f"{text} — {reason}" if reason else text
