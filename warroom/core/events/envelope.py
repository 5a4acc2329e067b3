"""The envelope around every payload, and the union that reads one: ``Event``,
``EVENT_LIST``, ``KINDS`` (every known kind by name) and ``UnknownPayload`` for the kinds
of a newer warroom.

A new kind is a class in its family's module, then one line of ``KNOWN_PAYLOADS`` here.
"""

from typing import Annotated, Any, Union

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    GetJsonSchemaHandler,
    Tag,
    TypeAdapter,
)

from warroom.core.events.fields import INT64_MAX, Name, _Payload
from warroom.core.events.incident import (
    Action,
    AlertReceived,
    ChecklistMarked,
    Correction,
    Decision,
    Declaration,
    Escalation,
    Handoff,
    HandoffAccepted,
    Hypothesis,
    MilestoneSet,
    Note,
    Observation,
    PhaseChanged,
    Reopened,
    Retraction,
    RoleAssigned,
    RoleReleased,
    ServicesChanged,
    SeverityChanged,
    StatusChanged,
    StatusUpdate,
    ThresholdCrossed,
)
from warroom.core.events.learning import (
    ActionItemUpdated,
    ContributingFactor,
    HypothesisOutcome,
    PostmortemPublished,
    RiskLinked,
    RiskRaised,
    RiskUpdated,
    Todo,
)
from warroom.core.events.notices import (
    DeliveryRetry,
    NoticeApproved,
    NoticeDelivered,
    NoticeDrafted,
    NoticeFailed,
    NoticeReturned,
)
from warroom.core.events.steps import CommandRun, RunbookAttached, RunbookStepMarked


def _any_other_kind(schema: dict[str, Any]) -> None:
    schema["properties"]["kind"]["not"] = {"enum": sorted(KINDS)}


class UnknownPayload(BaseModel):
    """A kind from a newer warroom; kept whole so nothing is lost on re-sync or export."""

    model_config = ConfigDict(
        frozen=True, extra="allow", json_schema_extra=_any_other_kind, defer_build=True
    )
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

    Built on first use, as the payloads are (see ``_Payload``), and so is ``EVENT_LIST``.
    """

    model_config = ConfigDict(
        frozen=True, extra="forbid", ser_json_inf_nan="constants", defer_build=True
    )

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


EVENT_LIST = TypeAdapter(list[Event], config=ConfigDict(defer_build=True))
