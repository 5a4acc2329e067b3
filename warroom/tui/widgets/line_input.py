"""A one-line input that does not re-lay-out the screen on every key, and that never
selects its text when it gets focus.

Textual's ``Input`` sizes its virtual width to its text, and ``virtual_size`` is a
layout-triggering reactive, so every keystroke re-lays-out and repaints the *whole*
screen — a few milliseconds and a full frame of escape codes per key over SSH. A line
that always has its size fixed by CSS (``height: 1; width: 1fr``) only needs itself
repainted; its horizontal scrolling still follows the text.

``Input`` also selects all its text on focus, so the first key typed replaces it. Every
line here that gets focus with text in it — a prefilled ``:correct ID``, an entry given
back after a refusal — means "carry on typing": the cursor goes to the end instead.

A paste is kept whole, however many lines it has (a stack trace, a log excerpt): the
line shows each line break as ``␤`` (and a tab as ``␉``), and ``from_line`` gives the
text back with its line breaks. Textual's ``Input`` would keep only the first line.

The line's own keys (backspace, ctrl+u, Enter, …) run when the line takes the key, in
the order keys and pastes arrive. Textual runs a widget's bindings only after the key
has bubbled up to the app, and by then a paste or a character that came after it has
already reached the line: ctrl+u then a paste, in one read over SSH, wiped the paste.

With animations off (the low-bandwidth profile) the cursor does not blink: a blinking
cursor in the entry bar, where the keyboard lives, would repaint an idle screen twice a
second over SSH.
"""

from textual import events
from textual.geometry import Size
from textual.reactive import Reactive
from textual.widgets import Input

LINE_BREAK, TAB = "\u2424", "\u2409"
"""How the one-line input shows a line break and a tab of pasted text."""


def to_line(text: str) -> str:
    """Text as the one-line input holds it (see the module's doc)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.replace("\n", LINE_BREAK).replace("\t", TAB)


def from_line(value: str) -> str:
    """What the one-line input holds, as the text to record."""
    return value.replace(LINE_BREAK, "\n").replace(TAB, "\t")


class LineInput(Input):
    virtual_size = Reactive(Size(0, 0), layout=False)

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("select_on_focus", False)
        super().__init__(*args, **kwargs)

    def on_mount(self) -> None:
        if self.app.animation_level == "none":
            self.cursor_blink = False

    async def _on_key(self, event: events.Key) -> None:
        if not event.is_printable:
            active = self.screen.active_bindings.get(event.key)
            mine = active is not None and active.node is self and active.enabled
            if mine and not active.binding.priority:
                event.stop()
                event.prevent_default()
                await self.app.run_action(active.binding.action, self)
                return
        await super()._on_key(event)

    def _on_paste(self, event: events.Paste) -> None:
        """Keep every line of a paste (``Input``'s own handler, kept from running, would
        keep the first)."""
        event.stop()
        event.prevent_default()
        if event.text:
            self.insert_typed(event.text)

    def insert_typed(self, text: str) -> None:
        """Insert ``text`` at the cursor, replacing the selection, line breaks and all."""
        line = to_line(text)
        if self.selection.is_empty:
            self.insert_text_at_cursor(line)
        else:
            self.replace(line, *self.selection)
