"""What many commands share: the common options and arguments, the runtime, the report.

Defined once so that ``--json``, ``--at``, ``--reason`` and an incident argument read and
behave the same in every command that takes them.
"""

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import typer

from warroom.cli.output import emit_json, say
from warroom.cli.runtime import Runtime
from warroom.core.timeparse import parse_when

if TYPE_CHECKING:  # the event model is loaded by the commands that record one
    from warroom.core import events as ev

Json = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
Incident = Annotated[str, typer.Argument(help="Incident id (a unique prefix is enough).")]
At = Annotated[
    str | None,
    typer.Option("--at", help="When it happened: -5m, '5m ago', HH:MM or ISO 8601 (default now)."),
]
Reason = Annotated[str, typer.Option("--reason", "-r", help="Why.")]


def runtime_of(ctx: typer.Context) -> Runtime:
    """The runtime the global options built (see ``warroom.cli.main``)."""
    return ctx.obj


def when(text: str | None) -> datetime | None:
    """An ``--at`` value as a time; ``None`` (not given) means now, decided by the action."""
    return parse_when(text) if text else None


def report(event: "ev.Event", as_json: bool) -> None:
    """Report a recorded event: the event itself as JSON, or one line for people."""
    if as_json:
        emit_json(event)
    else:
        from warroom.core.events import payload_text

        say(f"{event.incident_id}: {payload_text(event.payload)}  [{event.id}]")
