"""Jinja2's sandbox as every warroom template uses it: notices and the postmortem draft.

A template is a file a team (or anyone who can write the config folder) wrote, so it
must not run code. It is compiled in ``ImmutableSandboxedEnvironment`` (a sandbox that
also refuses to change the lists and dicts it is given) with no loader — no
``include``, ``import`` or ``extends``: a template is one self-contained file — and
checked before use: a name starting with an underscore (the way into ``__class__``,
``__globals__`` and the rest of Python's internals) is refused at compile time with its
line, and anything the sandbox stops at render time is reported the same way. Unknown
names are errors (``StrictUndefined``), so a misspelt field is a ``file:line`` problem,
not a silent gap in what goes out.

Escaping is the caller's ``finalize``: every ``{{ … }}`` value is user text from the
record, escaped for the output's format; the template's own text is the team's.
"""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

from warroom.core.errors import InvalidInput

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


def failed(path: Path | str, line: int, message: str) -> TemplateFailed:
    return TemplateFailed(TemplateProblem(str(path), line, message))


class DataSandbox(ImmutableSandboxedEnvironment):
    """The sandbox, reading a template's fields first as what they are: keys of plain dicts.

    ``{{ h.text }}`` on a dict first asks Python for an attribute ``text``, which raises,
    and only then reads the key: 100k fields of a long incident's draft spent a third of
    the render raising. A key is read first when the dict has it (what the sandbox's
    fallback returns anyway); anything else — a dict's methods, other objects — goes
    through the sandbox's own checks as before."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict and attribute in obj:
            return obj[attribute]
        return super().getattr(obj, attribute)


def sandbox(finalize: Callable[[object], str]) -> DataSandbox:
    """A sandbox whose ``{{ … }}`` values all pass through ``finalize`` (the escaping)."""
    return DataSandbox(
        undefined=StrictUndefined,
        finalize=finalize,
        autoescape=False,  # escaping is finalize's, for every format alike
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def read_source(path: Path) -> str:
    """A template file's text; ``TemplateFailed`` when it cannot be read or is not UTF-8."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise failed(path, 1, exc.strerror or str(exc)) from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise failed(path, raw[: exc.start].count(b"\n") + 1, "not UTF-8 text") from None


def compile_checked(env: DataSandbox, source: str, name: str, path: Path, data: str) -> Any:
    """``source`` (the text of ``path``) compiled in ``env``, or ``TemplateFailed`` saying
    where it is wrong; ``data`` names what the template may use, for the refusal."""
    try:
        tree = env.parse(source, name, str(path))
    except TemplateSyntaxError as exc:
        raise failed(path, exc.lineno or 1, exc.message or "syntax error") from None
    problem = _forbidden(tree, data)
    if problem:
        raise failed(path, *problem)
    code = env.compile(tree, name, str(path))
    return env.template_class.from_code(env, code, env.make_globals(None))


def render_failure(exc: Exception, path: Path, data: str) -> TemplateFailed | None:
    """What a render error means, at the template's line; ``None`` if it is not one."""
    if isinstance(exc, SecurityError):
        message = f"refused: the template reaches outside {data} ({exc})"
    elif isinstance(exc, TemplateError):
        message = exc.message or type(exc).__name__
    elif isinstance(exc, TypeError | ValueError | ArithmeticError | LookupError):
        message = f"cannot render: {exc}"
    else:
        return None
    return failed(path, _line_in(exc, path), message)


def _line_in(exc: BaseException, path: Path) -> int:
    """The template line a render error happened on: Jinja rewrites the traceback so its
    frames carry the template's file name and line."""
    line, frame = 1, exc.__traceback__
    while frame is not None:
        if frame.tb_frame.f_code.co_filename == str(path):
            line = frame.tb_lineno
        frame = frame.tb_next
    return line


def _forbidden(tree: nodes.Template, data: str) -> tuple[int, str] | None:
    """The first construct a template may not use, with its line."""
    for node in tree.find_all((nodes.Getattr, nodes.Getitem, *_NOT_SELF_CONTAINED)):
        if isinstance(node, _NOT_SELF_CONTAINED):
            tag = type(node).__name__.lower().replace("fromimport", "from … import")
            return node.lineno, f"refused: a template is self-contained ({tag} is off)"
        name = node.attr if isinstance(node, nodes.Getattr) else _constant(node.arg)
        if isinstance(name, str) and name.startswith("_"):
            return node.lineno, (
                f"refused: {name!r} reaches into Python internals; a template may use only {data}"
            )
    for node in tree.find_all(nodes.Name):
        if node.name.startswith("_"):
            return node.lineno, f"refused: {node.name!r} reaches into Python internals"
    return None


def _constant(node: nodes.Node) -> object:
    return node.value if isinstance(node, nodes.Const) else None
