"""Running a runbook step's pinned command from the war-room screen (its part).

``ask_to_run`` shows the command and waits for a confirmation; the command then runs on
a worker thread of its own (``step_runner.run_in_thread``), and ``on_command_ran`` puts
the outcome on the record through the writer thread. ``running`` holds the runs in
flight, so the runbook pane can show them and quitting can say what it would stop.
"""

from functools import partial
from typing import TYPE_CHECKING

from warroom.core.errors import InvalidInput
from warroom.core.events import STOPPED_ON_QUIT
from warroom.tui.step_runner import CommandRan, StepRun, prepare, run_in_thread

if TYPE_CHECKING:
    from warroom.core.state import IncidentState
    from warroom.runbooks.library import Catalog
    from warroom.tui.host import WarroomHost


class StepRuns:
    """Step command runs; mixed into ``WarRoomScreen`` (``write``, ``_show_state``)."""

    app: "WarroomHost"
    state: "IncidentState | None"
    catalog: "Catalog | None"
    running: dict[str, StepRun]
    """Step commands running now, by their ``slot``."""

    def ask_to_run(self, step_ref: str, block: int = 1) -> None:
        """Show a step's pinned command and run it once confirmed (``r``, ``:step run``)."""
        if self.app.read_only:
            raise InvalidInput("read-only: this screen cannot run a step's command")
        self._require_incident()
        run = prepare(self.app.config.policy, self.state, self.catalog, step_ref, block)
        if run.slot in self.running:
            raise InvalidInput(f"the command of {run.key} is still running")
        from warroom.tui.screens.run_step import ConfirmRun

        self.app.push_screen(ConfirmRun(run), partial(self._confirmed, run))

    def _confirmed(self, run: StepRun, confirmed: bool | None) -> None:
        if not confirmed:
            self.app.notify(f"not confirmed; {run.key} was not run", timeout=3)
            return
        self.running[run.slot] = run
        self._show_state()
        self.app.notify(f"running {run.key}… (stopped after {run.timeout} s)", timeout=4)
        work = partial(run_in_thread, run, self.post_message)
        self.run_worker(work, thread=True, group="step-run", exit_on_error=False)

    def on_command_ran(self, message: CommandRan) -> None:
        """The command ended (or could not start): put the outcome on the record — and
        when it was stopped because the screen is quitting, say so there."""
        run, outcome = message.run, message.outcome
        self.running.pop(run.slot, None)
        self._show_state()
        if outcome is None:
            self.app.notify(message.error, severity="error", markup=False, timeout=10)
            self.quit_when_settled(run)
            return
        if run.stop.is_set():
            outcome = outcome._replace(output=f"{STOPPED_ON_QUIT}\n{outcome.output}")
            self.recording |= {run.slot}
        self.write(
            run,
            lambda room, at: room.record_command_run(
                run.incident_id, run.runbook_id, run.step.id, run.command, outcome
            ),
        )

    def stop_runs(self) -> None:
        """Stop every command still running (each is recorded as stopped, see above)."""
        for run in self.running.values():
            run.stop.set()

    def on_unmount(self) -> None:
        self.stop_runs()  # the screen is going: no command outlives it
