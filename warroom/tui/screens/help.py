"""``?`` / F1: the keys of the current context (as remapped), entry prefixes, commands.

Each key that changes the record says how a stray press is kept off it: it asks first,
or it opens the ``:`` line, or a new entry takes it back (``keymap.KeyAction.guard``).

Built from what is live — the bindings active where the focus was when help was asked
for, the command table, the entry grammar — so it cannot drift from what the keys do.
"""

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from warroom.tui import keymap
from warroom.tui.commands import COMMANDS
from warroom.tui.entry_words import HINT


class HelpScreen(ModalScreen[None]):
    BINDINGS = keymap.bindings(keymap.HELP)

    def __init__(self, keys: list[tuple[str, str, str]], context: str) -> None:
        super().__init__()
        self.keys = keys
        self.context = context

    def compose(self) -> ComposeResult:
        text = Text(f"Keys here ({self.context})\n", style="bold", end="")
        for key, description, binding_id in self.keys:
            text.append(f"  {key:<16}", style="bold")
            text.append(f"{description:<22}")
            text.append(f"{binding_id:<20}", style="dim")
            guard = keymap.GUARDS.get(binding_id)
            text.append(f"changes the record: {guard}\n" if guard else "\n", style="italic")
        read_only = getattr(self.app, "read_only", False)
        if read_only:
            text.append("\nREAD-ONLY: ", style="bold reverse")
            text.append("only what changes nothing is offered here.\n")
        else:
            text.append("\nEntry bar (i): ", style="bold")
            text.append(HINT + ", @14:32 sets the time, t: @owner, s: @audience\n")
        text.append("\nCommands (: or ctrl+p)\n", style="bold")
        for spec in COMMANDS:
            if read_only and spec.mutating:
                continue
            text.append(f"  {spec.usage:<30}", style="bold")
            text.append(f"{spec.help}\n")
        text.append(
            '\nRemap any key by its id in config.toml: [keymap] "pane.roles" = "f6"\n',
            style="italic",
        )
        text.append("Enter, q, ? or F1 closes", style="italic")
        with VerticalScroll(classes="dialog"):
            yield Static(text)
