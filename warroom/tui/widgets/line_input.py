"""A one-line input that does not re-lay-out the screen on every key.

Textual's ``Input`` sizes its virtual width to its text, and ``virtual_size`` is a
layout-triggering reactive, so every keystroke re-lays-out and repaints the *whole*
screen — a few milliseconds and a full frame of escape codes per key over SSH. A line
that always has its size fixed by CSS (``height: 1; width: 1fr``) only needs itself
repainted; its horizontal scrolling still follows the text.
"""

from textual.geometry import Size
from textual.reactive import Reactive
from textual.widgets import Input


class LineInput(Input):
    virtual_size = Reactive(Size(0, 0), layout=False)
