"""What the war-room screen is opened with: who, under which policy, where, how.

Plain Python, no Textual: the command line builds this before the terminal profile is
set, and Textual must not be imported before that (see ``launch``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from warroom.core.timeparse import utcnow
from warroom.core.token_roles import login_refusal

if TYPE_CHECKING:
    from warroom.config import Paths, Settings
    from warroom.core.policy import Policy


@dataclass
class TuiConfig:
    paths: Paths
    policy: Policy
    actor: str
    runbook_dirs: list[Path] = field(default_factory=list)
    """Runbook folders named in the configuration, besides the usual ones."""
    keymap: dict[str, str] = field(default_factory=dict)
    layout: str | None = None
    layout_forced: bool = False
    """``--layout`` was given: show it even when the terminal is small."""
    read_only: bool = False
    read_only_reason: str | None = None
    """Why the screen is read-only when the user did not ask for it: the home is logged
    in with a token that may not write (``core.token_roles.login_refusal``)."""
    incident: str | None = None
    clock: Callable[[], datetime] = utcnow
    server: str | None = None
    """The backend from ``warroom login``; with ``token``, the screen syncs in the background."""
    token: str | None = None
    ladder: bool = False
    """Run the escalation ladder in this session (``ladder_worker``): only when no server
    is configured, which runs it itself, and never for a read-only observer."""


def configure(
    paths: Paths,
    settings: Settings,
    policy: Policy,
    actor: str,
    *,
    layout: str | None = None,
    read_only: bool = False,
    incident: str | None = None,
) -> TuiConfig:
    """The screen's configuration. ``layout`` is a choice made on the command line (shown
    whatever the terminal size); the configured one gives way to compact. A home logged
    in with a viewer's token opens read-only, saying so, as ``--read-only`` does."""
    from warroom.store.sqlite_files import home_login  # sqlite3: not before the first frame

    server, role = home_login(paths.database)
    reason = login_refusal(role, server)
    read_only = read_only or reason is not None
    return TuiConfig(
        paths=paths,
        runbook_dirs=settings.runbook_dirs,
        policy=policy,
        actor=actor,
        keymap=settings.keymap,
        layout=layout or settings.layout,
        layout_forced=layout is not None,
        read_only=read_only,
        read_only_reason=reason,
        incident=incident,
        server=settings.server,
        token=settings.token,
        ladder=not settings.server and not read_only,
    )
