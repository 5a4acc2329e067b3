"""Runbooks as code: parse a Markdown runbook into typed, addressable steps.

A runbook is a Markdown file a team already knows how to write and review. Structure is
read from conventions that still render well as plain Markdown (the format is documented
in ``runbooks/README.md``):

* optional front matter — YAML between ``---`` lines or TOML between ``+++`` lines —
  names the title, owner, services, incident types, severities, tags, last review date
  (``frontmatter``);
* list items (task list, numbered or bulleted) are steps, nested items are sub-steps, and
  fenced code blocks right after a step are its commands; a heading named after a phase
  (``## Containment``) puts the steps below it in that phase (``markdown``);
* a leading tag such as ``[rollback]`` gives a step its type; unmarked steps are actions;
  every step gets an id a person can type (``containment-2``, ``mitigation-1.3``, or an
  explicit ``{#drain-lb}``), so ``warroom step`` can name it (``steps``).

Parsing never raises on bad input: a runbook file is user content that may be binary,
huge, half-saved or hostile, and one bad file must not stop the others loading. Every
problem is returned with its file and line, the way a compiler would report it. A
problem is an error or a warning: a file with any error yields no runbook, so a library
can keep the last good version; a file with only warnings (front matter written for a
static-site generator, a code fence never closed) loads, read as the warning says.

``runbook_for_url`` finds the runbook an alert's ``runbook_url`` annotation links to
(``links``).

This package is pure (no I/O): it parses bytes it is given, so it is as fast to test as
it is to run on a thousand files. Import from here; the modules are its parts.
"""

from warroom.core.runbook.frontmatter import FRONT_MATTER_KEYS, FrontMatter
from warroom.core.runbook.links import runbook_for_url
from warroom.core.runbook.markdown import MAX_DEPTH
from warroom.core.runbook.model import (
    PHASES,
    SHELL_LANGUAGES,
    STEP_TYPES,
    CodeBlock,
    Runbook,
    RunbookProblem,
    RunbookStep,
    Section,
    StepType,
    has_errors,
    step_count,
    walk_steps,
)
from warroom.core.runbook.parser import MAX_BYTES, content_hash, parse_runbook
from warroom.core.runbook.steps import TYPE_ALIASES, slugify
from warroom.core.runbook.suggest import WEIGHTS, Suggestion, suggest

__all__ = [
    "FRONT_MATTER_KEYS",
    "MAX_BYTES",
    "MAX_DEPTH",
    "PHASES",
    "SHELL_LANGUAGES",
    "STEP_TYPES",
    "TYPE_ALIASES",
    "WEIGHTS",
    "CodeBlock",
    "FrontMatter",
    "Runbook",
    "RunbookProblem",
    "RunbookStep",
    "Section",
    "StepType",
    "Suggestion",
    "content_hash",
    "has_errors",
    "parse_runbook",
    "runbook_for_url",
    "slugify",
    "step_count",
    "suggest",
    "walk_steps",
]
