"""The Textual application: configuration, themes, keymap, layouts and the terminal.

``WarroomApp`` holds what is the same for every screen: who is acting, under which
policy, against which database, with which layouts and keys, and what time it is
(``clock`` is injectable, so snapshot tests are deterministic). It also looks after the
terminal itself: on a dropped SSH session the TTY goes away (SIGHUP, or stdin stops
being a terminal) and the app exits instead of spinning.

Given a *loader* instead of a finished configuration (bare ``warroom`` does this), the
app paints the boot screen first and runs the loader — settings, policy, layouts, the
war-room screen's modules: pydantic and friends, a few hundred milliseconds — on a
thread. The first frame then costs little more than Textual itself, and the entry bar
takes keys from it on. So this module imports nothing heavy at the top.
"""

import contextlib
import os
import signal
import sys
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.app import App
from textual.message import Message

from warroom.core.errors import WarroomError
from warroom.core.timeparse import utcnow
from warroom.tui import keymap
from warroom.tui.screen_config import TuiConfig
from warroom.tui.themes import THEMES

if TYPE_CHECKING:
    from textual.events import Event

    from warroom.runbooks.library import Catalog
    from warroom.tui.delivery_worker import DeliveryLink
    from warroom.tui.ladder_worker import LadderFired, LadderLoop
    from warroom.tui.layouts import Layout, Layouts
    from warroom.tui.messages import SyncState
    from warroom.tui.screens.main import WarRoomScreen
    from warroom.tui.sync_worker import Refused, SyncLink, Unsent

TTY_CHECK_S = 1.0
"""How often the watchdog checks that the terminal is still there."""


def _palette() -> type:
    from warroom.tui.palette import WarroomCommands

    return WarroomCommands


class RunbooksChanged(Message):
    """The runbook library (re)loaded: what is on disk now, and files that do not parse."""

    def __init__(self, catalog: "Catalog") -> None:
        super().__init__()
        self.catalog = catalog


class LayoutsChanged(Message):
    """The layout watcher re-read the layout files."""

    def __init__(self, layouts: "Layouts") -> None:
        super().__init__()
        self.layouts = layouts


class Configured(Message):
    """The boot thread loaded the configuration and the layouts."""

    def __init__(self, config: TuiConfig, layouts: "Layouts") -> None:
        super().__init__()
        self.config = config
        self.layouts = layouts


def configured_layouts(config: TuiConfig) -> "Layouts":
    """The layouts in the user's folder and the shipped ones; none usable is an error."""
    from warroom.tui.layouts import load_layouts

    layouts = load_layouts(config.paths.layouts)
    if not layouts.by_name:
        raise WarroomError("\n".join(layouts.problems))
    return layouts


class WarroomApp(App[int]):
    TITLE = "warroom"
    BINDINGS = keymap.bindings(keymap.APP)
    COMMANDS: ClassVar = {_palette}

    config: TuiConfig
    layouts: "Layouts"

    def __init__(self, config: TuiConfig | Callable[[], TuiConfig]) -> None:
        """``config``, or a loader that makes it (run on a thread behind the boot screen)."""
        super().__init__()
        self._loader: Callable[[], TuiConfig] | None = None
        if isinstance(config, TuiConfig):
            self.config = config
            self.layouts = configured_layouts(config)
        else:
            self._loader = config
        self._booting = False
        self.boot_error: BaseException | None = None
        """Why the loader failed; ``launch.run`` raises it once the terminal is restored."""
        for theme in THEMES:
            self.register_theme(theme)
        if self._loader is not None and not os.environ.get("TEXTUAL_THEME"):
            self._start_with_theme("warroom-dark")
        self._watching = False
        self._sync: SyncLink | None = None
        self._delivery: DeliveryLink | None = None
        self._ladder: LadderLoop | None = None

    def _start_with_theme(self, name: str) -> None:
        """Start in theme ``name`` as Textual starts in its default one. Assigning
        ``self.theme`` would run its watcher, which queues a full re-parse of every
        stylesheet before the first frame (a fifth of the boot screen's own cost) to
        replace a stylesheet that has not been built yet."""
        self.set_reactive(App.theme, name)
        dark = self.current_theme.dark
        self.update_classes(
            {f"-theme-{name}": True, "-dark-mode": dark, "-light-mode": not dark}, update=False
        )

    @property
    def read_only(self) -> bool:
        return self._loader is None and self.config.read_only

    def now(self) -> datetime:
        return self.config.clock() if self._loader is None else utcnow()

    def on_mount(self) -> None:
        if not self.is_headless:
            self._watch_terminal()
        if self._loader is None:
            self._open(self.push_screen)
            return
        from warroom.tui.screens.boot import BootScreen

        self.push_screen(BootScreen(id="boot"))

    def post_display_hook(self) -> None:
        """Start the loader once the boot screen's first frame is out: started any earlier,
        its imports would compete with drawing that frame for the GIL."""
        if self._loader is not None and not self._booting and self.screen.id == "boot":
            self._booting = True
            self.run_worker(self._boot, thread=True, group="boot", exit_on_error=False)

    def _boot(self) -> None:
        """On a thread: load what the boot screen stands in for (see the module's doc)."""
        assert self._loader is not None
        try:
            config = self._loader()
            layouts = configured_layouts(config)
            import warroom.tui.screens.main  # noqa: F401 — imported here, off the UI thread
        except BaseException as exc:  # reported by launch.run, once the screen is gone
            self.boot_error = exc
            self.call_from_thread(self.exit, return_code=1)
            return
        self.post_message(Configured(config, layouts))

    def on_configured(self, message: Configured) -> None:
        """Replace the boot screen — and the help or palette opened over it meanwhile —
        with the war-room screen, carrying over what was typed into its entry bar."""
        from warroom.tui.screens.boot import BootScreen

        self.config, self.layouts = message.config, message.layouts
        self._loader = None
        while not isinstance(self.screen, BootScreen):
            self.pop_screen()
        self._open(self.switch_screen, self.screen.draft)

    def _open(self, show: Callable[["WarRoomScreen"], object], draft: str = "") -> None:
        """Show the war-room screen with ``show`` (push, or switch from the boot screen)."""
        from warroom.tui.screens.main import WarRoomScreen

        self.set_keymap(self.config.keymap)
        unknown = keymap.unknown_ids(self.config.keymap)
        if unknown:
            self.notify(
                f"keymap: no binding has the id {', '.join(unknown)} (see ? for ids)",
                severity="warning",
                markup=False,
            )
        for problem in self.layouts.problems:
            self.notify(problem, title="layout", severity="warning", markup=False, timeout=10)
        show(WarRoomScreen(draft))
        self._start_sync()
        self._start_ladder()

    def start_watching(self) -> None:
        """Load the runbook library and watch layout and runbook files — once the incident
        is on screen, so this work does not compete with showing it."""
        if not self._watching:
            self._watching = True
            self._watch_layouts()
            self._watch_runbooks()

    def apply_theme(self, layout: "Layout") -> None:
        """The layout's theme, unless the user chose one with ``TEXTUAL_THEME``."""
        theme = layout.theme
        if theme and theme in self.available_themes and not os.environ.get("TEXTUAL_THEME"):
            self.theme = theme

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return not (self.read_only and action in keymap.MUTATING)

    async def on_event(self, event: "Event") -> None:
        """Each key goes first to the war-room screen's ``take_key`` (see there), in the
        order the keys arrive; what it does not take is handled as usual."""
        from textual import events

        if isinstance(event, events.Key) and not event.is_forwarded:
            take = getattr(self.screen, "take_key", None)
            if take is not None and take(event):
                return
        await super().on_event(event)

    def action_quit(self) -> None:
        """ctrl+q: the war-room screen asks first when something is at stake."""
        screens = self._war_rooms()
        if screens:
            screens[-1].action_quit()
        else:
            self.exit()

    def action_help(self) -> None:
        from warroom.tui.screens.help import HelpScreen

        if isinstance(self.screen, HelpScreen):  # F1 (a priority key) closes it too
            self.screen.dismiss(None)
            return
        keys = []
        seen = set()
        for active in self.screen.active_bindings.values():
            binding = active.binding
            if not active.enabled or not binding.description or binding.id in seen:
                continue
            seen.add(binding.id)
            keys.append((self.get_key_display(binding), binding.description, binding.id or ""))
        focused = self.screen.focused
        context = type(focused).__name__ if focused else "screen"
        self.push_screen(HelpScreen(sorted(keys, key=lambda k: k[2]), context))

    # -- the terminal --------------------------------------------------------------------

    def _watch_terminal(self) -> None:
        """Exit when the terminal goes away (Dolphie's watchdog, plus SIGHUP)."""
        import asyncio

        with contextlib.suppress(NotImplementedError, RuntimeError):  # no SIGHUP here
            asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, self._terminal_gone)
        fd = sys.__stdin__.fileno()
        if os.isatty(fd):
            self.set_interval(TTY_CHECK_S, lambda: os.isatty(fd) or self._terminal_gone())

    def _terminal_gone(self) -> None:
        self.exit(return_code=0)

    # -- layout files --------------------------------------------------------------------

    @work(exclusive=True, group="layout-watcher", exit_on_error=False)
    async def _watch_layouts(self) -> None:
        """Reload layouts when their files change, or when the user's folder appears."""
        from warroom.tui.layout_watch import layout_reloads

        async for layouts in layout_reloads(self.config.paths.layouts, lambda: self.layouts):
            self.post_message(LayoutsChanged(layouts))

    # -- runbook files -------------------------------------------------------------------

    @work(exclusive=True, group="runbook-watcher", exit_on_error=False)
    async def _watch_runbooks(self) -> None:
        """Load the runbook library, then reload what changes on disk while the screen is
        open (parsing runs on a thread; a broken save keeps the last good version)."""
        import asyncio

        from warroom.runbooks.library import RunbookLibrary, default_sources
        from warroom.runbooks.watcher import RunbookWatcher

        sources = default_sources(self.config.paths, self.config.runbook_dirs)
        library = RunbookLibrary(sources, [phase.id for phase in self.config.policy.phases])
        loaded = await asyncio.to_thread(library.load)
        self.post_message(RunbooksChanged(loaded.catalog))
        async for reload in RunbookWatcher(library).reloads():
            for problem in reload.problems:
                self.notify(str(problem), title="runbook", severity="warning", markup=False)
            self.post_message(RunbooksChanged(reload.catalog))

    def on_runbooks_changed(self, message: RunbooksChanged) -> None:
        for screen in self._war_rooms():
            screen.show_catalog(message.catalog)

    # -- sync ----------------------------------------------------------------------------

    def _start_sync(self) -> None:
        """Sync in the background when a server is configured (see ``sync_worker``)."""
        config = self.config
        if not (config.server and config.token):
            self._start_delivery()
            return
        from warroom.tui.sync_worker import SyncLink

        self._sync = SyncLink(config.paths.database, config.server, config.token, self.post_message)
        self.run_worker(self._sync.run, thread=True, group="sync", exit_on_error=False)

    def _start_delivery(self) -> None:
        """A room without a server sends its own notices (see ``delivery_worker``)."""
        from warroom.notify.channels import CHANNELS_FILE
        from warroom.tui.delivery_worker import DeliveryLink

        if self.read_only or not (self.config.paths.data / CHANNELS_FILE).is_file():
            return

        def warn(text: str) -> None:
            self.call_from_thread(self.notify, text, severity="warning", markup=False)

        self._delivery = DeliveryLink(self.config, warn)
        self.run_worker(self._delivery.run, thread=True, group="deliver", exit_on_error=False)

    def on_unmount(self) -> None:
        if self._sync is not None:
            self._sync.stop()
        if self._delivery is not None:
            self._delivery.stop()
        if self._ladder is not None:
            self._ladder.stop()

    # -- the escalation ladder -----------------------------------------------------------

    def _start_ladder(self) -> None:
        """Run the ladder on a thread in a solo session (see ``ladder_worker``)."""
        config = self.config
        if not config.ladder or self._ladder is not None:
            return
        from warroom.tui.ladder_worker import LadderLoop

        self._ladder = LadderLoop(
            config.paths.database, config.policy, config.clock, self.post_message
        )
        self.run_worker(self._ladder.run, thread=True, group="ladder", exit_on_error=False)

    def on_ladder_fired(self, message: "LadderFired") -> None:
        for fired in message.fired:
            self.notify(
                f"{fired.action} {fired.target} — {fired.step} on {fired.incident_id}"
                " (recorded; due to go out)",
                title="ESCALATION",
                severity="warning",
                markup=False,
                timeout=15,
            )

    def on_recorded(self, message: Message) -> None:
        """A change of ours is in the local store: push it now, not at the next poll."""
        if self._sync is not None:
            self._sync.wake()

    def on_unsent(self, message: "Unsent") -> None:
        for screen in self._war_rooms():
            screen.show_unsent(message.ids)

    def on_refused(self, message: "Refused") -> None:
        for entry in message.entries:
            self.notify(
                f"{entry.kind} by {entry.actor}: {entry.reason}",
                title="REJECTED by the server (kept, not in the record)",
                severity="error",
                markup=False,
                timeout=15,
            )

    def on_sync_state(self, message: "SyncState") -> None:
        """The sync worker's report (see ``messages.SyncState``), for the status strip."""
        for screen in self._war_rooms():
            screen.show_sync(message.state, message.detail, message.short)

    def _war_rooms(self) -> list["WarRoomScreen"]:
        from warroom.tui.screens.main import WarRoomScreen

        return [screen for screen in self.screen_stack if isinstance(screen, WarRoomScreen)]

    async def on_layouts_changed(self, message: LayoutsChanged) -> None:
        self.layouts = message.layouts
        for problem in message.layouts.problems:
            self.notify(problem, title="layout", severity="warning", markup=False, timeout=10)
        for screen in self._war_rooms():
            await screen.reload_layout()
