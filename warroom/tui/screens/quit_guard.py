"""Quitting the war-room screen when something is at stake (its part).

``q``, ctrl+q and ``:quit`` leave at once when nothing would be lost. Otherwise the
one-line question says what quitting would stop or leave behind — a step's command
still running, entries the sync server has not acknowledged yet, text in the entry bar
or on an open ``:`` line not recorded — and only Enter or ``y`` quits (the quit key
again does too). A command stopped that way is on the record: its ``command_run``
entry says it was stopped when warroom quit, and the screen waits for that entry to be
written before it exits.
"""

from typing import TYPE_CHECKING

from warroom.tui.widgets.command_line import CommandLine
from warroom.tui.widgets.confirm_line import ConfirmLine
from warroom.tui.widgets.entry_bar import EntryBar

if TYPE_CHECKING:
    from warroom.tui.host import WarroomHost
    from warroom.tui.step_runner import StepRun

QUIT_QUESTION = "quit warroom? it would "
SETTLE_TIMEOUT_S = 5.0
"""How long quitting waits for stopped commands to be recorded before it exits anyway."""


class QuitGuard:
    """Ask before quitting; mixed into ``WarRoomScreen``."""

    app: "WarroomHost"
    running: "dict[str, StepRun]"
    unsent: frozenset[str]
    quitting = False
    recording: frozenset[str] = frozenset()
    """Slots of stopped commands whose entry is on its way to the store."""

    def action_quit(self) -> None:
        prompt = self.query_one(ConfirmLine)
        if prompt.asking and prompt.question.startswith(QUIT_QUESTION):
            prompt.answer_yes()  # the quit key twice: yes
            return
        stakes = self.quit_stakes()
        if not stakes:
            self.app.exit()
            return
        self.confirm(QUIT_QUESTION + "; ".join(stakes) + "?", self._quit_now)

    def quit_stakes(self) -> list[str]:
        """What quitting now would stop or leave behind, in words."""
        stakes = []
        if self.running:
            keys = ", ".join(sorted(run.key for run in self.running.values()))
            stakes.append(f"stop the running command of {keys} (recorded as stopped)")
        if self.unsent:
            count = len(self.unsent)
            entries = "entry" if count == 1 else "entries"
            stakes.append(f"leave {count} {entries} not yet acknowledged by the server")
        if not self.app.read_only:
            typed = self.query_one(EntryBar).text
            if typed.strip():
                stakes.append(f"drop the unrecorded text in the entry bar ({len(typed)} chars)")
        command = self.query_one(CommandLine)
        # An open ``:`` line is a command not yet run (a pane key may have opened it with
        # ``retract ID `` and a reason typed after). ``:quit`` itself closes the line
        # before it runs, so it is not counted; a ``/`` filter line records nothing.
        if command.is_open and command.mode == ":" and command.input.value.strip():
            stakes.append(f"drop the command line not yet run ({len(command.input.value)} chars)")
        return stakes

    def _quit_now(self) -> None:
        self.quitting = True
        if not self.running:
            self.app.exit()
            return
        self.app.notify("stopping the running commands, recording them…", timeout=5)
        self.stop_runs()
        self.set_timer(SETTLE_TIMEOUT_S, self.app.exit)

    def quit_when_settled(self, run: "StepRun") -> None:
        """A command's entry is written (or refused): when quitting, exit once all are."""
        self.recording -= {run.slot}
        if self.quitting and not self.running and not self.recording:
            self.app.exit()
