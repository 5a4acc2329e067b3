"""Reading a runbook without leaving the war room: one step in full, the reference.

The runbook pane shows one line per step, cut at the pane's edge. Enter on a step opens
``StepDetail``: its id, type and phase, who has it, its whole text, its sub-steps, every
command exactly as pinned, and each run of a command — how it ended and the output
excerpt on the record (read from the ``command_run`` events on a worker thread: the
folded state keeps only the outcome). ``m`` opens ``RunbookReference``: the runbook's
summary and reference sections (Meaning, Impact, ...), which are not pinned on the
incident and so come from the library, marked when the file changed since the pin.

A run that failed — a non-zero exit or the timeout — offers to mark its step failed:
``f`` on that step (in the pane or here) asks first, in the screen's one-line prompt, with
the exit as the reason; nothing is marked without that ``y`` or Enter (``reading``).
"""

from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Static

from warroom.core.sanitize import visible
from warroom.tui import keymap
from warroom.tui.render import stamp, zone_name
from warroom.tui.widgets.runbook import (
    BOXES,
    FAIL_AFTER_RUN,
    REFERENCE,
    failed_run,
    run_mark,
)

if TYPE_CHECKING:
    from warroom.core.runbook import Runbook, RunbookStep
    from warroom.core.state import AttachedRunbook, CommandRecord


def failure_reason(run: "CommandRecord") -> str:
    ended = "stopped at its timeout" if run.exit_code is None else f"exited {run.exit_code}"
    return f"its command {ended}"


class RunOutputs(Message):
    """The output excerpts of a step's runs, by ``command_run`` event id."""

    def __init__(self, outputs: dict[str, str], error: str = "") -> None:
        super().__init__()
        self.outputs = outputs
        self.error = error


def read_outputs(database: Path, event_ids: list[str], post: Callable[[Message], Any]) -> None:
    """On a worker thread: read the runs' events (the output stays on the record)."""
    from warroom.core.errors import WarroomError
    from warroom.core.events import EVENT_LIST
    from warroom.store.local import LocalStore

    try:
        with LocalStore(database) as store:
            marks = ",".join("?" * len(event_ids))
            found = store.conn.execute(
                f"SELECT body FROM events WHERE id IN ({marks})", event_ids
            ).fetchall()
    except WarroomError as exc:
        post(RunOutputs({}, f"the output could not be read: {exc}"))
        return
    events = EVENT_LIST.validate_json("[" + ",".join(body for (body,) in found) + "]")
    post(RunOutputs({event.id: event.payload.output for event in events}))


class StepDetail(ModalScreen[tuple[str, str] | None]):
    """Returns what to do next: (``run``, key), (an action of ``ACTIONS``, key), or None."""

    BINDINGS = keymap.bindings(keymap.STEP_DETAIL)

    def __init__(
        self,
        pinned: "AttachedRunbook",
        step: "RunbookStep",
        on_disk: "Runbook | None",
        database: Path,
    ) -> None:
        super().__init__()
        self.pinned = pinned
        self.step = step
        self.on_disk = on_disk
        self.database = database
        self.key = f"{pinned.runbook_id}/{step.id}"
        self.outputs: dict[str, str] | None = None
        self.error = ""

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog"):
            yield Static(self._text(), id="step-text")

    def on_mount(self) -> None:
        runs = self.pinned.progress_of(self.step.id).runs
        if runs:
            work = partial(read_outputs, self.database, [r.event_id for r in runs], self.post)
            self.run_worker(work, thread=True, group="step-output", exit_on_error=False)

    def post(self, message: Message) -> None:
        self.post_message(message)

    def on_run_outputs(self, message: RunOutputs) -> None:
        self.outputs, self.error = message.outputs, message.error
        self.query_one("#step-text", Static).update(self._text())

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return not (getattr(self.app, "read_only", False) and action in keymap.MUTATING)

    def action_fail(self) -> None:
        self.dismiss((FAIL_AFTER_RUN, self.key))

    def action_run(self) -> None:
        self.dismiss(("run", self.key))

    def action_reference(self) -> None:
        self.dismiss((REFERENCE, self.key))

    def _text(self) -> Text:
        return step_text(self.pinned, self.step, self.outputs, self.error, self._keys())

    def _keys(self) -> str:
        keys = ["Enter, Esc or q closes", "m reference"]
        if not getattr(self.app, "read_only", False):
            if failed_run(self.pinned, self.step.id):
                keys.insert(0, "f marks the step failed (asks first)")
            elif self.step.commands:
                keys.insert(0, "r runs a command")
        return " · ".join(keys)


def step_text(
    pinned: "AttachedRunbook",
    step: "RunbookStep",
    outputs: dict[str, str] | None,
    error: str,
    keys: str,
) -> Text:
    """Everything about one step, as plain literal text (markup never parsed)."""
    progress = pinned.progress_of(step.id)
    text = Text(f"{BOXES[progress.status]} ", style="bold", end="")
    text.append(visible(step.title), style="bold")
    where = step.phase or step.section or "no phase"
    text.append(f"\n{pinned.runbook_id}/{step.id} · {step.type} · {where}", style="dim")
    text.append(f" · times {zone_name()}\n", style="dim")
    who = progress.finished_by or progress.owner
    if progress.status != "open":
        text.append(f"\n{progress.status}", style="bold")
        if who:
            text.append(f" by {visible(who)}")
        when = progress.finished_at or progress.started_at or progress.claimed_at
        if when is not None:
            text.append(f" at {stamp(when)}")
        if progress.note:
            text.append(" — ").append(visible(progress.note), style="italic")
        text.append("\n")
    if step.text:
        text.append("\n").append(visible(step.text, single_line=False)).append("\n")
    for number, block in enumerate(step.commands, 1):
        language = f" ({visible(block.language)})" if block.language else ""
        text.append(f"\nCommand {number}{language}\n", style="bold")
        for number_in_block, line in enumerate(block.code.split("\n")):
            text.append("    " if number_in_block else "  $ ")
            text.append(visible(line)).append("\n")
    if step.children:
        text.append("\nSub-steps\n", style="bold")
        for child in step.children:
            status = BOXES[pinned.progress_of(child.id).status]
            text.append(f"  {status} ").append(child.id, style="dim").append(" ")
            text.append(visible(child.title)).append("\n")
    for run in progress.runs:
        text.append("\nRun ", style="bold").append_text(run_mark(run.exit_code))
        text.append(f" in {run.duration_s:.1f} s by {visible(run.by)} at {stamp(run.at)}\n")
        if outputs is None:
            text.append("  " + (error or "reading the output…") + "\n", style="dim")
            continue
        lines = outputs.get(run.event_id, "").rstrip("\n").split("\n")
        for line in lines if any(lines) else ["(no output)"]:
            text.append("  │ ", style="dim").append(visible(line)).append("\n")
    return text.append("\n" + keys, style="italic")


class RunbookReference(ModalScreen[None]):
    """The runbook's summary and reference sections, from the library's copy."""

    BINDINGS = keymap.bindings(keymap.REFERENCE)

    def __init__(self, pinned: "AttachedRunbook", on_disk: "Runbook | None") -> None:
        super().__init__()
        self.pinned = pinned
        self.on_disk = on_disk

    def compose(self) -> ComposeResult:
        pinned, book = self.pinned, self.on_disk
        text = Text(visible(pinned.title), style="bold", end="")
        text.append(f"  {pinned.runbook_id} @{pinned.content_hash[:8]}\n", style="dim")
        if book is None:
            text.append(
                "\nThe runbook is no longer in the library, and the incident pins only its"
                " steps: its reference sections cannot be shown.\n",
                style="bold reverse",
            )
        else:
            if book.content_hash != pinned.content_hash:
                text.append(
                    f"\n⚠ From the file on disk (@{book.content_hash[:8]}), which changed"
                    " since it was pinned.\n",
                    style="bold reverse",
                )
            if book.summary:
                text.append("\n").append(visible(book.summary, single_line=False)).append("\n")
            for section in book.sections:
                text.append(f"\n{'#' * section.level} {visible(section.title)}\n", style="bold")
                if section.text:
                    text.append(visible(section.text, single_line=False)).append("\n")
                else:
                    text.append("(steps only: see the runbook pane)\n", style="dim")
            if not book.summary and not book.sections:
                text.append("\nThis runbook has no reference text.\n", style="italic")
        text.append("\nEnter, Esc, q or m closes", style="italic")
        with VerticalScroll(classes="dialog"):
            yield Static(text)
