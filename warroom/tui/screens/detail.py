"""One timeline entry in full: the whole text (rows are cut at the pane's width), who,
when it happened and — for a backdated entry — when it was recorded, its id, and any
correction — with keys to correct or retract it. An entry the
server rejected shows the server's reason instead: it is not in the record, so there is
nothing there to correct."""

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from warroom.core.sanitize import visible
from warroom.core.state import EntryFix
from warroom.tui import keymap
from warroom.tui.render import clock, short_duration, stamp
from warroom.tui.rows import Row, kind_label


def when_text(row: Row) -> Text:
    """When it happened and — when that is not when it was written down (a backdated
    entry) — when it was recorded, each with its date and zone."""
    text = Text(f"happened {stamp(row.at)}", end="")
    recorded = row.recorded_at
    if recorded is not None and abs((recorded - row.at).total_seconds()) >= 1:
        late = short_duration(recorded - row.at)
        text.append(f" · recorded {stamp(recorded)}", style="bold")
        text.append(f" (backdated {late})" if recorded > row.at else f" ({late})")
    return text


class EntryDetail(ModalScreen[str | None]):
    """Returns a command line to open (``correct <id> ``) or ``None``."""

    BINDINGS = keymap.bindings(keymap.DETAIL)

    def __init__(self, row: Row, fix: EntryFix | None) -> None:
        super().__init__()
        self.row = row
        self.fix = fix

    def compose(self) -> ComposeResult:
        row = self.row
        text = Text(f"{kind_label(row.kind)}  {clock(row.at)}  ", style="bold", end="")
        text.append(visible(row.actor), style="italic")
        text.append(f"\nid {row.id}\n", style="dim")
        text.append_text(when_text(row)).append("\n\n")
        text.append(visible(row.text, single_line=False))
        keys = "Enter or q closes"
        if row.rejected is not None:
            text.append("\n\nREJECTED by the server, not in the record: ", style="bold")
            text.append(visible(row.rejected, single_line=False))
        else:
            if self.fix is not None:
                label = "Retracted" if self.fix.retracted else "Corrected"
                text.append(f"\n\n{label}: ", style="bold")
                text.append(visible(self.fix.text, single_line=False))
            if not getattr(self.app, "read_only", False):  # a read-only screen has no c or x
                keys = "c corrects · x retracts · " + keys
        text.append("\n\n" + keys, style="italic")
        with VerticalScroll(classes="dialog"):
            yield Static(text)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return not (getattr(self.app, "read_only", False) and action in keymap.MUTATING)

    def action_amend(self, action: str) -> None:
        self.dismiss(None if self.row.rejected is not None else f"{action} {self.row.id} ")
