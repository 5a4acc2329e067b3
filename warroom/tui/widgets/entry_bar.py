"""The scribe's entry bar: always ready, one line, Enter records and keeps focus.

The hint under the line (shown while the bar has focus) says, as the scribe types,
what Enter will record — the kind the prefix chose, the owner or audience, how far back
it is dated — or why it cannot be recorded. A line starting with ``:`` runs as a
command, so the scribe never has to leave the bar to change the severity.

A paste is kept whole, however many lines it has (a stack trace, a log excerpt): see
``line_input``; Enter records the text with its line breaks.
"""

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, Static

from warroom.core.errors import InvalidInput
from warroom.tui import commands, keymap
from warroom.tui.commands import Choices
from warroom.tui.entry import EntryDraft, parse_entry
from warroom.tui.entry_words import HINT, PLACEHOLDER
from warroom.tui.render import safe
from warroom.tui.widgets.command_line import CommandCompletion
from warroom.tui.widgets.line_input import LineInput, from_line, to_line

if TYPE_CHECKING:
    from warroom.core.policy import Policy


class EntryInput(LineInput):
    BINDINGS = keymap.bindings(keymap.ENTRY)

    def action_leave(self) -> None:
        self.post_message(EntryBar.Leave())

    def action_complete(self) -> None:
        """Tab: accept the completion of a ``:`` line; otherwise move on, as Tab does."""
        if self._suggestion:
            self.value = self._suggestion
            self.cursor_position = len(self.value)
        else:
            self.screen.focus_next()


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
        """Enter on a line that can be recorded (``draft``), or on a ``:`` command."""

        def __init__(self, text: str, draft: EntryDraft | None) -> None:
            super().__init__()
            self.text = text
            self.draft = draft

    class Leave(Message):
        """Escape in the bar: go back to the timeline (then the digits pick a pane)."""

    def __init__(
        self,
        now: Callable[[], datetime],
        policy: "Policy | None" = None,
        choices: Choices | None = None,
        **kwargs,
    ) -> None:
        """``policy``: to refuse in the hint what Enter would refuse (an audience);
        ``choices``: to complete and explain a ``:`` line as the command line does."""
        super().__init__(**kwargs)
        self._now = now
        self._policy = policy
        self._choices = choices or (lambda source: ())

    def compose(self) -> ComposeResult:
        suggester = CommandCompletion(self._choices, prefix=":")
        yield EntryInput(placeholder=PLACEHOLDER, id="entry-input", suggester=suggester)
        yield Static(Text(HINT), id="entry-hint")

    @property
    def input(self) -> EntryInput:
        return self.query_one(EntryInput)

    @property
    def text(self) -> str:
        """What is typed, as it would be recorded."""
        return from_line(self.input.value)

    def insert(self, text: str) -> None:
        """Typing or a paste that arrived elsewhere (a pane, the question line)."""
        self.input.insert_typed(text)

    def show_hint(self, text: Text) -> None:
        self.query_one("#entry-hint", Static).update(text, layout=False)  # always one line

    def refused(self, text: str | None, message: str) -> None:
        """An entry was refused: say why, and give the text back unless a new one is typed."""
        if text is not None and not self.input.value:
            with self.input.prevent(Input.Changed):
                self.input.value = to_line(text)
                self.input.cursor_position = len(self.input.value)
        self.show_hint(safe(message, style="bold reverse"))

    def give_back(self, text: str, message: str) -> None:
        """Put ``text`` back in front of whatever the bar holds now, and say why."""
        with self.input.prevent(Input.Changed):
            self.input.value = to_line(text) + self.input.value
            self.input.cursor_position = len(self.input.value)
        self.show_hint(safe(message, style="bold reverse"))

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        value = from_line(event.value)
        if not value.strip():
            self.show_hint(Text(HINT))
        elif value.startswith(":"):
            hint = commands.expected(value.lstrip()[1:], self._choices)
            self.show_hint(safe(f"Enter runs :{hint}", style="italic"))
        else:
            try:
                draft = parse_entry(value, self._now(), self._policy)
            except InvalidInput as exc:
                self.show_hint(safe(f"→ {exc}", style="italic"))
            else:
                self.show_hint(Text("→ " + draft.describe(self._now()), style="italic"))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter: what the hint said it would do — or, refused, the text stays and the
        hint says why (the same check, so the two never disagree)."""
        event.stop()
        text = from_line(event.value)
        if not text.strip():
            return
        draft = None
        if not text.lstrip().startswith(":"):
            try:
                draft = parse_entry(text, self._now(), self._policy)
            except InvalidInput as exc:
                self.refused(None, str(exc))
                return
        self.post_message(self.Submit(text, draft))
        self.input.value = ""
