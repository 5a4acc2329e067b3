"""The keys a pane has for the record, and what typing into a pane does (the war-room
screen's part).

A pane's record keys run here, on the screen, the moment they arrive (``keymap``:
``screen.pane_act``), so whatever they open has the focus before the next key. None
writes silently: marking a step or accepting a handoff asks on the one-line
``ConfirmLine`` first; correcting, retracting, failing or skipping a step, assigning
and handing off open the ``:`` line with the command typed in, the cursor at its end;
the one key that writes at once, ``space`` on a checklist item, is taken back the same
way (a new mark). A mark made by mistake is taken back on the record (``o`` reopens a
step; ``:uncheck``), never erased.

A character typed into a pane that has no key for it goes to the entry bar — as do the
characters that answer "no" to a question — so a scribe who thought the bar had the
focus loses nothing and writes nothing they did not mean.
"""

from collections.abc import Callable
from typing import TYPE_CHECKING

from textual import events
from textual.keys import key_to_character

from warroom.core.errors import WarroomError
from warroom.tui import keymap
from warroom.tui.widgets.command_line import CommandInput
from warroom.tui.widgets.confirm_line import ConfirmLine
from warroom.tui.widgets.cursor_view import CursorView
from warroom.tui.widgets.entry_bar import EntryBar
from warroom.tui.widgets.runbook import ACTIONS as READING_ACTIONS
from warroom.tui.widgets.runbook import FAIL_AFTER_RUN, failed_run
from warroom.tui.widgets.text_pane import TextPane
from warroom.tui.widgets.timeline import Timeline

if TYPE_CHECKING:
    from warroom.core.state import IncidentState
    from warroom.tui.host import WarroomHost

APP_KEYS = frozenset(key for action in keymap.APP for key in action.keys.split(","))
"""ctrl+q, the palette, help: the app's even while a question is open (ctrl+q again
while quit asks means yes)."""

CONFIRMED = {"step claim": "claim", "step start": "start", "step done": "mark done"}
"""Step marks that ask first, and how the question words them."""


class PaneKeys:
    """Pane record keys and typing into panes; mixed into ``WarRoomScreen``."""

    app: "WarroomHost"
    state: "IncidentState | None"
    if TYPE_CHECKING:
        refuse_read_only: Callable[[str], None]  # ``KeyHandling``'s

    def type_into_entry(self, text: str) -> None:
        """Put ``text`` at the entry bar's cursor and give the bar the focus."""
        if self.app.read_only:
            self.refuse_read_only("read-only: there is no entry bar to type into")
            return
        bar = self.query_one(EntryBar)
        self.set_focus(bar.input)
        bar.insert(text)

    def carry_typed(self, text: str) -> None:
        """Typing that answered a question "no": back to the ``:`` line when the question
        was asked over it (quit), otherwise to the entry bar."""
        if isinstance(self.focused, CommandInput):
            self.focused.insert_typed(text)
        else:
            self.type_into_entry(text)

    def on_cursor_view_typed(self, message: CursorView.Typed) -> None:
        self.type_into_entry(message.text)

    def take_key(self, event: events.Key) -> bool:
        """Called by the app for each key as it arrives, before it is handed out: answer
        an open question, or move a character a pane has no key for to the entry bar.

        Here and not in a handler of the pane: by the time the pane's queue got to the
        key, the app would have handed it the next keys too — a ``space`` behind a
        stray ``d`` would check an item before the ``d`` had moved the focus away."""
        focused = self.focused
        if isinstance(focused, ConfirmLine) and event.key not in APP_KEYS:
            focused.answer(event)
            return True
        if (
            isinstance(focused, CursorView)
            and event.is_printable
            and event.character
            and event.key not in self.active_bindings
        ):
            self.type_into_entry(event.character)
            return True
        return False

    def action_pane_act(self, action: str) -> None:
        """A pane's record key on its selected row (timeline entry, role, item, step)."""
        pane = self.focused
        if isinstance(pane, Timeline):
            row = pane.selected
            if row is not None:
                self.amend_row(row, action)
            return
        state = self.state
        key = pane.selected_key if isinstance(pane, TextPane) else None
        if state is None or key is None:
            return
        typed = self._typed_key(f"screen.pane_act('{action}')")
        if action == "check":
            phase, item = key.split("/", 1)
            checked = not state.is_checked(phase, item)
            self.write(action, lambda room, at: room.check(state.id, key, checked=checked, at=at))
            undo = "space again takes it back" if checked else "space again checks it"
            self.app.notify(f"{'checked' if checked else 'unchecked'} {key}; {undo}", timeout=4)
        elif action == "accept":
            self.confirm(
                f"accept the handoff of {key} to you?",
                lambda: self.write(
                    action, lambda room, at: room.accept_handoff(state.id, key, at=at)
                ),
                typed,
            )
        elif action in CONFIRMED or action == "step reopen":
            mark = action.split()[1]
            verb = CONFIRMED.get(action, "reopen")
            self.confirm(
                f"{verb} step {key}?",
                lambda: self.write(
                    action, lambda room, at: room.mark_step(state.id, key, mark, at=at)
                ),
                typed,
            )
        elif action in READING_ACTIONS:
            self.open_reading(action, key)
        elif action == "step fail" and self._failed_after_run(state, key):
            self.open_reading(FAIL_AFTER_RUN, key)  # asks, with the run's outcome as reason
        elif action == "step run":
            try:
                self.ask_to_run(key)
            except WarroomError as exc:
                self._refused(exc)
        else:  # assign, handoff, a step failed or skipped: the : line asks for the rest
            self.open_command_line(f"{action} {key} ")

    @staticmethod
    def _failed_after_run(state: "IncidentState", key: str) -> bool:
        runbook_id, _, step_id = key.partition("/")
        pinned = state.runbooks.get(runbook_id)
        return pinned is not None and failed_run(pinned, step_id) is not None

    def action_acknowledge(self) -> None:
        """``A``: acknowledge the incident, after asking (the ladder stops paging for it)."""
        state = self.state
        if state is None:
            return
        acknowledged = state.milestones.get("acknowledged")
        if acknowledged is not None:
            self.app.notify(f"{state.id} was acknowledged at {acknowledged:%H:%M}", timeout=4)
            return
        self.confirm(
            f"acknowledge {state.id}? (stops the ladder's unacknowledged pages)",
            lambda: self.write("ack", lambda room, at: room.acknowledge(state.id, at=at)),
            self._typed_key("acknowledge"),
        )

    def amend_row(self, row, action: str) -> None:
        """``c`` / ``x`` on a timeline entry: the ``:`` line, ready for the new text."""
        if row.rejected is not None:
            self.app.notify(
                "the server rejected this entry, so it is not in the record: nothing to"
                " amend (log it again if it still matters)",
                severity="warning",
                timeout=6,
            )
        else:
            self.open_command_line(f"{action} {row.id} ")

    def confirm(self, question: str, yes, typed: str = "", no=None) -> None:
        """Ask ``question`` on the one-line prompt; ``yes()`` only on Enter or ``y``,
        ``no()`` (if given) on anything else."""
        previous = self.focused
        then = no

        def no() -> None:
            if previous is not None and previous.is_attached:
                self.set_focus(previous)
            self.app.notify(f"not done: {question.rstrip('?')}", timeout=3)
            if then is not None:
                then()

        def yes_then_back() -> None:
            if previous is not None and previous.is_attached:
                self.set_focus(previous)
            yes()

        self.query_one(ConfirmLine).ask(question, yes_then_back, no, typed)

    def _typed_key(self, action: str) -> str:
        """The character of the key bound to ``action`` here (as remapped), if it is one."""
        for key, active in self.active_bindings.items():
            if active.binding.action == action:
                return key_to_character(key) or ""
        return ""
