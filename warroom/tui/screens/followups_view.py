"""The follow-ups views: action items across every incident (overdue first) and the
risk register (highest exposure first, flagged risks marked), one modal with ``tab``
between the two.

The rows are read on a worker thread with a store of its own (an SQLite connection
belongs to one thread) from the follow-ups cache, so 10,000 incidents cost one query.
A key that changes an item (done, in progress, won't do, reassign, re-date) closes the
view with that change typed on the ``:`` line — Enter records it, Esc drops it — as the
timeline's correct and retract keys do.
"""

from collections.abc import Callable
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from warroom.tui import keymap
from warroom.tui.render import safe

if TYPE_CHECKING:
    from warroom.core.policy_sections import RiskScales

ACTIONS, RISKS = "actions", "risks"
CHANGES = {
    "done": "done",
    "progress": "in-progress",
    "wont": "wont-do",
    "reassign": "reassign",
    "redate": "redate",
}
"""View action → the ``:followup`` verb it types."""


class FollowUpRows(Message):
    """What the worker read: the rows of one view, or why it could not."""

    def __init__(self, mode: str, rows: list, error: str = "") -> None:
        super().__init__()
        self.mode, self.rows, self.error = mode, rows, error


def read_rows(
    database: Path, mode: str, scales: "RiskScales", now: datetime, post: Callable[[Message], Any]
) -> None:
    """On a worker thread: the rows of ``mode`` from the follow-ups cache."""
    from warroom.core.errors import WarroomError
    from warroom.store.followups import action_rows, register_rows
    from warroom.store.local import LocalStore

    try:
        with LocalStore(database) as store:
            read = action_rows if mode == ACTIONS else partial(register_rows, scales=scales)
            rows = read(store, now=now)
    except WarroomError as exc:
        post(FollowUpRows(mode, [], f"the follow-ups could not be read: {exc}"))
        return
    post(FollowUpRows(mode, rows))


def _row(lead: Text, middle: str, tail: str, width: int, *, dim: bool, flags: str = "") -> Text:
    """A row of a view: fixed ``lead`` and ``tail`` columns, the middle cut to fit."""
    room = max(8, width - len(lead) - len(tail) - len(flags) - 1)
    text = safe(middle)
    text.truncate(room, overflow="ellipsis", pad=True)
    lead.append_text(text).append(tail, style="dim" * dim)
    return lead.append(flags, style="bold reverse")


def _action_tail(owner: str, due: str, priority: str, status: str) -> str:
    return f" {owner[:8]:<8} {due:<5} {priority[:4]:<4} {status[:11]}"


def action_line(row, width: int) -> Text:
    """One action item: OVERDUE, incident, text, owner, due date, priority, status."""
    item = row.item
    lead = Text("OVERDUE " if row.overdue else "        ", style="bold reverse" * row.overdue)
    lead.append(f"{row.incident.incident_id} ")
    due = f"{item.due:%m-%d}" if item.due else "--"
    status = item.status.replace("_", " ")
    tail = _action_tail(item.owner or "-", due, item.priority or "-", status)
    return _row(lead, item.text, tail, width, dim=item.closed)


def action_header(rows: list, width: int) -> Text:
    """The column names over ``action_line``'s columns."""
    id_width = max((len(row.incident.incident_id) for row in rows), default=8)
    lead = Text(" " * 8 + "incident".ljust(id_width) + " ", style="bold")
    tail = _action_tail("owner", "due", "prio", "status")
    header = _row(lead, "action item", tail, width, dim=False)
    header.stylize("bold")
    return header


def _risk_tail(owner: str, review: str, status: str) -> str:
    return f" {owner[:8]:<8} {review} {status}"


def risk_line(row, width: int) -> Text:
    """One risk: exposure, likelihood x impact, title, owner, review date, flags."""
    risk = row.risk
    flags = f" [{', '.join(row.flags).upper()}]" if row.flags else ""
    review = f"{risk.review_at:%Y-%m-%d}" if risk.review_at else "no review"
    tail = _risk_tail(risk.owner or "-", review, risk.status)
    title = f"{risk.title} ({risk.likelihood} x {risk.impact})"
    lead = Text(f"{row.exposure:>3} ", style="bold")
    return _row(lead, title, tail, width, dim=risk.status == "closed", flags=flags)


def risk_header(width: int) -> Text:
    """The column names over ``risk_line``'s columns."""
    tail = _risk_tail("owner", "review".ljust(10), "status")
    header = _row(Text("exp "), "risk (likelihood x impact)", tail, width, dim=False)
    header.stylize("bold")
    return header


class FollowUpsView(ModalScreen[str | None]):
    """Returns a ``:`` line to open (``followup done inc-… 01a2…``) or ``None``."""

    BINDINGS = keymap.bindings(keymap.FOLLOWUPS)

    def __init__(self, mode: str, database: Path, scales: "RiskScales", now: datetime) -> None:
        super().__init__()
        self.mode, self.database, self.scales, self.now = mode, database, scales, now
        self.rows: list = []

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="followups-dialog"):
            yield Label(self._title(), id="followups-title")
            yield OptionList(id="followups-list")

    def _title(self) -> Text:
        if self.mode == ACTIONS:
            title = Text("Action items, every incident (overdue first)\n", style="bold")
            return title.append(
                "d done · p in progress · w won't do · o reassign · e re-date · tab"
            )
        title = Text("Risk register by exposure (likelihood x impact)\n", style="bold")
        return title.append("flagged: review passed or every mitigation overdue · tab · q")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()
        self._load()

    def _load(self) -> None:
        self.query_one(Label).update(self._title())
        self.query_one(OptionList).clear_options()
        work = partial(read_rows, self.database, self.mode, self.scales, self.now, self.post)
        self.run_worker(work, thread=True, group="followups", exit_on_error=False)

    def post(self, message: Message) -> None:
        self.post_message(message)

    def on_follow_up_rows(self, message: FollowUpRows) -> None:
        if message.mode != self.mode:
            return  # a read for the view shown before tab
        options = self.query_one(OptionList)
        if message.error:
            options.add_option(Option(Text(message.error), disabled=True))
            return
        self.rows = message.rows
        width = options.scrollable_content_region.width or self.size.width
        if self.mode == ACTIONS:
            line, header = action_line, action_header(self.rows, width)
            empty = "No open action items. `warroom actions add INCIDENT TEXT` raises one."
        else:
            line, header = risk_line, risk_header(width)
            empty = "The register is empty. `warroom risks add TITLE` raises a risk."
        if not self.rows:
            options.add_option(Option(Text(empty), disabled=True))
            return
        options.add_option(Option(header, disabled=True))
        options.add_options([Option(line(row, width)) for row in self.rows])
        options.highlighted = 1

    def action_switch(self) -> None:
        self.mode = RISKS if self.mode == ACTIONS else ACTIONS
        self.rows = []
        self._load()

    def action_cursor(self, direction: str) -> None:
        options = self.query_one(OptionList)
        options.action_cursor_down() if direction == "down" else options.action_cursor_up()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return not (getattr(self.app, "read_only", False) and action == "change")

    def action_change(self, change: str) -> None:
        """Close with the change typed on the ``:`` line, for the highlighted item."""
        index = self.query_one(OptionList).highlighted
        if self.mode != ACTIONS or index is None or not 0 < index <= len(self.rows):
            return
        row = self.rows[index - 1]  # option 0 is the column names
        self.dismiss(f"followup {CHANGES[change]} {row.incident.incident_id} {row.short_id} ")
