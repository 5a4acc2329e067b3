"""The scribe's line: ``-5m d: we fail over to us-east-2`` → a backdated decision.

A scribe types while people talk, so the grammar is a few optional leading tokens, in
any order, before the text:

* a kind prefix — ``o:`` observation, ``a:`` action, ``r:`` action result, ``d:``
  decision, ``h:`` hypothesis, ``t:`` TODO, ``f:`` contributing factor, ``s:`` status
  update, ``n:`` note (the default); longer spellings (``obs:``, ``decision:``) work too;
* a time — ``-5m``, ``-90s``, ``-2h`` or ``@14:32`` — when it happened, if not now;
* after ``t:`` an ``@owner``, after ``s:`` an ``@audience``.

Anything that is not one of these starts the text, so ``http://x is down`` is a note.
Parsing is pure so the hint under the entry bar can show, while typing, exactly what
Enter will record — or why Enter will refuse it: text over the record's limit, and
(given the policy) an audience the policy does not know.
"""

import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from warroom.core.errors import InvalidInput
from warroom.core.timeparse import format_duration, parse_when

if TYPE_CHECKING:
    from warroom.core.policy import Policy

PREFIXES: dict[str, tuple[str, str | None]] = {
    "n": ("note", None),
    "note": ("note", None),
    "o": ("observation", None),
    "obs": ("observation", None),
    "observation": ("observation", None),
    "a": ("action", None),
    "act": ("action", None),
    "action": ("action", None),
    "r": ("action", "result"),
    "result": ("action", "result"),
    "d": ("decision", None),
    "dec": ("decision", None),
    "decision": ("decision", None),
    "h": ("hypothesis", None),
    "hyp": ("hypothesis", None),
    "hypothesis": ("hypothesis", None),
    "t": ("todo", None),
    "todo": ("todo", None),
    "f": ("contributing_factor", None),
    "factor": ("contributing_factor", None),
    "s": ("status_update", None),
    "status": ("status_update", None),
    "update": ("status_update", None),
}
"""Kind prefix → (entry kind, action stage)."""

_KIND = re.compile(r"^([a-z]+):(?:\s+|$)", re.IGNORECASE)
_TIME = re.compile(r"^(-\d+\s*[smhd]|@\d{1,2}:\d{2}(?::\d{2})?)(?:\s+|$)", re.IGNORECASE)
_WHO = re.compile(r"^@([A-Za-z][\w.-]*)(?:\s+|$)")


@dataclass(frozen=True)
class EntryDraft:
    """What Enter will record."""

    kind: str
    text: str
    at: datetime | None = None
    """When it happened; ``None`` means now."""
    stage: str | None = None
    owner: str | None = None
    audience: str | None = None

    def describe(self, now: datetime) -> str:
        """The hint line: which kind, and how far back, before the scribe presses Enter."""
        label = "action result" if self.stage == "result" else self.kind.replace("_", " ")
        parts = [label]
        if self.owner:
            parts.append(f"owner {self.owner}")
        if self.audience:
            parts.append(f"to {self.audience}")
        if self.at is not None:
            parts.append(f"backdated {format_duration(now - self.at)}")
        lines = self.text.count("\n") + 1
        if lines > 1:
            parts.append(f"{lines} lines")
        return " · ".join(parts)


def parse_entry(raw: str, now: datetime, policy: "Policy | None" = None) -> EntryDraft:
    """Split the leading tokens off ``raw``; raises ``InvalidInput`` when no text is left,
    when the text is over the record's limit, or — with ``policy`` — when a status
    update names an audience the policy does not have."""
    from warroom.core.events import MAX_TEXT  # here: the boot screen imports this module

    rest = raw.strip()
    kind, stage, at, who = "note", None, None, None
    seen_kind = False
    while rest:
        if not seen_kind and (match := _KIND.match(rest)) and match.group(1).lower() in PREFIXES:
            kind, stage = PREFIXES[match.group(1).lower()]
            seen_kind = True
        elif at is None and (match := _TIME.match(rest)):
            at = parse_when(match.group(1).lstrip("@").replace(" ", ""), now)
        elif kind in ("todo", "status_update") and who is None and (match := _WHO.match(rest)):
            who = match.group(1)
        else:
            break
        rest = rest[match.end() :].lstrip()
    if not rest:
        raise InvalidInput("nothing to record: type the entry after the prefix")
    if len(rest) > MAX_TEXT:
        raise InvalidInput(f"entry is {len(rest):,} characters; the limit is {MAX_TEXT:,}")
    if policy is not None and kind == "status_update":
        who = policy.audience(who or "internal")
    return EntryDraft(
        kind=kind,
        text=rest,
        at=at,
        stage=stage,
        owner=who if kind == "todo" else None,
        audience=who if kind == "status_update" else None,
    )
