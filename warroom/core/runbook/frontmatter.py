"""A runbook's front matter: YAML between ``---`` lines or TOML between ``+++`` lines.

It names the title, owner, services, incident types, severities, tags and last review
date. Runbooks that alerts link to are often written for a static-site generator (Hugo,
Docsy, Jekyll), whose front matter carries keys of its own (``weight``, ``aliases``,
``draft``, ``description``, ``date``, ...): those are kept as the runbook's metadata and
the runbook loads. An unknown key that looks like a misspelt known one (``service``) is
kept too, with a warning naming the key it resembles.

A known key with a value of the wrong type is reported on the line of its key. Whether
that is an error or a warning depends on the key (``_IGNORABLE``): the keys that only
describe the runbook fall back to a sensible default with a warning; the keys that route
it to incidents are errors, because a runbook loaded without them is suggested for
incidents other than the ones its author meant.
"""

import difflib
import math
import re
import tomllib
from datetime import date, datetime, time
from typing import Annotated, Any

from pydantic import BeforeValidator, ConfigDict, Field, StringConstraints, ValidationError

from warroom.core.runbook.model import Frozen, Report

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


def _as_tuple(value: Any) -> Any:
    """Front matter lists may be written as a single value: ``services: checkout``."""
    return (
        (value,) if isinstance(value, str | int | float) and not isinstance(value, bool) else value
    )


Names = Annotated[tuple[Name, ...], BeforeValidator(_as_tuple)]


class FrontMatter(Frozen):
    """The keys a runbook's front matter may set, and the other keys it carried."""

    model_config = ConfigDict(frozen=True, extra="forbid", coerce_numbers_to_str=True)

    title: Name | None = None
    owner: Name | None = None
    services: Names = ()
    incident_types: Names = ()
    severities: Names = ()
    tags: Names = ()
    last_reviewed: date | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    """Keys warroom does not use, under their own spelling (see ``Runbook.metadata``)."""


FRONT_MATTER_KEYS: tuple[str, ...] = tuple(
    key for key in FrontMatter.model_fields if key != "metadata"
)

_EXPECTED = {
    "title": "a line of text",
    "owner": "a line of text",
    "services": "a name or a list of names",
    "incident_types": "a name or a list of names",
    "severities": "a name or a list of names",
    "tags": "a name or a list of names",
    "last_reviewed": "a date such as 2024-05-31",
}
_IGNORABLE = {
    "title": "the title comes from the only level-1 heading, else the file name",
    "owner": "the runbook has no owner",
    "tags": "the runbook has no tags",
    "last_reviewed": "the runbook counts as never reviewed",
}
"""Keys whose bad value is a warning, and what the runbook is read as instead. Title, owner
and review date only describe the runbook; ``tags`` is also a static-site generator's
taxonomy and only raises a suggestion's rank. ``services``, ``incident_types`` and
``severities`` are missing on purpose: they decide which incidents the runbook is offered
for, so a value that cannot be read is an error."""

_FENCES = {"---": "yaml", "+++": "toml"}


class _BadYaml(Exception):
    """YAML front matter that does not parse: the file's line and what is wrong."""

    def __init__(self, line: int, detail: str) -> None:
        super().__init__(detail)
        self.line, self.detail = line, detail


def _load_yaml(source: str) -> object:
    """``yaml.safe_load`` (the C loader when there is one). PyYAML is imported here, not
    with the module: it costs ~30 ms, which every command and the screen's start would
    pay, and only YAML front matter needs it."""
    import yaml

    try:
        return yaml.load(source, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        detail = getattr(exc, "problem", None) or str(exc)
        raise _BadYaml(mark.line + 2 if mark is not None else 1, detail) from None


def read_front_matter(lines: list[str], problem: Report) -> tuple[FrontMatter | None, int]:
    """Validated front matter (empty when absent; ``None`` after an error) and the index
    of the first body line."""
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
        data = _load_yaml(source) if _FENCES[opener] == "yaml" else tomllib.loads(source)
    except _BadYaml as exc:
        problem(exc.line, f"invalid YAML front matter: {exc.detail}")
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
    known, metadata = _split_keys(data, lines, end, problem)
    return _validate(known, metadata, lines, end, problem), end + 1


def _split_keys(
    data: dict, lines: list[str], end: int, problem: Report
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The known keys (``last-reviewed`` spelt either way) and the rest, as metadata."""
    known: dict[str, Any] = {}
    metadata: dict[str, Any] = {}
    for raw_key, value in data.items():
        key = str(raw_key)
        name = key.replace("-", "_")
        if name in FRONT_MATTER_KEYS:
            known[name] = value
            continue
        metadata[key] = _plain(value)
        resembles = _resembles(name)
        if resembles:
            problem(
                _key_line(lines, end, key),
                f"unknown front matter key {key!r} kept as metadata; did you mean {resembles!r}?",
                "warning",
            )
    return known, metadata


def _validate(
    known: dict[str, Any], metadata: dict[str, Any], lines: list[str], end: int, problem: Report
) -> FrontMatter | None:
    """The front matter, with ignorable bad values dropped (warned); ``None`` on an error."""
    try:
        return FrontMatter.model_validate(known | {"metadata": metadata})
    except ValidationError as exc:
        failed = {str(error["loc"][0]): error["loc"][1:] for error in exc.errors() if error["loc"]}
    for key, inner in failed.items():
        value = known[key]
        for part in inner:
            value = value[part] if isinstance(value, list | tuple | dict) else value
        what = f"expected {_EXPECTED[key]}, got {_describe(value)}"
        if key in _IGNORABLE:
            problem(
                _key_line(lines, end, key),
                f"front matter {key}: {what}; {_IGNORABLE[key]}",
                "warning",
            )
        else:
            problem(_key_line(lines, end, key), f"front matter {key}: {what}")
    if not failed.keys() <= _IGNORABLE.keys():
        return None
    usable = {key: value for key, value in known.items() if key not in failed}
    return FrontMatter.model_validate(usable | {"metadata": metadata})


def _resembles(name: str) -> str | None:
    """The known key an unknown one is probably a misspelling of (``service``, ``tag``)."""
    lowered = name.lower()
    variants = {lowered + "s", lowered.removesuffix("s"), lowered.removesuffix("y") + "ies"}
    exact = [key for key in FRONT_MATTER_KEYS if key in variants]
    close = difflib.get_close_matches(lowered, FRONT_MATTER_KEYS, n=1, cutoff=0.88)
    return (exact or close or [None])[0]


def _plain(value: Any) -> Any:
    """A metadata value as JSON can hold it: dates as ISO strings, keys as strings."""
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(item) for item in value]
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _describe(value: Any) -> str:
    """A value's kind in the words of someone editing front matter."""
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and len(value.strip()) > 200:
        return f"text of {len(value.strip())} characters (at most 200)"
    if isinstance(value, str):
        return "empty text" if not value.strip() else f"{value!r}"
    if isinstance(value, datetime | date | time):
        return f"{value.isoformat()!r}"
    return "nothing" if value is None else f"{value!r}"


def _key_line(lines: list[str], end: int, key: str) -> int:
    """Line of a top-level front matter key (either spelling), or the opening line."""
    spellings = {key, key.replace("_", "-")}
    for number in range(1, end):
        name = re.split(r"\s*[:=]", lines[number].strip().strip("\"'"), maxsplit=1)[0]
        if name.strip("\"'") in spellings and not lines[number][:1].isspace():
            return number + 1
    return 1
