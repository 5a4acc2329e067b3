"""Compile and render one notice template in Jinja2's sandbox.

A template is a file a team (or anyone who can write the config folder) wrote, so it
must not run code: it is compiled in Jinja2's sandbox (``ImmutableSandboxedEnvironment``,
a ``SandboxedEnvironment`` that also refuses to change lists and dicts) with no loader (no
``include``, ``import`` or ``extends``) and checked before use — a name starting with
an underscore (the way into ``__class__``, ``__globals__`` and the rest of Python's
internals) is refused at compile time with its line, and anything the sandbox stops at
render time is reported the same way. Unknown names are errors (``StrictUndefined``),
so a misspelt variable is a ``file:line`` problem, not a silent gap in a notice.

Every ``{{ … }}`` value is escaped for the template's format (``escape.escape``).
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

from warroom.core.errors import InvalidInput
from warroom.core.events import MAX_TEXT
from warroom.templates.escape import Format, escape

SUFFIX = ".j2"
_NOT_SELF_CONTAINED = (nodes.Include, nodes.Extends, nodes.Import, nodes.FromImport)


@dataclass(frozen=True)
class TemplateProblem:
    """One problem in a template file, located for a person: ``file:line: message``."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


class TemplateFailed(InvalidInput):
    """A template that cannot be used or failed to render; carries where and why."""

    def __init__(self, problem: TemplateProblem) -> None:
        self.problem = problem
        super().__init__(str(problem))


def _environment(fmt: Format) -> ImmutableSandboxedEnvironment:
    """The sandbox, immutable: a template cannot change the data it is given either."""
    return ImmutableSandboxedEnvironment(
        undefined=StrictUndefined,
        finalize=lambda value: escape(value, fmt),
        autoescape=False,  # escaping is finalize's, for every format alike
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


_ENVIRONMENTS: dict[str, ImmutableSandboxedEnvironment] = {
    fmt: _environment(fmt) for fmt in ("plain", "markdown", "html")
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
        except SecurityError as exc:
            refused = f"refused: the template reaches outside the notice data ({exc})"
            raise self._failed(exc, refused) from None
        except TemplateError as exc:
            raise self._failed(exc, exc.message or type(exc).__name__) from None
        except (TypeError, ValueError, ArithmeticError, LookupError) as exc:
            raise self._failed(exc, f"cannot render: {exc}") from None
        if len(text) > MAX_TEXT:
            problem = f"renders {len(text):,} characters; a notice holds at most {MAX_TEXT:,}"
            raise TemplateFailed(TemplateProblem(str(self.path), 1, problem))
        return text

    def _failed(self, exc: BaseException, message: str) -> TemplateFailed:
        return TemplateFailed(TemplateProblem(str(self.path), _line_in(exc, self.path), message))


def _line_in(exc: BaseException, path: Path) -> int:
    """The template line a render error happened on: Jinja rewrites the traceback so its
    frames carry the template's file name and line."""
    line, frame = 1, exc.__traceback__
    while frame is not None:
        if frame.tb_frame.f_code.co_filename == str(path):
            line = frame.tb_lineno
        frame = frame.tb_next
    return line


def compile_template(name: str, fmt: Format, path: Path, source: str) -> NoticeTemplate:
    """Compile ``source`` (the text of ``path``); ``TemplateFailed`` says where it is wrong."""
    env = _ENVIRONMENTS[fmt]
    try:
        tree = env.parse(source, name, str(path))
    except TemplateSyntaxError as exc:
        problem = TemplateProblem(str(path), exc.lineno or 1, exc.message or "syntax error")
        raise TemplateFailed(problem) from None
    problem = _forbidden(tree)
    if problem:
        line, message = problem
        raise TemplateFailed(TemplateProblem(str(path), line, message))
    code = env.compile(tree, name, str(path))
    compiled = env.template_class.from_code(env, code, env.make_globals(None))
    return NoticeTemplate(name=name, fmt=fmt, path=path, compiled=compiled)


def _forbidden(tree: nodes.Template) -> tuple[int, str] | None:
    """The first construct a notice template may not use, with its line."""
    for node in tree.find_all((nodes.Getattr, nodes.Getitem, *_NOT_SELF_CONTAINED)):
        if isinstance(node, _NOT_SELF_CONTAINED):
            tag = type(node).__name__.lower().replace("fromimport", "from … import")
            return node.lineno, f"refused: a notice template is self-contained ({tag} is off)"
        name = node.attr if isinstance(node, nodes.Getattr) else _constant(node.arg)
        if isinstance(name, str) and name.startswith("_"):
            return node.lineno, (
                f"refused: {name!r} reaches into Python internals; a template may use only"
                " the notice data (incident, decisions, actions, ...)"
            )
    for node in tree.find_all(nodes.Name):
        if node.name.startswith("_"):
            return node.lineno, f"refused: {node.name!r} reaches into Python internals"
    return None


def _constant(node: nodes.Node) -> object:
    return node.value if isinstance(node, nodes.Const) else None
