"""Opening the screen: bare ``warroom``, and ``warroom demo``.

The TUI's options are defined once here and used by both the global callback (``warroom
--layout compact``) and ``demo``. Textual is imported only when the screen really
opens, so every other subcommand stays quick.
"""

import shutil
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from warroom.cli.output import say
from warroom.cli.runtime import Runtime

LayoutOpt = Annotated[
    str | None,
    typer.Option("--layout", help="commander, scribe, responder, compact, or one of yours."),
]
MouseOpt = Annotated[bool, typer.Option("--mouse", help="Let the screen take the mouse.")]
LowBandwidthOpt = Annotated[
    bool | None,
    typer.Option(
        "--low-bandwidth/--full-bandwidth",
        help="Fewer frames, no animations, 256 colours (default: on over SSH).",
    ),
]
ReadOnlyOpt = Annotated[
    bool, typer.Option("--read-only", help="Observe only: nothing can be changed.")
]
IncidentOpt = Annotated[
    str | None, typer.Option("--incident", "-i", help="Open this incident (a prefix is enough).")
]


def open_tui(
    runtime: Runtime,
    *,
    layout: str | None,
    mouse: bool,
    low_bandwidth: bool | None,
    read_only: bool,
    incident: str | None,
) -> None:
    from warroom.tui import launch
    from warroom.tui.screen_config import configure

    config = configure(
        runtime.paths,
        runtime.settings,
        runtime.policy,
        runtime.actor,
        layout=layout,
        read_only=read_only,
        incident=incident,
    )
    code = launch.run(config, mouse=mouse, low_bandwidth=low_bandwidth)
    if code:
        raise typer.Exit(code)


def demo(
    layout: LayoutOpt = None,
    mouse: MouseOpt = False,
    low_bandwidth: LowBandwidthOpt = None,
    read_only: ReadOnlyOpt = False,
    keep: Annotated[
        bool, typer.Option("--keep", help="Keep the demo home afterwards (its path is printed).")
    ] = False,
) -> None:
    """Open the screen on a realistic sample incident in a throwaway home.

    You are eli, the deputy, to whom command has just been handed: select the commander
    role (2, then j/k) and press y to acknowledge it.
    """
    from warroom.demo import RUNBOOK, build_demo

    home = Path(tempfile.mkdtemp(prefix="warroom-demo-"))
    runtime = Runtime(home, "eli")
    try:
        entry = runtime.runbooks.catalog.entries.get(RUNBOOK)
        build_demo(runtime.room, runbook=entry.runbook if entry else None)
        runtime.close()
        open_tui(
            runtime,
            layout=layout,
            mouse=mouse,
            low_bandwidth=low_bandwidth,
            read_only=read_only,
            incident=None,
        )
    finally:
        runtime.close()
        if keep:
            say(f"demo home kept: WARROOM_HOME={home}")
        else:
            shutil.rmtree(home, ignore_errors=True)


def register(app: typer.Typer) -> None:
    app.command()(demo)
