"""Find the line of a key in TOML text, so validation errors can say file:line.

``tomllib`` keeps no positions, and a policy or layout author needs to know where the
problem is. This walks a pydantic error location (``("phases", 2, "items", 0, "id")``)
through the text, following table headers, array-of-table headers and inline arrays,
and returns the best line it can pin down — the nearest enclosing key when the exact
one is missing (a missing required field is reported at its table).
"""

import re
from collections.abc import Mapping
from typing import Any

from warroom.core.wording import field_path, plain_message

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")


def describe_error(text: str, source: str, error: Mapping[str, Any], what: str = "") -> str:
    """One pydantic validation error as ``file:line: field: message`` in the user's words
    (``what`` names the field when the error is about the whole file)."""
    loc = tuple(error["loc"])
    field = field_path(loc) or what
    return f"{source}:{locate(text, loc)}: {field}: {plain_message(error)}"


def locate(text: str, loc: tuple[str | int, ...]) -> int:
    """1-based line number for ``loc`` in ``text``; 1 when nothing matches."""
    lines = text.splitlines()
    start, end, line = 0, len(lines), 1
    path: list[str] = []
    index = 0
    while index < len(loc):
        part = loc[index]
        if isinstance(part, int):
            index += 1
            continue
        path.append(part)
        following = loc[index + 1] if index + 1 < len(loc) else None
        table = ".".join(path)
        if isinstance(following, int):
            headers = [n for n in range(start, end) if _header_name(lines[n]) == ("[[", table)]
            if following < len(headers):
                start = headers[following]
                end = _next_header(lines, start + 1, table)
                line = start + 1
                index += 2
                continue
            found = _find_key(lines, start, end, part)
            if found is not None:
                line = _nth_inline_item(lines, found, following) + 1
            return line
        headers = [n for n in range(start, end) if _header_name(lines[n]) == ("[", table)]
        if headers:
            start = headers[0]
            end = _next_header(lines, start + 1, table)
            line = start + 1
        else:
            found = _find_key(lines, start, end, part)
            if found is None and _has_subtables(lines, start, end, table):
                index += 1  # ``[channels.a]`` with no ``[channels]``: look one level down
                continue
            if found is None:
                return line
            line = found + 1
            start = found
        index += 1
    return line


def _header_name(line: str) -> tuple[str, str] | None:
    match = _HEADER.match(line)
    return (match.group(1), match.group(2).replace(" ", "")) if match else None


def _has_subtables(lines: list[str], start: int, end: int, table: str) -> bool:
    return any(
        (header := _header_name(lines[n])) and header[1].startswith(table + ".")
        for n in range(start, end)
    )


def _next_header(lines: list[str], start: int, table: str) -> int:
    for n in range(start, len(lines)):
        header = _header_name(lines[n])
        if header and not header[1].startswith(table + "."):
            return n
    return len(lines)


def _find_key(lines: list[str], start: int, end: int, key: str) -> int | None:
    pattern = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=|[{{,]\s*{re.escape(key)}\s*=")
    for n in range(start, end):
        if n > start and _header_name(lines[n]):
            break
        if pattern.search(lines[n]):
            return n
    return None


def _nth_inline_item(lines: list[str], key_line: int, item: int) -> int:
    """Line of the ``item``-th element (a table or a string, one a line) of a multi-line
    inline array starting at key_line."""
    count = -1
    for n in range(key_line, len(lines)):
        stripped = lines[n].strip()
        if n > key_line and stripped.startswith(("{", '"', "'")):  # a table or a string
            count += 1
        if n == key_line and stripped.endswith("]"):
            return key_line
        if count == item:
            return n
        if stripped.startswith("]") or (n > key_line and _header_name(lines[n])):
            break
    return key_line
