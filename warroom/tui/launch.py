"""Start the TUI: pick the terminal profile, then import Textual and run.

Textual reads its frame rate, animation level and colour system from the environment
when it is first imported, so the low-bandwidth profile has to be set here, before any
Textual import. It is chosen by ``--low-bandwidth``, or automatically over SSH
(``SSH_CONNECTION``): 10 frames a second (bursts of changes coalesce into one frame),
no animations (a smooth scroll is dozens of frames), 256 colours (smaller escape
codes). Anything the user set in the environment explicitly is kept.
"""

import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from warroom.config import Paths
from warroom.core.policy import Policy

LOW_BANDWIDTH = {"TEXTUAL_FPS": "10", "TEXTUAL_ANIMATIONS": "none", "TEXTUAL_COLOR_SYSTEM": "256"}


def low_bandwidth_wanted(flag: bool | None) -> bool:
    """The flag when given, else on over SSH."""
    return flag if flag is not None else bool(os.environ.get("SSH_CONNECTION"))


def run(
    *,
    paths: Paths,
    runbook_dirs: list[Path],
    policy: Policy,
    actor: str,
    keymap: dict[str, str],
    layout: str | None,
    layout_forced: bool,
    read_only: bool,
    incident: str | None,
    mouse: bool,
    low_bandwidth: bool | None,
    clock: Callable[[], datetime] | None = None,
) -> int:
    if low_bandwidth_wanted(low_bandwidth):
        for name, value in LOW_BANDWIDTH.items():
            os.environ.setdefault(name, value)
    from warroom.tui.app import TuiConfig, WarroomApp

    config = TuiConfig(
        paths=paths,
        runbook_dirs=runbook_dirs,
        policy=policy,
        actor=actor,
        keymap=keymap,
        layout=layout,
        layout_forced=layout_forced,
        read_only=read_only,
        incident=incident,
    )
    if clock is not None:
        config.clock = clock
    app = WarroomApp(config)
    app.run(mouse=mouse)
    return app.return_code or 0
