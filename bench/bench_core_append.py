"""Core CPU of one append, stage by stage: what every server (and a local write) pays
in ``warroom.core`` for each event, apart from HTTP, SQLite and fsync.

Issue 11 asks for a server append at <= 1.5x a minimal Starlette group-commit floor;
the core's part of that is the same on both backends, so it is measured here on its own:

* validate: the event model's validation of the pushed JSON (``Event`` from a dict, as
  ``PushRequest`` validates each event of a push);
* canonical: ``canonical_text`` of the validated event (the bytes the chain hashes);
* access: ``check_append`` against the incident's state, as the server's admit calls it;
* fold: ``apply`` of the accepted event to that state.

The events are a realistic mix by the incident's commander (notes, observations,
actions, status updates, checklist marks, severity changes, role changes) on an
incident already holding ``--history`` events. CPU microseconds per event, the median
of ``--runs``; each run times ``--events`` events per stage.

    .venv/bin/python bench/bench_core_append.py [--events 5000] [--runs 5]
        [--compare /work/main]

``--compare DIR`` runs the same measurement with DIR's code (``DIR/.venv/bin/python``,
from DIR) and this tree's, interleaved run by run in child processes, and prints them
side by side: the ratio holds on a loaded machine where absolute figures do not.
"""

import argparse
import json
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

STAGES = ("validate", "canonical", "access", "fold")
COMMANDER = "alice"
WARM_UP = 200
"""Events of the history also encoded and judged before timing: a server has seen every
kind long before, a fresh process has not."""


def _events(incident: str, count: int, start: int) -> list[dict]:
    """``count`` event dicts as a client pushes them (JSON-decoded), a realistic mix."""
    from warroom.core.events import Event
    from warroom.core.ids import new_event_id
    from warroom.core.timeparse import utcnow

    mix = (
        {"kind": "note", "text": "checked the dashboards, error rate still at 4%"},
        {"kind": "observation", "text": "p99 latency on checkout back under 300 ms"},
        {"kind": "action", "text": "rolled back deploy 2024-11-03.2", "stage": "started"},
        {"kind": "status_update", "text": "Mitigation in progress; next update in 30 min"},
        {"kind": "checklist_marked", "phase": "triage", "item": "set-severity", "checked": True},
        {"kind": "severity_changed", "severity": "SEV2", "reason": "customer impact confirmed"},
        {"kind": "role_assigned", "role": "scribe", "person": "bob"},
        {"kind": "note", "text": "Ünïcode — naïve café ☕ and an emoji 🚒 in the text"},
    )
    now = utcnow()
    out = []
    for n in range(count):
        at = now + timedelta(microseconds=n)
        event = Event(
            id=new_event_id(),
            incident_id=incident,
            actor=COMMANDER,
            occurred_at=at,
            recorded_at=at,
            device_id="dev-alice",
            device_seq=start + n,
            payload=mix[n % len(mix)],
        )
        out.append(json.loads(event.model_dump_json()))
    return out


def measure(count: int, history: int) -> dict[str, float]:
    """CPU microseconds per event of each stage (one run)."""
    from warroom.core.access import check_append
    from warroom.core.chain import canonical_text
    from warroom.core.events import Event
    from warroom.core.fold import apply, fold
    from warroom.core.ids import new_incident_id
    from warroom.core.policy import default_policy
    from warroom.core.timeparse import utcnow

    policy = default_policy()
    incident = new_incident_id()
    declaration = {
        **_events(incident, 1, 1)[0],
        "payload": {
            "kind": "declaration",
            "title": "checkout errors",
            "incident_type": "outage",
            "severity": "SEV3",
            "declarer_commands": True,
        },
    }
    past = [Event.model_validate(d) for d in [declaration, *_events(incident, history, 2)]]
    for event in past[-WARM_UP:]:  # first sight of each kind fills caches: not timed
        canonical_text(event)
        check_append(policy, fold(past[:1]), event, author=COMMANDER, admin=False)
    state = fold(past)
    pushed = _events(incident, count, history + 2)
    now = utcnow() + timedelta(seconds=1)
    times: dict[str, float] = {}

    def timed(stage: str, work) -> None:
        started = time.process_time()
        result = work()
        times[stage] = (time.process_time() - started) / count * 1e6
        return result

    events = timed("validate", lambda: [Event.model_validate(d) for d in pushed])
    timed("canonical", lambda: [canonical_text(e) for e in events])

    def access() -> None:
        for event in events:
            refusal = check_append(
                policy, state, event, author=COMMANDER, admin=False, now=now, log_of=lambda _: None
            )
            assert refusal is None, refusal

    timed("access", access)
    timed("fold", lambda: [apply(state, e) for e in events])
    return times


def _sizes(args: argparse.Namespace) -> list[str]:
    return ["--events", str(args.events), "--history", str(args.history)]


def _child(python: str, cwd: str, args: argparse.Namespace) -> dict[str, float]:
    out = subprocess.run(
        [python, str(Path(__file__).resolve()), "--json", "--runs", "1", *_sizes(args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(out)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=5_000)
    parser.add_argument("--history", type=int, default=2_000, help=f">= {WARM_UP}")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--compare", help="another checkout with its own .venv (the old code)")
    parser.add_argument("--json", action="store_true", help="one run's figures as JSON")
    args = parser.parse_args()
    if args.json:
        print(json.dumps(measure(args.events, args.history)))
        return
    here = str(Path(__file__).resolve().parent.parent)
    sides = {"this": (sys.executable, here)}
    if args.compare:
        sides = {"old": (str(Path(args.compare) / ".venv/bin/python"), args.compare), **sides}
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in sides}
    for run in range(args.runs):  # interleaved, each side first in turn: same load
        order = list(sides.items())
        for name, (python, cwd) in order if run % 2 == 0 else reversed(order):
            runs[name].append(_child(python, cwd, args))
    medians = {
        name: {stage: statistics.median(r[stage] for r in rs) for stage in STAGES}
        for name, rs in runs.items()
    }
    for median in medians.values():
        median["total"] = sum(median[stage] for stage in STAGES)
    print(f"CPU µs per event, median of {args.runs} runs of {args.events:,} events")
    print(f"{'stage':<10}" + "".join(f"{name:>10}" for name in medians) + "     ratio")
    for stage in (*STAGES, "total"):
        row = "".join(f"{m[stage]:>10.1f}" for m in medians.values())
        ratio = ""
        if args.compare:
            ratio = f"{medians['this'][stage] / medians['old'][stage]:>9.2f}x"
        print(f"{stage:<10}{row} {ratio}")


if __name__ == "__main__":
    main()
