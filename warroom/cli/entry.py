"""The console script. A bare ``warroom`` opens the screen straight away; anything else
goes to the full command line.

Loading every subcommand — typer, the event model, the store, runbooks, sync — costs
about 300 ms before anything happens, and the war-room screen has to be usable within
300 ms of the process starting (people open it mid-outage, often over SSH). So the bare
command starts the screen at once and hands it a loader for the configuration and
policy, which it runs behind its first frame (see ``warroom.tui.app``). Options
(``warroom --layout compact``) go through the full parser.
"""

import os
import sys
from collections.abc import Callable

QUICK_LISTINGS = (["list"], ["list", "--json"])
"""Command lines that skip the parser: typer, click and the pydantic typer builds its
parameters with cost ~0.25 s, half of ``warroom list``'s budget (issue 11)."""


def run() -> None:
    if sys.argv[1:] in QUICK_LISTINGS:
        guarded(_list_quickly)
    elif sys.argv[1:]:
        from warroom.cli.main import app

        guarded(lambda: app(prog_name="warroom"))
    else:
        guarded(_open_screen)


def _list_quickly() -> None:
    """``warroom list [--json]`` as the full command line runs it (``warroom.cli.main``:
    the default home and actor, a broken config file reported first), without it."""
    from warroom.cli.listing import show_incidents
    from warroom.cli.runtime import Runtime

    runtime = Runtime(None, None)
    try:
        runtime.settings  # noqa: B018 — as the full command line: a broken config first
        show_incidents(runtime.store, as_json=sys.argv[2:] == ["--json"])
    finally:
        runtime.close()


def _open_screen() -> None:
    from warroom.tui import launch

    sys.exit(launch.run(_configuration))


def _configuration():  # -> TuiConfig; runs on the screen's boot thread
    from warroom.config import Paths, load_settings, resolve_actor, resolve_policy
    from warroom.tui.screen_config import configure

    paths = Paths()
    settings = load_settings(paths)
    policy = resolve_policy(settings, paths)
    return configure(paths, settings, policy, resolve_actor(settings, None))


def guarded(main: Callable[[], object]) -> None:
    """Run ``main``; every failure a user can cause ends as one ``warroom: error: ...``
    line on stderr and a non-zero exit status, never a traceback (``WARROOM_DEBUG=1``
    shows it), because a traceback on a shared screen mid-outage helps nobody."""
    from warroom.core.errors import WarroomError

    try:
        main()
    except WarroomError as exc:
        _fail(str(exc))
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        _fail("interrupted")
        sys.exit(130)
    except Exception as exc:  # the last line of defence
        if os.environ.get("WARROOM_DEBUG"):
            raise
        _fail(f"internal error: {type(exc).__name__}: {exc} (set WARROOM_DEBUG=1 for details)")
        sys.exit(70)


def _fail(message: str) -> None:
    from warroom.cli.output import fail  # it imports typer: ~100 ms the screen need not wait

    fail(message)
