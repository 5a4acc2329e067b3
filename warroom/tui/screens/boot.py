"""The boot screen: the first frame, while the war-room screen loads behind it.

It is the war-room screen's skeleton — status strip, empty body, entry bar — built from
Textual's own widgets and nothing of warroom's that needs pydantic or SQLite, so it is
on the terminal about as fast as Textual can draw anything. The entry bar is live: what
the scribe types here moves into the real entry bar when the incident opens. Enter
keeps the text (there is no incident to record it in yet) and says so.
"""

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Input, Static

from warroom.tui.entry_words import HINT, PLACEHOLDER


class BootScreen(Screen):
    DEFAULT_CSS = """
    BootScreen { background: $background; }
    BootScreen > #status { background: $panel; color: $foreground; padding: 0 1; }
    BootScreen > #boot-body { height: 1fr; }
    BootScreen > #entry-input, BootScreen > #entry-input:focus {
        border: none; height: 1; padding: 0 1;
    }
    BootScreen > #entry-hint { height: 1; padding: 0 1; color: $text-muted; }
    """
    AUTO_FOCUS = "#entry-input"

    def compose(self) -> ComposeResult:
        yield Static("warroom · opening the war room…", id="status")
        yield Static(id="boot-body")
        yield Input(placeholder=PLACEHOLDER, id="entry-input", select_on_focus=False)
        yield Static(HINT, id="entry-hint", markup=False)

    def on_screen_resume(self) -> None:
        """Repaint the entry bar after the screen's first refresh. The app pushes this
        screen while Textual's start-up batch is still open (so keys read before the
        first frame reach the entry bar), and Textual renders that first refresh and
        drops it under the batch, which loses the dirty regions with it. The other
        widgets are marked dirty again as their layout settles; the entry bar is not,
        and without this it would reach the terminal a frame (16 ms) after the rest."""
        self.call_after_refresh(self.query_one(Input).refresh)

    @property
    def draft(self) -> str:
        """What has been typed so far."""
        return self.query_one(Input).value

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        hint = "still opening the incident — your text is kept; Enter again in a moment"
        self.query_one("#entry-hint", Static).update(hint)
