"""The watcher against a real directory: every kind of change, bounded in time."""

import asyncio
import queue
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from warroom.runbooks.library import Reload, RunbookLibrary, RunbookSource
from warroom.runbooks.watcher import RunbookWatcher, is_temporary

GOOD = "# {title}\n\n## Triage\n- [check] look\n"
BROKEN = "# Broken\n\n- step {#x}\n- same id {#x}\n"
"""An error (a duplicate step id) at line 4: the file yields no runbook."""
WAIT = 5.0
"""Longest any test waits for an event that must come (a bound, not a sleep)."""
QUIET = 0.5
"""How long a test listens to be sure nothing comes."""


class Feed:
    """Collects reloads from the watcher thread."""

    def __init__(self, watcher: RunbookWatcher) -> None:
        self.queue: queue.Queue[tuple[float, Reload]] = queue.Queue()
        watcher.subscribe(lambda reload: self.queue.put((time.perf_counter(), reload)))

    def next(self, timeout: float = WAIT) -> Reload:
        return self.queue.get(timeout=timeout)[1]

    def until(self, done, timeout: float = WAIT) -> list[Reload]:
        """Reloads until ``done(all_so_far)`` holds; fails after ``timeout``."""
        seen: list[Reload] = []
        deadline = time.monotonic() + timeout
        while not done(seen):
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"timed out; got {seen}"
            seen.append(self.queue.get(timeout=remaining)[1])
        return seen

    def assert_quiet(self) -> None:
        with pytest.raises(queue.Empty):
            self.queue.get(timeout=QUIET)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "runbooks"
    path.mkdir()
    (path / "dns.md").write_text(GOOD.format(title="DNS"))
    return path


@pytest.fixture
def library(folder: Path) -> RunbookLibrary:
    library = RunbookLibrary([RunbookSource(kind="project", path=folder)])
    library.load()
    return library


@pytest.fixture
def running(library: RunbookLibrary) -> Iterator[tuple[RunbookWatcher, Feed]]:
    watcher = RunbookWatcher(library)
    feed = Feed(watcher)
    with watcher:
        assert watcher.ready.wait(WAIT)
        yield watcher, feed


def test_a_save_is_reloaded_within_a_second(running, folder):
    watcher, feed = running
    saved = time.perf_counter()
    (folder / "dns.md").write_text(GOOD.format(title="DNS v2"))
    at, reload = feed.queue.get(timeout=WAIT)
    assert at - saved < 1.0
    assert reload.changed == ("dns",)
    assert reload.catalog.get("dns").runbook.title == "DNS v2"
    assert watcher.library.catalog is reload.catalog


def test_a_new_file_is_loaded(running, folder):
    _, feed = running
    (folder / "sub").mkdir()
    (folder / "sub" / "tls.md").write_text(GOOD.format(title="TLS"))
    reloads = feed.until(lambda seen: any("tls" in r.changed for r in seen))
    assert reloads[-1].catalog.get("tls").path == folder / "sub" / "tls.md"


def test_a_rename_moves_the_runbook(running, folder):
    _, feed = running
    (folder / "dns.md").rename(folder / "dns-v2.md")
    reloads = feed.until(
        lambda seen: (
            seen and "dns" not in seen[-1].catalog.entries and "dns-v2" in seen[-1].catalog.entries
        )
    )
    assert "dns" in {i for r in reloads for i in r.removed}


def test_a_delete_removes_the_runbook(running, folder):
    _, feed = running
    (folder / "dns.md").unlink()
    reload = feed.next()
    assert reload.removed == ("dns",)
    assert reload.catalog.entries == {}


def test_editor_swap_and_temporary_files_are_ignored(running, folder):
    _, feed = running
    for name in (".dns.md.swp", "dns.md~", "4913", "dns.md.tmp", ".#dns.md", "notes.txt"):
        (folder / name).write_text("junk")
    feed.assert_quiet()
    (folder / "dns.md").write_text(GOOD.format(title="still watching"))
    assert feed.next().changed == ("dns",)


def test_is_temporary():
    for name in (
        ".x.md.swp",
        "x.md.swo",
        "x.md~",
        "4913",
        "x.tmp",
        ".#x.md",
        "#x.md#",
        "x.md___jb_tmp___",
        "x.md.bak",
    ):
        assert is_temporary(name), name
    assert not is_temporary("x.md") and not is_temporary("dir/4913x.md")


def test_a_save_with_only_warnings_is_used_and_its_warnings_reported(running, folder):
    _, feed = running
    (folder / "dns.md").write_text(
        "---\nweight: 3\n---\n# DNS\n\n- [check] dig\n  ```sh\n  dig +short\n"
    )
    reload = feed.next()
    assert reload.changed == ("dns",)
    assert [str(p) for p in reload.problems] == [
        f"{folder / 'dns.md'}:7: warning: code block opened with '```' is never closed;"
        " it runs to the end of the file"
    ]
    entry = reload.catalog.get("dns")
    assert not entry.stale and entry.runbook.metadata == {"weight": 3}
    assert entry.runbook.step("step-1").commands[0].code == "dig +short"


def test_a_broken_save_keeps_the_last_good_version_and_reports(running, folder):
    _, feed = running
    good_hash = running[0].library.catalog.get("dns").runbook.content_hash
    (folder / "dns.md").write_text(BROKEN)
    reload = feed.next()
    assert reload.changed == () and reload.removed == ()
    assert [str(p) for p in reload.problems] == [
        f"{folder / 'dns.md'}:4: duplicate step id 'x' (first at line 3)"
    ]
    entry = reload.catalog.get("dns")
    assert entry.stale and entry.runbook.content_hash == good_hash

    (folder / "dns.md").write_text(GOOD.format(title="fixed"))
    reload = feed.next()
    assert reload.changed == ("dns",) and reload.catalog.problems == ()


def test_a_burst_of_saves_is_debounced(running, folder):
    _, feed = running
    path = folder / "dns.md"
    for n in range(20):
        path.write_text(GOOD.format(title=f"v{n}"))
        time.sleep(0.005)
    reloads = feed.until(lambda seen: seen and seen[-1].catalog.get("dns").runbook.title == "v19")
    feed.assert_quiet()
    assert len(reloads) <= 3


def test_changes_made_before_the_watch_started_are_caught_up(library, folder):
    (folder / "late.md").write_text(GOOD.format(title="Late"))  # after load, before start
    watcher = RunbookWatcher(library)
    feed = Feed(watcher)
    with watcher:
        assert watcher.ready.wait(WAIT)
        assert "late" in library.catalog.entries
        assert feed.next().changed == ("late",)


def test_nothing_to_watch_is_ready_at_once(tmp_path):
    library = RunbookLibrary([RunbookSource(kind="user", path=tmp_path / "missing")])
    watcher = RunbookWatcher(library)
    with watcher:
        assert watcher.ready.wait(WAIT)
        watcher._thread.join(WAIT)
        assert not watcher._thread.is_alive()


def test_unsubscribe_and_double_start(running, folder):
    watcher, feed = running
    got: list[Reload] = []
    unsubscribe = watcher.subscribe(got.append)
    unsubscribe()
    with pytest.raises(RuntimeError, match="already running"):
        watcher.start()
    (folder / "dns.md").write_text(GOOD.format(title="again"))
    feed.next()
    assert got == []


async def test_the_async_iterator_yields_reloads(library, folder):
    watcher = RunbookWatcher(library)

    async def first_reload() -> Reload:
        async for reload in watcher.reloads():
            return reload
        raise AssertionError("the watch ended")

    task = asyncio.create_task(first_reload())
    assert await asyncio.to_thread(watcher.ready.wait, WAIT)
    (folder / "dns.md").write_text(GOOD.format(title="async"))
    reload = await asyncio.wait_for(task, WAIT)
    assert reload.changed == ("dns",)
    assert reload.catalog.get("dns").runbook.title == "async"


async def test_the_async_iterator_stops_when_cancelled(library):
    watcher = RunbookWatcher(library)

    async def consume() -> None:
        async for _ in watcher.reloads():
            pass

    task = asyncio.create_task(consume())
    assert await asyncio.to_thread(watcher.ready.wait, WAIT)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, WAIT)
