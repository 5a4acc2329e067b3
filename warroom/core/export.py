"""Exports of an incident's record: a readable Markdown document and a JSON bundle.

The Markdown is the start of a postmortem: header, metrics, roles with history,
checklist, and the timeline with corrections applied (the original text kept beside
them). The JSON bundle carries every event verbatim so it can be verified and re-read
by any later version.
"""

import json
from collections.abc import Sequence
from datetime import datetime

from warroom.core import events as ev
from warroom.core.metrics import incident_metrics
from warroom.core.policy import Policy
from warroom.core.sanitize import visible
from warroom.core.state import IncidentState
from warroom.core.timeparse import format_duration

EXPORT_FORMAT = "warroom-export/1"


def _md(text: str) -> str:
    """Escape user text for Markdown so a title cannot inject links, HTML or headings,
    nor drive the terminal of whoever ``cat``s the export."""
    out = visible(text).replace("\\", "\\\\")
    for char in "`*_{}[]<>#|!":
        out = out.replace(char, "\\" + char)
    return out


def _ts(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC") if moment else "unknown"


def entry_text(event: ev.Event, state: IncidentState) -> tuple[str, str]:
    """(text shown, mark) for a timeline entry, with corrections and retractions applied."""
    text = ev.payload_text(event.payload)
    fix = state.fixes.get(event.id)
    if fix is None:
        return text, ""
    if fix.retracted:
        return text, f"retracted: {fix.text}"
    return fix.text, f"corrected; originally: {text}"


def to_markdown(state: IncidentState, events: Sequence[ev.Event], policy: Policy) -> str:
    lines = [f"# {state.id}: {_md(state.title)}", ""]
    lines += [
        f"- **Severity:** {_md(state.severity)}" + (" (drill)" if state.drill else ""),
        f"- **Type:** {_md(state.incident_type)}",
        f"- **Status:** {_md(state.status)}",
        f"- **Phase:** {_md(state.phase)}",
        f"- **Services:** {_md(', '.join(state.services)) or 'none recorded'}",
        f"- **Declared by:** {_md(state.declared_by)}",
        "",
        "## Milestones and metrics",
        "",
    ]
    for name in ev.MILESTONES:
        lines.append(f"- {name.replace('_', ' ')}: {_ts(state.milestones.get(name))}")
    metrics = incident_metrics(state)
    lines.append("")
    for name, value in metrics.model_dump().items():
        lines.append(f"- {name.upper()}: {format_duration(value)}")
    lines += ["", "## Roles", "", "| role | person | assumed | released |", "|---|---|---|---|"]
    for tenure in state.tenures:
        role = tenure.role + (" (shadow)" if tenure.shadow else "")
        released = _ts(tenure.released_at) if tenure.released_at else "holding"
        lines.append(
            f"| {_md(role)} | {_md(tenure.person)} | {_ts(tenure.assumed_at)} | {released} |"
        )
    if not state.tenures:
        lines.append("| — | nobody assigned | | |")
    lines += ["", "## Checklist", ""]
    for phase in policy.phases:
        current = " (current)" if phase.id == state.phase else ""
        lines.append(f"### {phase.id}{current}")
        lines.append("")
        for item in phase.items:
            mark = state.checklist.get(f"{phase.id}/{item.id}")
            box = "x" if mark and mark.checked else " "
            who = f" — {_md(mark.by)}, {_ts(mark.at)}" if mark and mark.checked else ""
            lines.append(f"- [{box}] {_md(item.text)} (`{item.id}`){who}")
        lines.append("")
    lines += ["## Timeline", "", "| when | who | kind | entry | id |", "|---|---|---|---|---|"]
    for event in sorted(events, key=lambda e: (e.occurred_at, e.recorded_at)):
        text, mark = entry_text(event, state)
        shown = _md(text) + (f" *({_md(mark)})*" if mark else "")
        when, who = _ts(event.occurred_at), _md(event.actor)
        lines.append(f"| {when} | {who} | {event.kind} | {shown} | {event.id} |")
    lines += _command_runs(events)
    return "\n".join(lines) + "\n"


def _command_runs(events: Sequence[ev.Event]) -> list[str]:
    """What each step command run from warroom printed (the excerpt on the record), in
    fenced blocks: made visible like all user text, the fence longer than any run of
    backticks inside, so the output can neither end the block nor drive a terminal."""
    runs = [e for e in events if isinstance(e.payload, ev.CommandRun)]
    if not runs:
        return []
    lines = ["", "## Command output", ""]
    for event in sorted(runs, key=lambda e: (e.occurred_at, e.recorded_at)):
        run: ev.CommandRun = event.payload
        lines += [f"### {_md(ev.payload_text(run))}", ""]
        lines.append(f"{_ts(event.occurred_at)}, by {_md(event.actor)} (`{event.id}`)")
        lines.append("")
        for title, body in (("command", run.command), ("output", run.output or "(no output)")):
            text = visible(body, single_line=False)
            fence = "`" * max(3, _longest_backtick_run(text) + 1)
            lines += [f"{title}:", "", fence + ("sh" if title == "command" else "text")]
            lines += [text.rstrip("\n"), fence, ""]
    return lines


def _longest_backtick_run(text: str) -> int:
    longest = run = 0
    for char in text:
        run = run + 1 if char == "`" else 0
        longest = max(longest, run)
    return longest


def to_json_bundle(
    incident_id: str,
    bodies: Sequence[str],
    exported_at: datetime,
    sync: dict | None = None,
) -> str:
    """Every event's stored JSON, verbatim, in log order.

    ``sync`` (present once the incident was shared through a server) carries the
    server's sequence numbers, hashes, signed checkpoints and public key, so
    ``warroom verify --bundle`` can check the record offline.
    """
    bundle = {
        "format": EXPORT_FORMAT,
        "incident_id": incident_id,
        "exported_at": exported_at.isoformat(),
        "events": [json.loads(body) for body in bodies],
    }
    if sync is not None:
        bundle["sync"] = sync
    return json.dumps(bundle, indent=2) + "\n"  # ASCII-only: safe to cat on any terminal
