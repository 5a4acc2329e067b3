"""The payloads of runbooks on the record: a pinned version, the marks on its steps and
the runs of its commands, with the step actions and the status each leads to.
"""

from typing import Literal, Self

from pydantic import Field, model_validator

from warroom.core.events.fields import Int64, Name, Reason, Sha256, Text, _Payload, _StepRef
from warroom.core.runbook import RunbookStep

STOPPED_ON_QUIT = "stopped: warroom quit while the command ran"


StepAction = Literal["claim", "start", "done", "fail", "skip", "reopen"]
"""``reopen`` takes a mark back (made by mistake): the step is open again, on the record."""
STEP_ACTIONS: tuple[str, ...] = StepAction.__args__
STEP_STATUS: dict[str, str] = {
    "claim": "claimed",
    "start": "started",
    "done": "done",
    "fail": "failed",
    "skip": "skipped",
    "reopen": "open",
}
"""The status a step is in after each action; also how the timeline words it."""


class RunbookAttached(_Payload):
    """Pins one version of a runbook to the incident: its hash and its parsed steps.

    The steps travel in the event so the record stays complete when the file later
    changes or disappears, and so a step's command can only ever come from what was
    pinned. Attaching a newer version is a new event (a re-pin); the old one stays. A
    re-pin names the version it replaces and lists what it changes in the steps (types,
    commands, steps added or removed), so the record itself shows every change; the
    access rules refuse a re-pin whose list does not match the two versions.
    """

    kind: Literal["runbook_attached"] = "runbook_attached"
    runbook_id: Name
    title: Text
    content_hash: Sha256
    source_path: Reason = ""
    steps: tuple[RunbookStep, ...]
    replaces: Sha256 | None = None
    """The content hash of the version this re-pin replaces; ``None`` on a first attach."""
    changes: tuple[Reason, ...] = ()


class RunbookStepMarked(_StepRef):
    """Progress on one step of an attached runbook; failing or skipping it needs a note."""

    kind: Literal["runbook_step"] = "runbook_step"
    action: StepAction
    note: Reason = ""

    @model_validator(mode="after")
    def _reason_given(self) -> Self:
        if self.action in ("fail", "skip") and not self.note:
            raise ValueError(f"a step marked {self.action} needs a note saying why")
        return self


class CommandRun(_StepRef):
    """A step's pinned command, run from warroom: how it ended and an excerpt of its output.

    ``exit_code`` is ``None`` when the command was stopped: at its timeout, or — the
    output then starts with ``STOPPED_ON_QUIT`` — because the screen running it quit.
    """

    kind: Literal["command_run"] = "command_run"
    command: Text
    exit_code: Int64 | None
    duration_s: float = Field(ge=0)
    output: Reason = ""
