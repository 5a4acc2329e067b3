"""The payloads of the response itself: the declaration, the scribe's entries, severity,
status, phase, roles and handoffs, checklists, escalations, alerts, thresholds, the
corrections of earlier entries, milestones and services.

Everything here happens while the incident is open; the work after it is ``learning``.
"""

from typing import Literal

from pydantic import AwareDatetime, Field

from warroom.core.events.fields import (
    Milestone,
    Name,
    Reason,
    Text,
    _Payload,
    _RoleHolder,
    _TextEntry,
)


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
