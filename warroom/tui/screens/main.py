"""The war-room screen: status strip, the layout's panes, the entry bar, the ``:`` line.

The screen owns the open incident: it starts the store threads, keeps the latest folded
state they send, hands it to the panes, and turns keys, commands and entries into
``WarRoom`` calls run on the writer thread — the only way anything changes.

This module builds the screen and answers the store threads and the widgets; its other
parts are mixed in from their own modules: ``dispatch`` (the ``:`` commands), ``keys``
(screen keys, focus), ``pane_keys`` (a pane's record keys, typing into a pane),
``layout_panes`` (the layout and its panes), ``quit_guard``, ``step_runs`` (running a
step's command) and ``sync_display`` (what the sync worker reports).
"""

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Container
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widgets import Footer

from warroom.tui import keymap
from warroom.tui import messages as msg
from warroom.tui.layouts import Layout
from warroom.tui.render import safe
from warroom.tui.screens.dispatch import CommandDispatch
from warroom.tui.screens.followups import FollowUpCommands
from warroom.tui.screens.keys import KeyHandling
from warroom.tui.screens.layout_panes import LayoutPanes
from warroom.tui.screens.notice_flow import NoticeFlow, NoticeRequest
from warroom.tui.screens.pane_keys import PaneKeys
from warroom.tui.screens.quit_guard import QuitGuard
from warroom.tui.screens.reading import Reading
from warroom.tui.screens.step_runs import StepRuns
from warroom.tui.screens.sync_display import SyncDisplay
from warroom.tui.step_runner import StepRun, outcome_notice
from warroom.tui.store_worker import StoreLink
from warroom.tui.widgets.checklist import ChecklistPane
from warroom.tui.widgets.command_line import CommandLine
from warroom.tui.widgets.confirm_line import ConfirmLine
from warroom.tui.widgets.entry_bar import EntryBar
from warroom.tui.widgets.roles import RolesPane
from warroom.tui.widgets.runbook import RunbookPane
from warroom.tui.widgets.status_strip import StatusStrip
from warroom.tui.widgets.timeline import Timeline, TimelineData

if TYPE_CHECKING:
    from warroom.actions import WarRoom
    from warroom.core.events import Event
    from warroom.core.state import IncidentState
    from warroom.runbooks.library import Catalog
    from warroom.tui.host import WarroomHost


class EntryRequest:
    """A scribe's entry on its way to the store; given back to the bar if refused."""

    def __init__(self, text: str) -> None:
        self.text = text


class WarRoomScreen(
    CommandDispatch,
    FollowUpCommands,
    KeyHandling,
    LayoutPanes,
    NoticeFlow,
    PaneKeys,
    QuitGuard,
    Reading,
    StepRuns,
    SyncDisplay,
    Screen,
):
    CSS_PATH = "../warroom.tcss"
    """The look of every screen but the boot screen (which must not wait for parsing it)."""
    BINDINGS = keymap.bindings(keymap.SCREEN + keymap.LADDER)
    AUTO_FOCUS = None  # the entry bar, set at once in on_mount (see there)
    app: "WarroomHost"

    def __init__(self, draft: str = "") -> None:
        """``draft``: text typed into the boot screen's entry bar, to carry on with."""
        super().__init__()
        self._draft = draft
        self.refusals_shown = {}
        self.state: IncidentState | None = None
        self.incidents: list[msg.IncidentSummary] = []
        self.timeline_data = TimelineData()
        self.current_layout: Layout | None = None
        self.chosen_layout: str | None = None
        """The layout the user asked for; a small terminal shows compact instead, until it
        grows again."""
        self.layout_forced = False
        self.link: StoreLink | None = None
        self.catalog: Catalog | None = None
        """The runbook library as last loaded (``None`` until the first load)."""
        self.opening: str | None = None
        """The incident whose tail is shown while the reader folds it."""
        self.running: dict[str, StepRun] = {}
        """Step commands running now, by their ``slot``."""

    # -- building ------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield StatusStrip(id="status")
        yield Container(id="body")
        yield CommandLine(self.choices, id="command")
        yield ConfirmLine(self.carry_typed, id="confirm")
        yield EntryBar(self.app.now, self.app.config.policy, self.choices, id="entry")
        yield Footer()

    def _say_why_read_only(self, reason: str | None) -> None:
        """A screen that opened read-only without being asked says why, and what was
        typed on the boot screen meanwhile is shown, not silently dropped."""
        if self._draft.strip():
            self.app.notify(
                f"not recorded, this screen is read-only: {self._draft}",
                severity="warning",
                markup=False,
                timeout=15,
            )
        if reason:
            self.app.notify(f"read-only: {reason}", severity="warning", markup=False, timeout=15)

    async def on_mount(self) -> None:
        """The entry bar has the keyboard, and the boot screen's draft, before anything
        else is done: keys typed while the incident opens land in it, in order."""
        config = self.app.config
        bar = self.query_one(EntryBar)
        bar.display = not config.read_only
        bar.disabled = config.read_only  # hidden is not enough: Textual's first focus took it
        if not config.read_only:
            self.set_focus(bar.input)
            bar.insert(self._draft)
        else:
            self._say_why_read_only(config.read_only_reason)
        self.link = StoreLink(config.paths.database, config.policy, config.actor, self.post_message)
        self.run_worker(self.link.read_loop, thread=True, group="store-read", exit_on_error=False)
        if not config.read_only:
            self.run_worker(
                self.link.write_loop, thread=True, group="store-write", exit_on_error=False
            )
        self.link.open(config.incident)
        self.layout_forced = config.layout_forced
        await self.apply_layout(config.layout)
        self.set_interval(1.0, self._tick)

    # -- what the panes show -------------------------------------------------------------

    @property
    def incident_id(self) -> str | None:
        """The open incident: folded, or still folding behind its tail (``Tail``)."""
        return self.state.id if self.state else self.opening

    def _show_state(self) -> None:
        strip = self.query_one(StatusStrip)
        if self.state is None:
            return
        now = self.app.now()
        policy = self.app.config.policy
        strip.update_from(policy, self.state, now)
        for pane in self.query(RolesPane):
            pane.update_from(policy, self.state, now)
        for pane in self.query(ChecklistPane):
            pane.update_from(policy, self.state)
        running = {run.key for run in self.running.values() if run.incident_id == self.state.id}
        for pane in self.query(RunbookPane):
            pane.update_from(self.state, self.catalog, running)

    def show_catalog(self, catalog: "Catalog") -> None:
        """The runbook library changed on disk: completions, and the "changed" notice."""
        self.catalog = catalog
        self._show_state()

    def _tick(self) -> None:
        self._show_state()

    def _timeline(self) -> Timeline | None:
        try:
            return self.query_one(Timeline)
        except NoMatches:
            return None

    def _timeline_target(self) -> "Timeline | TimelineData":
        """The timeline widget, or — in a layout without one — just its data, which the
        next layout with a timeline will show."""
        timeline = self._timeline()
        return timeline if timeline is not None else self.timeline_data

    # -- messages from the store threads -------------------------------------------------

    @on(msg.Loaded)
    def _loaded(self, message: msg.Loaded) -> None:
        self.call_after_refresh(self.app.start_watching)
        self.state = state = message.state
        self.opening = None
        opened = (state.id, message.seqs, message.stamps, message.rows, state.fixes)
        self._timeline_target().load(*opened)
        self._show_state()

    @on(msg.Tail)
    def _tail(self, message: msg.Tail) -> None:
        """A long incident's newest rows before its fold: shown at once, with its title;
        the entry bar writes to it already (the writer waits for the fold). The
        ``Loaded`` that follows replaces them whole, so no row is shown twice."""
        self.state, self.opening = None, message.incident_id
        tail = (message.incident_id, message.seqs, message.stamps, message.rows, {})
        self._timeline_target().load(*tail)
        strip = Text(f"{message.incident_id} · ", style="bold", end="")
        strip.append_text(safe(message.title, style="bold"))
        strip.append("  opening: folding the record…", style="dim")
        self.query_one(StatusStrip).show_message(strip)

    @on(msg.Changed)
    def _changed(self, message: msg.Changed) -> None:
        self.state = message.state
        self._timeline_target().add(message.rows, message.state.fixes)
        self._show_state()

    @on(msg.Rows)
    def _rows(self, message: msg.Rows) -> None:
        if message.incident_id == self.timeline_data.incident_id:
            self._timeline_target().keep(message.rows)

    @on(msg.Filtered)
    def _filtered(self, message: msg.Filtered) -> None:
        timeline = self._timeline()
        if timeline is not None:
            timeline.show_filtered(message.generation, message.seqs, message.stamps, message.rows)

    @on(msg.Incidents)
    def _incidents(self, message: msg.Incidents) -> None:
        self.incidents = message.incidents
        if message.choose:
            self.app.start_watching()
            if message.incidents:
                self.action_switch_incident()
            else:  # the strip said "opening the store…" behind the form, and after it
                no_incident = Text(
                    "warroom — no incident here yet · :declare declares one", style="bold"
                )
                self.query_one(StatusStrip).show_message(no_incident)
                self.open_declare_form(title=self.take_typed_ahead())

    @on(msg.Recorded)
    def _recorded(self, message: msg.Recorded) -> None:
        event = message.event
        if event.kind == "declaration":
            self.link.open(event.incident_id)
            self.app.notify(f"Declared {event.incident_id}", timeout=3)
        elif isinstance(message.request, NoticeRequest):
            self.notice_recorded(event)
        elif isinstance(message.request, StepRun):
            text, severity = outcome_notice(event)
            self.app.notify(text, severity=severity, markup=False, timeout=15)
            self.quit_when_settled(message.request)

    @on(msg.Rejected)
    def _rejected(self, message: msg.Rejected) -> None:
        if message.confirmed is not None:
            self._confirm_backdate(message)
            return
        if isinstance(message.request, EntryRequest):
            self.query_one(EntryBar).refused(message.request.text, message.message)
        elif isinstance(message.request, StepRun):
            self.quit_when_settled(message.request)
        elif isinstance(message.request, NoticeRequest):
            self.notice_refused(message.request)
        self.app.notify(message.message, severity="error", markup=False, timeout=6)

    def _confirm_backdate(self, message: msg.Rejected) -> None:
        """A time far before the declaration: record it only once the user says so; the
        scribe's text comes back to the bar if they do not."""
        request = message.request

        def not_recorded() -> None:  # after the answering key reached the bar, if it did
            if isinstance(request, EntryRequest):
                bar = self.query_one(EntryBar)
                self.call_later(bar.give_back, request.text, "not recorded: " + message.message)

        self.confirm(
            f"{message.message}. Record it anyway?",
            lambda: self.link.write(request, message.confirmed),
            no=not_recorded,
        )

    @on(msg.StoreFailed)
    def _store_failed(self, message: msg.StoreFailed) -> None:
        strip = self.query_one(StatusStrip)
        strip.show_message(safe(message.message, style="bold reverse"))
        self.app.notify(message.message, severity="error", markup=False, timeout=10)

    # -- messages from the widgets -------------------------------------------------------

    @on(Timeline.NeedRows)
    def _need_rows(self, message: Timeline.NeedRows) -> None:
        if self.timeline_data.incident_id:
            self.link.fetch(self.timeline_data.incident_id, message.seqs)

    @on(Timeline.RunFilter)
    def _run_filter(self, message: Timeline.RunFilter) -> None:
        if self.timeline_data.incident_id:
            self.link.filter(self.timeline_data.incident_id, message.generation, message.query)

    @on(Timeline.Chosen)
    def _chosen(self, message: Timeline.Chosen) -> None:
        from warroom.tui.screens.detail import EntryDetail

        fix = self.timeline_data.fixes.get(message.row.id)
        self.app.push_screen(EntryDetail(message.row, fix), self._detail_closed)

    def _detail_closed(self, action: str | None) -> None:
        if action:
            self.open_command_line(action)

    @on(EntryBar.Submit)
    def _entry(self, message: EntryBar.Submit) -> None:
        text, draft = message.text, message.draft
        if draft is None:
            self.run_command(text.lstrip()[1:])
            return
        incident_id = self.incident_id
        if incident_id is None:
            self.query_one(EntryBar).refused(text, "no incident is open: declare one with :declare")
            return
        self.write(
            EntryRequest(text),
            lambda room, at: room.log(
                incident_id,
                draft.text,
                kind=draft.kind,
                at=draft.at or at,
                audience=draft.audience,
                owner=draft.owner,
                stage=draft.stage,
            ),
        )

    def on_key(self, event) -> None:
        """A character that reached the screen itself — nothing had the focus yet (the
        screen is opening): it was meant for the entry bar."""
        if self.focused is None and event.is_printable and event.character:
            event.stop()
            self.type_into_entry(event.character)

    @on(EntryBar.Leave)
    def _entry_leave(self) -> None:
        if self._timeline() is not None:
            self.action_focus_pane("timeline")
        else:
            self._focus_main_pane()

    @on(CommandLine.Done)
    def _command_done(self, message: CommandLine.Done) -> None:
        command = self.query_one(CommandLine)
        command.close()
        self._restore_focus()
        if message.mode == "/":
            self.set_filter(message.text)
        elif message.text.strip():
            self.run_command(message.text)

    # -- writing -------------------------------------------------------------------------

    def write(self, request: object, change: Callable[["WarRoom", datetime], "Event"]) -> None:
        """Send a change to the writer thread (refused at once when read-only).

        ``change`` gets the time it is made — the app's clock, so tests can fix it.
        """
        if self.app.read_only:
            reason = self.app.config.read_only_reason or "this screen cannot change the record"
            self.refuse_read_only(f"read-only: {reason}")
            return
        at = self.app.now()
        self.link.write(request, lambda room: change(room, at))
