"""The roles pane: every role in the policy, who holds it and for how long.

Vacancies that matter — a role the policy requires on a major incident — are shown
in the warning style, and a handoff waiting for the new holder's acknowledgement is shown
under its role, because an unacknowledged handoff of command is a gap in command.
"""

from datetime import datetime
from typing import TYPE_CHECKING

from rich.text import Text

from warroom.core.policy import Policy
from warroom.tui import keymap
from warroom.tui.render import safe, short_duration
from warroom.tui.widgets.text_pane import PaneRow, TextPane

if TYPE_CHECKING:
    from warroom.core.state import IncidentState

ROLE_WIDTH = 14


class RolesPane(TextPane):
    pane = "roles"
    title = "Roles"
    digit = "2"
    BINDINGS = keymap.bindings(keymap.ROLES)

    def update_from(self, policy: Policy, state: "IncidentState", now: datetime) -> None:
        major = policy.is_major(state.severity)
        rows: list[PaneRow] = []
        for role in policy.roles:
            holders = state.holders(role.id)
            line = Text(f"{role.id[:ROLE_WIDTH]:<{ROLE_WIDTH}} ", style="bold", end="")
            if holders:
                for n, tenure in enumerate(holders):
                    if n:
                        line.append(", ")
                    if tenure.shadow:
                        line.append("shadow ", style="italic")
                    line.append_text(safe(tenure.person))
                    line.append(f" {short_duration(tenure.time_in_role(now))}", style="dim")
            elif role.required_when_major and major:
                line.append("VACANT — needed on a major incident", style="bold reverse")
            else:
                line.append("—", style="dim")
            rows.append((line, role.id))
            for pending in state.pending_handoffs():
                if pending.role == role.id:
                    note = Text("  ↳ handed to ", style="italic", end="")
                    note.append_text(safe(pending.to_person))
                    note.append(" — awaiting acknowledgement (:accept)", style="italic")
                    rows.append((note, None))
        self.show(rows, cursor_key="commander")
