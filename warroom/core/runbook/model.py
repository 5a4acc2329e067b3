"""What a parsed runbook is: its steps, sections, code blocks, metadata and problems.

These are the shapes every other layer sees (a pinned runbook's steps travel inside
``runbook_attached`` events); how they are read from Markdown is the rest of the package.
"""

from collections.abc import Iterable, Iterator
from datetime import date
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

PHASES: tuple[str, ...] = ("triage", "containment", "eradication", "recovery")
"""The default response phases a heading may name."""

StepType = Literal[
    "action",
    "check",
    "command",
    "rollback",
    "canary",
    "feature-flag",
    "load-balancer",
    "approval",
    "escalate",
]
STEP_TYPES: tuple[str, ...] = StepType.__args__

SHELL_LANGUAGES = frozenset({"", "sh", "bash", "shell", "zsh"})
"""Code block languages that hold shell commands (an untagged block counts as shell)."""

Severity = Literal["error", "warning"]
"""An error means the file yields no runbook; a warning means it loads, read as described."""


class Report(Protocol):
    """How the parser's parts report a problem: ``report(line, message)``; parsing goes on.

    ``severity="warning"`` marks what the parser could read sensibly anyway (an
    unterminated code fence runs to the end of the file, say)."""

    def __call__(self, line: int, message: str, severity: Severity = "error") -> object: ...


class Frozen(BaseModel):
    """Pinned copies of these travel inside events, so fields from a newer warroom are
    kept (see ``warroom.core.events.fields._Payload``)."""

    model_config = ConfigDict(frozen=True, extra="allow")


class CodeBlock(Frozen):
    """A fenced code block; ``language`` is the first word of its info string."""

    language: str = ""
    code: str
    line: int

    @property
    def is_shell(self) -> bool:
        return self.language in SHELL_LANGUAGES


class RunbookStep(Frozen):
    """One step: what to do, of which kind, in which phase, with which commands."""

    id: str
    title: str
    type: StepType = "action"
    phase: str | None = None
    section: str = ""
    """The heading the step sits under (the innermost one), for grouping on screen."""
    text: str = ""
    """Continuation lines under the item: explanation, expected output, caveats."""
    commands: tuple[CodeBlock, ...] = ()
    children: tuple["RunbookStep", ...] = ()
    line: int


class Section(Frozen):
    """A heading and the prose under it that is not a step: reference text."""

    title: str
    level: int
    line: int
    phase: str | None = None
    text: str = ""


class Runbook(Frozen):
    """A parsed runbook. ``id`` is the file stem; ``content_hash`` the sha256 of its bytes."""

    id: str
    path: str
    content_hash: str
    title: str
    owner: str = ""
    services: tuple[str, ...] = ()
    incident_types: tuple[str, ...] = ()
    severities: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    last_reviewed: date | None = None
    summary: str = ""
    """Prose before the first section: what the runbook is for."""
    metadata: dict[str, Any] = Field(default_factory=dict)
    """Front matter keys warroom does not use (a static-site generator's ``weight``,
    ``aliases``, ``draft``, ...), kept as read, with dates as ISO strings."""
    sections: tuple[Section, ...] = ()
    steps: tuple[RunbookStep, ...] = ()

    def walk(self) -> Iterator[RunbookStep]:
        """Every step, depth first, in document order."""
        return walk_steps(self.steps)

    def step(self, step_id: str) -> RunbookStep | None:
        wanted = step_id.strip().lower()
        return next((s for s in self.walk() if s.id == wanted), None)


def walk_steps(steps: Iterable[RunbookStep]) -> Iterator[RunbookStep]:
    """Depth-first, document-order iteration over steps and their sub-steps."""
    for step in steps:
        yield step
        yield from walk_steps(step.children)


def step_count(steps: Iterable[RunbookStep]) -> int:
    """How many steps a runbook has, as every view says it: sub-steps count (each is
    marked on its own), reference sections and prose do not."""
    return sum(1 for _ in walk_steps(steps))


class RunbookProblem(Frozen):
    """One problem in a runbook file, printed like a compiler's: ``file:line: message``
    for an error, ``file:line: warning: message`` for a warning."""

    file: str
    line: int
    message: str
    severity: Severity = "error"

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def __str__(self) -> str:
        marker = "warning: " if self.severity == "warning" else ""
        return f"{self.file}:{self.line}: {marker}{self.message}"


def has_errors(problems: Iterable[RunbookProblem]) -> bool:
    """Whether any problem stops the file loading (warnings alone do not)."""
    return any(problem.is_error for problem in problems)
