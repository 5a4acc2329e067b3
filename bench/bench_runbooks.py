"""Runbook benchmark: parse time for 1,000 runbooks, and save-to-reload delay.

Targets (issue 3): parsing 1,000 runbooks <= 1 s; a save reloaded by the watcher <= 1 s.

    .venv/bin/python bench/bench_runbooks.py [--runbooks 1000] [--saves 20]

The 1,000 runbooks are the shipped ones, repeated with a per-copy marker so no two are
byte-identical; they are parsed from bytes in memory (the parser is pure), then loaded
through the library from a temporary directory (stat, read, parse). The reload delay is
measured from just before a file is written to the moment the watcher's subscriber sees
the new version, ``--saves`` times, with the watcher running on its own thread.
"""

import argparse
import queue
import statistics
import tempfile
import time
from pathlib import Path

from warroom.core.runbook import parse_runbook
from warroom.runbooks.library import RunbookLibrary, RunbookSource
from warroom.runbooks.watcher import RunbookWatcher

SHIPPED = Path(__file__).resolve().parents[1] / "runbooks"


def corpus(count: int) -> list[tuple[str, bytes]]:
    originals = [p for p in sorted(SHIPPED.glob("*.md")) if p.name != "README.md"]
    files = []
    for n in range(count):
        source = originals[n % len(originals)]
        raw = source.read_bytes() + f"\n<!-- copy {n} -->\n".encode()
        files.append((f"{source.stem}-{n}.md", raw))
    return files


def bench_parse(files: list[tuple[str, bytes]]) -> tuple[float, int]:
    start = time.perf_counter()
    steps = 0
    for name, raw in files:
        runbook, problems = parse_runbook(raw, name)
        assert not problems, problems
        steps += sum(1 for _ in runbook.walk())
    return time.perf_counter() - start, steps


def bench_load(files: list[tuple[str, bytes]], folder: Path) -> float:
    for name, raw in files:
        (folder / name).write_bytes(raw)
    library = RunbookLibrary([RunbookSource(kind="bench", path=folder)])
    start = time.perf_counter()
    reload = library.load()
    elapsed = time.perf_counter() - start
    assert len(reload.changed) == len(files) and not reload.problems
    return elapsed


def bench_reload(folder: Path, saves: int) -> list[float]:
    library = RunbookLibrary([RunbookSource(kind="bench", path=folder)])
    library.load()
    target = folder / "bench-target.md"
    seen: queue.Queue[tuple[float, str]] = queue.Queue()
    watcher = RunbookWatcher(library)

    def on_reload(reload) -> None:
        if "bench-target" in reload.changed:
            entry = reload.catalog.get("bench-target")
            seen.put((time.perf_counter(), entry.runbook.title))

    watcher.subscribe(on_reload)
    delays = []
    with watcher:
        watcher.ready.wait(5)
        for n in range(saves):
            title = f"Save {n}"
            written = time.perf_counter()
            target.write_text(f"# {title}\n\n## Triage\n- [check] look\n")
            while True:
                at, got = seen.get(timeout=5)
                if got == title:
                    break
            delays.append(at - written)
            time.sleep(0.1)  # let the burst window close so saves are measured one by one
    return delays


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runbooks", type=int, default=1000)
    parser.add_argument("--saves", type=int, default=20)
    args = parser.parse_args()

    files = corpus(args.runbooks)
    size = sum(len(raw) for _, raw in files)
    parse_s, steps = bench_parse(files)
    with tempfile.TemporaryDirectory() as tmp:
        load_s = bench_load(files, Path(tmp))
    with tempfile.TemporaryDirectory() as tmp:
        delays = bench_reload(Path(tmp), args.saves)

    rows = [
        (f"parse {len(files):,} runbooks ({size / 1e6:.1f} MB, {steps:,} steps)", parse_s, 1.0),
        (f"library load of {len(files):,} files from disk", load_s, None),
        (f"save -> reloaded, median of {len(delays)}", statistics.median(delays), None),
        (f"save -> reloaded, max of {len(delays)}", max(delays), 1.0),
    ]
    print(f"{'measure':<52} {'seconds':>9}  target")
    for label, seconds, target in rows:
        verdict = (
            ""
            if target is None
            else f"<= {target:g} s " + ("ok" if seconds <= target else "MISSED")
        )
        print(f"{label:<52} {seconds:>9.3f}  {verdict}")


if __name__ == "__main__":
    main()
