"""The strip's delivery warning: a notice or page that keeps failing, with its last
error, until its receipt arrives (``warroom deliveries`` / ``:retry`` act on it)."""

from typing import TYPE_CHECKING

from rich.text import Text

from warroom.core.delivery import undelivered
from warroom.tui.render import safe

if TYPE_CHECKING:
    from warroom.core.state import IncidentState

WARNING_STYLE = "bold reverse red"


def undelivered_line(state: "IncidentState") -> Text | None:
    """``UNDELIVERED internal → mmost://h/t...n/: HTTP 500 (3 tries, id 1a2b3c4d5e6f)``
    for the worst undelivered delivery, and how many more there are; None when none."""
    waiting = undelivered(state)
    if not waiting:
        return None
    worst = waiting[0]
    line = Text("UNDELIVERED", style=WARNING_STYLE, end="")
    what = worst.audience or "page"
    tries = f"{worst.failures} {'try' if worst.failures == 1 else 'tries'}"
    given_up = ", gave up" if worst.gave_up else ""
    line.append(f" {what} → ")
    line.append_text(safe(worst.channel))
    line.append(": ")
    line.append_text(safe(worst.last_error))
    line.append(f" ({tries}{given_up}, id {worst.delivery_id[:12]})")
    if len(waiting) > 1:
        line.append(f" +{len(waiting) - 1} more")
    return line


def undelivered_badge(state: "IncidentState") -> Text | None:
    """The compact strip's form: a count."""
    count = len(undelivered(state))
    return Text(f"UNDELIVERED {count}", style=WARNING_STYLE, end="") if count else None
