"""The status strip: what anyone glancing at the screen must see first.

Incident id and title, severity in its policy colour, status, phase, commander, time
since declaration, the countdown to the next status update per audience (turning to an
OVERDUE warning when missed), and the escalation ladder's latest step. On the right a
slot for the sync worker (``messages.SyncState``), hidden until something posts to it.
"""

from datetime import datetime
from typing import TYPE_CHECKING

from rich.color import ColorParseError
from rich.errors import StyleSyntaxError
from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

from warroom.core.errors import InvalidInput
from warroom.core.policy import Policy
from warroom.tui.render import safe, short_duration
from warroom.tui.strip_compact import (
    Part,
    clock_forms,
    commander_forms,
    escalation_forms,
    fit,
    head_line,
)
from warroom.tui.strip_delivery import undelivered_badge, undelivered_line
from warroom.tui.strip_notices import notice_forms

if TYPE_CHECKING:
    from warroom.core.state import IncidentState

SYNC_STYLES = {"ok": "bold", "syncing": "bold", "behind": "bold reverse", "error": "bold reverse"}


def severity_style(policy: Policy, name: str) -> Style:
    """The severity badge: the policy's colour as background (a bad colour falls back)."""
    try:
        color = policy.severity(name).color
        return Style.parse(f"bold black on {color}")
    except (InvalidInput, StyleSyntaxError, ColorParseError):
        return Style(bold=True, reverse=True)


class StatusStrip(Horizontal):
    DEFAULT_CSS = """
    StatusStrip { height: auto; }
    StatusStrip > #strip-main {
        width: 1fr; height: auto; text-wrap: nowrap; text-overflow: ellipsis;
    }
    StatusStrip > #strip-sync { width: auto; height: 1; display: none; padding: 0 1; }
    StatusStrip > #strip-sync.-shown { display: block; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._compact = False
        self._text: Text | None = None
        self._shown: tuple[Policy, IncidentState, datetime] | None = None
        self._link: tuple[str, str, str] = ("offline", "", "")
        """The sync worker's last report: state, detail, and its short form."""

    @property
    def compact(self) -> bool:
        return self._compact

    @compact.setter
    def compact(self, compact: bool) -> None:
        """The compact strip carries the link itself, on its first line."""
        self._compact = compact
        self._show_link()
        self._redraw()

    def compose(self) -> ComposeResult:
        yield Static(Text("warroom — opening the store…", style="bold"), id="strip-main")
        yield Static(id="strip-sync")

    def show_message(self, text: Text) -> None:
        self._shown = None
        self._set(text)

    def update_from(self, policy: Policy, state: "IncidentState", now: datetime) -> None:
        self._shown = (policy, state, now)
        self._set(self.describe(policy, state, now))

    def on_resize(self) -> None:
        self._redraw()

    def _redraw(self) -> None:
        if self._shown is not None and self.is_mounted:
            self._set(self.describe(*self._shown))

    def _set(self, text: Text) -> None:
        if text != self._text:
            lines = self._text.plain.count("\n") if self._text is not None else -1
            self._text = text
            # A new layout (costly) only when the strip gains or loses a line.
            relayout = text.plain.count("\n") != lines
            self.query_one("#strip-main", Static).update(text, layout=relayout)

    @property
    def _width(self) -> int:
        """Cells for the text (beside the sync slot, when shown), before the first layout
        too."""
        main = self.query_one("#strip-main", Static)
        return main.content_size.width or max(self.app.size.width - 2, 1)

    def describe(self, policy: Policy, state: "IncidentState", now: datetime) -> Text:
        from warroom.core.clocks import update_clocks
        from warroom.core.ladder import escalation_ladder

        head = Text(f" {state.severity} ", style=severity_style(policy, state.severity), end="")
        head.append(f" {state.id}  ", style="bold")
        head.append_text(safe(state.title, style="bold"))
        badges = Text(" ", end="").join(self._badges(state))
        status = Text(state.status.upper(), style="bold", end="")
        phase = Text(state.phase, style="bold", end="")
        declared = state.milestones.get("declared")
        age = short_duration(now - declared) if declared is not None else None
        clocks = update_clocks(policy, state, now)
        ladder = escalation_ladder(policy, state, now)
        delivered = frozenset(d.subject_id for d in state.deliveries.values() if d.delivered)
        if self.compact:
            width = self._width
            parts = [
                Part([status]),
                Part([Text("phase ", end="").append_text(phase), phase]),
                Part(commander_forms(state)),
                Part([Text(f"T+{age}" if age else "", end=""), Text(end="")]),
                Part(clock_forms(clocks, now)),
                Part(escalation_forms(ladder, now, delivered)),
                Part(notice_forms(policy, state)),
            ]
            # Least important first: the age, the word "phase", the other clocks, ...
            facts = fit(parts, [6, 3, 1, 5, 4, 5, 2, 4, 5, 2, 5, 6], width)
            return Text("\n", end="").join([head_line(head, badges, width), facts])
        if badges.cell_len:
            head.append("  ").append_text(badges)
        every = clock_forms(clocks, now)
        if clocks:
            every.insert(0, Text("next update: ", end="").append_text(every[0]))
        parts = [
            Part([status]),
            Part([Text("phase ", end="").append_text(phase)]),
            Part(commander_forms(state)),
            Part([Text(f"declared {age} ago" if age else "", end=""), Text(f"T+{age}", end="")]),
            Part(every),
        ]
        # A forced full layout in a narrow terminal shortens too, rather than cut.
        facts = fit(parts, [3, 4, 4, 2, 4, 2, 4, 3], self._width)
        lines = [head, facts]
        escalation = escalation_forms(ladder, now, delivered)[0]
        if escalation.cell_len:
            lines.append(Text("escalation: ", end="").append_text(escalation))
        if (warning := undelivered_line(state)) is not None:
            lines.append(warning)
        waiting = notice_forms(policy, state)[0]
        if waiting.cell_len:
            lines.append(waiting)
        return Text("\n", end="").join(lines)

    def _badges(self, state: "IncidentState") -> list[Text]:
        """What sits right of the title: READ-ONLY, DRILL and (compact) the link."""
        badges = []
        if getattr(self.app, "read_only", False):
            badges.append(Text("READ-ONLY", style="bold reverse", end=""))
        if state.drill:
            badges.append(Text("DRILL", style="bold reverse", end=""))
        if self.compact and (warning := undelivered_badge(state)) is not None:
            badges.append(warning)
        state_name, _, short = self._link
        if self.compact and state_name != "offline" and short:
            badges.append(Text(short, style=SYNC_STYLES.get(state_name, "bold"), end=""))
        return badges

    def show_sync(self, state: str, detail: str, short: str = "") -> None:
        """The sync worker's report: in its own slot on the right (hidden while there is
        no backend), or — in the compact strip — at the end of the first line."""
        self._link = (state, detail, short or detail)
        self._show_link()
        self._redraw()

    def _show_link(self) -> None:
        state, detail, _ = self._link
        slot = self.query_one("#strip-sync", Static) if self.is_mounted else None
        if slot is None:
            return
        slot.set_class(state != "offline" and not self.compact, "-shown")
        label = Text(f"sync {state}", style=SYNC_STYLES.get(state, "bold"), end="")
        if detail:
            label.append(" · ")
            label.append_text(safe(detail))
        slot.update(label)
