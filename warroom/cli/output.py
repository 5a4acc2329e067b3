"""Printing for the CLI: JSON for scripts, plain sanitised text for people.

Human output goes through ``visible`` so a hostile title or entry cannot drive the
terminal; JSON output is escaped by the encoder.
"""

import sys
from collections.abc import Sequence
from typing import Any

from warroom.core.jsontext import dumps_indented
from warroom.core.sanitize import visible


def emit_json(value: Any) -> None:
    if _is_model(value):
        text = value.model_dump_json(indent=2)
    else:
        text = dumps_indented(value, ascii_only=False, default=_default)
    sys.stdout.write(text + "\n")


def _is_model(value: Any) -> bool:
    """Whether ``value`` is a pydantic model, without loading pydantic (~0.1 s) for a
    command that made none: then nothing can be one."""
    pydantic = sys.modules.get("pydantic")
    return pydantic is not None and isinstance(value, pydantic.BaseModel)


def _default(value: Any) -> Any:
    if _is_model(value):
        return value.model_dump(mode="json")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, set):
        return sorted(value)
    return str(value)


def say(text: str = "") -> None:
    """One or more lines for a person, with control characters made visible."""
    sys.stdout.write(visible(text, single_line=False) + "\n")


def report_problems(problems: Sequence[object], as_json: bool, failed: bool | None = None) -> None:
    """The ``check`` commands' contract: quiet on success, one line per problem, exit 1.

    ``failed`` says whether the problems fail the check (default: any problem does);
    warnings alone print and exit 0."""
    failed = bool(problems) if failed is None else failed
    if as_json:
        emit_json({"ok": not failed, "problems": problems})
    else:
        for problem in problems:
            say(str(problem))
    if failed:
        import typer  # ~0.1 s: loaded by every command that can get here already

        raise typer.Exit(1)


def fail(message: str) -> None:
    sys.stderr.write("warroom: error: " + visible(message, single_line=False) + "\n")
