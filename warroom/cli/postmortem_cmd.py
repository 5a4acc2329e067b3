"""``warroom postmortem``: the postmortem draft of an incident, as Markdown."""

import sys
from pathlib import Path
from typing import Annotated

import typer

from warroom.cli.files import write_private
from warroom.cli.params import At, Incident, Json, report, runtime_of, when
from warroom.core.errors import InvalidInput
from warroom.postmortem.library import find_template
from warroom.store.postmortem_feed import postmortem_of


def postmortem(
    ctx: typer.Context,
    incident: Incident,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to a file instead of stdout.")
    ] = None,
    template: Annotated[
        str | None,
        typer.Option(
            "--template", "-t", help="A template name (your postmortem folder) or a .md.j2 file."
        ),
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Flag action items overdue at this time (e.g. now, 14:32)."),
    ] = None,
    publish: Annotated[
        bool,
        typer.Option("--publish", help="Record that the postmortem was published (no draft)."),
    ] = False,
    url: Annotated[str | None, typer.Option("--url", help="Where it was published.")] = None,
    at: At = None,
    as_json: Json = False,
) -> None:
    """Write the postmortem draft: summary, impact, metrics, timeline, lessons, actions;
    with --publish, record its publication instead (review timeliness counts to it)."""
    runtime = runtime_of(ctx)
    store = runtime.store
    incident_id = store.resolve_incident(incident)
    if publish:
        report(runtime.room.publish_postmortem(incident_id, url=url, at=when(at)), as_json)
        return
    if url is not None or at is not None:
        raise InvalidInput("--url and --at go with --publish")
    chosen = find_template(runtime.policy, runtime.paths.data, template)
    moment = when(as_of)
    data = postmortem_of(store, incident_id, runtime.policy, moment)
    text = "".join(chosen.render(data))  # whole, so a failing template writes nothing
    if output is None:
        sys.stdout.write(text)
        return
    try:
        write_private(output, text)  # the record's content: for its owner's eyes only
    except OSError as exc:
        raise InvalidInput(f"cannot write {output}: {exc.strerror or exc}") from None


def register(app: typer.Typer) -> None:
    app.command()(postmortem)
