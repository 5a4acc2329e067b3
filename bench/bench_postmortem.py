"""Postmortem draft benchmark: ``warroom postmortem`` on one big incident (issue 15:
100k events in <= 2 s, memory bounded), beside ``warroom export --format md`` of the
same incident in the same run.

    .venv/bin/python bench/bench_postmortem.py [--events 10000,100000] [--data DIR] [--runs 3]

Homes are bench_scale's (one incident of N events: notes, observations, actions,
decisions and hypotheses one second apart), generated once into ``--data`` and reused.
Reports wall and CPU time and peak RSS of the real ``warroom`` process (medians of
``--runs``; on a shared machine compare CPU), the 100k figure against the 2 s target,
and how the draft's CPU time scales from the smallest size to the largest.
"""

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from bench_scale import build_home, median_cli

TARGET_S = 2.0
"""Issue 15: the draft of a 100k-event incident in at most 2 s."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", default="10000,100000")
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    data = args.data or Path(tempfile.mkdtemp(prefix="warroom-bench-pm-"))
    sizes = [int(size) for size in args.events.split(",")]
    print(f"load average {os.getloadavg()[0]:.2f}; medians of {args.runs} run(s)")
    print(f"{'events':>8}  {'postmortem wall s':>17}  {'CPU s':>6}  {'RSS MB':>6}"
          f"  {'export md wall s':>16}  {'CPU s':>6}  {'RSS MB':>6}")  # fmt: skip
    drafts = {}
    for size in sizes:
        home, (incident_id,) = build_home(data, 1, size)
        out = home / "draft.md"
        median_cli(home, 1, "status", incident_id)  # the fold snapshot, as after any use
        pm = median_cli(home, args.runs, "postmortem", incident_id, "-o", str(out))
        md = median_cli(home, args.runs, "export", incident_id, "-o", str(out))
        drafts[size] = pm
        print(f"{size:>8}  {pm[0]:>17.2f}  {pm[1]:>6.2f}  {pm[2]:>6.0f}"
              f"  {md[0]:>16.2f}  {md[1]:>6.2f}  {md[2]:>6.0f}")  # fmt: skip
    for size, (wall, cpu, _) in drafts.items():
        if size >= 100_000:
            verdict = "meets" if wall <= TARGET_S else "misses"
            print(f"postmortem at {size:,} events: {wall:.2f} s wall, {cpu:.2f} s CPU"
                  f" ({verdict} the {TARGET_S:.0f} s target by wall time)")  # fmt: skip
    if len(drafts) > 1:
        (small, (_, small_cpu, _)), (big, (_, big_cpu, _)) = (
            min(drafts.items()),
            max(drafts.items()),
        )
        print(f"scaling {small:,} -> {big:,} events ({big / small:.0f}x): postmortem CPU"
              f" {big_cpu / small_cpu:.1f}x")  # fmt: skip


if __name__ == "__main__":
    main()
