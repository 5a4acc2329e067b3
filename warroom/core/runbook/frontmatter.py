"""A runbook's front matter: YAML between ``---`` lines or TOML between ``+++`` lines.

It names the title, owner, services, incident types, severities, tags and last review
date. Unknown keys are reported (they are typos more often than not), each problem on
the line of its key.
"""

import re
import tomllib
from datetime import date
from typing import Annotated, Any

import yaml
from pydantic import BeforeValidator, ConfigDict, StringConstraints, ValidationError

from warroom.core.runbook.model import Frozen, Report

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


def _as_tuple(value: Any) -> Any:
    """Front matter lists may be written as a single value: ``services: checkout``."""
    return (value,) if isinstance(value, str) else value


Names = Annotated[tuple[Name, ...], BeforeValidator(_as_tuple)]


class FrontMatter(Frozen):
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

_FENCES = {"---": "yaml", "+++": "toml"}
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_front_matter(lines: list[str], problem: Report) -> tuple[FrontMatter | None, int]:
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
