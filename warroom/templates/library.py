"""The notice templates in use: shipped defaults, then the user's folder over them.

A template file is ``AUDIENCE[-STATUS].FORMAT.j2`` — ``internal.md.j2``,
``external-identified.txt.j2`` — where ``FORMAT`` is ``txt`` (plain), ``md`` (Markdown)
or ``html``. A draft for an audience uses ``AUDIENCE-STATUS`` for the incident's status
when there is one, else ``AUDIENCE``. A file in the user's ``templates`` folder (``warroom
locate`` prints it) wins over a shipped one of the same name.

Reload is live and costs a ``stat`` per file: ``refresh`` (run before every use) reads
only files whose size or time changed. A file that no longer compiles is reported with
its ``file:line`` and the last good version of that name stays in use (the shipped one
when the user's never compiled). Every file is also rendered once with sample data, so
a misspelt variable is found when the file is read, not when a notice is due.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.resources import files
from pathlib import Path

from warroom.core import events as ev
from warroom.core.errors import NotFound
from warroom.core.notice_data import notice_context
from warroom.core.policy import Policy
from warroom.core.state import IncidentState
from warroom.templates.escape import FORMATS
from warroom.templates.render import SUFFIX, NoticeTemplate, compile_template
from warroom.templates.sandbox import TemplateFailed, TemplateProblem, failed, read_source

SHIPPED_DIR = Path(str(files("warroom.templates").joinpath("shipped")))


@dataclass
class _File:
    stamp: tuple[int, int]
    problem: TemplateProblem | None
    template: NoticeTemplate | None
    """The last version of this file that compiled, kept while the file is broken."""


@dataclass
class TemplateLibrary:
    """Templates by name from ``sources`` (later wins); ``problems`` from the last refresh."""

    policy: Policy
    sources: tuple[Path, ...]
    by_name: dict[str, NoticeTemplate] = field(default_factory=dict)
    _files: dict[Path, _File] = field(default_factory=dict)

    @property
    def problems(self) -> list[TemplateProblem]:
        return [f.problem for f in self._files.values() if f.problem]

    def refresh(self) -> "TemplateLibrary":
        """Read what changed since the last refresh; return self, up to date."""
        candidates: dict[str, list[Path]] = {}
        for source in self.sources:
            for path in sorted(source.glob(f"*{SUFFIX}")) if source.is_dir() else ():
                candidates.setdefault(template_name(path), []).append(path)
        present = {path for paths in candidates.values() for path in paths}
        for gone in set(self._files) - present:
            del self._files[gone]
        in_use = {}
        for name, paths in candidates.items():
            for path in paths:
                self._read(path)
            usable = [f.template for p in paths if (f := self._files.get(p)) and f.template]
            if usable:
                in_use[name] = usable[-1]  # the user's over the shipped
        self.by_name = in_use  # whole, at once: the screen reads it for completions
        return self

    def _read(self, path: Path) -> None:
        try:
            info = path.stat()
        except OSError:
            return
        stamp = (info.st_mtime_ns, info.st_size)
        known = self._files.get(path)
        if known and known.stamp == stamp:
            return
        try:
            self._files[path] = _File(stamp, None, load_template(path, self.policy))
        except TemplateFailed as exc:
            self._files[path] = _File(stamp, exc.problem, known.template if known else None)

    def for_audience(self, audience: str, status: str) -> NoticeTemplate:
        """The template a new draft for ``audience`` starts from, given the status."""
        self.refresh()
        for name in (f"{audience}-{status}", audience):
            if name in self.by_name:
                return self.by_name[name]
        raise NotFound(
            f"no notice template for {audience} (looked for {audience}-{status} and"
            f" {audience}); add {audience}.txt{SUFFIX} to {self.sources[-1]}"
        )

    def named(self, name: str) -> NoticeTemplate:
        self.refresh()
        if name not in self.by_name:
            choices = ", ".join(sorted(self.by_name)) or "none"
            raise NotFound(f"no notice template named {name!r}; there are: {choices}")
        return self.by_name[name]


def notice_library(policy: Policy, user_dir: Path) -> TemplateLibrary:
    """The shipped templates with the user's folder over them, read."""
    return TemplateLibrary(policy, (SHIPPED_DIR, user_dir)).refresh()


def prefill(
    library: TemplateLibrary,
    state: IncidentState,
    events: Iterable[ev.Event],
    audience: str,
    template: str | None = None,
) -> tuple[NoticeTemplate, str]:
    """The template a new draft for ``audience`` starts from (``template`` if named, else
    the audience's for the incident's status) and its text for the incident now."""
    chosen = library.named(template) if template else library.for_audience(audience, state.status)
    context = notice_context(library.policy, state, events, audience, datetime.now(UTC))
    return chosen, chosen.render(context)


def template_name(path: Path) -> str:
    """``external-identified`` for ``external-identified.txt.j2``."""
    return path.name.removesuffix(SUFFIX).rsplit(".", 1)[0]


def load_template(path: Path, policy: Policy) -> NoticeTemplate:
    """Read, compile and trial-render one template file; ``TemplateFailed`` says why not."""
    stem = path.name.removesuffix(SUFFIX)
    name, _, extension = stem.rpartition(".")
    fmt = FORMATS.get(extension)
    if not name or fmt is None:
        kinds = ", ".join(f"NAME.{e}{SUFFIX}" for e in FORMATS)
        message = f"a template file is named {kinds}; {path.name} names no format"
        raise failed(path, 1, message)
    template = compile_template(name, fmt, path, read_source(path))
    template.render(sample_context(policy, name.split("-", 1)[0]))
    return template


def sample_context(policy: Policy, audience: str) -> dict:
    """Data shaped exactly like a real incident's (one entry of each kind), to try a
    template on when it is read."""
    now = datetime.now(UTC)
    state = IncidentState(
        id="inc-sample",
        title="Sample incident",
        incident_type=policy.incident_types[0],
        severity=policy.severities[0].name,
        services=["sample-service"],
        milestones={"declared": now},
    )
    entries = [
        ev.Decision(text="sample decision"),
        ev.Action(text="sample action"),
        ev.Observation(text="sample observation"),
        ev.Todo(text="sample need"),
    ]
    events = [
        ev.Event(
            id=f"sample-{n}",
            incident_id=state.id,
            actor="sample",
            occurred_at=now,
            recorded_at=now,
            device_id="sample",
            device_seq=n,
            payload=payload,
        )
        for n, payload in enumerate(entries, 1)
    ]
    return notice_context(policy, state, events, audience, now)
