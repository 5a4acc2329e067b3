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
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from warroom.core.errors import InvalidInput

if TYPE_CHECKING:
    from warroom.tui.screen_config import TuiConfig

LOW_BANDWIDTH = {"TEXTUAL_FPS": "10", "TEXTUAL_ANIMATIONS": "none", "TEXTUAL_COLOR_SYSTEM": "256"}


def terminal_profile(flag: bool | None, environ: Mapping[str, str]) -> dict[str, str]:
    """The settings to add to the environment: the low-bandwidth profile when the flag
    says so, or — without the flag — over SSH; never overriding what the user set."""
    wanted = flag if flag is not None else bool(environ.get("SSH_CONNECTION"))
    return {k: v for k, v in LOW_BANDWIDTH.items() if k not in environ} if wanted else {}


def run(
    config: "TuiConfig | Callable[[], TuiConfig]",
    *,
    mouse: bool = False,
    low_bandwidth: bool | None = None,
) -> int:
    """Open the screen; returns the exit status. ``config`` may be a loader, run behind
    the boot screen (see ``app``); what it raises is raised here, after the screen."""
    if not (sys.stdin.isatty() and sys.__stderr__.isatty()):  # Textual draws on stderr
        raise InvalidInput(
            "the war-room screen needs a terminal; `warroom --help` lists the commands"
            " that work from scripts"
        )
    os.environ.update(terminal_profile(low_bandwidth, os.environ))
    from warroom.tui.app import WarroomApp

    app = WarroomApp(config)
    app.run(mouse=mouse)
    if app.boot_error is not None:
        raise app.boot_error
    return app.return_code or 0
