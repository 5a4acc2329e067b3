"""Exports of an incident's record: a readable Markdown document and a JSON bundle.

The Markdown is the start of a postmortem: header, metrics, roles with history,
checklist, and the timeline with corrections applied (the original text kept beside
them). The JSON bundle carries every event verbatim so it can be verified and re-read
by any later version.
"""

import json
import re
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime

from warroom.core import events as ev
from warroom.core.jsontext import array_items, dumps_indented, reindented
from warroom.core.metrics import incident_metrics
from warroom.core.policy import Policy
from warroom.core.sanitize import visible
from warroom.core.state import IncidentState
from warroom.core.timeparse import format_duration

EXPORT_FORMAT = "warroom-export/1"

_MD_SPECIAL = re.compile(r"[\\`*_{}\[\]<>#|!]")
_MD_ESCAPES = str.maketrans({char: "\\" + char for char in "\\`*_{}[]<>#|!"})


def _md(text: str) -> str:
    """Escape user text for Markdown so a title cannot inject links, HTML or headings,
    nor drive the terminal of whoever ``cat``s the export."""
    if not (text.isascii() and text.isprintable()):  # printable ASCII: nothing to show
        text = visible(text)
    return text.translate(_MD_ESCAPES) if _MD_SPECIAL.search(text) else text


def _ts(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC") if moment else "unknown"


def iso_ts(iso: str) -> str:
    """``_ts`` of a time stored as ``datetime.isoformat`` text, without parsing it (the
    fields are printed as they stand, in the time's own offset, like ``strftime``)."""
    if iso[0] == "0":  # a year before 1000: strftime does not pad it
        return _ts(datetime.fromisoformat(iso))
    return f"{iso[:10]} {iso[11:19]} UTC"


Entry = tuple[str, str, str, str, str]
"""A timeline line's parts: (when, as ``_ts`` prints it, actor, kind, event id, text)."""


def event_entry(event: ev.Event) -> Entry:
    return (
        _ts(event.occurred_at),
        event.actor,
        event.kind,
        event.id,
        ev.payload_text(event.payload),
    )


def entry_text(event_id: str, text: str, state: IncidentState) -> tuple[str, str]:
    """(text shown, mark) for a timeline entry, with corrections and retractions applied."""
    fix = state.fixes.get(event_id)
    if fix is None:
        return text, ""
    if fix.retracted:
        return text, f"retracted: {fix.text}"
    return fix.text, f"corrected; originally: {text}"


def to_markdown(state: IncidentState, events: Sequence[ev.Event], policy: Policy) -> str:
    """The Markdown export of events held as models (the store streams ``markdown``)."""
    ordered = sorted(events, key=lambda e: (e.occurred_at, e.recorded_at))
    runs = [e for e in ordered if isinstance(e.payload, ev.CommandRun)]
    return "".join(markdown(state, map(event_entry, ordered), policy, runs))


def markdown(
    state: IncidentState,
    timeline: Iterable[Entry],
    policy: Policy,
    command_runs: Iterable[ev.Event] = (),
) -> Iterator[str]:
    """The Markdown export, a line at a time; ``timeline`` in order of occurrence (then
    of recording), so an incident of any length is written in constant memory.
    ``command_runs`` are the incident's ``command_run`` events in the same order: their
    output excerpts close the export."""
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
    yield "\n".join(lines) + "\n"
    yield from _timeline_rows(state, timeline)
    yield from (line + "\n" for line in _command_runs(command_runs))


TIMELINE_BATCH = 1000
"""Timeline rows written per chunk: a chunk per row cost a generator step and a write
each, at a million rows."""


def _timeline_rows(state: IncidentState, timeline: Iterable[Entry]) -> Iterator[str]:
    """The timeline table's rows, in chunks of ``TIMELINE_BATCH``; an actor's escaped
    name is worked out once (a long incident has few actors and a million rows)."""
    actors: dict[str, str] = {}
    rows: list[str] = []
    fixes = state.fixes
    for when, actor, kind, event_id, original in timeline:
        if event_id in fixes:
            text, mark = entry_text(event_id, original, state)
            shown = _md(text) + f" *({_md(mark)})*"
        elif original.isascii() and original.isprintable() and not _MD_SPECIAL.search(original):
            shown = original  # _md, inline: nothing to escape
        else:
            shown = _md(original)
        who = actors.get(actor)
        if who is None:
            who = _md(actor)
            if len(actors) < TIMELINE_BATCH:  # bounded, whoever wrote the log
                actors[actor] = who
        rows.append(f"| {when} | {who} | {kind} | {shown} | {event_id} |\n")
        if len(rows) == TIMELINE_BATCH:
            yield "".join(rows)
            rows.clear()
    if rows:
        yield "".join(rows)


def _command_runs(runs: Iterable[ev.Event]) -> list[str]:
    """What each step command run from warroom printed (the excerpt on the record), in
    fenced blocks: made visible like all user text, the fence longer than any run of
    backticks inside, so the output can neither end the block nor drive a terminal."""
    lines = []
    for event in runs:
        run: ev.CommandRun = event.payload
        lines += [f"### {_md(ev.payload_text(run))}", ""]
        lines.append(f"{_ts(event.occurred_at)}, by {_md(event.actor)} (`{event.id}`)")
        lines.append("")
        for title, body in (("command", run.command), ("output", run.output or "(no output)")):
            text = visible(body, single_line=False)
            fence = "`" * max(3, _longest_backtick_run(text) + 1)
            lines += [f"{title}:", "", fence + ("sh" if title == "command" else "text")]
            lines += [text.rstrip("\n"), fence, ""]
    return ["", "## Command output", "", *lines] if lines else []


def _longest_backtick_run(text: str) -> int:
    longest = run = 0
    for char in text:
        run = run + 1 if char == "`" else 0
        longest = max(longest, run)
    return longest


def json_bundle(
    incident_id: str,
    bodies: Iterable[str],
    exported_at: datetime,
    sync: dict | None = None,
) -> Iterator[str]:
    """Every event's stored JSON, verbatim, in log order: ``json.dumps(bundle, indent=2)``
    of the whole bundle, written an event at a time.

    ``sync`` (present once the incident was shared through a server) carries the
    server's sequence numbers, hashes, signed checkpoints and public key, so
    ``warroom verify --bundle`` can check the record offline; its ``chain`` may be any
    iterable of links, read as it is written.
    """
    head = {"format": EXPORT_FORMAT, "incident_id": incident_id}
    head["exported_at"] = exported_at.isoformat()
    yield json.dumps(head, indent=2)[:-2] + ',\n  "events": '
    yield from _array(map(_event_items, _chunks(bodies)), "  ")
    if sync is not None:
        yield ',\n  "sync": {'
        separator = "\n"
        for key, value in sync.items():
            yield f"{separator}    {_STRING(key)}: "
            if key in STREAMED_SYNC_KEYS:  # a link per event: a million at 1M events
                yield from _array((_link_items(c) for c in _chunks(value)), "    ")
            else:
                yield _indented(value, "    ")
            separator = ",\n"
        yield "\n  }" if sync else "}"
    yield "\n}\n"  # ASCII-only: safe to cat on any terminal


STREAMED_SYNC_KEYS = frozenset({"chain"})
"""Parts of the ``sync`` section that grow with the incident (a link per event): an
iterable, written a chunk at a time by ``json_bundle``."""

CHUNK = 500
"""Items encoded at once: one encoder call per chunk, not per event, in bounded memory."""


def _chunks(items: Iterable) -> Iterator[list]:
    chunk = []
    for item in items:
        chunk.append(item)
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _array(chunks: Iterable[str], indent: str) -> Iterator[str]:
    """A JSON array nested at ``indent`` from chunks of its items' text (see
    ``jsontext.array_items``)."""
    separator = "[\n"
    for chunk in chunks:
        yield separator + chunk
        separator = ",\n"
    yield "\n" + indent + "]" if separator == ",\n" else "[]"


def _event_items(bodies: list[str]) -> str:
    """Stored events as the bundle's items: the fast encoder unless a float (or a lone
    surrogate) needs the standard library's spelling, then event by event."""
    fast = array_items("[" + ",".join(bodies) + "]", "  ")
    if fast is not None:
        return fast
    return ",\n".join("    " + _event_text(body) for body in bodies)


def _event_text(body: str) -> str:
    return reindented(body, "    ") or _indented(json.loads(body), "    ")


def _link_items(links: list[dict]) -> str:
    inner = dumps_indented(links)[2:-2]  # the items of "[\n  ...\n]"
    return "    " + inner.replace("\n", "\n    ")


def _indented(value: object, indent: str) -> str:
    """``json.dumps(value, indent=2)`` as it appears nested at ``indent``: the standard
    library's indenting encoder is pure Python; this is the same output, faster."""
    if isinstance(value, dict):
        if not value:
            return "{}"
        inner = indent + "  "
        items = [f"{inner}{_STRING(key)}: {_indented(item, inner)}" for key, item in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + indent + "}"
    if isinstance(value, list | tuple):
        if not value:
            return "[]"
        inner = indent + "  "
        items = [inner + _indented(item, inner) for item in value]
        return "[\n" + ",\n".join(items) + "\n" + indent + "]"
    if isinstance(value, str):
        return _STRING(value)
    return json.dumps(value)


_STRING = json.encoder.encode_basestring_ascii
