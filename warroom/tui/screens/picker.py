"""The incident picker: shown when several incidents are active, and on ``:switch``."""

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from warroom.tui import keymap
from warroom.tui.messages import IncidentSummary
from warroom.tui.render import safe

NEW_INCIDENT = "+new"
"""What the picker returns when the user asks to declare a new incident instead."""


class IncidentPicker(ModalScreen[str | None]):
    BINDINGS = keymap.bindings(keymap.PICKER)

    def __init__(self, incidents: list[IncidentSummary], current: str | None) -> None:
        super().__init__()
        self.incidents = incidents
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(Text("Open which incident?  Enter opens · n declares a new one · q closes"))
            options = [Option(self._line(s), id=s.id) for s in self.incidents]
            yield OptionList(*options, id="picker-list")

    def _line(self, summary: IncidentSummary) -> Text:
        marker = "▶ " if summary.id == self.current else "  "
        line = Text(f"{marker}{summary.id}  ", end="")
        line.append(f"{summary.severity:<5} ", style="bold")
        style = "" if summary.active else "dim"
        line.append(f"{summary.status:<13} {summary.phase:<12} ", style=style)
        line.append_text(safe(summary.title))
        if summary.drill:
            line.append("  DRILL", style="bold")
        return line

    def on_mount(self) -> None:
        option_list = self.query_one(OptionList)
        ids = [s.id for s in self.incidents]
        option_list.highlighted = ids.index(self.current) if self.current in ids else 0
        option_list.focus()

    def action_new(self) -> None:
        self.dismiss(NEW_INCIDENT)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return not (getattr(self.app, "read_only", False) and action in keymap.MUTATING)

    def action_cursor(self, direction: str) -> None:
        option_list = self.query_one(OptionList)
        if direction == "down":
            option_list.action_cursor_down()
        else:
            option_list.action_cursor_up()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)
