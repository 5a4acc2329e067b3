"""The scribe's entry bar: always ready, one line, Enter records and keeps focus.

The hint under the line (shown while the bar has focus) says, as the scribe types,
what Enter will record — the kind the prefix chose, the owner or audience, how far back
it is dated — or why it cannot be recorded. A line starting with ``:`` runs as a
command, so the scribe never has to leave the bar to change the severity.
"""

from collections.abc import Callable
from datetime import datetime

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, Static

from warroom.core.errors import InvalidInput
from warroom.tui import keymap
from warroom.tui.entry import HINT, PLACEHOLDER, parse_entry
from warroom.tui.render import safe
from warroom.tui.widgets.line_input import LineInput


class EntryInput(LineInput):
    BINDINGS = keymap.bindings(keymap.ENTRY)

    def action_leave(self) -> None:
        self.post_message(EntryBar.Leave())


class EntryBar(Vertical):
    DEFAULT_CSS = """
    EntryBar { height: auto; }
    EntryBar > EntryInput, EntryBar > EntryInput:focus {
        border: none; height: 1; width: 1fr; padding: 0 1;  /* fixed: no re-layout per key */
    }
    EntryBar > #entry-hint { height: 1; padding: 0 1; color: $text-muted; display: none; }
    EntryBar:focus-within { background: $boost; }
    EntryBar:focus-within > #entry-hint { display: block; }
    """

    class Submit(Message):
        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    class Leave(Message):
        """Escape in the bar: go back to the timeline (Tab and the digits work too)."""

    def __init__(self, now: Callable[[], datetime], **kwargs) -> None:
        super().__init__(**kwargs)
        self._now = now

    def compose(self) -> ComposeResult:
        yield EntryInput(placeholder=PLACEHOLDER, id="entry-input")
        yield Static(Text(HINT), id="entry-hint")

    @property
    def input(self) -> EntryInput:
        return self.query_one(EntryInput)

    def show_hint(self, text: Text) -> None:
        self.query_one("#entry-hint", Static).update(text, layout=False)  # always one line

    def refused(self, text: str | None, message: str) -> None:
        """An entry was refused: say why, and give the text back unless a new one is typed."""
        if text is not None and not self.input.value:
            with self.input.prevent(Input.Changed):
                self.input.value = text
        self.show_hint(safe(message, style="bold reverse"))

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        value = event.value
        if not value.strip():
            self.show_hint(Text(HINT))
        elif value.startswith(":"):
            self.show_hint(Text("Enter runs the command", style="italic"))
        else:
            try:
                draft = parse_entry(value, self._now())
            except InvalidInput as exc:
                self.show_hint(safe(f"→ {exc}", style="italic"))
            else:
                self.show_hint(Text("→ " + draft.describe(self._now()), style="italic"))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.value.strip():
            self.post_message(self.Submit(event.value))
            self.input.value = ""
