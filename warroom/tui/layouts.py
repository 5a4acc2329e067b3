"""Layout files: which panes the war-room screen shows, and how they are arranged.

A layout is a TOML file (see ``layouts/`` for the four that ship): a ``split`` of the
body into ``sections`` — side by side (``columns``) or stacked (``rows``) — each holding
panes, sized like CSS (``2fr``, ``40%``, ``12``). A section marked ``stack = true``
shows one of its panes at a time (the digit keys pick which), which is how the compact
layout fits everything that matters into 80×24.

Shipped layouts come from the source checkout's ``layouts/``; a user's own go in
``Paths.layouts`` (``warroom locate`` prints it) and win over a shipped one of the same
name. A broken file is reported as ``file:line: field: message`` and skipped — the
last good version of it (or the shipped default) stays in use.
"""

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal, Self

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

from warroom.config import shipped_dir
from warroom.core.tomlpos import describe_error

SHIPPED_DIR = shipped_dir("layouts")
"""The layouts that come with warroom (``layouts/`` in the repository)."""

DEFAULT = "commander"
COMPACT = "compact"

PaneName = Literal["timeline", "roles", "checklist", "runbook"]
PANES: tuple[str, ...] = PaneName.__args__
Size = Annotated[str, StringConstraints(pattern=r"^\d{1,3}(fr|%)?$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PaneRef(_Strict):
    pane: PaneName
    size: Size = "1fr"


def _pane_ref(value: object) -> object:
    """A pane may be written as its bare name: ``panes = ["roles", "checklist"]``."""
    return {"pane": value} if isinstance(value, str) else value


class Section(_Strict):
    size: Size = "1fr"
    stack: bool = False
    """Show one pane at a time; the pane's digit key brings it forward."""
    panes: tuple[Annotated[PaneRef, BeforeValidator(_pane_ref)], ...] = Field(min_length=1)


class Layout(_Strict):
    name: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$")]
    description: str = ""
    theme: str | None = None
    """A Textual theme name; ``TEXTUAL_THEME`` in the environment wins."""
    split: Literal["columns", "rows"] = "columns"
    focus: Literal["timeline", "roles", "checklist", "runbook", "entry"] = "timeline"
    """Where the keyboard starts: ``entry`` for a scribe, a pane for everyone else."""
    status: Literal["full", "compact"] = "full"
    footer: bool = True
    min_width: int = Field(default=0, ge=0)
    min_height: int = Field(default=0, ge=0)
    """Below this size the compact layout is used instead (unless asked for by name)."""
    sections: tuple[Section, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _each_pane_once(self) -> Self:
        seen: set[str] = set()
        for section in self.sections:
            for ref in section.panes:
                if ref.pane in seen:
                    raise ValueError(f"pane {ref.pane!r} appears twice")
                seen.add(ref.pane)
        return self

    @property
    def panes(self) -> list[str]:
        return [ref.pane for section in self.sections for ref in section.panes]

    def fits(self, width: int, height: int) -> bool:
        return width >= self.min_width and height >= self.min_height


class LayoutError(Exception):
    """A layout file that cannot be used; ``str()`` is ``file:line: field: message``."""


def parse_layout(text: str, source: str) -> Layout:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise LayoutError(f"{source}: {exc}") from None
    try:
        return Layout.model_validate(data)
    except ValidationError as exc:
        problems = [describe_error(text, source, error, "layout") for error in exc.errors()]
        raise LayoutError("\n".join(problems)) from None


@dataclass
class Layouts:
    """The layouts in use by name, and the problems of files that were skipped."""

    by_name: dict[str, Layout]
    problems: list[str]
    files: dict[str, Path]


def load_layouts(user_dir: Path, known: Layouts | None = None) -> Layouts:
    """Read shipped then user layouts (a user's wins over a shipped one of the same name).

    A file that does not parse is reported, and — when ``known`` had loaded it before —
    its last good version stays in use, so a half-saved edit never blanks the screen.
    """
    last_good = {path: name for name, path in known.files.items()} if known else {}
    by_name: dict[str, Layout] = {}
    files: dict[str, Path] = {}
    problems: list[str] = []
    for directory in (SHIPPED_DIR, user_dir):
        if not directory.is_dir():
            continue
        for path in sorted(directory.glob("*.toml")):
            try:
                layout = parse_layout(path.read_text("utf-8"), str(path))
            except (OSError, UnicodeDecodeError, LayoutError) as exc:
                problem = str(exc) if isinstance(exc, LayoutError) else f"{path}:1: {exc}"
                problems.append(problem)
                if path not in last_good:
                    continue
                layout = known.by_name[last_good[path]]
            by_name[layout.name] = layout
            files[layout.name] = path
    if not by_name:
        problems.append(f"no usable layout in {SHIPPED_DIR} or {user_dir}")
    return Layouts(by_name, problems, files)


def choose(layouts: Layouts, name: str | None, *, forced: bool, width: int, height: int) -> Layout:
    """The layout to show. One asked for on the command line or with ``:layout`` is shown
    as it is; a configured or default one gives way to compact when it does not fit."""
    layout = layouts.by_name.get(name or DEFAULT) or layouts.by_name.get(DEFAULT)
    if layout is None:
        layout = next(iter(layouts.by_name.values()))
    compact = layouts.by_name.get(COMPACT)
    if not forced and compact is not None and not layout.fits(width, height):
        return compact
    return layout
