"""The policy's ``[review]`` table: how soon after resolution a postmortem is due.

Targets are written per severity as a count and a unit — ``sev1 = "3d"`` (calendar
days), ``sev2 = "5bd"`` (business days, Monday to Friday), ``sev3 = "36h"`` — because
that is how teams state them ("the review is out within five business days"). A
severity without a target has none: its reviews are counted, never judged late.
"""

import re
from datetime import datetime, timedelta
from functools import cache
from typing import Annotated

from pydantic import AfterValidator

_TARGET = re.compile(r"^\s*(\d{1,4})\s*(bd|d|h)\s*$", re.IGNORECASE)
_UNITS = {"h": "hours", "d": "days", "bd": "business days"}


def _check_target(text: str) -> str:
    match = _TARGET.match(text)
    if not match or int(match.group(1)) == 0:
        raise ValueError(
            f"{text!r} is not a review target; write a count and a unit:"
            ' "3d" (days), "5bd" (business days) or "36h" (hours)'
        )
    return f"{int(match.group(1))}{match.group(2).lower()}"


ReviewTarget = Annotated[str, AfterValidator(_check_target)]
"""``3d``, ``5bd`` or ``36h``, normalised to lower case."""


def canonical_targets(targets: dict[str, str], severities: list[str]) -> dict[str, str]:
    """``targets`` keyed by the scale's own spelling (``sev1`` → ``SEV1``); a key that
    names no severity raises ``ValueError`` listing the scale."""
    by_lower = {name.lower(): name for name in severities}
    unknown = [key for key in targets if key.strip().lower() not in by_lower]
    if unknown:
        raise ValueError(
            f"review names unknown severity {unknown[0]!r}; the scale is {', '.join(severities)}"
        )
    return {by_lower[key.strip().lower()]: value for key, value in targets.items()}


@cache
def _parsed(target: str) -> tuple[int, str]:
    match = _TARGET.match(target)
    if match is None:  # validated when the policy was read; a bug if reached
        raise ValueError(f"not a review target: {target!r}")
    return int(match.group(1)), match.group(2).lower()


def review_deadline(resolved_at: datetime, target: str) -> datetime:
    """When a review of an incident resolved at ``resolved_at`` is due under ``target``.

    Business days skip Saturdays and Sundays (in UTC): resolved on a Friday afternoon,
    "1bd" is due on Monday afternoon."""
    count, unit = _parsed(target)
    if unit == "h":
        return resolved_at + timedelta(hours=count)
    if unit == "d":
        return resolved_at + timedelta(days=count)
    due, counted = resolved_at, 0
    while counted < count:
        due += timedelta(days=1)
        counted += due.weekday() < 5
    return due


def describe_target(target: str) -> str:
    """``5bd`` as ``5 business days``, for the report's header."""
    match = _TARGET.match(target)
    return f"{int(match.group(1))} {_UNITS[match.group(2).lower()]}" if match else target
