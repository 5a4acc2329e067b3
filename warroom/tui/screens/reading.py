"""Reading a runbook from the war-room screen: which view a reading key opens, and the
offer to mark a step failed after its command failed (the war-room screen's part).

The views themselves are in ``step_detail``; they know nothing of this screen, so the
screen imports them and never the other way round.
"""

from typing import TYPE_CHECKING

from warroom.tui.screens.step_detail import RunbookReference, StepDetail, failure_reason
from warroom.tui.widgets.runbook import FAIL_AFTER_RUN, REFERENCE, failed_run

if TYPE_CHECKING:
    from warroom.core.state import CommandRecord, IncidentState
    from warroom.runbooks.library import Catalog
    from warroom.tui.host import WarroomHost


class Reading:
    """Opening a step in full, the reference sections, the failed-run offer; mixed into
    ``WarRoomScreen``."""

    app: "WarroomHost"
    state: "IncidentState | None"
    catalog: "Catalog | None"

    def open_reading(self, action: str, key: str) -> None:
        """Handle one of the pane's reading ``ACTIONS`` for the step ``runbook/step``."""
        runbook_id, _, step_id = key.partition("/")
        pinned = self.state.runbooks.get(runbook_id) if self.state else None
        step = pinned.step(step_id) if pinned else None
        if pinned is None or step is None:
            return
        entry = self.catalog.entries.get(runbook_id) if self.catalog else None
        on_disk = entry.runbook if entry else None
        if action == REFERENCE:
            self.app.push_screen(RunbookReference(pinned, on_disk))
        elif action == FAIL_AFTER_RUN:
            self.confirm_failed(key, failed_run(pinned, step_id))
        else:
            detail = StepDetail(pinned, step, on_disk, self.app.config.paths.database)
            self.app.push_screen(detail, self._step_closed)

    def confirm_failed(self, key: str, run: "CommandRecord | None") -> None:
        """Ask, then mark the step failed with the run's outcome as the reason; without a
        failed run the ``:`` line opens for a reason instead."""
        if run is None:
            self.open_command_line(f"step fail {key} ")
            return
        reason = failure_reason(run)
        self.confirm(
            f"mark {key} failed? ({reason})",
            lambda: self.run_command(f"step fail {key} {reason}"),
        )

    def _step_closed(self, choice: tuple[str, str] | None) -> None:
        if choice is None:
            return
        action, key = choice
        if action == "run":
            self.run_command(f"step run {key}")
        else:
            self.open_reading(action, key)
