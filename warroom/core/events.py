"""The event model: every change to an incident is one of these, appended, never edited.

An ``Event`` is an envelope (who, when, from which device) around a payload whose
``kind`` field discriminates the union below. Kinds this version does not know — written
by a newer client — validate as ``UnknownPayload`` and keep every field, so an older
client shows them as unknown instead of crashing or dropping them.
"""

from typing import Annotated, Any, Literal, Self, Union

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    GetJsonSchemaHandler,
    StringConstraints,
    Tag,
    TypeAdapter,
    model_validator,
)

from warroom.core.runbook import RunbookStep, step_count

MAX_TEXT = 10_000
"""Longest free text accepted in one entry; a runaway paste should not bloat the log."""
MAX_EVENT_BYTES = 64 * 1024
"""Largest canonical encoding of a whole event (``chain.canonical_bytes``), fields from a
newer warroom included: they are kept for forward compatibility, so they need a bound of
their own. A note at ``MAX_TEXT`` of four-byte characters fits well within it."""

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_TEXT)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_TEXT)]

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
Int64 = Annotated[int, Field(ge=INT64_MIN, le=INT64_MAX)]
"""A whole number every part of the record can hold (SQLite's integers are 64 bits)."""

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
    kind: str
    """Each payload narrows this to its own literal; declared here so it is always first."""


class _TextEntry(_Payload):
    """A kind a scribe types directly: its ``text`` is the entry (see ``TEXT_KINDS``)."""

    text: Text


class _RoleHolder(_Payload):
    """A change that names one person in one role."""

    role: Name
    person: Name


class _StepRef(_Payload):
    """A change about one step of an attached runbook."""

    runbook_id: Name
    step_id: Name


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
    declarer_commands: bool = False
    """The declarer holds command from the start, until they hand it off (the policy's
    ``[access] declarer_takes_command``); absent on records from before that rule."""


class Note(_TextEntry):
    kind: Literal["note"] = "note"


class Observation(_TextEntry):
    kind: Literal["observation"] = "observation"


class Decision(_TextEntry):
    kind: Literal["decision"] = "decision"


class Hypothesis(_TextEntry):
    kind: Literal["hypothesis"] = "hypothesis"


class Action(_TextEntry):
    """Something done; ``stage`` separates starting it from reporting its result."""

    kind: Literal["action"] = "action"
    stage: Literal["started", "result"] = "started"
    refers_to: str | None = None


Priority = Literal["high", "medium", "low"]
ActionType = Literal["detective", "preventive", "corrective", "mitigating"]
"""What a follow-up action does about the failure (find it sooner, stop it happening,
fix what broke, soften the blow)."""
ActionStatus = Literal["open", "in_progress", "done", "wont_do"]
ACTION_STATUSES: tuple[str, ...] = ActionStatus.__args__
Link = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class Todo(_TextEntry):
    """A follow-up action item, possibly with an owner, a due time, a priority, a type
    and a ticket; each later change is an ``action_item_updated`` pointing at it.

    The fields after ``due`` came with the action items of "learning after" and default
    to unset, so TODOs written before them fold unchanged."""

    kind: Literal["todo"] = "todo"
    owner: Name | None = None
    due: AwareDatetime | None = None
    priority: Priority | None = None
    action_type: ActionType | None = None
    ticket: Link | None = None


class StatusUpdate(_TextEntry):
    """A message sent (or to be sent) to an audience; the cadence clock watches these."""

    kind: Literal["status_update"] = "status_update"
    audience: Name = "internal"


class SeverityChanged(_Payload):
    kind: Literal["severity_changed"] = "severity_changed"
    severity: Name
    reason: Reason = ""
    rule: Reason = ""
    """The policy rule (a ladder step or an alert rule) that raised it automatically;
    empty for a person's change (``warroom.core.automatic``)."""


class StatusChanged(_Payload):
    kind: Literal["status_changed"] = "status_changed"
    status: Name
    reason: Reason = ""


class Reopened(_Payload):
    """Opens a closed incident again; a closed incident refuses every other entry."""

    kind: Literal["reopened"] = "reopened"
    status: Name = "investigating"
    reason: Text


class PhaseChanged(_Payload):
    kind: Literal["phase_changed"] = "phase_changed"
    phase: Name


class RoleAssigned(_RoleHolder):
    kind: Literal["role_assigned"] = "role_assigned"
    shadow: bool = False


class RoleReleased(_RoleHolder):
    kind: Literal["role_released"] = "role_released"


class Handoff(_Payload):
    """An offer to pass command (or any role) from one person to another.

    The handoff is complete only when the new holder records ``handoff_accepted`` (as
    incident command practice has it): until then the giver still holds the role, and
    the fold keeps the offer pending. A newer offer of the same role replaces it.
    """

    kind: Literal["handoff"] = "handoff"
    role: Name
    to_person: Name
    from_person: Name | None = None


class HandoffAccepted(_RoleHolder):
    """The new holder takes the role offered to them: the handoff is complete."""

    kind: Literal["handoff_accepted"] = "handoff_accepted"


class ChecklistMarked(_Payload):
    """Sets (not toggles) one checklist item, so concurrent marks converge."""

    kind: Literal["checklist_marked"] = "checklist_marked"
    phase: Name
    item: Name
    checked: bool = True
    note: Reason = ""


EscalationAction = Literal["page", "notify"]
"""What an escalation asks to go out: a page to a person, team or tier, or a notice to an
audience. Delivery turns each ``escalation`` into deliveries to ``target``."""


class Escalation(_Payload):
    """A page or escalation to a person, team or tier, or a notice to an audience.

    The contract with delivery: an ``escalation`` is something that must go out, with
    ``action`` saying how and ``target`` to whom. ``rule`` names the policy rule that
    fired it (an escalation step or an alert rule; empty when a person escalated by
    hand) and ``step`` the ladder step the scheduler fired, once per incident: a
    restarted scheduler reads it off the record and does not fire the step again. All
    three default, so escalations recorded before they existed still fold."""

    kind: Literal["escalation"] = "escalation"
    target: Name
    reason: Reason = ""
    action: EscalationAction = "page"
    rule: Reason = ""
    step: Reason = ""
    drill: bool = False
    """Made on a drill incident: delivery sends it to a drill channel or skips it, so an
    exercise runs every step without paging anyone for real."""


class AlertReceived(_Payload):
    """An alert from a monitoring system, as it arrived: the record of intake.

    ``fingerprint`` is the dedup key (a repeat of the same fingerprint and status changes
    nothing) and ``status`` says whether it fired or resolved; both default so entries
    written before intake recorded them still read."""

    kind: Literal["alert_received"] = "alert_received"
    source: Name
    summary: Text
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    values: dict[str, float] = Field(default_factory=dict)
    links: tuple[dict[str, str], ...] = ()
    """Each ``{"title": …, "url": …}``."""
    fingerprint: Reason = ""
    group_key: Reason = ""
    status: Literal["firing", "resolved"] = "firing"


class ActionItemUpdated(_Payload):
    """A change to one action item (a ``todo`` of the same log, by its event id): done,
    reassigned, re-dated, re-prioritised, its status or ticket. Unset fields do not
    change; each set one replaces the item's value (last writer in log order wins).
    "Won't do" needs the reason on the record."""

    kind: Literal["action_item_updated"] = "action_item_updated"
    target_id: Name
    status: ActionStatus | None = None
    owner: Name | None = None
    due: AwareDatetime | None = None
    priority: Priority | None = None
    action_type: ActionType | None = None
    ticket: Link | None = None
    reason: Reason = ""

    @model_validator(mode="after")
    def _meaningful(self) -> Self:
        changed = (self.status, self.owner, self.due, self.priority, self.action_type)
        if all(value is None for value in changed) and self.ticket is None:
            raise ValueError("an action item update must change something")
        if self.status == "wont_do" and not self.reason:
            raise ValueError("an action item marked won't do needs a reason")
        return self


HypothesisVerdict = Literal["confirmed", "ruled_out"]


class HypothesisOutcome(_Payload):
    """What became of a hypothesis (``target_id``, a ``hypothesis`` of the same log): the
    postmortem lists it with this outcome; a later outcome replaces an earlier one."""

    kind: Literal["hypothesis_outcome"] = "hypothesis_outcome"
    target_id: Name
    outcome: HypothesisVerdict
    reason: Reason = ""


class ContributingFactor(_TextEntry):
    """Something that made the incident possible or worse, as the scribe or the review
    names it, during the incident or after it is closed."""

    kind: Literal["contributing_factor"] = "contributing_factor"


class PostmortemPublished(_Payload):
    """The incident's postmortem went out for readers, optionally at ``url``: review
    timeliness (``warroom report``) counts from resolution to the first of these."""

    kind: Literal["postmortem_published"] = "postmortem_published"
    url: Link | None = None


AFTER_CLOSE_KINDS = (
    Todo,
    ActionItemUpdated,
    HypothesisOutcome,
    ContributingFactor,
    PostmortemPublished,
)
"""The after-incident work a closed incident still takes without being reopened: new and
changed follow-ups, outcomes of hypotheses, contributing factors, the postmortem's
publication (the postmortem is written after the close)."""

RiskStatus = Literal["open", "mitigating", "accepted", "closed"]
RISK_STATUSES: tuple[str, ...] = RiskStatus.__args__


class RiskRaised(_Payload):
    """Opens one risk of the register: the first event of a ``risk-…`` log, as a
    declaration is of an incident's. Likelihood and impact are names on the policy's
    ``[risks]`` scales."""

    kind: Literal["risk_raised"] = "risk_raised"
    title: Text
    likelihood: Name
    impact: Name
    owner: Name | None = None
    review_at: AwareDatetime | None = None
    description: Reason = ""


class RiskUpdated(_Payload):
    """A change to the risk of this log; unset fields do not change."""

    kind: Literal["risk_updated"] = "risk_updated"
    title: Text | None = None
    likelihood: Name | None = None
    impact: Name | None = None
    owner: Name | None = None
    review_at: AwareDatetime | None = None
    status: RiskStatus | None = None
    reason: Reason = ""

    @model_validator(mode="after")
    def _meaningful(self) -> Self:
        fields = (self.title, self.likelihood, self.impact, self.owner, self.review_at)
        if all(value is None for value in fields) and self.status is None:
            raise ValueError("a risk update must change something")
        return self


class RiskLinked(_Payload):
    """Links the risk to an incident where it materialised or, with ``action_id``, to an
    action item of that incident that mitigates it; ``removed`` takes a link back."""

    kind: Literal["risk_linked"] = "risk_linked"
    incident_ref: Name
    action_id: Name | None = None
    removed: bool = False


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
    pinned. Attaching a newer version is a new event (a re-pin); the old one stays. A
    re-pin names the version it replaces and lists what it changes in the steps (types,
    commands, steps added or removed), so the record itself shows every change; the
    access rules refuse a re-pin whose list does not match the two versions.
    """

    kind: Literal["runbook_attached"] = "runbook_attached"
    runbook_id: Name
    title: Text
    content_hash: Sha256
    source_path: Reason = ""
    steps: tuple[RunbookStep, ...]
    replaces: Sha256 | None = None
    """The content hash of the version this re-pin replaces; ``None`` on a first attach."""
    changes: tuple[Reason, ...] = ()


class RunbookStepMarked(_StepRef):
    """Progress on one step of an attached runbook; failing or skipping it needs a note."""

    kind: Literal["runbook_step"] = "runbook_step"
    action: StepAction
    note: Reason = ""

    @model_validator(mode="after")
    def _reason_given(self) -> Self:
        if self.action in ("fail", "skip") and not self.note:
            raise ValueError(f"a step marked {self.action} needs a note saying why")
        return self


class CommandRun(_StepRef):
    """A step's pinned command, run from warroom: how it ended and an excerpt of its output.

    ``exit_code`` is ``None`` when the command was stopped: at its timeout, or — the
    output then starts with ``STOPPED_ON_QUIT`` — because the screen running it quit.
    """

    kind: Literal["command_run"] = "command_run"
    command: Text
    exit_code: Int64 | None
    duration_s: float = Field(ge=0)
    output: Reason = ""


class _DeliveryReceipt(_Payload):
    """What one attempt to deliver a notice or a page through one channel came to.

    ``delivery_id`` names the (notice or page, channel) pair and is sent with the message,
    so a receiver drops a repeat; ``channel`` is the channel's URL with its secrets
    redacted — never the URL itself. ``subject_id`` is the notice's draft id or the
    escalation event's id."""

    delivery_id: Name
    subject_id: Name
    channel: Name
    audience: Name | None = None
    attempt: int = Field(default=1, ge=1, le=10_000)
    version: Reason = ""
    """A notice's text digest (the text that went out); empty for a page."""


class NoticeDelivered(_DeliveryReceipt):
    """The channel took the message: its answer, and the cadence's due time it met or
    missed (``due_at``, with ``late_s`` seconds past it, negative when early; both
    ``None`` when no cadence applied)."""

    kind: Literal["notice_delivered"] = "notice_delivered"
    answer: Reason = ""
    due_at: AwareDatetime | None = None
    late_s: float | None = Field(default=None, allow_inf_nan=False)


class NoticeFailed(_DeliveryReceipt):
    """The channel refused or could not be reached; ``retry_at`` is when the next attempt
    is due, ``None`` when the dispatcher gave up (a retry by hand starts it again)."""

    kind: Literal["notice_failed"] = "notice_failed"
    error: Text
    retry_at: AwareDatetime | None = None


class DeliveryRetry(_Payload):
    """Someone asked for a delivery that gave up to be tried again now."""

    kind: Literal["delivery_retry"] = "delivery_retry"
    delivery_id: Name


DraftId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]
"""Names one notice on an incident; short enough to type (``warroom update show ID u-7k2m``)."""
NoticeText = Annotated[str, StringConstraints(min_length=1, max_length=MAX_TEXT)]
"""A notice exactly as written: not stripped, because approval binds to its bytes."""
TemplateName = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]


class NoticeDrafted(_Payload):
    """A status notice written for one audience, from a template or by hand.

    A revision reuses the ``draft_id`` and replaces the text; any approval given to the
    earlier text no longer counts (approval binds to the digest of the exact text).
    """

    kind: Literal["notice_drafted"] = "notice_drafted"
    draft_id: DraftId
    audience: Name
    text: NoticeText
    template: TemplateName = ""

    @model_validator(mode="after")
    def _has_words(self) -> Self:
        if not self.text.strip():
            raise ValueError("a notice needs some text")
        return self


class NoticeApproved(_Payload):
    """The approver's yes to one text of a notice: ``digest`` is the sha256 (hex) of the
    UTF-8 text they read, so a later revision is not approved by it."""

    kind: Literal["notice_approved"] = "notice_approved"
    draft_id: DraftId
    digest: Sha256


class NoticeReturned(_Payload):
    """The approver sends a notice back to its writer, saying why; it needs a revision."""

    kind: Literal["notice_returned"] = "notice_returned"
    draft_id: DraftId
    reason: Text


def _any_other_kind(schema: dict[str, Any]) -> None:
    schema["properties"]["kind"]["not"] = {"enum": sorted(KINDS)}


STOPPED_ON_QUIT = "stopped: warroom quit while the command ran"


class UnknownPayload(BaseModel):
    """A kind from a newer warroom; kept whole so nothing is lost on re-sync or export."""

    model_config = ConfigDict(frozen=True, extra="allow", json_schema_extra=_any_other_kind)
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
    Reopened,
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
    NoticeDelivered,
    NoticeFailed,
    DeliveryRetry,
    NoticeDrafted,
    NoticeApproved,
    NoticeReturned,
    ActionItemUpdated,
    HypothesisOutcome,
    ContributingFactor,
    RiskRaised,
    RiskUpdated,
    RiskLinked,
    PostmortemPublished,
)
KINDS: dict[str, type[_Payload]] = {
    model.model_fields["kind"].default: model for model in KNOWN_PAYLOADS
}
TEXT_KINDS = (
    "note",
    "observation",
    "action",
    "decision",
    "hypothesis",
    "todo",
    "status_update",
    "contributing_factor",
)
"""Kinds a scribe types directly; each has a ``text`` field."""


def _payload_tag(value: Any) -> str:
    kind = value.get("kind") if isinstance(value, dict) else getattr(value, "kind", None)
    return kind if isinstance(kind, str) and kind in KINDS else "unknown"  # [] is unhashable


class _KindMapping:
    """The payload union in JSON Schema as it validates: a known ``kind`` picks its model
    (a ``discriminator`` with a mapping, ``kind`` required), any other is ``UnknownPayload``.

    ``_payload_tag`` is a function, which JSON Schema cannot express, so pydantic would
    document a bare ``oneOf`` of overlapping models."""

    def __get_pydantic_json_schema__(
        self, core_schema: Any, handler: GetJsonSchemaHandler
    ) -> dict[str, Any]:
        *known, unknown = handler(core_schema)["oneOf"]
        mapping = {}
        for reference in known:
            model = handler.resolve_ref_schema(reference)
            model["required"] = ["kind", *model.get("required", ())]
            mapping[model["properties"]["kind"]["const"]] = reference["$ref"]
        by_kind = {"propertyName": "kind", "mapping": mapping}
        return {"oneOf": [{"oneOf": known, "discriminator": by_kind}, unknown]}


Payload = Annotated[
    Union[  # built from KINDS, so a new kind is listed once
        (
            *(Annotated[model, Tag(kind)] for kind, model in KINDS.items()),
            Annotated[UnknownPayload, Tag("unknown")],
        )
    ],
    Discriminator(_payload_tag),
    _KindMapping(),
]
"""Any payload, told apart by its ``kind``; one not in ``KINDS`` is an ``UnknownPayload``."""


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
    device_seq: int = Field(ge=1, le=INT64_MAX)
    payload: Payload

    @property
    def kind(self) -> str:
        return self.payload.kind


EVENT_LIST = TypeAdapter(list[Event])


def payload_text(payload: BaseModel) -> str:
    """One human line describing a payload, for timelines and exports."""
    match payload:
        case Declaration():
            declared = f"Declared {payload.severity} {payload.incident_type}: {payload.title}"
            return declared + (" (the declarer takes command)" if payload.declarer_commands else "")
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
        case Reopened():
            return _with_reason(f"Reopened -> {payload.status}", payload.reason)
        case PhaseChanged():
            return f"Phase -> {payload.phase}"
        case RoleAssigned():
            label = f"{payload.role} (shadow)" if payload.shadow else payload.role
            return f"{payload.person} assumed {label}"
        case RoleReleased():
            return f"{payload.person} released {payload.role}"
        case Handoff():
            giver = payload.from_person or "nobody"
            return (
                f"{payload.role} offered from {giver} to {payload.to_person} (awaiting acceptance)"
            )
        case HandoffAccepted():
            return f"{payload.person} accepted {payload.role}"
        case ChecklistMarked():
            mark = "checked" if payload.checked else "unchecked"
            return _with_reason(f"{payload.phase}/{payload.item} {mark}", payload.note)
        case Escalation(action="notify"):
            return _with_reason(f"Notify {payload.target}", payload.reason)
        case Escalation():
            return _with_reason(f"Escalated to {payload.target}", payload.reason)
        case AlertReceived(status="resolved"):
            return f"Alert resolved ({payload.source}): {payload.summary}"
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
            version = f"version {payload.content_hash[:8]}, {step_count(payload.steps)} steps"
            if payload.replaces is None:
                return f"Runbook {payload.runbook_id} attached: {payload.title} ({version})"
            changed = "; ".join(payload.changes) or "no step type or command changed"
            return (
                f"Runbook {payload.runbook_id} re-pinned from {payload.replaces[:8]}:"
                f" {payload.title} ({version}); {changed}"
            )
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
        case NoticeDelivered():
            return f"Delivered to {payload.channel}{_timeliness(payload.late_s)}"
        case NoticeFailed():
            then = f"; next try {payload.retry_at:%H:%M:%S}" if payload.retry_at else "; gave up"
            failed = f"Delivery to {payload.channel} failed (try {payload.attempt})"
            return f"{failed}: {payload.error}{then}"
        case DeliveryRetry():
            return f"Delivery {payload.delivery_id[:12]} to be tried again"
        case NoticeDrafted():
            first_line = payload.text.strip().splitlines()[0]
            return f"Notice {payload.draft_id} drafted for {payload.audience}: {first_line}"
        case NoticeApproved():
            return f"Notice {payload.draft_id} approved (text {payload.digest[:8]})"
        case NoticeReturned():
            return f"Notice {payload.draft_id} sent back — {payload.reason}"
        case ActionItemUpdated():
            changed = f"Action {payload.target_id[:13]}: {_changes(payload)}"
            return _with_reason(changed, payload.reason)
        case HypothesisOutcome():
            verdict = payload.outcome.replace("_", " ")
            return _with_reason(f"Hypothesis {payload.target_id[:13]} {verdict}", payload.reason)
        case ContributingFactor():
            return f"Contributing factor: {payload.text}"
        case RiskRaised():
            return f"Risk raised: {payload.title} ({payload.likelihood} x {payload.impact})"
        case RiskUpdated():
            return _with_reason(f"Risk updated: {_changes(payload)}", payload.reason)
        case RiskLinked():
            target = payload.incident_ref
            target += f" action {payload.action_id[:13]}" if payload.action_id else ""
            return f"Risk {'unlinked from' if payload.removed else 'linked to'} {target}"
        case PostmortemPublished():
            return "Postmortem published" + (f" at {payload.url}" if payload.url else "")
        case UnknownPayload():
            return f"(unknown event kind {payload.kind!r})"
    return str(getattr(payload, "text", payload.kind))


def _with_reason(text: str, reason: str) -> str:
    return f"{text} — {reason}" if reason else text


def _timeliness(late_s: float | None) -> str:
    """How a delivered update met its cadence: on time, or how late."""
    if late_s is None:
        return ""
    if late_s <= 0:
        return " (on time)"
    minutes, seconds = divmod(round(late_s), 60)
    return f" ({minutes}m{seconds:02d}s late)" if minutes else f" ({seconds}s late)"


def _changes(payload: BaseModel) -> str:
    """``field=value`` for each field an update sets (its kind, target and reason aside)."""
    shown = []
    for name, value in payload:
        if name in ("kind", "target_id", "reason") or value is None:
            continue
        text = value.isoformat() if hasattr(value, "isoformat") else str(value)
        shown.append(f"{name.replace('_', ' ')} {text}")
    return ", ".join(shown)
