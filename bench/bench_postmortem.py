"""Postmortem draft benchmark: ``warroom postmortem`` on one big incident (issue 15:
100k events in <= 2 s, memory bounded), beside ``warroom export --format md`` of the
same incident in the same run.

    .venv/bin/python bench/bench_postmortem.py [--events 10000,100000] [--data DIR] [--runs 3]

Homes are bench_scale's (one incident of N events: notes, observations, actions,
decisions and hypotheses one second apart), generated once into ``--data`` and reused.
Reports wall time and peak RSS of the real ``warroom`` process (medians of ``--runs``).
"""

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from bench_scale import build_home, median_cli


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", default="10000,100000")
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    data = args.data or Path(tempfile.mkdtemp(prefix="warroom-bench-pm-"))
    sizes = [int(size) for size in args.events.split(",")]
    print(f"{'events':>8}  {'postmortem s':>12}  {'RSS MB':>7}  {'export md s':>11}  {'RSS MB':>7}")
    for size in sizes:
        home, (incident_id,) = build_home(data, 1, size)
        out = home / "draft.md"
        median_cli(home, 1, "status", incident_id)  # the fold snapshot, as after any use
        pm_s, pm_mb = median_cli(home, args.runs, "postmortem", incident_id, "-o", str(out))
        md_s, md_mb = median_cli(home, args.runs, "export", incident_id, "-o", str(out))
        print(f"{size:>8}  {pm_s:>12.2f}  {pm_mb:>7.0f}  {md_s:>11.2f}  {md_mb:>7.0f}")


if __name__ == "__main__":
    main()
