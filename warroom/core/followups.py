"""Follow-up actions and risks as people read them: items with their corrections
applied, due dates typed as people type them, what is overdue, and a risk's flags.

Pure: the clock is passed in.
"""

import re
from collections.abc import Iterable
from datetime import UTC, datetime, time, timedelta

from warroom.core.errors import InvalidInput
from warroom.core.learning_state import ActionItem, RiskState
from warroom.core.state import IncidentState

_AHEAD = re.compile(r"^\s*(?:\+|in\s+)?(\d+)\s*(h|d|w)\w*\s*$", re.IGNORECASE)
_HOURS = {"h": 1, "d": 24, "w": 24 * 7}


def parse_due(text: str, now: datetime) -> datetime:
    """A due or review date: ``+3d``, ``2w``, ``in 10 days``, ``2026-12-15`` (the end of
    that day, UTC) or ISO 8601; ``InvalidInput`` says how to write it."""
    raw = text.strip()
    if match := _AHEAD.match(raw):
        return now + timedelta(hours=int(match.group(1)) * _HOURS[match.group(2).lower()])
    try:
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(
            f"cannot read the date {text!r}; write +3d, 2w, in 10 days or 2026-12-15"
        ) from None
    if len(raw) == 10:  # a bare date: due by the end of that day
        return datetime.combine(parsed.date(), time(23, 59, 59), tzinfo=UTC)
    return (parsed if parsed.tzinfo else parsed.astimezone()).astimezone(UTC)


def standing_items(state: IncidentState) -> list[ActionItem]:
    """The incident's action items as views show them: a corrected TODO with its new
    text, a retracted one left out (the record keeps both)."""
    items = []
    for event_id, item in state.action_items.items():
        fix = state.fixes.get(event_id)
        if fix is not None and fix.retracted:
            continue
        items.append(item.model_copy(update={"text": fix.text}) if fix else item)
    return items


def find_item(state: IncidentState, ref: str) -> ActionItem:
    """The standing action item whose event id starts with ``ref``."""
    wanted = ref.strip().lower()
    found = [item for item in standing_items(state) if item.event_id.startswith(wanted)]
    if len(found) == 1:
        return found[0]
    if not found:
        raise InvalidInput(
            f"no action item of {state.id} has an id starting {ref!r};"
            f" `warroom actions list --incident {state.id}` lists them"
        )
    raise InvalidInput(f"{ref!r} names several action items of {state.id}; give more of the id")


def risk_flags(
    risk: RiskState, mitigations: Iterable[ActionItem | None], now: datetime
) -> list[str]:
    """Why a risk needs attention: its review date passed, or every action that
    mitigates it is overdue (an unknown or closed mitigation is not overdue). A closed
    risk is never flagged."""
    if risk.status == "closed":
        return []
    flags = []
    if risk.review_at is not None and risk.review_at < now:
        flags.append("review overdue")
    linked = list(mitigations)
    if linked and all(item is not None and item.overdue(now) for item in linked):
        flags.append("mitigations overdue")
    return flags
