"""The runbook pane: the steps of the attached runbooks, their state and who has them.

Steps show as ``[ ]`` open, ``[c]`` claimed, ``[>]`` started, ``[x]`` done, ``[!]``
failed, ``[-]`` skipped, grouped under their phase, each with its id (what ``:step``
takes) and — once its command ran — how the last run ended (``ran ok``, ``✗ exit 2``).
Enter opens the whole step (``screens.step_detail``), ``m`` the runbook's reference
sections. Rollback and approval steps carry a mark of their own (↺ ROLLBACK,
✋ APPROVAL) because those are the ones a commander must never miss. The keys claim,
start, finish, fail and skip the selected step; failing or skipping asks for the reason
on the ``:`` line — or, after a failed run, offers that run's outcome as the reason.
``r`` runs the step's pinned command after a confirmation (when the policy allows it;
see ``step_runner``), and the step shows ``⟳ running…`` until it ends.

The steps shown are the version *pinned* on the incident — what was attached is what is
followed — and when the file on disk has changed since (the library reloads it live),
the pane says so and how to re-pin it.
"""

from typing import TYPE_CHECKING

from rich.text import Text

from warroom.core.runbook import step_count
from warroom.tui import keymap
from warroom.tui.render import clock, safe
from warroom.tui.widgets.text_pane import PaneRow, TextPane

if TYPE_CHECKING:
    from collections.abc import Set

    from warroom.core.runbook import RunbookStep
    from warroom.core.state import AttachedRunbook, CommandRecord, IncidentState
    from warroom.runbooks.library import Catalog

BOXES = {
    "open": "[ ]",
    "claimed": "[c]",
    "started": "[>]",
    "done": "[x]",
    "failed": "[!]",
    "skipped": "[-]",
}
TYPE_MARKS = {
    "rollback": ("↺ ROLLBACK ", "bold reverse"),
    "approval": ("✋ APPROVAL ", "bold reverse"),
    "escalate": ("⇡ ESCALATE ", "bold"),
    "check": ("✓ ", ""),
}


READ_STEP, REFERENCE = keymap.READ_STEP, keymap.READ_REFERENCE
FAIL_AFTER_RUN = "step fail-after-run"
ACTIONS = frozenset({READ_STEP, REFERENCE, FAIL_AFTER_RUN})
"""The pane's reading keys' actions (``screen.pane_act``), which ``screens.reading`` opens."""


def failed_run(pinned: "AttachedRunbook", step_id: str) -> "CommandRecord | None":
    """The step's last run, when it failed and the step is not marked failed yet."""
    progress = pinned.progress_of(step_id)
    last = progress.runs[-1] if progress.runs else None
    if last is None or last.exit_code == 0 or progress.status == "failed":
        return None
    return last


def run_mark(exit_code: int | None) -> Text:
    """How the last run of a step's command ended, told apart without colour too:
    ``ran ok``, or reversed ``✗ exit 2`` / ``✗ timeout``."""
    if exit_code == 0:
        return Text("ran ok", style="bold green", end="")
    word = "timeout" if exit_code is None else f"exit {exit_code}"
    return Text(f"✗ {word}", style="bold reverse red", end="")


class RunbookPane(TextPane):
    pane = "runbook"
    title = "Runbook"
    digit = "4"
    BINDINGS = keymap.bindings(keymap.RUNBOOK)

    def update_from(
        self,
        state: "IncidentState",
        catalog: "Catalog | None",
        running: "Set[str]" = frozenset(),
    ) -> None:
        """Show ``state``'s runbooks; ``running`` are the ``runbook/step`` keys whose
        command is running now."""
        rows: list[PaneRow] = []
        first_open = None
        if not state.runbooks:
            hint = Text("No runbook attached. ", style="italic", end="")
            count = len(catalog.entries) if catalog else 0
            hint.append(f":attach NAME pins one ({count} found; Tab completes)", style="dim")
            rows.append((hint, None))
        for pinned in state.runbooks.values():
            rows.extend(self._heading(pinned, catalog))
            phase = None
            for step, depth in _walk(pinned.steps):
                if depth == 0 and step.phase != phase:
                    phase = step.phase
                    rows.append((Text(f"  {(phase or step.section or '').upper()}", "bold"), None))
                key = f"{pinned.runbook_id}/{step.id}"
                progress = pinned.progress_of(step.id)
                line = self._step(step, depth, pinned)
                if key in running:
                    line.append("  ⟳ running…", style="bold reverse")
                rows.append((line, key))
                if first_open is None and progress.status not in ("done", "skipped"):
                    first_open = key
        self.show(rows, cursor_key=first_open)

    def _heading(self, pinned: "AttachedRunbook", catalog: "Catalog | None") -> list[PaneRow]:
        statuses = [pinned.progress_of(s.id).status for s, _ in _walk(pinned.steps)]
        done = sum(status in ("done", "skipped") for status in statuses)
        heading = safe(pinned.title, style="bold")
        heading.append(f"  {pinned.runbook_id} @{pinned.content_hash[:8]}", style="dim")
        heading.append(f"  {done}/{step_count(pinned.steps)}", style="bold")
        rows: list[PaneRow] = [(heading, None)]
        entry = catalog.entries.get(pinned.runbook_id) if catalog else None
        if entry is not None and entry.runbook.content_hash != pinned.content_hash:
            notice = Text(" ⚠ the file changed since it was pinned:", style="bold reverse", end="")
            notice.append(f" :attach {pinned.runbook_id} pins the new version", style="italic")
            rows.append((notice, None))
        return rows

    def _step(self, step: "RunbookStep", depth: int, pinned: "AttachedRunbook") -> Text:
        progress = pinned.progress_of(step.id)
        finished = progress.status in ("done", "skipped")
        line = Text("  " + "  " * depth + BOXES[progress.status] + " ", end="")
        line.append(step.id, style="dim")  # what :step done ID takes
        line.append(" ")
        if progress.runs:
            line.append_text(run_mark(progress.runs[-1].exit_code))
            line.append(" ")
        mark, style = TYPE_MARKS.get(step.type, ("", ""))
        if mark:
            line.append(mark, style=style)
        line.append_text(safe(step.title, style="dim" if finished else ""))
        who = progress.finished_by if finished else progress.owner
        if progress.status != "open" and who:
            line.append("  ")
            line.append_text(safe(who, style="italic"))
            when = progress.finished_at or progress.started_at or progress.claimed_at
            if when is not None:
                line.append(f" {clock(when)[:5]}", style="dim")
        if progress.note:
            line.append(" — ")
            line.append_text(safe(progress.note, style="italic"))
        return line


def _walk(steps, depth: int = 0):
    """Steps with their nesting depth, depth first in document order."""
    for step in steps:
        yield step, depth
        yield from _walk(step.children, depth + 1)
