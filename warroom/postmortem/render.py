"""Compile and render a postmortem template in the sandbox (``templates.sandbox``), a
piece at a time.

Every ``{{ … }}`` value is user text from the record and is escaped for Markdown
(``warroom.core.export``'s escaping, the export's), so a title cannot add a heading, a
link or a terminal escape sequence to the document. The template's own text is not
escaped: it is the team's, written on purpose.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from warroom.core.export import _md as markdown_text
from warroom.templates.sandbox import compile_checked, render_failure, sandbox

SUFFIX = ".md.j2"
DATA = "the draft's data (incident, timeline, actions, ...)"
"""What a postmortem template may use, in its refusals."""


def _finalize(value: object) -> str:
    if isinstance(value, bool | int):
        return str(value)
    return markdown_text(str(value)) if value else ""


_ENV = sandbox(_finalize)


@dataclass(frozen=True)
class DraftTemplate:
    """A compiled postmortem template and the file it came from."""

    name: str
    path: Path
    compiled: Any

    def render(self, data: dict[str, Any]) -> Iterator[str]:
        """The document a piece at a time; ``TemplateFailed`` with the line if it fails."""
        try:
            yield from self.compiled.generate(data)
        except Exception as exc:
            failure = render_failure(exc, self.path, DATA)
            if failure is None:
                raise
            raise failure from None


def compile_template(path: Path, source: str) -> DraftTemplate:
    """Compile ``source`` (the text of ``path``); ``TemplateFailed`` says where it is wrong."""
    name = path.name.removesuffix(SUFFIX)
    compiled = compile_checked(_ENV, source, name, path, DATA)
    return DraftTemplate(name=name, path=path, compiled=compiled)
