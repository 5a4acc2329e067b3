"""The runbook library: every runbook file found, in sources that override each other.

Sources are directories, read in order; a later source overrides an earlier one that has
a runbook with the same id (the file stem), and the library remembers which file won
and which were shadowed:

1. the shipped runbooks — the ``runbooks/`` folder of the warroom source checkout, when
   warroom runs from one (an installed wheel ships none);
2. the project's runbooks — ``runbooks/`` in the current directory, where a team keeps
   its own beside ``warroom.toml``;
3. the user's runbooks — ``$WARROOM_HOME/runbooks``, else the platform data directory;
4. directories named in the configuration (``runbook_dirs``), in the order given.

Each source is searched recursively for ``*.md`` files; ``README.md``, a static-site
generator's section pages (``_index.md``, and any name starting with ``_``), hidden files
and folders, and editor temporaries are not runbooks. A file with only warnings loads,
its warnings reported beside it. A file with an error never stops the others: its
problems are reported, and if it parsed before, its last good version stays in use
until it is fixed. ``refresh`` re-reads only what changed, which
is what the watcher calls on every save.
"""

import os
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel

from warroom.config import Paths, shipped_dir
from warroom.core.errors import NotFound
from warroom.core.runbook import (
    MAX_BYTES,
    PHASES,
    Runbook,
    RunbookProblem,
    has_errors,
    parse_runbook,
)

SHIPPED_DIR = shipped_dir("runbooks")
"""The runbooks that come with warroom (``runbooks/`` in the repository)."""


class RunbookSource(BaseModel):
    """One directory runbooks are read from; ``kind`` says why it is searched."""

    kind: str
    path: Path


def default_sources(paths: Paths, extra: Sequence[Path] = ()) -> list[RunbookSource]:
    """The sources in override order (later wins); the same directory is searched once."""
    candidates = []
    if SHIPPED_DIR.is_dir():
        candidates.append(RunbookSource(kind="shipped", path=SHIPPED_DIR))
    candidates.append(RunbookSource(kind="project", path=Path.cwd() / "runbooks"))
    candidates.append(RunbookSource(kind="user", path=paths.runbooks))
    candidates += [RunbookSource(kind="config", path=Path(p).expanduser()) for p in extra]
    sources: list[RunbookSource] = []
    seen: set[Path] = set()
    for source in candidates:
        resolved = source.path.resolve()
        if resolved not in seen:
            seen.add(resolved)
            sources.append(RunbookSource(kind=source.kind, path=resolved))
    return sources


def is_runbook_file(path: Path) -> bool:
    """A Markdown file that is not a README, a section page, hidden, or a temporary.

    Hugo and Jekyll keep a folder's index page in ``_index.md`` (front matter only) and
    their partials in ``_``-named files; neither is a runbook."""
    name = path.name
    return (
        name.lower().endswith(".md")
        and name.lower() != "readme.md"
        and not name.startswith((".", "#", "~", "_"))
    )


def runbook_files(directory: Path) -> Iterator[Path]:
    """The runbook files under ``directory``, in a stable order; hidden folders skipped."""
    for root, dirs, names in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            path = Path(root, name)
            if is_runbook_file(path):
                yield path


def read_runbook(
    path: Path, phases: Sequence[str] = PHASES
) -> tuple[Runbook | None, list[RunbookProblem]]:
    """Read (at most a byte over the size limit) and parse one file; never raises."""
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        message = f"cannot read: {exc.strerror or exc}"
        return None, [RunbookProblem(file=str(path), line=1, message=message)]
    return parse_runbook(raw, path, phases)


def check_paths(paths: Iterable[Path], phases: Sequence[str] = PHASES) -> list[RunbookProblem]:
    """Every problem, errors and warnings, in the given files and folders: what
    ``warroom runbooks check`` prints.

    A folder is searched like a source; a file named explicitly is checked as given.
    """
    problems: list[RunbookProblem] = []
    for path in paths:
        for file in runbook_files(path) if path.is_dir() else [path]:
            problems += read_runbook(file, phases)[1]
    return problems


class LibraryEntry(BaseModel):
    """The runbook in use for one id, the file it came from and the files it shadows.

    ``problems`` are the winning file's current problems. Warnings alone leave
    ``runbook`` the file as it is on disk; with an error the file is broken on disk
    and ``runbook`` is its last good version (``stale``).
    """

    runbook: Runbook
    path: Path
    source: str
    shadowed: tuple[Path, ...] = ()
    problems: tuple[RunbookProblem, ...] = ()

    @property
    def stale(self) -> bool:
        return has_errors(self.problems)


class Catalog:
    """An immutable snapshot of the library, safe to read from any thread."""

    def __init__(self, entries: dict[str, LibraryEntry], problems: Sequence[RunbookProblem]):
        self.entries = entries
        self.problems = tuple(problems)

    def runbooks(self) -> list[Runbook]:
        return [entry.runbook for entry in self.entries.values()]

    def get(self, runbook_id: str) -> LibraryEntry:
        entry = self.entries.get(runbook_id.strip())
        if entry is not None:
            return entry
        wanted = runbook_id.strip()
        broken = [p for p in self.problems if p.is_error and Path(p.file).stem == wanted]
        if broken:
            raise NotFound(f"runbook {runbook_id!r} does not parse: {broken[0]}")
        raise NotFound(f"unknown runbook {runbook_id!r}; see `warroom runbooks list`")


@dataclass(frozen=True)
class Reload:
    """What one refresh changed: ids now using a new version, ids gone, problems read."""

    changed: tuple[str, ...]
    removed: tuple[str, ...]
    problems: tuple[RunbookProblem, ...]
    catalog: Catalog

    @property
    def empty(self) -> bool:
        return not (self.changed or self.removed or self.problems)


@dataclass
class _File:
    source: int
    runbook: Runbook | None
    """The last version that parsed, kept while the file is broken."""
    problems: tuple[RunbookProblem, ...]
    stamp: tuple[int, int]
    """(ctime_ns, size) when read, so a rescan skips files that did not change."""


class RunbookLibrary:
    """Runbooks from ordered sources, refreshed incrementally, snapshotted for readers."""

    def __init__(self, sources: Sequence[RunbookSource], phases: Sequence[str] = PHASES):
        self.sources = tuple(sources)
        self.phases = tuple(phases)
        self._files: dict[Path, _File] = {}
        self._lock = threading.Lock()
        self._catalog = Catalog({}, ())

    @property
    def catalog(self) -> Catalog:
        return self._catalog

    def load(self) -> Reload:
        """Scan every source; unchanged files are not parsed again."""
        return self.refresh(source.path for source in self.sources)

    def refresh(self, paths: Iterable[Path | str]) -> Reload:
        """Re-read files or directories that changed (created, saved, renamed or deleted)."""
        with self._lock:
            before = self._catalog
            problems: list[RunbookProblem] = []
            for raw in paths:
                path = Path(os.path.abspath(raw))
                if path.is_dir():
                    problems += self._scan(path)
                elif path.is_file() and is_runbook_file(path):
                    problems += self._read(path, force=True)
                else:
                    self._forget(path)
            self._catalog = self._build()
            return _diff(before, self._catalog, problems)

    def _scan(self, directory: Path) -> list[RunbookProblem]:
        problems: list[RunbookProblem] = []
        present = set(runbook_files(directory))
        for path in sorted(present):
            problems += self._read(path, force=False)
        self._forget(directory, keep=present)
        return problems

    def _read(self, path: Path, force: bool) -> list[RunbookProblem]:
        source = self._source_of(path)
        if source is None:
            return []
        previous = self._files.get(path)
        try:
            stat = path.stat()
        except FileNotFoundError:
            self._forget(path)  # deleted since it was listed; the delete event follows
            return []
        stamp = (stat.st_ctime_ns, stat.st_size)  # ctime also moves on chmod and touch
        if not force and previous is not None and previous.stamp == stamp:
            return []
        runbook, problems = read_runbook(path, self.phases)
        kept = runbook or (previous.runbook if previous else None)
        self._files[path] = _File(source, kept, tuple(problems), stamp)
        return problems

    def _forget(self, path: Path, keep: set[Path] = frozenset()) -> None:
        """Drop ``path`` and every known file under it, except those in ``keep``."""
        for known in list(self._files):
            if known not in keep and (known == path or known.is_relative_to(path)):
                del self._files[known]

    def _source_of(self, path: Path) -> int | None:
        """Index of the most specific source holding ``path`` (sources may nest)."""
        matches = [
            (len(source.path.parts), index)
            for index, source in enumerate(self.sources)
            if path.is_relative_to(source.path)
            and not any(part.startswith(".") for part in path.relative_to(source.path).parts)
        ]
        return max(matches)[1] if matches else None

    def _build(self) -> Catalog:
        by_id: dict[str, list[tuple[int, Path, _File]]] = {}
        for path, state in self._files.items():
            by_id.setdefault(path.stem, []).append((state.source, path, state))
        entries = {}
        for runbook_id in sorted(by_id):
            candidates = sorted(by_id[runbook_id], key=lambda c: (c[0], str(c[1])))
            usable = [c for c in candidates if c[2].runbook is not None]
            if not usable:
                continue
            source, path, state = usable[-1]
            entries[runbook_id] = LibraryEntry(
                runbook=state.runbook,
                path=path,
                source=self.sources[source].kind,
                shadowed=tuple(c[1] for c in candidates if c[1] != path),
                problems=state.problems,
            )
        problems = sorted(
            (p for state in self._files.values() for p in state.problems),
            key=lambda p: (p.file, p.line),
        )
        return Catalog(entries, problems)


def _diff(before: Catalog, after: Catalog, problems: list[RunbookProblem]) -> Reload:
    changed = tuple(
        runbook_id
        for runbook_id, entry in after.entries.items()
        if (old := before.entries.get(runbook_id)) is None
        or (old.path, old.runbook.content_hash) != (entry.path, entry.runbook.content_hash)
    )
    removed = tuple(runbook_id for runbook_id in before.entries if runbook_id not in after.entries)
    return Reload(changed=changed, removed=removed, problems=tuple(problems), catalog=after)
