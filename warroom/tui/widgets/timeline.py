"""The timeline: a line-API view over an incident's log that stays smooth at 100k entries.

Textual's DataTable, ListView and RichLog keep every row (or every rendered line) in
memory and pay per row on each change; at 100k entries that is seconds per update (see
``reference/terminal-apps.md``). This view keeps only the *order* — two flat arrays of
sequence numbers and timestamps, 16 bytes an entry — and asks the reader thread for the
rows it is about to draw, a page at a time, through an LRU. ``render_line`` renders
only what is on screen, and an append costs one array append and one repaint.

Entries are ordered by when they happened, so a backdated entry slots in where it
belongs. The view follows new entries until the cursor leaves the bottom (PAUSED, with a
count of what arrived meanwhile); ``G`` or End follows again. ``/`` filters by kind and
text in the reader thread, which answers with the matching positions.

Corrections and retractions never edit a row in place in the record, but the view shows
the corrected text (marked ✎) or strikes a retracted entry (marked ⊘). Entries the sync
server has not acknowledged yet are marked ◌.

Entries the server *refused* are shown too, never silently dropped: inline, at the time
they happened like any other entry (the view orders by ``occurred_at``, not by position
in the log, so a refused entry needs no special place), tagged ``✗ REJECTED`` with the
server's reason, its own text dimmed because it is not in the record. They come from the
store's ``rejected`` table under negative positions (see ``store_reader``), are paged and
cached like the rest, and match ``/`` on their text, their author, the word REJECTED and
the reason (``/rejected`` lists them all).
"""

from array import array
from bisect import bisect_right
from collections.abc import Iterable
from typing import TYPE_CHECKING

from rich.text import Text
from textual.cache import LRUCache
from textual.message import Message
from textual.reactive import reactive
from textual.strip import Strip

from warroom.tui import keymap
from warroom.tui.render import clock, first_line, safe, zone_name
from warroom.tui.rows import LABEL_WIDTH, REJECTED_TAG, Row, TimelineFilter, kind_label
from warroom.tui.widgets.cursor_view import CursorView

if TYPE_CHECKING:
    from warroom.core.state import EntryFix

PAGE = 256
ROW_CACHE = 4096
ACTOR_WIDTH = 10
NARROW = 100
"""Below this width rows drop the seconds and shorten names, to leave room for the text."""

KIND_STYLES = {
    "declaration": "bold reverse",
    "observation": "cyan",
    "action": "green",
    "decision": "bold magenta",
    "hypothesis": "yellow",
    "todo": "bold yellow",
    "status_update": "bold blue",
    "severity_changed": "bold red",
    "status_changed": "bold",
    "phase_changed": "bold",
    "role_assigned": "blue",
    "role_released": "blue",
    "handoff": "bold blue",
    "handoff_accepted": "blue",
    "checklist_marked": "green",
    "escalation": "bold red",
    "alert_received": "red",
    "threshold_crossed": "red",
    "correction": "dim",
    "retraction": "dim",
    "runbook_attached": "bold cyan",
    "runbook_step": "cyan",
    "command_run": "cyan",
}


class TimelineData:
    """What the timeline shows, kept apart from the widget so it survives a layout switch.

    ``order`` is every entry, ``view`` what is shown — the same object unless filtered.
    """

    def __init__(self) -> None:
        self.incident_id: str | None = None
        self.order: tuple[array, array] = (array("q"), array("d"))
        self.view = self.order
        self.rows: LRUCache[int, Row] = LRUCache(ROW_CACHE)
        self.pending: set[int] = set()
        self.unsent: frozenset[str] = frozenset()
        """Ids of entries the sync server has not acknowledged yet (marked ◌)."""
        self.fixes: dict[str, EntryFix] = {}
        self.query = TimelineFilter()
        self.generation = 0
        self.filtering = False

    def load(
        self, incident_id: str, seqs: array, stamps: array, rows: list[Row], fixes: dict
    ) -> None:
        """A freshly opened incident: its order and its newest rows."""
        self.incident_id = incident_id
        self.order = self.view = (seqs, stamps)
        self.rows.clear()
        self.pending.clear()
        self.fixes = fixes
        self.query = TimelineFilter()
        self.generation += 1  # an answer to a filter on the previous incident is stale
        self.filtering = False
        self.keep(rows)

    def add(self, rows: list[Row], fixes: dict) -> tuple[list[int], bool]:
        """Slot new rows in; their indexes in the view, and whether the fixes changed."""
        changed = fixes != self.fixes
        self.fixes = fixes
        self.keep(rows)
        placed = [self.insert(row) for row in rows]
        return [at for at in placed if at is not None], changed

    @property
    def filtered(self) -> bool:
        return self.view is not self.order

    def keep(self, rows: Iterable[Row]) -> None:
        for row in rows:
            self.rows[row.seq] = row
            self.pending.discard(row.seq)

    def fixed_text(self, row: Row) -> str | None:
        fix = self.fixes.get(row.id)
        return fix.text if fix else None

    def insert(self, row: Row) -> int | None:
        """Slot a new row into the order (and the filtered view); its index in the view."""
        at = _insert(self.order, row)
        if self.filtered:
            matches = self.query.matches(row, self.fixed_text(row))
            return _insert(self.view, row) if matches else None
        return at


class Timeline(CursorView):
    pane = "timeline"
    title = "Timeline"
    digit = "1"
    BINDINGS = keymap.bindings(keymap.TIMELINE)

    follow: reactive[bool] = reactive(True)

    class NeedRows(Message):
        """The view scrolled to rows it does not hold; the screen asks the reader."""

        def __init__(self, seqs: tuple[int, ...]) -> None:
            super().__init__()
            self.seqs = seqs

    class RunFilter(Message):
        """The filter changed; the screen asks the reader for the matching positions."""

        def __init__(self, generation: int, query: TimelineFilter) -> None:
            super().__init__()
            self.generation = generation
            self.query = query

    class Chosen(Message):
        """A row was chosen (Enter) to be shown in full; ``action`` says what for."""

        def __init__(self, row: Row, action: str) -> None:
            super().__init__()
            self.row = row
            self.action = action

    def __init__(self, data: TimelineData, **kwargs) -> None:
        super().__init__(**kwargs)
        self.border_title = f"{self.digit} {self.title} · times {zone_name()}"  # said once
        self.data = data
        self._strips: LRUCache[tuple[int, int], Strip] = LRUCache(1024)
        self._unseen = 0
        self._subtitle: Text | None = None

    def on_mount(self) -> None:
        super().on_mount()
        self._reshape(follow=True)

    # -- data in -------------------------------------------------------------------------

    def load(
        self, incident_id: str, seqs: array, stamps: array, rows: list[Row], fixes: dict
    ) -> None:
        """Show a freshly opened incident, following its newest entries."""
        self.data.load(incident_id, seqs, stamps, rows, fixes)
        self._strips.clear()
        self._unseen = 0
        self.follow = True
        self._reshape(follow=True)

    def add(self, rows: list[Row], fixes: dict) -> None:
        """New entries arrived: slot them into the order and, if following, show them."""
        placed, fixes_changed = self.data.add(rows, fixes)
        if fixes_changed:
            self._strips.clear()
        above = sum(at <= self.cursor for at in placed)
        if not self.follow:
            self._unseen += len(rows)
            if above:  # a backdated entry slotted in above: stay on the same row
                self.set_reactive(Timeline.cursor, self.cursor + above)
        self._reshape(follow=self.follow)

    def mark_unsent(self, ids: frozenset[str]) -> None:
        """The sync worker's list of entries still pending: redraw if it changed."""
        if ids != self.data.unsent:
            self.data.unsent = ids
            self._strips.clear()
            self.refresh()

    def keep(self, rows: list[Row]) -> None:
        """Rows the reader fetched for scrolling."""
        self.data.keep(rows)
        self.refresh()

    def _reshape(self, follow: bool) -> None:
        self.update_size()
        if follow:
            self.move_cursor(self.row_count - 1, -1)
        self.refresh()
        self._update_subtitle()

    # -- filtering -----------------------------------------------------------------------

    def set_filter(self, query: TimelineFilter) -> None:
        data = self.data
        data.query = query
        data.generation += 1
        if not query.active:
            data.filtering = False
            data.view = data.order
            self.follow = True
            self._reshape(follow=True)
            return
        data.filtering = True
        self._update_subtitle()
        self.post_message(self.RunFilter(data.generation, query))

    def show_filtered(self, generation: int, seqs: array, stamps: array, rows: list[Row]) -> None:
        data = self.data
        if generation != data.generation:
            return  # an older filter's answer
        data.filtering = False
        data.keep(rows)
        data.view = (seqs, stamps)
        self.follow = True
        self._reshape(follow=True)

    # -- rendering -----------------------------------------------------------------------

    @property
    def row_count(self) -> int:
        return len(self.data.view[0])

    @property
    def selected(self) -> Row | None:
        seqs = self.data.view[0]
        if 0 <= self.cursor < len(seqs):
            return self.data.rows.get(seqs[self.cursor])
        return None

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips.clear()

    def render_row(self, index: int, width: int) -> Strip:
        seq = self.data.view[0][index]
        row = self.data.rows.get(seq)
        if row is None:
            self._request(index)
            return self.text_strip(Text("…", style="dim"), width)
        key = (seq, width)
        strip = self._strips.get(key)
        if strip is None:
            strip = self._strips[key] = self.text_strip(self.line(row, width < NARROW), width)
        return strip

    def line(self, row: Row, narrow: bool = False) -> Text:
        """One row: time, kind, who, and the (corrected) text; tighter when ``narrow``."""
        when = clock(row.at)[:5] if narrow else clock(row.at)
        text = Text(when + " ", style="dim", end="")
        text.append(f"{kind_label(row.kind):<{LABEL_WIDTH}} ", style=KIND_STYLES.get(row.kind, ""))
        width = ACTOR_WIDTH // 2 + 1 if narrow else ACTOR_WIDTH
        actor = safe(row.actor[:width], style="italic")
        actor.pad_right(width - actor.cell_len)
        text.append_text(actor)
        text.append(" ")
        if row.rejected is not None:  # refused by the server: kept here, not in the record
            text.append(f"✗ {REJECTED_TAG}", style="bold reverse")
            text.append(" ")
            text.append_text(first_line(row.text, style="dim"))
            text.append("  server: ", style="italic")
            text.append_text(safe(row.rejected, style="italic"))
            return text
        if row.id in self.data.unsent:
            text.append("◌ ", style="dim")  # recorded here, not yet acknowledged by the server
        fix = self.data.fixes.get(row.id)
        if fix is None:
            text.append_text(first_line(row.text))
        elif fix.retracted:
            text.append("⊘ ", style="bold")
            text.append_text(first_line(row.text, style="strike dim"))
            text.append("  retracted: ", style="italic")
            text.append_text(first_line(fix.text, style="italic"))
        else:
            text.append("✎ ", style="bold")
            text.append_text(first_line(fix.text))
        return text

    def _request(self, index: int) -> None:
        data = self.data
        start = index - index % PAGE
        wanted = tuple(
            seq
            for seq in data.view[0][start : start + PAGE]
            if seq not in data.pending and seq not in data.rows
        )
        if wanted:
            data.pending.update(wanted)
            self.post_message(self.NeedRows(wanted))

    def _update_subtitle(self) -> None:
        data = self.data
        parts = Text(end="")
        if data.query.active:
            parts.append("filter ", style="bold")
            parts.append_text(safe(data.query.describe()))
            parts.append(" … " if data.filtering else f" ({self.row_count}) ")
        if self.follow:
            parts.append("FOLLOW", style="bold")
        else:
            parts.append("PAUSED", style="bold reverse")
            if self._unseen:
                parts.append(f" · {self._unseen} new")
        if parts != self._subtitle:
            self._subtitle = parts
            self.border_subtitle = parts

    # -- keys ----------------------------------------------------------------------------

    def watch_cursor(self, old: int, new: int) -> None:
        super().watch_cursor(old, new)
        self.follow = new >= self.row_count - 1

    def watch_follow(self, follow: bool) -> None:
        if follow:
            self._unseen = 0
        self._update_subtitle()

    def action_toggle_follow(self) -> None:
        if self.follow:
            self.follow = False
        else:
            self.action_cursor_bottom()

    def _choose(self, action: str) -> None:
        row = self.selected
        if row is not None:
            self.post_message(self.Chosen(row, action))

    def action_details(self) -> None:
        self._choose("details")


def _insert(order: tuple[array, array], row: Row) -> int:
    """Put ``row`` in timeline order (by time, then record order); returns its index."""
    seqs, stamps = order
    stamp = row.order_key[0]
    if not stamps or stamp >= stamps[-1]:
        seqs.append(row.seq)
        stamps.append(stamp)
        return len(seqs) - 1
    at = bisect_right(stamps, stamp)
    seqs.insert(at, row.seq)
    stamps.insert(at, stamp)
    return at
