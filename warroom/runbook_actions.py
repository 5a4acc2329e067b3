"""The write path of runbooks: pinning a runbook version on an incident, marking its
steps and recording how a step's command ran, as methods of ``warroom.actions.WarRoom``
(which mixes this class in).

Kept out of ``actions.py`` so that module keeps one reason to change; every method goes
through ``WarRoom._append`` — the same access rules as every other change. The command
run is always the one pinned on the incident (``step_command``), never the file on disk.
"""

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from pydantic import BaseModel

from warroom.core import events as ev
from warroom.core.errors import InvalidInput, NotFound
from warroom.core.policy import Policy
from warroom.core.repin import pin_changes
from warroom.core.runbook import CodeBlock, Runbook, RunbookStep
from warroom.core.state import AttachedRunbook, IncidentState
from warroom.runbooks.runner import CommandOutcome
from warroom.store.local import LocalStore


class RunbookActions:
    """Runbooks on an incident; see ``WarRoom`` for ``at`` and the access rules."""

    store: LocalStore
    policy: Policy
    actor: str
    if TYPE_CHECKING:
        _current: Callable[[str], IncidentState]
        _payload: Callable[..., BaseModel]
        _append: Callable[..., ev.Event]

    def attach_runbook(
        self, incident_ref: str, runbook: Runbook, *, at: datetime | None = None
    ) -> ev.Event:
        """Pin a runbook version (hash and parsed steps); a newer version re-pins it, and
        the re-pin lists what it changes in the steps' types and commands."""
        state = self._current(incident_ref)
        pinned = state.runbooks.get(runbook.id)
        if pinned is not None and pinned.content_hash == runbook.content_hash:
            raise InvalidInput(
                f"{runbook.id} is already attached to {state.id} at this version"
                f" ({runbook.content_hash[:8]})"
            )
        payload = self._payload(
            ev.RunbookAttached,
            runbook_id=runbook.id,
            title=runbook.title,
            content_hash=runbook.content_hash,
            source_path=runbook.path,
            steps=runbook.steps,
            replaces=pinned.content_hash if pinned else None,
            changes=pin_changes(pinned.steps, runbook.steps, pinned.approval_ids) if pinned else (),
        )
        return self._append(state, payload, at)

    def mark_step(
        self,
        incident_ref: str,
        step_ref: str,
        action: str,
        *,
        note: str = "",
        at: datetime | None = None,
    ) -> ev.Event:
        """Claim, start, finish, fail or skip a step of an attached runbook."""
        state = self._current(incident_ref)
        pinned, step = _find_step(state, step_ref)
        if action in ("fail", "skip") and not note.strip():
            why = "what went wrong" if action == "fail" else "why"
            raise InvalidInput(f"to {action} a step, add a note saying {why} (--note)")
        progress = pinned.progress_of(step.id)
        name = f"{pinned.runbook_id}/{step.id}"
        if action in ("claim", "start") and progress.status in ("done", "skipped"):
            raise InvalidInput(f"{name} is already {progress.status}")
        if action == "claim" and progress.owner == self.actor:
            raise InvalidInput(f"{name} is already claimed by you")
        if action != "claim" and ev.STEP_STATUS.get(action) == progress.status:
            raise InvalidInput(f"{name} is already {progress.status}")
        payload = self._payload(
            ev.RunbookStepMarked,
            runbook_id=pinned.runbook_id,
            step_id=step.id,
            action=action,
            note=note,
        )
        return self._append(state, payload, at)

    def run_step_command(
        self,
        incident_ref: str,
        step_ref: str,
        *,
        confirm: Callable[[CodeBlock], bool],
        execute: Callable[[CodeBlock, float], CommandOutcome],
        block: int = 1,
    ) -> ev.Event:
        """Run a step's pinned command if the policy allows it and ``confirm`` agrees.

        The command comes from the runbook version pinned on the incident, never from
        the file on disk or from what someone typed, and ``execute`` is given the
        policy's timeout. The outcome is recorded whether the command succeeded or not.
        """
        state = self._current(incident_ref)
        pinned, step, command = step_command(self.policy, state, step_ref, block)
        if not confirm(command):
            raise InvalidInput("not confirmed; nothing was run")
        try:
            outcome = execute(command, self.policy.runbooks.command_timeout_seconds)
        except OSError as exc:  # the shell itself could not be started: nothing ran
            raise InvalidInput(
                f"could not start the command of {step.id}: {exc.strerror or exc}"
            ) from None
        return self.record_command_run(state.id, pinned.runbook_id, step.id, command, outcome)

    def record_command_run(
        self,
        incident_ref: str,
        runbook_id: str,
        step_id: str,
        command: CodeBlock,
        outcome: CommandOutcome,
    ) -> ev.Event:
        """Record how a step's command ran, at the time it started.

        ``run_step_command`` calls this once the command has finished; the screen, which
        runs the command on a thread of its own (so entries are not held up behind it),
        calls it with the command ``step_command`` gave it and the outcome.
        """
        _require_commands(self.policy)
        payload = self._payload(
            ev.CommandRun,
            runbook_id=runbook_id,
            step_id=step_id,
            command=command.code,
            exit_code=outcome.exit_code,
            duration_s=outcome.duration_s,
            output=outcome.output,
        )
        return self._append(self._current(incident_ref), payload, outcome.started_at)


def step_command(
    policy: Policy, state: IncidentState, step_ref: str, block: int = 1
) -> tuple[AttachedRunbook, RunbookStep, CodeBlock]:
    """The ``block``-th shell command of a step as pinned on the incident — never the file
    on disk — if the policy lets warroom run commands; ``InvalidInput`` says why not."""
    _require_commands(policy)
    pinned, step = _find_step(state, step_ref)
    commands = [c for c in step.commands if c.is_shell]
    name = f"{pinned.runbook_id}/{step.id}"
    if not commands:
        raise InvalidInput(f"{name} has no shell command to run")
    if not 1 <= block <= len(commands):
        raise InvalidInput(f"{name} has {len(commands)} shell command(s), not {block}")
    command = commands[block - 1]
    if len(command.code) > ev.MAX_TEXT:
        raise InvalidInput(f"the command of {name} is too long to record; run it by hand")
    return pinned, step, command


def _require_commands(policy: Policy) -> None:
    if not policy.runbooks.allow_commands:
        raise InvalidInput(
            "running runbook commands is turned off; the policy must set"
            " [runbooks] allow_commands = true"
        )


def _find_step(state: IncidentState, ref: str) -> tuple[AttachedRunbook, RunbookStep]:
    """Resolve ``step`` (unique among the attached runbooks) or ``runbook/step``."""
    if not state.runbooks:
        raise NotFound(
            f"no runbook is attached to {state.id}; attach one with"
            f" `warroom attach {state.id} RUNBOOK`"
        )
    runbook_id, _, step_id = ref.strip().rpartition("/")
    if runbook_id and runbook_id not in state.runbooks:
        attached = ", ".join(state.runbooks)
        raise NotFound(
            f"runbook {runbook_id!r} is not attached to {state.id} (attached: {attached})"
        )
    candidates = [state.runbooks[runbook_id]] if runbook_id else list(state.runbooks.values())
    found = [(p, s) for p in candidates if (s := p.step(step_id.lower())) is not None]
    if not found:
        raise NotFound(
            f"no step {ref.strip()!r} in the runbooks attached to {state.id};"
            f" `warroom runbooks show RUNBOOK --incident {state.id}` lists their steps"
        )
    if len(found) > 1:
        names = ", ".join(f"{p.runbook_id}/{s.id}" for p, s in found)
        raise InvalidInput(f"step {step_id!r} is in several attached runbooks: name one of {names}")
    return found[0]
