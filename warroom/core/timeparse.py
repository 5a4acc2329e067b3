"""Parse the times a scribe types: ``-5m``, ``5m ago``, ``14:32``, ISO 8601.

Backdating is common in a war room ("that happened five minutes ago"), so relative
forms must be quick to type. All times are stored as aware UTC datetimes.
"""

import re
from datetime import UTC, datetime, timedelta

from warroom.core.errors import InvalidInput

_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
_RELATIVE = re.compile(r"^\s*-?\s*(\d+)\s*([smhd])\s*(?:ago)?\s*$", re.IGNORECASE)
_CLOCK = re.compile(r"^\s*(\d{1,2}):(\d{2})(?::(\d{2}))?\s*$")


def utcnow() -> datetime:
    """Now, in UTC; one place so callers never use naive times."""
    return datetime.now(UTC)


def parse_when(text: str, now: datetime | None = None) -> datetime:
    """Turn user input into an aware UTC datetime, or raise ``InvalidInput``."""
    now = now or utcnow()
    raw = text.strip()
    if raw.lower() == "now":
        return now
    if match := _RELATIVE.match(raw):
        if not raw.startswith("-") and "ago" not in raw.lower():
            raise InvalidInput(
                f"time {text!r} is in the future; write '-{raw}' or '{raw} ago' to backdate"
            )
        return now - timedelta(**{_UNITS[match.group(2).lower()]: int(match.group(1))})
    if match := _CLOCK.match(raw):
        hour, minute, second = int(match.group(1)), int(match.group(2)), int(match.group(3) or 0)
        if hour > 23 or minute > 59 or second > 59:
            raise InvalidInput(f"time {text!r} is not a valid clock time")
        local_now = now.astimezone()
        candidate = local_now.replace(hour=hour, minute=minute, second=second, microsecond=0)
        if candidate > local_now:
            candidate -= timedelta(days=1)
        return candidate.astimezone(UTC)
    try:
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(
            f"cannot read time {text!r}; use -5m, '5m ago', HH:MM or ISO 8601"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.astimezone()
    return parsed.astimezone(UTC)


def format_duration(delta: timedelta | None) -> str:
    """Render a duration compactly (``1h05m``); ``unknown`` when missing."""
    if delta is None:
        return "unknown"
    total = int(delta.total_seconds())
    sign = "-" if total < 0 else ""
    total = abs(total)
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    if days:
        return f"{sign}{days}d{hours:02d}h"
    if hours:
        return f"{sign}{hours}h{minutes:02d}m"
    if minutes:
        return f"{sign}{minutes}m{seconds:02d}s"
    return f"{sign}{seconds}s"
