"""The strip's word on notices waiting for approval, in forms from long to short.

The commander has to see that a notice waits for them without opening anything, in
80 columns too: ``NOTICE u-7k2m to external awaits approval (:notice)``, then
``NOTICE u-7k2m?``, then ``✉1``. Nothing is shown while no notice waits.
"""

from typing import TYPE_CHECKING

from rich.text import Text

from warroom.core.notices import awaiting_approval
from warroom.tui.render import safe

if TYPE_CHECKING:
    from warroom.core.policy import Policy
    from warroom.core.state import IncidentState

STYLE = "bold reverse"


def notice_forms(policy: "Policy", state: "IncidentState") -> list[Text]:
    """The waiting notices in the strip's forms, longest first (one empty when none)."""
    waiting = awaiting_approval(state, policy)
    if not waiting:
        return [Text(end="")]
    first = waiting[0]
    more = f" +{len(waiting) - 1}" if len(waiting) > 1 else ""
    audience = safe(first.audience, style=STYLE)
    long = Text(f"NOTICE {first.draft_id} to ", style=STYLE, end="").append_text(audience)
    long.append(f" awaits approval{more} (:notice)", style=STYLE)
    return [
        long,
        Text(f"NOTICE {first.draft_id}?{more}", style=STYLE, end=""),
        Text(f"✉{len(waiting)}", style=STYLE, end=""),
    ]
