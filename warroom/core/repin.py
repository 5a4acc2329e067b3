"""Re-pinning a runbook: what a new version changes, and the gates it may not lift.

A re-pin replaces the steps the approval gate and the command runner read. Two rules
keep that from being a way around them: the re-pin event lists every change to a step's
type or commands (and steps added or removed), checked against the two versions by the
access rules, so nothing changes silently; and a step id that any pin typed ``approval``
stays an approval in the folded state, whatever a later pin says.

Pure: both the fold and the access rules call these.
"""

from collections.abc import Iterable, Sequence

from warroom.core.runbook import RunbookStep, walk_steps

GATE = "approval"
"""The step type that gates progress; the strictest a step can be."""

_SHOWN = 160
"""Characters of a command quoted in a change line; the full text is in the pinned steps."""


def approval_ids(steps: Iterable[RunbookStep]) -> set[str]:
    """Ids of the steps (sub-steps included) typed ``approval``."""
    return {step.id for step in walk_steps(steps) if step.type == GATE}


def keep_gates(steps: Sequence[RunbookStep], gates: set[str]) -> list[RunbookStep]:
    """``steps`` with every step whose id is in ``gates`` typed ``approval``."""
    kept = []
    for step in steps:
        update: dict = {}
        if step.id in gates and step.type != GATE:
            update["type"] = GATE
        if step.children:
            children = tuple(keep_gates(step.children, gates))
            if children != step.children:
                update["children"] = children
        kept.append(step.model_copy(update=update) if update else step)
    return kept


def pin_changes(
    pinned: Sequence[RunbookStep], new: Sequence[RunbookStep], gates: set[str]
) -> tuple[str, ...]:
    """One line per change a new version makes to the pinned steps, in document order.

    ``pinned`` are the steps in use (gates already kept), ``gates`` the approval ids so
    far; a type change away from ``approval`` is listed with the note that it is kept.
    """
    before = {step.id: step for step in walk_steps(pinned)}
    after = {step.id: step for step in walk_steps(new)}
    lines: list[str] = []
    for step_id, step in after.items():
        was = before.get(step_id)
        if was is None:
            lines.append(f"{step_id} added ({step.type})")
            continue
        if was.type != step.type:
            kept = " (stays approval: a re-pin cannot lift a gate)" if step_id in gates else ""
            lines.append(f"{step_id} type {was.type} -> {step.type}{kept}")
        lines.extend(_command_changes(step_id, was, step))
    lines.extend(f"{step_id} removed" for step_id in before if step_id not in after)
    return tuple(lines)


def _command_changes(step_id: str, was: RunbookStep, now: RunbookStep) -> list[str]:
    old = [block.code for block in was.commands]
    new = [block.code for block in now.commands]
    if old == new:
        return []
    changes = []
    for index in range(max(len(old), len(new))):
        before = old[index] if index < len(old) else None
        after = new[index] if index < len(new) else None
        if before != after:
            label = "command" if max(len(old), len(new)) == 1 else f"command {index + 1}"
            changes.append(f"{step_id} {label} {_quote(before)} -> {_quote(after)}")
    return changes


def _quote(code: str | None) -> str:
    if code is None:
        return "(none)"
    flat = " ⏎ ".join(line.strip() for line in code.strip().splitlines())
    return f"`{flat[:_SHOWN]}…`" if len(flat) > _SHOWN else f"`{flat}`"
