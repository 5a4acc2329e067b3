"""A side pane of a few dozen lines (roles, checklist, runbook), rebuilt from state.

The pane keeps its rows as ``Text`` with an optional key (the role id, ``phase/item``,
the step id); rows without a key are headings the cursor skips. ``show`` repaints only
when a row really changed, so an update that does not concern a pane costs no bytes on
the wire — that matters on a 9600-baud-feeling SSH link.
"""

from rich.text import Text
from textual.strip import Strip

from warroom.tui.widgets.cursor_view import CursorView

PaneRow = tuple[Text, str | None]


class TextPane(CursorView):
    """The pane's keys act on ``selected_key`` (see ``screens.keys.KeyHandling.pane_act``)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._rows: list[PaneRow] = []
        self._strips: dict[tuple[int, int], Strip] = {}

    @property
    def row_count(self) -> int:
        return len(self._rows)

    @property
    def selected_key(self) -> str | None:
        if 0 <= self.cursor < len(self._rows):
            return self._rows[self.cursor][1]
        return None

    def selectable(self, index: int) -> bool:
        return self._rows[index][1] is not None

    def render_row(self, index: int, width: int) -> Strip:
        key = (index, width)
        strip = self._strips.get(key)
        if strip is None:
            strip = self._strips[key] = self.text_strip(self._rows[index][0], width)
        return strip

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips.clear()

    def show(self, rows: list[PaneRow], cursor_key: str | None = None) -> None:
        """Replace the rows; keep the cursor on the same key, else on ``cursor_key``."""
        if rows == self._rows:
            return
        keep = self.selected_key if self._rows else cursor_key
        self._rows = rows
        self._strips.clear()
        self.update_size()
        keys = [key for _, key in rows]
        target = keep if keep in keys else cursor_key
        index = keys.index(target) if target in keys else self.cursor
        self.move_cursor(index)
        self.refresh()
