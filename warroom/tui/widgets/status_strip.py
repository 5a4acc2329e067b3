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
        self.compact = False
        self._text: Text | None = None

    def compose(self) -> ComposeResult:
        yield Static(Text("warroom — opening the store…", style="bold"), id="strip-main")
        yield Static(id="strip-sync")

    def show_message(self, text: Text) -> None:
        self._set(text)

    def update_from(self, policy: Policy, state: "IncidentState", now: datetime) -> None:
        self._set(self.describe(policy, state, now))

    def _set(self, text: Text) -> None:
        if text != self._text:
            lines = self._text.plain.count("\n") if self._text is not None else -1
            self._text = text
            # A new layout (costly) only when the strip gains or loses a line.
            relayout = text.plain.count("\n") != lines
            self.query_one("#strip-main", Static).update(text, layout=relayout)

    def describe(self, policy: Policy, state: "IncidentState", now: datetime) -> Text:
        from warroom.core.clocks import escalation_ladder, update_clocks

        head = Text(f" {state.severity} ", style=severity_style(policy, state.severity), end="")
        head.append(f" {state.id}  ", style="bold")
        head.append_text(safe(state.title, style="bold"))
        if state.drill:
            head.append("  DRILL", style="bold reverse")
        declared = state.milestones.get("declared")
        facts = Text(end="")
        facts.append(state.status.upper(), style="bold")
        facts.append(" · phase ")
        facts.append(state.phase, style="bold")
        facts.append(" · IC ")
        commander = state.commander
        if commander:
            facts.append_text(safe(commander, style="bold"))
        else:
            facts.append("NONE", style="bold reverse")
        if declared is not None:
            age = short_duration(now - declared)
            facts.append(f" · T+{age}" if self.compact else f" · declared {age} ago")
        clocks = update_clocks(policy, state, now)
        if clocks:
            facts.append(" · " if self.compact else " · next update: ")
            for n, clock in enumerate(clocks):
                if n:
                    facts.append(" ")
                name = clock.audience[:3] if self.compact else clock.audience
                if clock.overdue:
                    late = short_duration(now - clock.due_at)
                    facts.append(f"{name} OVERDUE {late}", style="bold reverse")
                else:
                    facts.append(f"{name} {short_duration(clock.remaining(now))}")
        lines = [head, facts]
        ladder = escalation_ladder(policy, state, now)
        fired = [step for step in ladder if step.fired]
        waiting = sorted(
            (s for s in ladder if not s.fired and not s.settled and s.fires_at),
            key=lambda s: s.fires_at,
        )
        if not self.compact and (fired or waiting):
            escalation = Text("escalation: ", end="")
            for step in fired:
                escalation.append(f"FIRED {step.rule.id}", style="bold reverse")
                escalation.append(f" ({step.rule.action} {step.rule.target}) ")
            if waiting:
                step = waiting[0]
                escalation.append(f"next {step.rule.id} in {short_duration(step.fires_at - now)}")
            lines.append(escalation)
        return Text("\n", end="").join(lines)

    def show_sync(self, state: str, detail: str) -> None:
        """The sync worker's slot: hidden while offline (no backend), shown otherwise."""
        slot = self.query_one("#strip-sync", Static)
        slot.set_class(state != "offline", "-shown")
        label = Text(f"sync {state}", style=SYNC_STYLES.get(state, "bold"), end="")
        if detail:
            label.append(" · ")
            label.append_text(safe(detail))
        slot.update(label)
