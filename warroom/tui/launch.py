"""Start the TUI: pick the terminal profile, then import Textual and run.

Textual reads its frame rate, animation level and colour system from the environment
when it is first imported, so the low-bandwidth profile has to be set here, before any
Textual import. It is chosen by ``--low-bandwidth``, or automatically over SSH
(``SSH_CONNECTION``): 10 frames a second (bursts of changes coalesce into one frame),
no animations (a smooth scroll is dozens of frames), 256 colours (smaller escape
codes). Anything the user set in the environment explicitly is kept.
"""

import os
import sys
from collections.abc import Mapping

from warroom.config import Paths, Settings
from warroom.core.errors import InvalidInput
from warroom.core.policy import Policy

LOW_BANDWIDTH = {"TEXTUAL_FPS": "10", "TEXTUAL_ANIMATIONS": "none", "TEXTUAL_COLOR_SYSTEM": "256"}


def terminal_profile(flag: bool | None, environ: Mapping[str, str]) -> dict[str, str]:
    """The settings to add to the environment: the low-bandwidth profile when the flag
    says so, or — without the flag — over SSH; never overriding what the user set."""
    wanted = flag if flag is not None else bool(environ.get("SSH_CONNECTION"))
    return {k: v for k, v in LOW_BANDWIDTH.items() if k not in environ} if wanted else {}


def run(
    paths: Paths,
    settings: Settings,
    policy: Policy,
    actor: str,
    *,
    layout: str | None = None,
    read_only: bool = False,
    incident: str | None = None,
    mouse: bool = False,
    low_bandwidth: bool | None = None,
) -> int:
    """Open the screen; returns the exit status. ``layout`` is a choice made on the command
    line (shown whatever the terminal size); the configured one gives way to compact."""
    if not (sys.stdin.isatty() and sys.__stderr__.isatty()):  # Textual draws on stderr
        raise InvalidInput(
            "the war-room screen needs a terminal; `warroom --help` lists the commands"
            " that work from scripts"
        )
    os.environ.update(terminal_profile(low_bandwidth, os.environ))
    from warroom.tui.app import TuiConfig, WarroomApp

    config = TuiConfig(
        paths=paths,
        runbook_dirs=settings.runbook_dirs,
        policy=policy,
        actor=actor,
        keymap=settings.keymap,
        layout=layout or settings.layout,
        layout_forced=layout is not None,
        read_only=read_only,
        incident=incident,
        server=settings.server,
        token=settings.token,
    )
    app = WarroomApp(config)
    app.run(mouse=mouse)
    return app.return_code or 0
