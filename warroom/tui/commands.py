"""The ``:`` command line: its grammar, its completion, and the palette's entries.

One table of commands serves three places — the ``:`` line, the ctrl+p palette and the
help screen — so they always offer the same actions. Arguments are positional; each has
a *source* naming where completions come from (``severity`` → the policy's scale,
``incident`` → the incidents in the store, ...). The last argument takes the rest of
the line, so reasons, titles and names may contain spaces.

This module knows nothing about Textual or the store: the screen passes a ``choices``
function and runs the parsed command.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from warroom.core.errors import InvalidInput

Choices = Callable[[str], Sequence[str]]
"""Completion candidates for a source name; the screen supplies it."""


@dataclass(frozen=True)
class CommandSpec:
    name: str
    args: tuple[str, ...]
    """The completion source of each positional argument; ``text`` is free text."""
    required: int
    """How many leading arguments must be given."""
    usage: str
    help: str
    mutating: bool = True
    aliases: tuple[str, ...] = ()


COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec(
        "severity",
        ("severity", "text"),
        1,
        "severity SEV [reason]",
        "Change the severity",
        aliases=("sev",),
    ),
    CommandSpec("status", ("status", "text"), 1, "status STATUS [reason]", "Change the status"),
    CommandSpec(
        "reopen", ("text",), 1, "reopen REASON", "Open a closed incident again (it says why)"
    ),
    CommandSpec("phase", ("phase",), 1, "phase PHASE", "Move the response to another phase"),
    CommandSpec("assign", ("role", "person"), 2, "assign ROLE PERSON", "Give a role to someone"),
    CommandSpec(
        "release", ("held_role", "holder"), 2, "release ROLE PERSON", "Release someone from a role"
    ),
    CommandSpec(
        "handoff",
        ("role", "person"),
        2,
        "handoff ROLE PERSON",
        "Hand a role over; the new holder acknowledges with :accept",
    ),
    CommandSpec("accept", ("pending_role",), 0, "accept [ROLE]", "Acknowledge a handoff to you"),
    CommandSpec("check", ("item", "text"), 1, "check ITEM [note]", "Mark a checklist item done"),
    CommandSpec("uncheck", ("checked_item",), 1, "uncheck ITEM", "Clear a checklist mark"),
    CommandSpec(
        "attach",
        ("runbook",),
        1,
        "attach RUNBOOK",
        "Pin a runbook to the incident (again: pin the version now on disk)",
    ),
    CommandSpec(
        "step",
        ("step_action", "step", "text"),
        2,
        "step ACTION STEP [note]",
        "Claim, start, finish, fail, skip, reopen or run (its command) a step; fail and skip"
        " need a note",
    ),
    CommandSpec(
        "correct",
        ("entry", "text"),
        2,
        "correct ENTRY TEXT",
        "Correct an entry (the record keeps both)",
    ),
    CommandSpec(
        "retract",
        ("entry", "text"),
        2,
        "retract ENTRY REASON",
        "Retract an entry (the record keeps it, struck through)",
    ),
    CommandSpec("escalate", ("target", "text"), 1, "escalate TARGET [reason]", "Record a page"),
    CommandSpec("ack", (), 0, "ack", "Acknowledge the incident (the ladder stops paging)"),
    CommandSpec(
        "retry",
        ("undelivered",),
        1,
        "retry DELIVERY",
        "Send an undelivered notice or page again now (its id is on the strip)",
    ),
    CommandSpec(
        "update",
        ("audience", "template"),
        1,
        "update AUDIENCE [TEMPLATE]",
        "Write a status notice from the audience's template (ctrl+s records it)",
    ),
    CommandSpec(
        "notice",
        ("notice",),
        0,
        "notice [DRAFT]",
        "Read a notice's exact text; approve it, send it back or revise it",
        mutating=False,
    ),
    CommandSpec(
        "declare",
        ("severity", "type", "text"),
        0,
        "declare [SEV] [TYPE] TITLE",
        "Declare a new incident (no title: open the form)",
    ),
    CommandSpec(
        "factor", ("text",), 1, "factor TEXT", "Record a contributing factor (closed incidents too)"
    ),
    CommandSpec(
        "outcome",
        ("hypothesis", "outcome", "text"),
        2,
        "outcome HYPOTHESIS confirmed|ruled-out [reason]",
        "Say what became of a hypothesis",
    ),
    CommandSpec(
        "followup",
        ("followup_action", "incident", "entry", "text"),
        3,
        "followup done|in-progress|open|wont-do|reassign|redate INCIDENT ITEM [reason|who|due]",
        "Change an action item (won't do needs a reason)",
        aliases=("fu",),
    ),
    CommandSpec("actions", (), 0, "actions", "Action items across every incident", mutating=False),
    CommandSpec("risks", (), 0, "risks", "The risk register, by exposure", mutating=False),
    CommandSpec(
        "switch",
        ("incident",),
        0,
        "switch [INCIDENT]",
        "Open another incident (no id: pick one)",
        mutating=False,
    ),
    CommandSpec(
        "layout", ("layout",), 1, "layout NAME", "Switch the screen layout", mutating=False
    ),
    CommandSpec(
        "filter",
        ("text",),
        0,
        "filter [QUERY]",
        "Filter the timeline (empty: clear)",
        mutating=False,
    ),
    CommandSpec(
        "postmortem",
        ("text",),
        0,
        "postmortem [TEMPLATE]",
        "Read the postmortem draft (warroom postmortem writes it)",
        mutating=False,
    ),
    CommandSpec(
        "report",
        ("text",),
        0,
        "report [SINCE]",
        "Charts and tables across incidents (default: the last 365d; warroom report prints them)",
        mutating=False,
    ),
    CommandSpec("help", (), 0, "help", "Show the keys and commands", mutating=False),
    CommandSpec("quit", (), 0, "quit", "Leave warroom", mutating=False, aliases=("q",)),
)
BY_NAME = {name: spec for spec in COMMANDS for name in (spec.name, *spec.aliases)}
OPEN_ENDED = frozenset({"text", "person", "holder", "target", "entry", "hypothesis"})
"""Sources without a fixed set of values: the palette cannot list them."""


@dataclass(frozen=True)
class ParsedCommand:
    spec: CommandSpec
    args: tuple[str, ...]
    """One value per argument given, the last one holding the rest of the line."""
    rest: str
    """Everything after the command name, for commands with optional leading words."""

    def arg(self, index: int, what: str) -> str:
        """The argument at ``index``, or a usage error naming ``what`` is missing."""
        if index < len(self.args) and self.args[index]:
            return self.args[index]
        raise InvalidInput(f"missing {what}: {self.spec.usage}")

    def optional(self, index: int) -> str:
        return self.args[index] if index < len(self.args) else ""


def parse_command(line: str) -> ParsedCommand:
    """``severity SEV1 EU customers affected`` → (severity, ("SEV1", "EU customers ..."))."""
    name, _, rest = line.strip().lstrip(":").strip().partition(" ")
    spec = BY_NAME.get(name.lower())
    if spec is None:
        known = ", ".join(s.name for s in COMMANDS)
        raise InvalidInput(f"unknown command {name!r}; commands: {known}")
    count = len(spec.args)
    parts = rest.split(None, count - 1) if count and rest.strip() else []
    return ParsedCommand(spec, tuple(part.strip() for part in parts), rest.strip())


def command_names(*, read_only: bool) -> list[str]:
    """The commands a screen offers: on a read-only one, only those that change nothing."""
    return [spec.name for spec in COMMANDS if not (read_only and spec.mutating)]


def offered(choices: Choices) -> list[CommandSpec]:
    """The commands to offer: those the ``command`` source names (a read-only screen
    leaves out every one that changes the record), or all when it names none."""
    names = set(choices("command"))
    return [spec for spec in COMMANDS if spec.name in names] if names else list(COMMANDS)


def complete(line: str, choices: Choices) -> list[str]:
    """Whole-line completions of ``line`` (without the colon), best first.

    A completed word that more words follow ends with the separating space, so the next
    word is typed (or completed) straight after it: ``sev`` → ``sev ``, then ``sev SEV1``.
    Values that start with what is typed come first, then values whose part after a
    ``/`` does (``stop`` finds ``containment/stop-bleeding``), in ``choices``' order.
    """
    words = line.split(" ")
    if len(words) == 1:
        prefix = words[0].lower()
        specs = offered(choices)
        names = [s.name for s in specs] + [a for s in specs for a in s.aliases]
        matches = sorted((n for n in names if n.startswith(prefix)), key=lambda n: n != prefix)
        return [
            name + " " if BY_NAME[name].args else name
            for name in matches
            if BY_NAME[name].args or name != prefix
        ]
    spec = BY_NAME.get(words[0].lower())
    if spec is None:
        return []
    index = len(words) - 2
    if index >= len(spec.args) or spec.args[index] == "text":
        return []
    head = " ".join(words[:-1]) + " "
    more = " " if index + 1 < len(spec.args) else ""
    return [head + value + more for value in matching(choices(spec.args[index]), words[-1])]


def matching(values: Sequence[str], typed: str) -> list[str]:
    """``values`` that start with ``typed`` (ignoring case), then those with a part after
    a ``/`` that does (``phase/item``, ``runbook/step``: the item's own name)."""
    typed = typed.lower()
    starts = [v for v in values if v.lower().startswith(typed)]
    parts = [v for v in values if any(p.startswith(typed) for p in v.lower().split("/")[1:])]
    return starts + [v for v in parts if v not in starts]


def expected(line: str, choices: Choices) -> str:
    """The hint under the command line: usage, and the values the next word may take."""
    words = line.split(" ")
    spec = BY_NAME.get(words[0].lower()) if words else None
    if spec is None:
        return "commands: " + " ".join(s.name for s in offered(choices))
    index = len(words) - 2
    if index < 0 or index >= len(spec.args) or spec.args[index] == "text":
        return f"{spec.usage} — {spec.help}"
    values = matching(choices(spec.args[index]), words[-1])
    shown = " ".join(values[:12]) + (" …" if len(values) > 12 else "")
    return f"{spec.usage} — {spec.args[index].replace('_', ' ')}: {shown or '(none)'}"


@dataclass(frozen=True)
class PaletteEntry:
    title: str
    line: str
    help: str
    run: bool
    """Complete as it stands; otherwise it opens the ``:`` line with ``line`` typed in."""


def palette_entries(choices: Choices) -> list[PaletteEntry]:
    """The ctrl+p palette: one entry per value of a fixed first argument, then each
    command on its own (which opens the ``:`` line when it needs more words)."""
    entries = []
    for spec in COMMANDS:
        first = spec.args[0] if spec.args else None
        if first is not None and first not in OPEN_ENDED:
            for value in choices(first):
                line = f"{spec.name} {value}"
                entries.append(PaletteEntry(line, line, spec.help, run=spec.required <= 1))
        line = spec.name + (" " if spec.args else "")
        entries.append(
            PaletteEntry(spec.name, line, spec.usage + " — " + spec.help, run=spec.required == 0)
        )
    return entries
