"""Timeline rows: the small, render-ready form of an event, and the timeline filter.

The store holds whole events as JSON; the timeline needs who, when, what kind and one
line of text. Worker threads turn bodies into ``Row``s, so the UI thread never parses
JSON or runs pydantic validation. The filter is one predicate used both by the worker
that filters a 100k-event log and by the live path that appends new rows, so the two
can never disagree about what matches.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from warroom.core.events import Event

KIND_LABELS: dict[str, str] = {
    "declaration": "DECLARE",
    "note": "NOTE",
    "observation": "OBS",
    "action": "ACTION",
    "decision": "DECISION",
    "hypothesis": "HYPO",
    "todo": "TODO",
    "status_update": "UPDATE",
    "severity_changed": "SEV",
    "status_changed": "STATUS",
    "phase_changed": "PHASE",
    "role_assigned": "ROLE",
    "role_released": "ROLE",
    "handoff": "HANDOFF",
    "handoff_accepted": "HANDOFF",
    "checklist_marked": "CHECK",
    "escalation": "PAGE",
    "alert_received": "ALERT",
    "threshold_crossed": "THRESH",
    "correction": "CORRECT",
    "retraction": "RETRACT",
    "milestone": "MILESTONE",
    "services_changed": "SERVICES",
    "runbook_attached": "RUNBOOK",
    "runbook_step": "STEP",
    "command_run": "RAN",
    "notice_drafted": "NOTICE",
    "notice_approved": "NOTICE",
    "notice_returned": "NOTICE",
    "action_item_updated": "FOLLOWUP",
    "hypothesis_outcome": "OUTCOME",
    "contributing_factor": "FACTOR",
    "postmortem_published": "PUBLISHED",
}
"""The tag shown for each kind; unknown kinds (from a newer client) show as ``?kind``."""

LABEL_WIDTH = max(len(label) for label in KIND_LABELS.values())


def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, "?" + kind[: LABEL_WIDTH - 1])


@dataclass(frozen=True, slots=True)
class Row:
    """One timeline line. ``text`` is raw user text: sanitise it when rendering."""

    seq: int
    id: str
    kind: str
    actor: str
    at: datetime
    text: str
    target: str | None = None
    """For corrections and retractions: the id of the entry they amend."""
    rejected: str | None = None
    """For an entry the sync server refused: its reason (raw server text). Such a row is
    not in the record; it is shown, marked, so nothing is ever dropped silently."""
    recorded_at: datetime | None = None
    """When it was written down (``at`` is when it happened: earlier if backdated)."""

    @property
    def order_key(self) -> tuple[float, int]:
        """Timeline order: when it happened (backdated entries slot in), then record order."""
        return (self.at.timestamp(), self.seq)


def row_from_event(seq: int, event: "Event", rejected: str | None = None) -> Row:
    """The row of an event; ``rejected`` is the server's reason when it refused it."""
    from warroom.core.events import Correction, Retraction, payload_text

    payload = event.payload
    match payload:
        case Correction():  # the amended row shows the new text in place, marked ✎
            text = "→ " + payload.text
        case Retraction():
            text = "→ withdrawn: " + payload.reason
        case _:
            text = payload_text(payload)
    return Row(
        seq=seq,
        id=event.id,
        kind=event.kind,
        actor=event.actor,
        at=event.occurred_at,
        text=text,
        target=getattr(payload, "target_id", None),
        rejected=rejected,
        recorded_at=event.recorded_at,
    )


REJECTED_TAG = "REJECTED"


def rejected_text(row: Row) -> str:
    """What a rejected row shows beyond its own text — the mark and the server's reason —
    so the filter matches what is on screen (``/rejected`` finds every refused entry)."""
    return f"{REJECTED_TAG} {row.rejected}" if row.rejected is not None else ""


FILTER_KIND_ALIASES: dict[str, tuple[str, ...]] = {
    "n": ("note",),
    "o": ("observation",),
    "a": ("action",),
    "d": ("decision",),
    "h": ("hypothesis",),
    "t": ("todo",),
    "s": ("status_update",),
    "u": ("status_update",),
    "role": ("role_assigned", "role_released", "handoff", "handoff_accepted"),
    "change": ("severity_changed", "status_changed", "phase_changed"),
    "fix": ("correction", "retraction"),
}
"""Short names a filter may use for kinds, besides full kind names and their labels."""


def _kinds_named(word: str) -> tuple[str, ...] | None:
    word = word.strip().lower()
    if word in FILTER_KIND_ALIASES:
        return FILTER_KIND_ALIASES[word]
    by_label = tuple(kind for kind, label in KIND_LABELS.items() if label.lower() == word)
    if by_label:
        return by_label
    normalised = word.replace("-", "_")
    return (normalised,) if normalised in KIND_LABELS else None


@dataclass(frozen=True)
class TimelineFilter:
    """``/`` in the timeline: optional kinds before a colon, then text to look for.

    ``d: failover`` finds decisions mentioning failover, ``o,h:`` every observation and
    hypothesis, ``502`` any entry (or its correction, or its author, or — for an entry
    the server rejected — its reason) containing 502.
    Matching ignores case. A query whose part before the colon names no kind is all text,
    so ``http://x`` searches for the URL.
    """

    text: str = ""
    kinds: frozenset[str] = frozenset()

    @classmethod
    def parse(cls, query: str) -> "TimelineFilter":
        head, colon, tail = query.partition(":")
        if colon and head.strip():
            named = [_kinds_named(word) for word in head.split(",")]
            if all(named):
                kinds = frozenset(kind for group in named for kind in group)
                return cls(text=tail.strip().lower(), kinds=kinds)
        return cls(text=query.strip().lower())

    @property
    def active(self) -> bool:
        return bool(self.text or self.kinds)

    def matches(self, row: Row, fixed_text: str | None = None) -> bool:
        if self.kinds and row.kind not in self.kinds:
            return False
        if not self.text:
            return True
        if row.rejected is not None:  # not in the record: nothing there amends it
            fixed_text = None
        haystacks = (row.text, row.actor, fixed_text or "", rejected_text(row))
        return any(self.text in haystack.lower() for haystack in haystacks)

    def describe(self) -> str:
        kinds = ",".join(sorted(kind_label(k) for k in self.kinds))
        parts = [f"kind {kinds}" if kinds else "", f"“{self.text}”" if self.text else ""]
        return " ".join(part for part in parts if part)
