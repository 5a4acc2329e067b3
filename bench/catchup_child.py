"""One fresh client's catch-up, in a Python process of its own, for ``bench_sync.py``.

    .venv/bin/python bench/catchup_child.py DATABASE URL TOKEN

Prints {"pulled", "catch_up_s", "cpu_s"} as JSON. A ``warroom sync`` process meets its
catch-up once its interpreter and CLI have started: what the catch-up imports lazily
(the fold, the stored rows' decoder) is imported during it, so it is timed here, in a
process that has imported only what ``warroom sync --once`` has when it calls
``sync_once`` (the command's module, which brings the event model, and ``SyncEngine``),
instead of in the bench's own process, which the fill and earlier sizes have warmed.
"""

import json
import sys
import time
from pathlib import Path

import warroom.cli.sync_cmd  # noqa: F401  (what the command has imported by then)
from warroom.sync.engine import SyncEngine


def main() -> None:
    database, url, token = sys.argv[1:4]
    engine = SyncEngine(Path(database), url, token)
    cpu, start = time.process_time(), time.monotonic()
    report = engine.sync_once()
    took, cpu = time.monotonic() - start, time.process_time() - cpu
    print(json.dumps({"pulled": report.pulled, "catch_up_s": took, "cpu_s": cpu}))


if __name__ == "__main__":
    main()
