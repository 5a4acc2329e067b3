"""Runbooks as code: parse a Markdown runbook into typed, addressable steps.

A runbook is a Markdown file a team already knows how to write and review. Structure is
read from conventions that still render well as plain Markdown (the format is documented
in ``runbooks/README.md``):

* optional front matter — YAML between ``---`` lines or TOML between ``+++`` lines —
  names the title, owner, services, incident types, severities, tags, last review date;
* list items (task list, numbered or bulleted) are steps, nested items are sub-steps, and
  fenced code blocks right after a step are its commands;
* a heading named after a phase (``## Containment``) puts the steps below it in that phase;
* a leading tag such as ``[rollback]`` gives a step its type; unmarked steps are actions;
* every step gets an id a person can type (``containment-2``, ``mitigation-1.3``, or an
  explicit ``{#drain-lb}``), so ``warroom step`` can name it.

Parsing never raises on bad input: a runbook file is user content that may be binary,
huge, half-saved or hostile, and one bad file must not stop the others loading. Every
problem is returned with its file and line, the way a compiler would report it; a file
with any problem yields no runbook, so a library can keep the last good version.

This module is pure (no I/O): it parses bytes it is given, so it is as fast to test as
it is to run on a thousand files.
"""

import hashlib
import re
import tomllib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import PurePath
from typing import Annotated, Any, Literal, NamedTuple

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    StringConstraints,
    ValidationError,
)

MAX_BYTES = 1 << 20
"""Largest runbook accepted (1 MiB); a runbook longer than that is not read in an outage."""

MAX_DEPTH = 6
"""Deepest sub-step nesting accepted; deeper lists are a mistake or an attack."""

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

TYPE_ALIASES: dict[str, str] = {
    "verify": "check",
    "flag": "feature-flag",
    "lb": "load-balancer",
    "gate": "approval",
}
"""Short spellings accepted in tags; the parsed step always carries the canonical type."""

SHELL_LANGUAGES = frozenset({"", "sh", "bash", "shell", "zsh"})
"""Code block languages that hold shell commands (an untagged block counts as shell)."""

_STEM = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
_EXPLICIT_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
"""Control characters, and the bidi overrides that make a command read unlike what it runs."""
_HEADING = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_BREAK = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_ITEM = re.compile(r"^([ \t]*)([-*+]|\d{1,9}[.)])(?:[ \t]+(.*))?$")
_FENCE = re.compile(r"^([ \t]*)(`{3,}|~{3,})[ \t]*([^`\s]*)")
_TASK = re.compile(r"^\[[ xX]\](?:[ \t]+|$)")
_TAG = re.compile(r"^\[([A-Za-z][A-Za-z_-]*)\](?:[ \t]+|$)")
_ID_SUFFIX = re.compile(r"[ \t]*\{#([^}]*)\}[ \t]*$")
_SLUG_JUNK = re.compile(r"[^a-z0-9]+")

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class _Frozen(BaseModel):
    """Pinned copies of these travel inside events, so fields from a newer warroom are
    kept (see ``warroom.core.events._Payload``)."""

    model_config = ConfigDict(frozen=True, extra="allow")


class CodeBlock(_Frozen):
    """A fenced code block; ``language`` is the first word of its info string."""

    language: str = ""
    code: str
    line: int

    @property
    def is_shell(self) -> bool:
        return self.language in SHELL_LANGUAGES


class RunbookStep(_Frozen):
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


class Section(_Frozen):
    """A heading and the prose under it that is not a step: reference text."""

    title: str
    level: int
    line: int
    phase: str | None = None
    text: str = ""


class Runbook(_Frozen):
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


class RunbookProblem(_Frozen):
    """One problem in a runbook file, printed like a compiler error: ``file:line: message``."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


def _as_tuple(value: Any) -> Any:
    """Front matter lists may be written as a single value: ``services: checkout``."""
    return (value,) if isinstance(value, str) else value


Names = Annotated[tuple[Name, ...], BeforeValidator(_as_tuple)]


class FrontMatter(_Frozen):
    """The keys a runbook's front matter may set; unknown keys are reported (typos)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    title: Name | None = None
    owner: Name | None = None
    services: Names = ()
    incident_types: Names = ()
    severities: Names = ()
    tags: Names = ()
    last_reviewed: date | None = None


FRONT_MATTER_KEYS: tuple[str, ...] = tuple(FrontMatter.model_fields)


def content_hash(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def parse_runbook(
    raw: bytes, path: str | PurePath, phases: Sequence[str] = PHASES
) -> tuple[Runbook | None, list[RunbookProblem]]:
    """Parse one runbook file's bytes; the runbook, or ``None`` and every problem found.

    ``path`` names the file in problems and gives the runbook id (its stem). ``phases``
    are the phase names headings may use (the policy's phases).
    """
    file = str(path)
    stem = PurePath(path).stem
    problems: list[RunbookProblem] = []

    def problem(line: int, message: str) -> list[RunbookProblem]:
        problems.append(RunbookProblem(file=file, line=line, message=message))
        return problems

    if len(raw) > MAX_BYTES:
        return None, problem(1, "file is larger than 1 MiB; runbooks are limited to 1 MiB")
    if b"\0" in raw:
        return None, problem(_byte_line(raw, raw.index(b"\0")), "binary file (contains NUL bytes)")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return None, problem(_byte_line(raw, exc.start), "not UTF-8 text")
    control = _CONTROL.search(text)
    if control:
        line = text.count("\n", 0, control.start()) + 1
        return None, problem(line, f"control character U+{ord(control.group()):04X} in text")
    if not _STEM.match(stem):
        problem(1, f"file name {stem!r} cannot be a runbook id: use letters, digits, '-', '_'")

    lines = [line.removesuffix("\r") for line in text.split("\n")]
    meta, body_start = _front_matter(lines, problem)
    builder = _Builder(lines, phases, problem)
    builder.build(_blocks(lines, body_start, problem))
    summary, sections, steps = builder.result()
    if problems or meta is None:
        return None, problems
    runbook = Runbook(
        id=stem,
        path=file,
        content_hash=content_hash(raw),
        title=meta.title or builder.title or stem,
        owner=meta.owner or "",
        services=meta.services,
        incident_types=meta.incident_types,
        severities=meta.severities,
        tags=meta.tags,
        last_reviewed=meta.last_reviewed,
        summary=summary,
        sections=sections,
        steps=steps,
    )
    return runbook, []


def _byte_line(raw: bytes, offset: int) -> int:
    return raw.count(b"\n", 0, offset) + 1


# Front matter ---------------------------------------------------------------------------

_FENCES = {"---": "yaml", "+++": "toml"}
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _front_matter(lines: list[str], problem) -> tuple[FrontMatter | None, int]:
    """Validated front matter (empty when absent) and the index of the first body line."""
    opener = lines[0].rstrip()
    if opener not in _FENCES:
        return FrontMatter(), 0
    closers = ("---", "...") if opener == "---" else ("+++",)
    end = next((n for n in range(1, len(lines)) if lines[n].rstrip() in closers), None)
    if end is None:
        problem(1, f"front matter opened with {opener!r} is never closed")
        return None, len(lines)
    source = "\n".join(lines[1:end])
    try:
        if _FENCES[opener] == "yaml":
            data = yaml.load(source, Loader=_YAML_LOADER)
        else:
            data = tomllib.loads(source)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark is not None else 1
        detail = getattr(exc, "problem", None) or str(exc)
        problem(line, f"invalid YAML front matter: {detail}")
        return None, end + 1
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"at line (\d+)", str(exc))
        line = int(found.group(1)) + 1 if found else end  # "at end of document"
        problem(line, f"invalid TOML front matter: {str(exc).split(' (at')[0]}")
        return None, end + 1
    if data is None:
        return FrontMatter(), end + 1
    if not isinstance(data, dict):
        problem(2, "front matter must be a table of keys (title, owner, services, ...)")
        return None, end + 1
    data = {str(key).replace("-", "_"): value for key, value in data.items()}
    try:
        return FrontMatter.model_validate(data), end + 1
    except ValidationError as exc:
        for error in exc.errors():
            key = str(error["loc"][0]) if error["loc"] else ""
            line = _key_line(lines, end, key)
            if error["type"] == "extra_forbidden":
                known = ", ".join(FRONT_MATTER_KEYS)
                problem(line, f"unknown front matter key {key!r}; known keys: {known}")
            else:
                where = ".".join(str(part) for part in error["loc"])
                problem(line, f"front matter {where}: {error['msg']}")
        return None, end + 1


def _key_line(lines: list[str], end: int, key: str) -> int:
    """Line of a top-level front matter key (either spelling), or the opening line."""
    spellings = {key, key.replace("_", "-")}
    for number in range(1, end):
        name = re.split(r"\s*[:=]", lines[number].strip().strip("\"'"), maxsplit=1)[0]
        if name.strip("\"'") in spellings and not lines[number][:1].isspace():
            return number + 1
    return 1


# Body -----------------------------------------------------------------------------------


@lru_cache(maxsize=8)
def _phase_pattern(phases: tuple[str, ...]) -> re.Pattern[str]:
    """A heading names a phase when its text starts with it: ``Containment``, ``2. Recovery``."""
    names = "|".join(re.escape(p) for p in sorted(phases, key=len, reverse=True))
    return re.compile(
        rf"^(?:phase\s*\d*\s*[:.)\-–—]?\s*)?(?:\d+\s*[:.)\-–—]?\s*)?({names})(?![\w-])",
        re.IGNORECASE,
    )


def slugify(text: str) -> str:
    """Lowercase ASCII words joined by ``-``; the building block of generated step ids."""
    return _SLUG_JUNK.sub("-", text.lower()).strip("-")[:40].rstrip("-") or "step"


class _Block(NamedTuple):
    """One line-level block of the body; ``n`` is its 0-based line index."""

    kind: Literal["blank", "heading", "break", "item", "fence", "text"]
    n: int
    indent: int = 0
    text: str = ""
    level: int = 0
    """A heading's level."""
    end: int = 0
    """A fence's closing line index."""
    language: str = ""


def _blocks(lines: list[str], start: int, problem) -> list[_Block]:
    """Split the body into blocks, reading fenced code as one block each."""
    blocks: list[_Block] = []
    n, end = start, len(lines)
    while n < end:
        line = lines[n]
        stripped = line.lstrip()
        if not stripped:
            blocks.append(_Block("blank", n))
            n += 1
            continue
        first = stripped[0]
        lead = len(line) - len(stripped)
        indent = _width(line[:lead]) if "\t" in line[:lead] else lead
        block = None
        if first in "`~":
            fence = _FENCE.match(line)
            if fence and not (first == "`" and "`" in line[fence.end() :]):
                marker = fence.group(2)
                close = next((m for m in range(n + 1, end) if _closes(lines[m], marker)), None)
                if close is None:
                    problem(n + 1, f"code block opened with {marker!r} is never closed")
                    break
                blocks.append(
                    _Block("fence", n, indent, marker, end=close, language=fence.group(3).lower())
                )
                n = close + 1
                continue
        elif first == "#":
            heading = _HEADING.match(line)
            if heading:
                title = (heading.group(2) or "").strip()
                block = _Block("heading", n, indent, title, len(heading.group(1)))
        if block is None and first in "-*_" and _BREAK.match(line):
            block = _Block("break", n, indent, line)
        elif block is None and (first in "-*+" or first.isdigit()):
            item = _ITEM.match(line)
            if item:
                block = _Block("item", n, indent, (item.group(3) or "").strip())
        blocks.append(block or _Block("text", n, indent, stripped.rstrip()))
        n += 1
    return blocks


def _title_line(blocks: list[_Block]) -> int | None:
    """The first heading is the title when it is the document's only level-1 heading."""
    headings = [b for b in blocks if b.kind == "heading"]
    if headings and headings[0].level == 1 and sum(h.level == 1 for h in headings) == 1:
        return headings[0].n
    return None


@dataclass
class _Heading:
    level: int
    title: str
    phase: str | None
    prefix: str
    """What generated ids of steps under it start with."""


@dataclass
class _Item:
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
    children: list["_Item"] = field(default_factory=list)


class _Builder:
    """One pass over the blocks, building sections and the step tree.

    Lists follow Markdown loosely, the way people write them: an item indented more than
    the item above is its sub-step; the lines right after an item continue its title (one
    paragraph, as Markdown renders it); indented paragraphs after a blank line are its
    detail text; an unindented paragraph after a blank line (or a heading, or a rule)
    ends the list.
    """

    def __init__(self, lines: list[str], phases: Sequence[str], problem) -> None:
        self.lines = lines
        self.phase_re = _phase_pattern(tuple(phases))
        self.phase_ids = {p.lower(): p for p in phases}
        self.problem = problem
        self.title: str | None = None
        self.roots: list[_Item] = []
        self.preamble: list[str] = []
        self.sections: list[tuple[Section, list[str]]] = []
        self._prose = self.preamble
        self._headings: list[_Heading] = []
        self._open: list[_Item] = []
        self._blank = False

    def build(self, blocks: list[_Block]) -> None:
        title_line = _title_line(blocks)
        for block in blocks:
            match block.kind:
                case "blank":
                    self._blank = True
                    self._prose.append("")
                    if self._open:
                        self._open[-1].title_open = False
                case "heading" if block.n == title_line:
                    self._close_list()
                    self.title = block.text or None
                case "heading":
                    self._heading(block)
                case "break":
                    self._close_list()
                    self._prose.append(block.text)
                case "fence":
                    self._fence(block)
                case "item":
                    self._item(block)
                case "text":
                    self._text(block)

    def _heading(self, block: _Block) -> None:
        self._close_list()
        while self._headings and self._headings[-1].level >= block.level:
            self._headings.pop()
        named = self.phase_re.match(block.text)
        phase = self.phase_ids[named.group(1).lower()] if named else self._phase()
        outer = self._headings[0].prefix if self._headings else slugify(block.text)
        prefix = slugify(phase) if phase else outer
        self._headings.append(_Heading(block.level, block.text, phase, prefix))
        self._prose = []
        section = Section(title=block.text, level=block.level, line=block.n + 1, phase=phase)
        self.sections.append((section, self._prose))

    def _fence(self, block: _Block) -> None:
        owner = self._owner(block.indent)
        if owner is None:
            self._prose.extend(self.lines[block.n : block.end + 1])
        else:
            owner.title_open = False
            body = [_dedent(line, block.indent) for line in self.lines[block.n + 1 : block.end]]
            owner.commands.append(
                CodeBlock(language=block.language, code="\n".join(body), line=block.n + 1)
            )
        self._blank = False

    def _item(self, block: _Block) -> None:
        if not block.text:
            return  # an empty bullet carries nothing to do
        while self._open and self._open[-1].indent >= block.indent:
            self._open.pop()
        parent = self._open[-1] if self._open else None
        depth = parent.depth + 1 if parent else 1
        line = block.n + 1
        if depth > MAX_DEPTH:
            self.problem(line, f"steps are nested deeper than {MAX_DEPTH} levels")
            return
        item = _Item(
            indent=block.indent,
            line=line,
            phase=self._phase(),
            section=self._headings[-1].title if self._headings else "",
            prefix=self._prefix(),
            depth=depth,
            title=[block.text],
        )
        if parent:
            parent.title_open = False
            parent.children.append(item)
        else:
            self.roots.append(item)
        self._open.append(item)
        self._blank = False

    def _text(self, block: _Block) -> None:
        owner = self._owner(block.indent) if block.indent or not self._blank else None
        if owner is None:
            self._close_list()
            self._prose.append(self.lines[block.n])
            return
        if owner.title_open:
            owner.title.append(block.text)
        else:
            if self._blank and owner.text:
                owner.text.append("")
            owner.text.append(block.text)
        self._blank = False

    def _owner(self, indent: int) -> _Item | None:
        """The open item a block at ``indent`` belongs to, if the list is still open.

        An indented block belongs to the innermost item it is indented under; an
        unindented one belongs to the step right before it (a paragraph after a blank
        line has closed the list already).
        """
        for item in reversed(self._open):
            if item.indent < indent:
                return item
        return self._open[-1] if self._open else None

    def _close_list(self) -> None:
        self._open.clear()
        self._blank = False

    def _parse_title(self, line: int, content: str) -> tuple[str, str, str | None]:
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
                self.problem(line, f"unknown step type [{tag.group(1)}]; known types: {known}")
        explicit = None
        suffix = _ID_SUFFIX.search(content)
        if suffix:
            explicit, content = suffix.group(1).strip(), content[: suffix.start()]
            if not _EXPLICIT_ID.match(explicit):
                self.problem(
                    line,
                    f"invalid step id {{#{explicit}}}: use lowercase letters, digits, '-', '_'",
                )
        return content.strip(), kind, explicit

    def _phase(self) -> str | None:
        return self._headings[-1].phase if self._headings else None

    def _prefix(self) -> str:
        """Generated ids count steps per phase, else per top-level section, else ``step``."""
        return self._headings[-1].prefix if self._headings else "step"

    def result(self) -> tuple[str, tuple[Section, ...], tuple[RunbookStep, ...]]:
        """Summary, sections and the frozen step tree (ids assigned, duplicates reported)."""
        sections = tuple(s.model_copy(update={"text": _join(text)}) for s, text in self.sections)
        counters: dict[str, int] = {}
        seen: dict[str, int] = {}

        def freeze(item: _Item, generated: str) -> RunbookStep:
            title, kind, explicit = self._parse_title(item.line, " ".join(item.title))
            if not title:
                self.problem(item.line, "step has no text")
            step_id = explicit or generated
            if step_id in seen:
                self.problem(
                    item.line, f"duplicate step id {step_id!r} (first at line {seen[step_id]})"
                )
            seen.setdefault(step_id, item.line)
            if kind == "command" and not item.commands:
                self.problem(item.line, "[command] step has no fenced code block after it")
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
        for item in self.roots:
            counters[item.prefix] = counters.get(item.prefix, 0) + 1
            steps.append(freeze(item, f"{item.prefix}-{counters[item.prefix]}"))
        return _join(self.preamble), sections, tuple(steps)


def _width(indent: str) -> int:
    return len(indent.expandtabs(4))


def _closes(line: str, marker: str) -> bool:
    """A closing fence: the opening character, at least as many times, nothing else."""
    stripped = line.strip()
    return len(stripped) >= len(marker) and stripped == marker[0] * len(stripped)


def _dedent(line: str, indent: int) -> str:
    """Remove up to ``indent`` columns of leading whitespace (a fence's own indentation)."""
    stripped = line.lstrip(" \t")
    lead = line[: len(line) - len(stripped)].expandtabs(4)
    return lead[indent:] + stripped


def _join(lines: list[str]) -> str:
    return "\n".join(lines).strip("\n")


# Suggestions ----------------------------------------------------------------------------


class Suggestion(_Frozen):
    """A runbook ranked for an incident, with the reasons it matched."""

    runbook_id: str
    title: str
    score: int
    reasons: tuple[str, ...]


WEIGHTS = {"incident_type": 4, "service": 3, "tag": 2, "severity": 1}
"""What a match is worth: a runbook for this kind of incident beats one for a service."""


def suggest(
    runbooks: Iterable[Runbook],
    incident_type: str,
    services: Iterable[str] = (),
    keywords: Iterable[str] = (),
    severity: str | None = None,
) -> list[Suggestion]:
    """Runbooks that fit an incident, best first (ties by id).

    A runbook must match the incident type, a service or a keyword (compared with its
    tags; callers pass words of the incident title) to be suggested; a matching
    severity only raises the rank of a runbook that already fits.
    """
    kind = incident_type.strip().lower()
    wanted_services = {s.strip().lower() for s in services}
    wanted_words = {k.strip().lower() for k in keywords}
    results = []
    for runbook in runbooks:
        score, reasons = 0, []
        if kind and kind in _lower(runbook.incident_types):
            score += WEIGHTS["incident_type"]
            reasons.append(f"incident type {incident_type}")
        for service in sorted(wanted_services & _lower(runbook.services)):
            score += WEIGHTS["service"]
            reasons.append(f"service {service}")
        for tag in sorted(wanted_words & _lower(runbook.tags)):
            score += WEIGHTS["tag"]
            reasons.append(f"tag {tag}")
        if not score:
            continue
        if severity and severity.strip().lower() in _lower(runbook.severities):
            score += WEIGHTS["severity"]
            reasons.append(f"written for {severity}")
        results.append(
            Suggestion(runbook_id=runbook.id, title=runbook.title, score=score, reasons=reasons)
        )
    return sorted(results, key=lambda s: (-s.score, s.runbook_id))


def _lower(values: Iterable[str]) -> set[str]:
    return {v.lower() for v in values}
