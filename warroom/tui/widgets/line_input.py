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

With animations off (the low-bandwidth profile) the cursor does not blink: a blinking
cursor in the entry bar, where the keyboard lives, would repaint an idle screen twice a
second over SSH.
"""

from textual.geometry import Size
from textual.reactive import Reactive
from textual.widgets import Input


class LineInput(Input):
    virtual_size = Reactive(Size(0, 0), layout=False)

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("select_on_focus", False)
        super().__init__(*args, **kwargs)

    def on_mount(self) -> None:
        if self.app.animation_level == "none":
            self.cursor_blink = False
