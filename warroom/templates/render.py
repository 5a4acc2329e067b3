"""Compile and render one notice template in the sandbox (``templates.sandbox``).

Every ``{{ … }}`` value is escaped for the template's format (``escape.escape``), and a
rendered notice longer than an entry can hold is refused at the template's first line.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from warroom.core.events import MAX_TEXT
from warroom.templates.escape import Format, escape
from warroom.templates.sandbox import (
    DataSandbox,
    compile_checked,
    failed,
    render_failure,
    sandbox,
)

SUFFIX = ".j2"
DATA = "the notice data (incident, decisions, actions, ...)"
"""What a notice template may use, in its refusals."""

_ENVIRONMENTS: dict[str, DataSandbox] = {
    fmt: sandbox(lambda value, fmt=fmt: escape(value, fmt)) for fmt in ("plain", "markdown", "html")
}


@dataclass(frozen=True)
class NoticeTemplate:
    """A compiled template: its name (``external-identified``), format and file."""

    name: str
    fmt: Format
    path: Path
    compiled: Any

    def render(self, context: dict[str, Any]) -> str:
        """The notice text; ``TemplateFailed`` with the template's line when it fails."""
        try:
            text = self.compiled.render(context)
        except Exception as exc:
            failure = render_failure(exc, self.path, DATA)
            if failure is None:
                raise
            raise failure from None
        if len(text) > MAX_TEXT:
            problem = f"renders {len(text):,} characters; a notice holds at most {MAX_TEXT:,}"
            raise failed(self.path, 1, problem)
        return text


def compile_template(name: str, fmt: Format, path: Path, source: str) -> NoticeTemplate:
    """Compile ``source`` (the text of ``path``); ``TemplateFailed`` says where it is wrong."""
    compiled = compile_checked(_ENVIRONMENTS[fmt], source, name, path, DATA)
    return NoticeTemplate(name=name, fmt=fmt, path=path, compiled=compiled)
