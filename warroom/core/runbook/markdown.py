"""The Markdown walk: a runbook's body split into blocks, then read into sections and steps.

Structure is read from conventions that still render well as plain Markdown: list items
(task list, numbered or bulleted) are steps, nested items are sub-steps, fenced code
blocks right after a step are its commands, and a heading named after a phase
(``## Containment``) puts the steps below it in that phase. What a step's own line
means (its type tag, its id) is ``warroom.core.runbook.steps``.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal, NamedTuple

from warroom.core.runbook.model import CodeBlock, Report, RunbookStep, Section
from warroom.core.runbook.steps import DraftStep, freeze_steps, slugify

MAX_DEPTH = 6
"""Deepest sub-step nesting accepted; deeper lists are a mistake or an attack."""

_HEADING = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_BREAK = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_ITEM = re.compile(r"^([ \t]*)([-*+]|\d{1,9}[.)])(?:[ \t]+(.*))?$")
_FENCE = re.compile(r"^([ \t]*)(`{3,}|~{3,})[ \t]*([^`\s]*)")


@lru_cache(maxsize=8)
def _phase_pattern(phases: tuple[str, ...]) -> re.Pattern[str]:
    """A heading names a phase when its text starts with it: ``Containment``, ``2. Recovery``."""
    names = "|".join(re.escape(p) for p in sorted(phases, key=len, reverse=True))
    return re.compile(
        rf"^(?:phase\s*\d*\s*[:.)\-–—]?\s*)?(?:\d+\s*[:.)\-–—]?\s*)?({names})(?![\w-])",
        re.IGNORECASE,
    )


class Block(NamedTuple):
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


def split_blocks(lines: list[str], start: int, problem: Report) -> list[Block]:
    """Split the body into blocks, reading fenced code as one block each.

    A fence never closed runs to the end of the file, as CommonMark reads it (a
    warning: the runbook loads, and a renderer shows the same thing)."""
    blocks: list[Block] = []
    n, end = start, len(lines)
    while n < end:
        line = lines[n]
        stripped = line.lstrip()
        if not stripped:
            blocks.append(Block("blank", n))
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
                if close is None:  # CommonMark: the block runs to the end of the document
                    problem(
                        n + 1,
                        f"code block opened with {marker!r} is never closed;"
                        " it runs to the end of the file",
                        "warning",
                    )
                    close = end if lines[-1] else end - 1  # the newline ending the file
                blocks.append(
                    Block("fence", n, indent, marker, end=close, language=fence.group(3).lower())
                )
                n = close + 1
                continue
        elif first == "#":
            heading = _HEADING.match(line)
            if heading:
                title = (heading.group(2) or "").strip()
                block = Block("heading", n, indent, title, len(heading.group(1)))
        if block is None and first in "-*_" and _BREAK.match(line):
            block = Block("break", n, indent, line)
        elif block is None and (first in "-*+" or first.isdigit()):
            item = _ITEM.match(line)
            if item:
                block = Block("item", n, indent, (item.group(3) or "").strip())
        blocks.append(block or Block("text", n, indent, stripped.rstrip()))
        n += 1
    return blocks


def _title_line(blocks: list[Block]) -> int | None:
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


class Builder:
    """One pass over the blocks, building sections and the step tree.

    Lists follow Markdown loosely, the way people write them: an item indented more than
    the item above is its sub-step; the lines right after an item continue its title (one
    paragraph, as Markdown renders it); indented paragraphs after a blank line are its
    detail text; an unindented paragraph after a blank line (or a heading, or a rule)
    ends the list.
    """

    def __init__(self, lines: list[str], phases: Sequence[str], problem: Report) -> None:
        self.lines = lines
        self.phase_re = _phase_pattern(tuple(phases))
        self.phase_ids = {p.lower(): p for p in phases}
        self.problem = problem
        self.title: str | None = None
        self.roots: list[DraftStep] = []
        self.preamble: list[str] = []
        self.sections: list[tuple[Section, list[str]]] = []
        self._prose = self.preamble
        self._headings: list[_Heading] = []
        self._open: list[DraftStep] = []
        self._blank = False

    def build(self, blocks: list[Block]) -> None:
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

    def _heading(self, block: Block) -> None:
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

    def _fence(self, block: Block) -> None:
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

    def _item(self, block: Block) -> None:
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
        item = DraftStep(
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

    def _text(self, block: Block) -> None:
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

    def _owner(self, indent: int) -> DraftStep | None:
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

    def _phase(self) -> str | None:
        return self._headings[-1].phase if self._headings else None

    def _prefix(self) -> str:
        """Generated ids count steps per phase, else per top-level section, else ``step``."""
        return self._headings[-1].prefix if self._headings else "step"

    def result(self) -> tuple[str, tuple[Section, ...], tuple[RunbookStep, ...]]:
        """Summary, sections and the frozen step tree (ids assigned, duplicates reported)."""
        sections = tuple(s.model_copy(update={"text": _join(text)}) for s, text in self.sections)
        return _join(self.preamble), sections, freeze_steps(self.roots, self.problem)


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
