"""A line-API list with a cursor: the base of the timeline and of every side pane.

Subclasses say how many rows there are and how to render one; this class handles the
cursor (j/k, g/G, PgUp/PgDn), keeps it in view, and draws its highlight. Rendering by
line means only visible rows are ever turned into terminal cells, whatever the length.

A character typed into a pane that has no key for it was meant for the entry bar (the
person thought they were typing there): the screen moves it there as it arrives
(``screens.pane_keys``); a paste the pane hands on (``Typed``). Escape goes back to the
entry bar.
"""

from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widget import Widget

from warroom.tui import keymap


class CursorView(ScrollView, can_focus=True):
    COMPONENT_CLASSES: ClassVar[set[str]] = {"cursor-view--cursor"}
    BINDINGS = keymap.bindings(keymap.LIST)

    DEFAULT_CSS = """
    CursorView { overflow-x: hidden; overflow-y: auto; scrollbar-size-vertical: 1; }
    """

    cursor: reactive[int] = reactive(0, always_update=True, layout=False, repaint=False)

    pane = ""
    """Which pane this is (``timeline``, ``roles`` ...): layouts and digit keys use it."""
    title = ""
    digit = ""
    """The key that focuses the pane, shown in its border title."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.border_title = f"{self.digit} {self.title}"

    @property
    def row_count(self) -> int:
        raise NotImplementedError

    def render_row(self, index: int, width: int) -> Strip:
        """The row at ``index``, exactly ``width`` cells wide, without cursor highlight."""
        raise NotImplementedError

    def selectable(self, index: int) -> bool:
        return True

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Keys that change the record are off on a read-only screen."""
        return not (getattr(self.app, "read_only", False) and action in keymap.MUTATING)

    # -- rendering -----------------------------------------------------------------------

    def text_strip(self, text: Text, width: int) -> Strip:
        """Render one line of ``text`` into a strip of exactly ``width`` cells."""
        base = self.rich_style
        segments = list(text.render(self.app.console))
        return Strip(segments).crop_extend(0, width, base).apply_style(base)

    def render_line(self, y: int) -> Strip:
        index = self.scroll_offset.y + y
        width = self.scrollable_content_region.width
        if index >= self.row_count:
            return Strip.blank(width, self.rich_style)
        strip = self.render_row(index, width)
        if index == self.cursor and self.selectable(index):
            style = self.get_component_rich_style("cursor-view--cursor")
            if not self.has_focus:
                style = Style(bgcolor=style.bgcolor)
            strip = Strip(Segment.apply_style(strip, post_style=style), strip.cell_length)
        return strip

    def update_size(self) -> None:
        """Call after the row count changes.

        Setting ``virtual_size`` the usual way re-lays-out the whole screen (~5 ms) on
        every appended row; the new length only changes this view's scroll range and
        scrollbar, which ``_scroll_update`` handles (a layout still happens when the
        scrollbar appears or goes).
        """
        size = Size(self.scrollable_content_region.width, self.row_count)
        if size != self.virtual_size:
            self.set_reactive(Widget.virtual_size, size)
            self._scroll_update(size)
            self.refresh()

    def on_resize(self) -> None:
        self.update_size()
        self.call_after_refresh(self.scroll_to_cursor)

    class Typed(Message):
        """Text pasted into the pane: for the entry bar."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    def on_paste(self, event: events.Paste) -> None:
        event.stop()
        if event.text:
            self.post_message(self.Typed(event.text))

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    # -- the cursor ----------------------------------------------------------------------

    def watch_cursor(self, old: int, new: int) -> None:
        self.scroll_to_cursor()
        self.refresh_line_at(old)
        self.refresh_line_at(new)

    def refresh_line_at(self, index: int) -> None:
        y = index - self.scroll_offset.y
        if 0 <= y < self.size.height:
            self.refresh(Region(0, y, self.size.width, 1))

    def scroll_to_cursor(self) -> None:
        height = self.scrollable_content_region.height
        top = self.scroll_offset.y
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False)
        elif height and self.cursor >= top + height:
            self.scroll_to(y=self.cursor - height + 1, animate=False)

    def move_cursor(self, index: int, step: int = 1) -> None:
        """Put the cursor on ``index``, or the nearest selectable row in direction ``step``."""
        count = self.row_count
        if not count:
            return
        index = max(0, min(index, count - 1))
        probe = index
        while 0 <= probe < count and not self.selectable(probe):
            probe += step
        if not 0 <= probe < count:
            probe = index
            while 0 <= probe < count and not self.selectable(probe):
                probe -= step
        if 0 <= probe < count:
            self.cursor = probe

    def action_cursor_down(self) -> None:
        self.move_cursor(self.cursor + 1, 1)

    def action_cursor_up(self) -> None:
        self.move_cursor(self.cursor - 1, -1)

    def action_cursor_top(self) -> None:
        self.move_cursor(0, 1)

    def action_cursor_bottom(self) -> None:
        self.move_cursor(self.row_count - 1, -1)

    def action_page_down(self) -> None:
        page = max(1, self.scrollable_content_region.height - 1)
        self.move_cursor(self.cursor + page, 1)

    def action_page_up(self) -> None:
        page = max(1, self.scrollable_content_region.height - 1)
        self.move_cursor(self.cursor - page, -1)
