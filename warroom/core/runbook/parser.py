"""``parse_runbook``: one file's bytes to a runbook, or every problem with its line.

Problems are errors or warnings: any error and the file yields no runbook; warnings
alone (an unterminated code fence, a mistyped ``title``) leave a runbook that loads,
read the way the warning says, with the warnings beside it.

It refuses what cannot be a runbook (too large, binary, not UTF-8, control characters),
then reads the front matter (``frontmatter``), walks the Markdown body (``markdown``)
and types and names the steps (``steps``).
"""

import hashlib
import re
from collections.abc import Sequence
from pathlib import PurePath

from warroom.core.runbook.frontmatter import read_front_matter
from warroom.core.runbook.markdown import Builder, split_blocks
from warroom.core.runbook.model import PHASES, Runbook, RunbookProblem, Severity, has_errors

MAX_BYTES = 1 << 20
"""Largest runbook accepted (1 MiB); a runbook longer than that is not read in an outage."""

_STEM = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
"""Control characters, and the bidi overrides that make a command read unlike what it runs."""


def content_hash(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def parse_runbook(
    raw: bytes, path: str | PurePath, phases: Sequence[str] = PHASES
) -> tuple[Runbook | None, list[RunbookProblem]]:
    """Parse one runbook file's bytes: the runbook (``None`` when any problem is an
    error) and every problem found, errors and warnings, in file order.

    ``path`` names the file in problems and gives the runbook id (its stem). ``phases``
    are the phase names headings may use (the policy's phases).
    """
    file = str(path)
    stem = PurePath(path).stem
    problems: list[RunbookProblem] = []

    def problem(line: int, message: str, severity: Severity = "error") -> list[RunbookProblem]:
        problems.append(RunbookProblem(file=file, line=line, message=message, severity=severity))
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
    meta, body_start = read_front_matter(lines, problem)
    builder = Builder(lines, phases, problem)
    builder.build(split_blocks(lines, body_start, problem))
    summary, sections, steps = builder.result()
    if has_errors(problems) or meta is None:
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
        metadata=meta.metadata,
        summary=summary,
        sections=sections,
        steps=steps,
    )
    return runbook, problems


def _byte_line(raw: bytes, offset: int) -> int:
    return raw.count(b"\n", 0, offset) + 1
