"""Running a runbook step's pinned command from the screen (``r`` in the runbook pane).

The screen resolves the command from the incident's pinned runbook and asks for a
confirmation (``screens.run_step``); the command then runs on a worker thread of its own
— never on the UI loop, and not on the writer thread, where a two-minute command would
hold up every entry behind it. The thread posts ``CommandRan``; the screen's handler
records the outcome through ``WarRoom.record_command_run`` on the writer thread, like
every other change.
"""

import os
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from textual.message import Message
from textual.worker import get_current_worker

from warroom.core.runbook import CodeBlock, RunbookStep
from warroom.core.sanitize import visible
from warroom.runbooks.runner import CommandOutcome, run_command, shell_for

if TYPE_CHECKING:
    from collections.abc import Callable

    from warroom.core.events import Event
    from warroom.core.policy import Policy
    from warroom.core.state import IncidentState
    from warroom.runbooks.library import Catalog

NOTICE_LINES = 12
"""Lines of output the notice after a run shows (the record keeps the whole excerpt)."""


@dataclass(frozen=True)
class StepRun:
    """One run of a step's pinned shell block, from the confirmation to the record."""

    incident_id: str
    runbook_id: str
    pinned_hash: str
    step: RunbookStep
    """As pinned on the incident."""
    command: CodeBlock
    block: int
    """Which of the step's shell blocks ``command`` is (``:step run STEP N`` picks one)."""
    timeout: int
    changed_on_disk: bool
    """The runbook file differs from the pinned version (the pinned one still runs)."""
    directory: str = field(default_factory=os.getcwd)
    stop: threading.Event = field(default_factory=threading.Event, compare=False, repr=False)
    """Set to stop the command early (the screen quitting, or going away)."""

    @property
    def key(self) -> str:
        return f"{self.runbook_id}/{self.step.id}"

    @property
    def slot(self) -> str:
        """``incident/runbook/step``: one run at a time per step."""
        return f"{self.incident_id}/{self.key}"

    @property
    def blocks(self) -> int:
        return sum(c.is_shell for c in self.step.commands)

    @property
    def shell(self) -> str:
        return shell_for(self.command)


def prepare(
    policy: "Policy",
    state: "IncidentState",
    catalog: "Catalog | None",
    step_ref: str,
    block: int = 1,
) -> StepRun:
    """What would run for ``step_ref``, or ``InvalidInput`` saying why nothing can."""
    from warroom.runbook_actions import step_command

    pinned, step, command = step_command(policy, state, step_ref, block)
    entry = catalog.entries.get(pinned.runbook_id) if catalog else None
    changed = entry is not None and entry.runbook.content_hash != pinned.content_hash
    timeout = policy.runbooks.command_timeout_seconds
    return StepRun(
        state.id, pinned.runbook_id, pinned.content_hash, step, command, block, timeout, changed
    )


class CommandRan(Message):
    """A step's command finished (``outcome``) or could not be started (``error``)."""

    def __init__(self, run: StepRun, outcome: CommandOutcome | None, error: str = "") -> None:
        super().__init__()
        self.run = run
        self.outcome = outcome
        self.error = error


def run_in_thread(run: StepRun, post: "Callable[[Message], Any]") -> None:
    """The worker: run the command, then post the outcome. Quitting stops the command
    (``run.stop``) and the screen records it as stopped; a screen that is already gone
    cancels the worker, and nothing is posted."""
    worker = get_current_worker()
    try:
        outcome = run_command(run.command, run.timeout, stop=run.stop)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        post(CommandRan(run, None, f"could not start the command of {run.key}: {reason}"))
        return
    if not worker.is_cancelled:
        post(CommandRan(run, outcome))


def outcome_notice(event: "Event") -> tuple[str, str]:
    """The notice after a recorded run: its text (the last lines of output, made safe)
    and a severity — information on exit 0, a warning on a timeout, else an error, with
    the offer to mark the step failed."""
    from warroom.core.events import payload_text

    payload = event.payload
    lines = payload.output.rstrip("\n").split("\n")
    shown = "\n".join(visible(line) for line in lines[-NOTICE_LINES:])
    if len(lines) > NOTICE_LINES:
        shown = f"… {len(lines) - NOTICE_LINES} more line(s) in the record\n{shown}"
    text = f"{payload_text(payload)}\n{shown or '(no output)'}"
    if payload.exit_code == 0:
        return text, "information"
    text += "\nf on the step marks it failed (asks first) · Enter on it shows the output"
    return text, "warning" if payload.exit_code is None else "error"
