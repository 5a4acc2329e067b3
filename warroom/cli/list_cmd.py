"""``warroom list`` in the full command line (``warroom --home DIR list``, ``list
--help``); what it prints is ``warroom.cli.listing``'s, which a plain ``warroom list``
reaches without this parser at all."""

import typer

from warroom.cli.listing import show_incidents
from warroom.cli.params import Json, runtime_of


def list_incidents(
    ctx: typer.Context,
    as_json: Json = False,
) -> None:
    """List incidents here, most recently active first."""
    show_incidents(runtime_of(ctx).store, as_json)


def register(app: typer.Typer) -> None:
    app.command("list")(list_incidents)
