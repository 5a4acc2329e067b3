"""The confirmation before a step's command runs: the exact pinned command, shown
literally (markup and control characters made visible, never interpreted), the shell,
the timeout and the directory — and a warning when the file on disk has changed since
the runbook was pinned. Enter or ``y`` runs it; Esc or ``n`` cancels."""

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from warroom.core.sanitize import visible
from warroom.tui import keymap
from warroom.tui.step_runner import StepRun


class ConfirmRun(ModalScreen[bool]):
    """Returns ``True`` to run the command."""

    BINDINGS = keymap.bindings(keymap.RUN_STEP)

    def __init__(self, run: StepRun) -> None:
        super().__init__()
        self.step_run = run

    def compose(self) -> ComposeResult:
        run = self.step_run
        text = Text("Run this step's command?\n\n", style="bold", end="")
        text.append(f"{run.key}  ", style="bold")
        text.append(visible(run.step.title))
        text.append("\n")
        if run.changed_on_disk:
            text.append(
                "\n⚠ The runbook file changed since it was pinned: this runs the pinned"
                f" version (@{run.pinned_hash[:8]}), not the file on disk."
                f" :attach {run.runbook_id} pins the new one.\n",
                style="bold reverse",
            )
        which = f" (block {run.block} of {run.blocks})" if run.blocks > 1 else ""
        text.append(f"\nCommand{which}, exactly as pinned:\n", style="bold")
        prompt = "$ "
        for line in run.command.code.split("\n"):  # not splitlines: a bare CR must show
            text.append(f"  {prompt}")
            text.append(visible(line))
            text.append("\n")
            prompt = "  "
        text.append("\nshell      ", style="bold")
        text.append(visible(run.shell))
        text.append("\ntimeout    ", style="bold")
        text.append(f"{run.timeout} s, then it is stopped")
        text.append("\ndirectory  ", style="bold")
        text.append(visible(run.directory))
        text.append("\n\nThe exit code and an excerpt of the output go on the record.", "dim")
        text.append("\n\nEnter or y runs it · Esc or n cancels", style="italic")
        with VerticalScroll(classes="dialog"):
            yield Static(text)

    def action_run(self) -> None:
        self.dismiss(True)
