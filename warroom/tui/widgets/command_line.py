"""The ``:`` command line (and the ``/`` filter line, which shares it).

Completion comes from ``warroom.tui.commands``: the suggestion is shown greyed after
the cursor, Tab or → accepts it, and the hint underneath lists what the next word may
be. Enter runs the line; Escape, or Enter on an empty line, closes it. A pasted reason
keeps its lines, as in the entry bar.
"""

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.suggester import Suggester
from textual.widgets import Input, Label, Static

from warroom.tui import commands, keymap
from warroom.tui.commands import Choices
from warroom.tui.render import safe
from warroom.tui.widgets.line_input import LineInput, from_line

FILTER_HINT = "kinds before a colon, then text: d: failover · o,h: · 502 — empty clears"


class CommandCompletion(Suggester):
    """The best completion of a command line; with ``prefix`` (the entry bar's ``:``)
    only of lines that start with it."""

    def __init__(self, choices: Choices, prefix: str = "") -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        self._choices = choices
        self._prefix = prefix

    async def get_suggestion(self, value: str) -> str | None:
        if not value.startswith(self._prefix):
            return None
        options = commands.complete(value[len(self._prefix) :], self._choices)
        return self._prefix + options[0] if options else None


class CommandInput(LineInput):
    BINDINGS = keymap.bindings(keymap.COMMAND_LINE)

    def action_complete(self) -> None:
        if self._suggestion:
            self.value = self._suggestion
            self.cursor_position = len(self.value)

    def action_cancel(self) -> None:
        self.post_message(self.Cancelled())

    class Cancelled(Message):
        """Escape: close the line without running it."""


class CommandLine(Vertical):
    DEFAULT_CSS = """
    CommandLine { height: auto; display: none; }
    CommandLine.-active { display: block; }
    CommandLine Horizontal { height: 1; }
    CommandLine #command-prompt { width: 2; padding: 0 0 0 1; text-style: bold; }
    CommandLine CommandInput, CommandLine CommandInput:focus {
        border: none; height: 1; padding: 0; width: 1fr;
    }
    CommandLine #command-hint { height: 1; padding: 0 1; color: $text-muted; }
    """

    class Done(Message):
        """The line was submitted; ``text`` is empty when it was cancelled."""

        def __init__(self, text: str, mode: str) -> None:
            super().__init__()
            self.text = text
            self.mode = mode

    def __init__(self, choices: Choices, **kwargs) -> None:
        super().__init__(**kwargs)
        self._choices = choices
        self.mode = ":"

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Label(":", id="command-prompt")
            # Hidden lines can still take focus in Textual: disabled until opened.
            yield CommandInput(
                suggester=CommandCompletion(self._choices), id="command-input", disabled=True
            )
        yield Static(id="command-hint")

    @property
    def input(self) -> CommandInput:
        return self.query_one(CommandInput)

    @property
    def is_open(self) -> bool:
        return self.has_class("-active")

    def open(self, mode: str, text: str = "") -> None:
        """Show the line in ``:`` (command) or ``/`` (filter) mode with ``text`` typed in."""
        self.mode = mode
        self.query_one("#command-prompt", Label).update(Text(mode))
        self.add_class("-active")
        self.input.disabled = False
        self.input.value = text
        self.input.cursor_position = len(text)
        self._hint(text)
        self.screen.set_focus(self.input)

    def close(self) -> None:
        self.remove_class("-active")
        self.input.disabled = True

    def _hint(self, value: str) -> None:
        hint = FILTER_HINT if self.mode == "/" else commands.expected(value, self._choices)
        hint_line = self.query_one("#command-hint", Static)
        hint_line.update(safe(hint, style="italic"), layout=False)  # always one line

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._hint(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.post_message(self.Done(from_line(event.value), self.mode))

    def on_command_input_cancelled(self, event: CommandInput.Cancelled) -> None:
        event.stop()
        self.post_message(self.Done("", self.mode))
