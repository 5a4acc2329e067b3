"""The checklist pane: each phase's items, who checked them, and the current phase.

``space`` marks the selected item (or clears it when it is already marked). A mark is
set, never toggled, in the record (``ChecklistMarked.checked``), so two people pressing
space at once agree on the result instead of cancelling each other out.
"""

from typing import TYPE_CHECKING

from rich.text import Text

from warroom.core.policy import Policy
from warroom.tui import keymap
from warroom.tui.render import clock, safe
from warroom.tui.widgets.text_pane import PaneRow, TextPane

if TYPE_CHECKING:
    from warroom.core.state import IncidentState


class ChecklistPane(TextPane):
    pane = "checklist"
    title = "Checklist"
    digit = "3"
    BINDINGS = keymap.bindings(keymap.CHECKLIST)

    def update_from(self, policy: Policy, state: "IncidentState") -> None:
        from warroom.core.state import checklist_key

        rows: list[PaneRow] = []
        first_open = None
        for phase in policy.phases:
            current = phase.id == state.phase
            done = sum(state.is_checked(phase.id, item.id) for item in phase.items)
            style = "bold reverse" if current else "bold"
            heading = Text(f"{'▶' if current else ' '} {phase.id.upper()}", style=style, end="")
            heading.append(f"  {done}/{len(phase.items)}", style="bold" if current else "")
            heading.append(f"  owner {phase.owner}", style="dim")
            rows.append((heading, None))
            for item in phase.items:
                key = checklist_key(phase.id, item.id)
                mark = state.checklist.get(key)
                checked = bool(mark and mark.checked)
                line = Text("  [x] " if checked else "  [ ] ", style="bold" if checked else "")
                line.append_text(safe(item.text, style="dim" if checked else ""))
                if checked:
                    line.append("  ")
                    line.append_text(safe(mark.by, style="italic"))
                    line.append(f" {clock(mark.at)[:5]}", style="dim")
                    if mark.note:
                        line.append(" — ")
                        line.append_text(safe(mark.note, style="italic"))
                rows.append((line, key))
                if current and not checked and first_open is None:
                    first_open = key
        self.show(rows, cursor_key=first_open)
