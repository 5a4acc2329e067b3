"""Compile and render a postmortem template in Jinja2's sandbox, a piece at a time.

A template is a file anyone who can write the config folder wrote, so it must not run
code: it is compiled in a ``SandboxedEnvironment`` with no loader (no ``include``,
``import`` or ``extends``), a name starting with an underscore (the way into Python's
internals) is refused with its line, and unknown names are errors (``StrictUndefined``),
so a misspelt field is a ``file:line`` problem, not a silent gap in the draft. (The
notice templates take the same approach; the two can share this module once merged.)

Every ``{{ … }}`` value is user text from the record and is escaped for Markdown
(``warroom.core.export``'s escaping, the export's), so a title cannot add a heading, a
link or a terminal escape sequence to the document. The template's own text is not
escaped: it is the team's, written on purpose.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError, nodes
from jinja2.sandbox import SandboxedEnvironment, SecurityError

from warroom.core.errors import InvalidInput
from warroom.core.export import _md as markdown_text

SUFFIX = ".md.j2"
_NOT_SELF_CONTAINED = (nodes.Include, nodes.Extends, nodes.Import, nodes.FromImport)


def _finalize(value: object) -> str:
    if isinstance(value, bool | int):
        return str(value)
    return markdown_text(str(value)) if value else ""


class _DraftEnvironment(SandboxedEnvironment):
    """The sandbox, reading the draft's fields first as what they are: keys of plain dicts.

    ``{{ h.text }}`` on a dict first asks Python for an attribute ``text``, which raises,
    and only then reads the key: 100k fields of a long incident's draft spent a third of
    the render raising. A key is read first when the dict has it (what the sandbox's
    fallback returns anyway); anything else — a dict's methods, other objects — goes
    through the sandbox's own checks as before."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict and attribute in obj:
            return obj[attribute]
        return super().getattr(obj, attribute)


_ENV = _DraftEnvironment(
    undefined=StrictUndefined,
    finalize=_finalize,
    autoescape=False,  # escaping is finalize's
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


class TemplateFailed(InvalidInput):
    """A template that cannot be used or failed to render: ``file:line: message``."""

    def __init__(self, path: Path | str, line: int, message: str) -> None:
        self.path, self.line, self.message = str(path), line, message
        super().__init__(f"{path}:{line}: {message}")


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
        except SecurityError as exc:
            refused = f"refused: the template reaches outside the draft ({exc})"
            raise self._failed(exc, refused) from None
        except TemplateError as exc:
            raise self._failed(exc, exc.message or type(exc).__name__) from None
        except (TypeError, ValueError, ArithmeticError, LookupError) as exc:
            raise self._failed(exc, f"cannot render: {exc}") from None

    def _failed(self, exc: BaseException, message: str) -> TemplateFailed:
        line, frame = 1, exc.__traceback__
        while frame is not None:  # Jinja's frames carry the template's file and line
            if frame.tb_frame.f_code.co_filename == str(self.path):
                line = frame.tb_lineno
            frame = frame.tb_next
        return TemplateFailed(self.path, line, message)


def compile_template(path: Path, source: str) -> DraftTemplate:
    """Compile ``source`` (the text of ``path``); ``TemplateFailed`` says where it is wrong."""
    name = path.name.removesuffix(SUFFIX)
    try:
        tree = _ENV.parse(source, name, str(path))
    except TemplateSyntaxError as exc:
        raise TemplateFailed(path, exc.lineno or 1, exc.message or "syntax error") from None
    for node in tree.find_all((nodes.Getattr, nodes.Getitem, nodes.Name, *_NOT_SELF_CONTAINED)):
        if isinstance(node, _NOT_SELF_CONTAINED):
            tag = type(node).__name__.lower().replace("fromimport", "from … import")
            raise TemplateFailed(path, node.lineno, f"refused: {tag} is off (one file a draft)")
        reached = (
            node.name
            if isinstance(node, nodes.Name)
            else node.attr
            if isinstance(node, nodes.Getattr)
            else getattr(node.arg, "value", None)
        )
        if isinstance(reached, str) and reached.startswith("_"):
            raise TemplateFailed(
                path, node.lineno, f"refused: {reached!r} reaches into Python internals"
            )
    code = _ENV.compile(tree, name, str(path))
    compiled = _ENV.template_class.from_code(_ENV, code, _ENV.make_globals(None))
    return DraftTemplate(name=name, path=path, compiled=compiled)
