"""How a list item becomes a step: its type tag, its id, and the checks on both.

A leading tag such as ``[rollback]`` gives a step its type (unmarked steps are actions);
every step gets an id a person can type — ``containment-2``, ``mitigation-1.3``, or an
explicit ``{#drain-lb}`` — so ``warroom step`` can name it.
"""

import re
from dataclasses import dataclass, field

from warroom.core.runbook.model import STEP_TYPES, CodeBlock, Report, RunbookStep

TYPE_ALIASES: dict[str, str] = {
    "verify": "check",
    "flag": "feature-flag",
    "lb": "load-balancer",
    "gate": "approval",
}
"""Short spellings accepted in tags; the parsed step always carries the canonical type."""

_EXPLICIT_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_TASK = re.compile(r"^\[[ xX]\](?:[ \t]+|$)")
_TAG = re.compile(r"^\[([A-Za-z][A-Za-z_-]*)\](?:[ \t]+|$)")
_ID_SUFFIX = re.compile(r"[ \t]*\{#([^}]*)\}[ \t]*$")
_SLUG_JUNK = re.compile(r"[^a-z0-9]+")


def slugify(text: str) -> str:
    """Lowercase ASCII words joined by ``-``; the building block of generated step ids."""
    return _SLUG_JUNK.sub("-", text.lower()).strip("-")[:40].rstrip("-") or "step"


@dataclass
class DraftStep:
    """A step while its sub-steps and code blocks are still being read."""

    indent: int
    line: int
    phase: str | None
    section: str
    prefix: str
    depth: int
    title: list[str]
    """The lines of the item's first paragraph; a blank line, a block or a sub-step ends it."""
    title_open: bool = True
    text: list[str] = field(default_factory=list)
    commands: list[CodeBlock] = field(default_factory=list)
    children: list["DraftStep"] = field(default_factory=list)


def parse_title(line: int, content: str, problem: Report) -> tuple[str, str, str | None]:
    """Strip the task box, the type tag and an explicit ``{#id}`` from an item."""
    task = _TASK.match(content)
    if task:
        content = content[task.end() :]
    kind = "action"
    tag = _TAG.match(content)
    if tag:
        name = TYPE_ALIASES.get(tag.group(1).lower(), tag.group(1).lower())
        if name in STEP_TYPES:
            kind, content = name, content[tag.end() :]
        elif tag.group(1).islower():
            known = ", ".join(STEP_TYPES)
            problem(line, f"unknown step type [{tag.group(1)}]; known types: {known}")
    explicit = None
    suffix = _ID_SUFFIX.search(content)
    if suffix:
        explicit, content = suffix.group(1).strip(), content[: suffix.start()]
        if not _EXPLICIT_ID.match(explicit):
            problem(
                line,
                f"invalid step id {{#{explicit}}}: use lowercase letters, digits, '-', '_'",
            )
    return content.strip(), kind, explicit


def freeze_steps(roots: list[DraftStep], problem: Report) -> tuple[RunbookStep, ...]:
    """The frozen step tree: types read, ids assigned, duplicates reported.

    Generated ids count top-level steps per prefix (the phase, else the top-level
    section, else ``step``); a sub-step adds ``.N`` to its parent's id.
    """
    counters: dict[str, int] = {}
    seen: dict[str, int] = {}

    def freeze(item: DraftStep, generated: str) -> RunbookStep:
        title, kind, explicit = parse_title(item.line, " ".join(item.title), problem)
        if not title:
            problem(item.line, "step has no text")
        step_id = explicit or generated
        if step_id in seen:
            problem(item.line, f"duplicate step id {step_id!r} (first at line {seen[step_id]})")
        seen.setdefault(step_id, item.line)
        if kind == "command" and not item.commands:
            problem(item.line, "[command] step has no fenced code block after it")
        children = tuple(
            freeze(child, f"{step_id}.{k}") for k, child in enumerate(item.children, 1)
        )
        return RunbookStep(
            id=step_id,
            title=title,
            type=kind,
            phase=item.phase,
            section=item.section,
            text="\n".join(item.text),
            commands=tuple(item.commands),
            children=children,
            line=item.line,
        )

    steps = []
    for item in roots:
        counters[item.prefix] = counters.get(item.prefix, 0) + 1
        steps.append(freeze(item, f"{item.prefix}-{counters[item.prefix]}"))
    return tuple(steps)
