"""The building blocks every payload shares: the bounds of the record, the constrained
field types (text, names, 64-bit integers, links, digests) and the base payloads.

They live apart from the payload families so each family's module imports only these and
no other family, and a new kind starts from the same bounds as the rest.
"""

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

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

Link = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]


class _Payload(BaseModel):
    """Base of every known payload.

    Extra fields are kept, not refused: a newer warroom may add a field to a known kind,
    and an older client must still fold the event and pass the field on unchanged (the
    stored body, the export and the hash chain all see it verbatim).

    Its validator is built the first time the model validates (``defer_build``), not at
    import: building the 40 payloads and the envelope was 30 ms of the 75 ms their
    import took, and a process that only folds stored rows (a catch-up, a reader) never
    validates through them: it decodes through the fold's views (``core.stored_events``),
    which read only their fields. pydantic (2.14 on) builds a deferred model under a
    lock, so threads that validate at once (the screen's) build it once.
    """

    model_config = ConfigDict(frozen=True, extra="allow", defer_build=True)
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
