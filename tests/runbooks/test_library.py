"""The runbook library: discovery, override order, last good versions, incremental refresh."""

from pathlib import Path

import pytest

from warroom.config import Paths
from warroom.core.errors import NotFound
from warroom.runbooks import library as library_module
from warroom.runbooks.library import (
    SHIPPED_DIR,
    RunbookLibrary,
    RunbookSource,
    default_sources,
    is_runbook_file,
)

GOOD = "# {title}\n\n## Triage\n- [check] look\n"
BROKEN = "# Broken\n\n- step {#x}\n- same id {#x}\n"
"""An error (a duplicate step id) at line 4: the file yields no runbook."""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.fixture
def dirs(tmp_path: Path) -> tuple[Path, Path]:
    return tmp_path / "team", tmp_path / "mine"


@pytest.fixture
def library(dirs) -> RunbookLibrary:
    team, mine = dirs
    return RunbookLibrary(
        [RunbookSource(kind="project", path=team), RunbookSource(kind="user", path=mine)]
    )


def test_runbooks_are_found_recursively_skipping_readme_hidden_and_temporary(library, dirs):
    team, _ = dirs
    write(team / "dns.md", GOOD.format(title="DNS"))
    write(team / "db" / "failover.md", GOOD.format(title="Failover"))
    for junk in ("README.md", "readme.md", ".hidden.md", "notes.txt", "dns.md~", ".#dns.md"):
        write(team / junk, GOOD.format(title="junk"))
    write(team / ".git" / "inside.md", GOOD.format(title="hidden dir"))
    reload = library.load()
    assert reload.changed == ("dns", "failover")
    assert [r.title for r in library.catalog.runbooks()] == ["DNS", "Failover"]
    assert reload.problems == ()


def test_is_runbook_file():
    assert is_runbook_file(Path("a/b.md"))
    assert is_runbook_file(Path("UPPER.MD"))
    for name in ("README.md", "Readme.md", ".a.md", "#a.md#", "a.md~", "a.md.swp", "a.txt"):
        assert not is_runbook_file(Path(name)), name


def test_a_later_source_overrides_an_earlier_one_and_records_the_shadowed(library, dirs):
    team, mine = dirs
    theirs = write(team / "dns.md", GOOD.format(title="Team DNS"))
    ours = write(mine / "dns.md", GOOD.format(title="My DNS"))
    library.load()
    entry = library.catalog.get("dns")
    assert (entry.runbook.title, entry.path, entry.source) == ("My DNS", ours, "user")
    assert entry.shadowed == (theirs,)
    assert not entry.stale


def test_a_broken_file_never_stops_the_others(library, dirs):
    team, _ = dirs
    write(team / "good.md", GOOD.format(title="Good"))
    write(team / "bad.md", BROKEN)
    write(team / "binary.md", "").write_bytes(b"\x00\x01\x02")
    reload = library.load()
    assert reload.changed == ("good",)
    assert [str(p) for p in library.catalog.problems] == [
        f"{team / 'bad.md'}:4: duplicate step id 'x' (first at line 3)",
        f"{team / 'binary.md'}:1: binary file (contains NUL bytes)",
    ]
    with pytest.raises(NotFound, match=r"runbook 'bad' does not parse: .*bad.md:4"):
        library.catalog.get("bad")
    with pytest.raises(NotFound, match="unknown runbook 'nope'"):
        library.catalog.get("nope")


def test_a_file_that_stops_parsing_keeps_its_last_good_version(library, dirs):
    team, _ = dirs
    path = write(team / "dns.md", GOOD.format(title="DNS"))
    library.load()
    good_hash = library.catalog.get("dns").runbook.content_hash

    write(path, BROKEN)
    reload = library.refresh([path])
    assert reload.changed == () and reload.removed == ()
    assert [p.line for p in reload.problems] == [4]
    entry = library.catalog.get("dns")
    assert entry.stale and entry.runbook.content_hash == good_hash
    assert [p.line for p in entry.problems] == [4]

    write(path, GOOD.format(title="DNS v2"))
    reload = library.refresh([path])
    assert reload.changed == ("dns",) and reload.problems == ()
    assert library.catalog.get("dns").runbook.title == "DNS v2"
    assert not library.catalog.get("dns").stale
    assert library.catalog.problems == ()


def test_a_broken_override_falls_back_to_the_shadowed_version(library, dirs):
    team, mine = dirs
    write(team / "dns.md", GOOD.format(title="Team DNS"))
    broken = write(mine / "dns.md", BROKEN)
    library.load()
    entry = library.catalog.get("dns")
    assert entry.runbook.title == "Team DNS"
    assert entry.shadowed == (broken,)
    assert len(library.catalog.problems) == 1


def test_deleting_an_override_brings_back_the_shadowed_file(library, dirs):
    team, mine = dirs
    write(team / "dns.md", GOOD.format(title="Team DNS"))
    ours = write(mine / "dns.md", GOOD.format(title="My DNS"))
    write(mine / "solo.md", GOOD.format(title="Solo"))
    library.load()
    ours.unlink()
    (mine / "solo.md").unlink()
    reload = library.refresh([ours, mine / "solo.md"])
    assert reload.changed == ("dns",)
    assert reload.removed == ("solo",)
    assert library.catalog.get("dns").runbook.title == "Team DNS"


def test_renaming_a_directory_moves_its_runbooks(library, dirs):
    team, _ = dirs
    write(team / "old" / "a.md", GOOD.format(title="A"))
    library.load()
    (team / "old").rename(team / "new")
    reload = library.refresh([team / "old", team / "new"])
    assert reload.changed == ("a",)  # same id, new path
    assert library.catalog.get("a").path == team / "new" / "a.md"


def test_refreshing_unknown_or_irrelevant_paths_changes_nothing(library, dirs, tmp_path):
    team, _ = dirs
    write(team / "a.md", GOOD.format(title="A"))
    library.load()
    for path in (team / "a.md", team / "notes.txt", team / "gone.md", tmp_path / "elsewhere.md"):
        assert library.refresh([path]).empty


def test_load_does_not_parse_unchanged_files_again(library, dirs, monkeypatch):
    team, _ = dirs
    write(team / "a.md", GOOD.format(title="A"))
    write(team / "b.md", GOOD.format(title="B"))
    library.load()
    calls = []
    real = library_module.parse_runbook
    monkeypatch.setattr(
        library_module,
        "parse_runbook",
        lambda raw, path, phases: calls.append(path) or real(raw, path, phases),
    )
    assert library.load().empty
    assert calls == []
    write(team / "b.md", GOOD.format(title="B, longer"))
    assert library.load().changed == ("b",)
    assert calls == [team / "b.md"]


def test_an_unreadable_file_is_a_problem(library, dirs, monkeypatch):
    team, _ = dirs
    write(team / "secret.md", GOOD.format(title="S"))
    write(team / "fine.md", GOOD.format(title="F"))
    real_open = Path.open

    def deny(self, *args, **kwargs):
        if self.name == "secret.md":
            raise PermissionError(13, "Permission denied")
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", deny)
    assert library.load().changed == ("fine",)
    assert [str(p) for p in library.catalog.problems] == [
        f"{team / 'secret.md'}:1: cannot read: Permission denied"
    ]


def test_default_sources_in_override_order(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    extra = tmp_path / "extra"
    sources = default_sources(Paths(tmp_path / "home"), [extra, tmp_path / "runbooks"])
    assert [(s.kind, s.path) for s in sources] == [
        ("shipped", SHIPPED_DIR),
        ("project", tmp_path / "runbooks"),
        ("user", tmp_path / "home" / "runbooks"),
        ("config", extra),
    ]


def test_the_shipped_runbooks_load_cleanly(tmp_path):
    library = RunbookLibrary(default_sources(Paths(tmp_path / "home")))
    reload = library.load()
    assert reload.problems == ()
    assert len(reload.changed) >= 10
    assert {entry.source for entry in library.catalog.entries.values()} == {"shipped"}
