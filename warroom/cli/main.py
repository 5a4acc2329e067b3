"""The ``warroom`` command: global options and the sub-apps.

The console script is ``warroom.cli.entry.run``, which also handles errors (one line on
stderr, never a traceback) and opens the screen for a bare ``warroom`` without loading
this module at all. This module never imports ``entry``: the entry point sits above
the parser, not beside it.
"""

from pathlib import Path
from typing import Annotated

import typer

from warroom import __version__
from warroom.cli import tui_cmd
from warroom.cli.lazy import LazyCommands
from warroom.cli.runtime import Runtime

app = typer.Typer(
    name="warroom",
    help="A terminal war room for incident command: one live, append-only record.",
    cls=LazyCommands,  # each subcommand's module is imported only when it runs
    no_args_is_help=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"warroom {__version__}")
        raise typer.Exit()


@app.callback(invoke_without_command=True)
def main(
    ctx: typer.Context,
    home: Annotated[
        Path | None,
        typer.Option(
            "--home", help="Folder for all local state (default: WARROOM_HOME or the platform's)."
        ),
    ] = None,
    actor: Annotated[
        str | None,
        typer.Option("--as", help="Who is acting (default: WARROOM_USER, config, login name)."),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
    layout: tui_cmd.LayoutOpt = None,
    mouse: tui_cmd.MouseOpt = False,
    low_bandwidth: tui_cmd.LowBandwidthOpt = None,
    read_only: tui_cmd.ReadOnlyOpt = False,
    incident: tui_cmd.IncidentOpt = None,
) -> None:
    """warroom: a terminal war room for incident command. Without a command it opens the
    war-room screen on the current incident."""
    runtime = Runtime(home, actor)
    ctx.obj = runtime
    ctx.call_on_close(runtime.close)
    runtime.settings  # noqa: B018 — a broken config file is reported before anything runs
    if ctx.invoked_subcommand is None:
        tui_cmd.open_tui(
            runtime,
            layout=layout,
            mouse=mouse,
            low_bandwidth=low_bandwidth,
            read_only=read_only,
            incident=incident,
        )
