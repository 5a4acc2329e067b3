"""Commands that take the record out of warroom: ``export`` (the Markdown record, the
postmortem's draft, or the JSON bundle with its chain, streamed from one read snapshot) and
``locate`` (where the files behind it are kept).
"""

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer

from warroom.cli.files import write_private
from warroom.cli.output import emit_json, say
from warroom.cli.params import Incident, Json, runtime_of
from warroom.cli.verify_cmd import sync_section
from warroom.core.errors import InvalidInput
from warroom.core.export import json_bundle, markdown
from warroom.core.timeparse import utcnow
from warroom.store.exports import (
    command_runs,
    markdown_state,
    read_snapshot,
    stream_bodies,
    timeline_entries,
)
from warroom.store.local import LocalStore


def export(
    ctx: typer.Context,
    incident: Incident,
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="md (readable record) or json (every event).")
    ] = "md",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to a file instead of stdout.")
    ] = None,
) -> None:
    """Export the record as Markdown (the postmortem draft) or a JSON bundle."""
    runtime = runtime_of(ctx)
    store = runtime.store
    incident_id = store.resolve_incident(incident)
    if fmt == "md":
        timeline = timeline_entries(store, incident_id)
        runs = command_runs(store, incident_id)
        chunks = markdown(markdown_state(store, incident_id), timeline, runtime.policy, runs)
    elif fmt == "json":
        chunks = _json_export(store, incident_id)
    else:
        raise InvalidInput(f"unknown format {fmt!r}; choose md or json")
    if output is None:
        sys.stdout.writelines(chunks)
        return
    try:
        write_private(output, chunks)  # the whole record: for its owner's eyes only
    except OSError as exc:
        raise InvalidInput(f"cannot write {output}: {exc.strerror or exc}") from None


def _json_export(store: LocalStore, incident_id: str) -> Iterator[str]:
    """The JSON bundle, streamed from one read snapshot (events and chain agree)."""
    with read_snapshot(store):
        sync = sync_section(store, incident_id)
        yield from json_bundle(incident_id, stream_bodies(store, incident_id), utcnow(), sync)


def locate(ctx: typer.Context, as_json: Json = False) -> None:
    """Print where warroom keeps its database, config, policy and runbooks."""
    paths = runtime_of(ctx).paths
    info = {
        "home": paths.home,
        "database": paths.database,
        "config_files": paths.config_files,
        "policy": paths.policy_file,
        "runbooks": paths.runbooks,
        "layouts": paths.layouts,
        "templates": paths.templates,
    }
    if as_json:
        emit_json(info)
        return
    for key, value in info.items():
        shown = (
            ", ".join(map(str, value))
            if isinstance(value, list)
            else str(value or "(platform default)")
        )
        say(f"{key:<13} {shown}")


def register(app: typer.Typer) -> None:
    app.command()(export)
    app.command()(locate)
