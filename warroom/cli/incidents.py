"""Incident commands: declare, log, roles, severity, phase, checklist, services,
milestones, escalations, alerts: each writes one entry through the write path."""

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer

from warroom.actions import WarRoom
from warroom.cli.output import emit_json, say
from warroom.cli.params import At, Incident, Json, Reason, report, runtime_of, when
from warroom.core import events as ev
from warroom.core.errors import BackdateNeedsConfirmation, InvalidInput
from warroom.core.timeparse import utcnow

Entry = Annotated[str, typer.Argument(help="Id (or unique prefix) of the earlier entry.")]
Role = Annotated[str, typer.Argument(help="Role id, e.g. commander, scribe, sector-lead.")]
Yes = Annotated[
    bool,
    typer.Option(
        "--yes", "-y", help="Record it even if dated long before the declaration (no question)."
    ),
]


def _room(ctx: typer.Context, yes: bool) -> WarRoom:
    """The room, confirming far-backdated times up front when ``--yes`` was given."""
    room = runtime_of(ctx).room
    return room.confirming_backdate() if yes else room


@contextmanager
def _ask_for_yes() -> Iterator[None]:
    """A far-backdated time is refused until confirmed; say how to confirm it here."""
    try:
        yield
    except BackdateNeedsConfirmation as exc:
        raise BackdateNeedsConfirmation(
            f"{exc}; if that is right, run it again with --yes"
        ) from None


def declare(
    ctx: typer.Context,
    title: Annotated[str, typer.Argument(help="What is broken, in a few words.")],
    severity: Annotated[str, typer.Option("--severity", "-s", help="e.g. SEV2.")] = "SEV3",
    incident_type: Annotated[str, typer.Option("--type", "-t", help="e.g. outage.")] = "outage",
    services: Annotated[
        list[str], typer.Option("--service", help="Affected service (repeatable).")
    ] = [],  # noqa: B006
    drill: Annotated[
        bool, typer.Option("--drill", help="Mark as a drill (kept out of metrics).")
    ] = False,
    impact_started: Annotated[
        str | None, typer.Option("--impact-started", help="When impact began.")
    ] = None,
    detected: Annotated[
        str | None, typer.Option("--detected", help="When it was detected.")
    ] = None,
    at: At = None,
    yes: Yes = False,
    as_json: Json = False,
) -> None:
    """Declare a new incident and print its id."""
    with _ask_for_yes():
        event = _room(ctx, yes).declare(
            title,
            severity=severity,
            incident_type=incident_type,
            services=services,
            drill=drill,
            impact_started_at=when(impact_started),
            detected_at=when(detected),
            at=when(at),
        )
    if as_json:
        emit_json({"id": event.incident_id, "event": event})
    else:
        say(event.incident_id)


def log(
    ctx: typer.Context,
    incident: Incident,
    text: Annotated[str, typer.Argument(help="The entry; '-' reads it from stdin.")],
    kind: Annotated[
        str, typer.Option("--kind", "-k", help=f"One of: {', '.join(ev.TEXT_KINDS)}.")
    ] = "note",
    at: At = None,
    audience: Annotated[
        str | None,
        typer.Option("--audience", help="Status updates: internal, executive, external."),
    ] = None,
    owner: Annotated[str | None, typer.Option("--owner", help="TODO entries: who owns it.")] = None,
    stage: Annotated[
        str | None, typer.Option("--stage", help="Actions: started or result.")
    ] = None,
    yes: Yes = False,
    as_json: Json = False,
) -> None:
    """Add an entry to the timeline (note, observation, action, decision, ...)."""
    if text == "-":
        text = sys.stdin.read()
    with _ask_for_yes():
        event = _room(ctx, yes).log(
            incident,
            text,
            kind=kind.replace("-", "_"),
            at=when(at),
            audience=audience,
            owner=owner,
            stage=stage,
        )
    report(event, as_json)


def correct(
    ctx: typer.Context,
    incident: Incident,
    entry: Entry,
    text: Annotated[str, typer.Argument(help="The corrected text.")],
    as_json: Json = False,
) -> None:
    """Correct an earlier entry; the record keeps both versions."""
    report(runtime_of(ctx).room.correct(incident, entry, text), as_json)


def retract(
    ctx: typer.Context,
    incident: Incident,
    entry: Entry,
    reason: Annotated[str, typer.Argument(help="Why it is withdrawn.")],
    as_json: Json = False,
) -> None:
    """Retract an earlier entry; views strike it through, the record keeps it."""
    report(runtime_of(ctx).room.correct(incident, entry, reason, retract=True), as_json)


def assign(
    ctx: typer.Context,
    incident: Incident,
    role: Role,
    person: Annotated[str, typer.Argument(help="Who takes it.")],
    shadow: Annotated[bool, typer.Option("--shadow", help="As a shadow (trainee).")] = False,
    as_json: Json = False,
) -> None:
    """Give a role to a person."""
    report(runtime_of(ctx).room.assign(incident, role, person, shadow=shadow), as_json)


def release(
    ctx: typer.Context,
    incident: Incident,
    role: Role,
    person: Annotated[str, typer.Argument(help="Who gives it up.")],
    as_json: Json = False,
) -> None:
    """Release a person from a role."""
    report(runtime_of(ctx).room.release(incident, role, person), as_json)


def handoff(
    ctx: typer.Context,
    incident: Incident,
    role: Role,
    person: Annotated[str, typer.Argument(help="The new holder.")],
    as_json: Json = False,
) -> None:
    """Offer a role to someone; the holder keeps it until they accept (`warroom accept`)."""
    report(runtime_of(ctx).room.handoff(incident, role, person), as_json)


def accept(
    ctx: typer.Context,
    incident: Incident,
    role: Annotated[str, typer.Argument(help="Role handed to you.")] = "commander",
    as_json: Json = False,
) -> None:
    """Accept a handoff to you, which completes it (run as the new holder, e.g. with --as)."""
    report(runtime_of(ctx).room.accept_handoff(incident, role), as_json)


def severity(
    ctx: typer.Context,
    incident: Incident,
    level: Annotated[str, typer.Argument(help="New severity, e.g. SEV1.")],
    reason: Reason = "",
    as_json: Json = False,
) -> None:
    """Change the severity."""
    report(runtime_of(ctx).room.set_severity(incident, level, reason), as_json)


def phase(
    ctx: typer.Context,
    incident: Incident,
    name: Annotated[str, typer.Argument(help="triage, containment, eradication or recovery.")],
    as_json: Json = False,
) -> None:
    """Move the response to another phase."""
    report(runtime_of(ctx).room.set_phase(incident, name), as_json)


def check(
    ctx: typer.Context,
    incident: Incident,
    item: Annotated[str, typer.Argument(help="Checklist item id, or phase/item.")],
    undo: Annotated[bool, typer.Option("--undo", help="Clear the mark instead.")] = False,
    note: Annotated[str, typer.Option("--note", help="A note on the mark.")] = "",
    as_json: Json = False,
) -> None:
    """Mark a checklist item done (or clear it with --undo)."""
    report(runtime_of(ctx).room.check(incident, item, checked=not undo, note=note), as_json)


def services(
    ctx: typer.Context,
    incident: Incident,
    names: Annotated[list[str], typer.Argument(help="The affected services (replaces the list).")],
    as_json: Json = False,
) -> None:
    """Set the affected services."""
    report(runtime_of(ctx).room.set_services(incident, names), as_json)


def milestone(
    ctx: typer.Context,
    incident: Incident,
    name: Annotated[str, typer.Argument(help=f"One of: {', '.join(ev.MILESTONES)}.")],
    at: At = None,
    yes: Yes = False,
    as_json: Json = False,
) -> None:
    """Record when impact started, was detected, acknowledged, mitigated or resolved."""
    with _ask_for_yes():
        event = _room(ctx, yes).set_milestone(incident, name, when(at) or utcnow())
    report(event, as_json)


def reopen(
    ctx: typer.Context,
    incident: Incident,
    reason: Annotated[str, typer.Argument(help="Why the closed incident is opened again.")],
    to_status: Annotated[
        str, typer.Option("--status", help="The status it reopens in.")
    ] = "investigating",
    as_json: Json = False,
) -> None:
    """Reopen a closed incident (a closed incident takes no other entry)."""
    report(runtime_of(ctx).room.reopen(incident, reason, status=to_status), as_json)


def escalate(
    ctx: typer.Context,
    incident: Incident,
    target: Annotated[str, typer.Argument(help="Who or which tier was paged.")],
    reason: Reason = "",
    as_json: Json = False,
) -> None:
    """Record an escalation or page."""
    report(runtime_of(ctx).room.escalate(incident, target, reason), as_json)


def alert(
    ctx: typer.Context,
    incident: Incident,
    summary: Annotated[str, typer.Argument(help="What the alert says.")],
    source: Annotated[str, typer.Option("--source", help="Where it came from.")] = "alertmanager",
    labels: Annotated[list[str], typer.Option("--label", help="key=value (repeatable).")] = [],  # noqa: B006
    as_json: Json = False,
) -> None:
    """Record an alert received (for alert hooks and bots)."""
    parsed = {}
    for label in labels:
        key, sep, value = label.partition("=")
        if not sep or not key.strip():
            raise InvalidInput(f"label {label!r} is not key=value")
        parsed[key.strip()] = value
    report(runtime_of(ctx).room.alert(incident, source, summary, parsed), as_json)


def register(app: typer.Typer) -> None:
    for command in (
        declare,
        log,
        correct,
        retract,
        assign,
        release,
        handoff,
        accept,
        severity,
        phase,
        check,
        services,
        milestone,
        reopen,
        escalate,
        alert,
    ):
        app.command()(command)
