"""Screen keys and focus of the war-room screen (its part).

Screen-wide keys (``keymap.SCREEN``) land in the ``action_*`` methods here; a pane's
record keys are in ``pane_keys``. The entry bar is where the keyboard lives: every
layout starts there, and Escape in a pane goes back to it (Escape in the bar goes to
the panes). Focus moves with ``set_focus`` rather than ``widget.focus()``: the latter
is deferred, so keys typed right after ``i`` or ``:`` (a fast typist, a paste, tmux)
would still go to the widget that had focus.
"""

from time import monotonic
from typing import TYPE_CHECKING

from rich.text import Text
from textual.css.query import NoMatches
from textual.widgets import ContentSwitcher, Input

from warroom.tui import keymap
from warroom.tui.widgets.command_line import CommandLine
from warroom.tui.widgets.confirm_line import ConfirmLine
from warroom.tui.widgets.entry_bar import EntryBar
from warroom.tui.widgets.runbook import ACTIONS as READING_ACTIONS
from warroom.tui.widgets.status_strip import StatusStrip

if TYPE_CHECKING:
    from warroom.core.state import IncidentState
    from warroom.tui import messages as msg
    from warroom.tui.host import WarroomHost
    from warroom.tui.layouts import Layout


READ_ONLY_NOTICE_S = 5.0
"""How long a read-only screen's refusal shows; the same refusal is not shown again
meanwhile."""


class KeyHandling:
    """Keys and focus; mixed into ``WarRoomScreen`` (a Textual ``Screen``)."""

    app: "WarroomHost"
    state: "IncidentState | None"
    incidents: "list[msg.IncidentSummary]"
    current_layout: "Layout | None"
    refusals_shown: dict[str, float]
    """Each read-only refusal on screen, and when it goes (``refuse_read_only``)."""

    def refuse_read_only(self, text: str) -> None:
        """Say why a read-only screen did nothing, once for as long as the notice shows:
        a sentence typed into a pane (or a hand on the keyboard) would otherwise stack
        one notice per key until they covered the screen."""
        now = monotonic()
        if self.refusals_shown.get(text, 0.0) > now:
            return
        self.refusals_shown[text] = now + READ_ONLY_NOTICE_S
        self.app.notify(text, severity="warning", markup=False, timeout=READ_ONLY_NOTICE_S)

    def _focus_main_pane(self) -> None:
        """The layout's starting pane, or its first one when it does not show that pane."""
        layout = self.current_layout
        if layout is not None:
            start = layout.focus if layout.focus in layout.panes else layout.panes[0]
            self.action_focus_pane(start)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in keymap.YIELD_TO_TYPING and isinstance(self.focused, Input | ConfirmLine):
            return False  # a character for the input (or an answer), not a screen command
        if action == "pane_act" and parameters and parameters[0] in READING_ACTIONS:
            return True  # reading a step changes nothing: read-only screens read too
        return not (self.app.read_only and action in keymap.MUTATING)

    def focus_home(self) -> None:
        """The entry bar — or, on a read-only screen, which has none, the layout's pane."""
        if self.app.read_only:
            self._focus_main_pane()
        else:
            self.action_focus_entry()

    def open_command_line(self, text: str = "", mode: str = ":") -> None:
        self._focus_before = self.focused
        self.query_one(CommandLine).open(mode, text)

    def _restore_focus(self) -> None:
        previous = getattr(self, "_focus_before", None)
        if previous is not None and previous.is_attached and previous.display:
            self.set_focus(previous)
        else:
            self.focus_home()

    def action_command_line(self) -> None:
        self.open_command_line()

    def action_filter(self) -> None:
        timeline = self._timeline()
        current = timeline.data.query if timeline else None
        text = ""
        if current is not None and current.active:
            kinds = ",".join(sorted(current.kinds))
            text = f"{kinds}: {current.text}" if kinds else current.text
        self.open_command_line(text, mode="/")

    def action_focus_entry(self) -> None:
        if self.app.read_only:
            return
        self.set_focus(self.query_one(EntryBar).input)

    def action_focus_pane(self, name: str) -> None:
        try:
            pane = self.query_one(f"#pane-{name}")
        except NoMatches:
            self.app.notify(f"the {self.current_layout.name} layout has no {name} pane", timeout=3)
            return
        switcher = pane.parent
        if isinstance(switcher, ContentSwitcher):
            switcher.current = pane.id
        self.set_focus(pane)

    def action_switch_incident(self) -> None:
        from warroom.tui.screens.picker import IncidentPicker

        self.app.push_screen(IncidentPicker(self.incidents, self.incident_id), self._picked)

    def _picked(self, choice: str | None) -> None:
        from warroom.tui.screens.picker import NEW_INCIDENT

        if choice == NEW_INCIDENT:
            self.open_declare_form()
        elif choice:
            self.link.open(choice)

    def open_declare_form(
        self, severity: str | None = None, incident_type: str | None = None, title: str = ""
    ) -> None:
        if self.app.read_only:
            self.query_one(StatusStrip).show_message(
                Text("No incident here yet, and this screen is read-only.", style="bold")
            )
            return
        from warroom.tui.screens.declare import DeclareForm

        form = DeclareForm(self.app.config.policy, severity, incident_type, title)
        self.app.push_screen(form, self._declared)

    def take_typed_ahead(self) -> str:
        """What was typed into the entry bar before the screen knew the home holds no
        incident (on the boot screen, or while the store opened): taken out of the bar
        for the declare form's title, where the typist meant it to go. A ``:`` command
        stays where it is."""
        bar = self.query_one(EntryBar)
        typed = bar.input.value.strip()
        if not typed or typed.startswith(":"):
            return ""
        bar.input.value = ""
        return typed

    def _declared(self, result: tuple[str, str, str, list[str]] | None) -> None:
        if result is not None:
            self.declare(*result)

    async def action_next_layout(self) -> None:
        names = sorted(self.app.layouts.by_name)
        current = self.current_layout.name if self.current_layout else names[0]
        following = names[(names.index(current) + 1) % len(names)] if current in names else names[0]
        await self.apply_layout(following, forced=True)
        self.app.notify(f"layout {following}", timeout=2)

    def action_help(self) -> None:
        self.app.action_help()
