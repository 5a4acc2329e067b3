"""The war-room screen: status strip, the layout's panes, the entry bar, the ``:`` line.

The screen owns the open incident: it starts the store threads, keeps the latest folded
state they send, hands it to the panes, and turns keys, commands and entries into
``WarRoom`` calls run on the writer thread — the only way anything changes.
"""

from collections.abc import Callable, Sequence
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Container, Horizontal, Vertical
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import ContentSwitcher, Footer, Input

from warroom.core.errors import InvalidInput, WarroomError
from warroom.tui import keymap
from warroom.tui import messages as msg
from warroom.tui.commands import PaletteEntry, ParsedCommand, command_names, parse_command
from warroom.tui.entry import parse_entry
from warroom.tui.layouts import Layout, Section, choose
from warroom.tui.render import safe
from warroom.tui.rows import TimelineFilter
from warroom.tui.step_runner import CommandRan, StepRun, outcome_notice, prepare, run_in_thread
from warroom.tui.store_worker import StoreLink
from warroom.tui.widgets.checklist import ChecklistPane
from warroom.tui.widgets.command_line import CommandLine
from warroom.tui.widgets.cursor_view import CursorView
from warroom.tui.widgets.entry_bar import EntryBar
from warroom.tui.widgets.roles import RolesPane
from warroom.tui.widgets.runbook import ACTIONS as READING_ACTIONS
from warroom.tui.widgets.runbook import RunbookPane
from warroom.tui.widgets.status_strip import StatusStrip
from warroom.tui.widgets.text_pane import TextPane
from warroom.tui.widgets.timeline import Timeline, TimelineData

if TYPE_CHECKING:
    from warroom.actions import WarRoom
    from warroom.core.events import Event
    from warroom.core.state import IncidentState
    from warroom.runbooks.library import Catalog
    from warroom.tui.app import WarroomApp

PANE_TYPES: dict[str, type[CursorView]] = {
    "timeline": Timeline,
    "roles": RolesPane,
    "checklist": ChecklistPane,
    "runbook": RunbookPane,
}


class EntryRequest:
    """A scribe's entry on its way to the store; given back to the bar if refused."""

    def __init__(self, text: str) -> None:
        self.text = text


class WarRoomScreen(Screen):
    CSS_PATH = "../warroom.tcss"
    """The look of every screen but the boot screen (which must not wait for parsing it)."""
    BINDINGS = keymap.bindings(keymap.SCREEN)
    AUTO_FOCUS = None  # the layout says where the keyboard starts
    app: "WarroomApp"

    def __init__(self, draft: str = "") -> None:
        """``draft``: text typed into the boot screen's entry bar, to carry on with."""
        super().__init__()
        self._draft = draft
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
        self.running: dict[str, StepRun] = {}
        """Step commands running now, by their ``slot``."""

    # -- building ------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield StatusStrip(id="status")
        yield Container(id="body")
        yield CommandLine(self.choices, id="command")
        yield EntryBar(self.app.now, id="entry")
        yield Footer()

    async def on_mount(self) -> None:
        config = self.app.config
        self.query_one(EntryBar).display = not config.read_only
        self.link = StoreLink(config.paths.database, config.policy, config.actor, self.post_message)
        self.run_worker(self.link.read_loop, thread=True, group="store-read", exit_on_error=False)
        if not config.read_only:
            self.run_worker(
                self.link.write_loop, thread=True, group="store-write", exit_on_error=False
            )
        self.link.open(config.incident)
        self.layout_forced = config.layout_forced
        await self.apply_layout(config.layout)
        if self._draft and not config.read_only:
            self.action_focus_entry()
            entry = self.query_one(EntryBar).input
            entry.value = self._draft
            entry.cursor_position = len(self._draft)
        self.set_interval(1.0, self._tick)

    async def apply_layout(self, name: str | None, *, forced: bool | None = None) -> None:
        """Show a layout by name (falling back to the default) and rebuild the panes.

        The new panes are mounted and focused before this returns, so a key pressed
        right after a layout change already reaches the right pane."""
        if forced is not None:
            self.layout_forced = forced
        if name is not None:
            self.chosen_layout = name
        size = self.app.size
        layout = choose(
            self.app.layouts,
            self.chosen_layout,
            forced=self.layout_forced,
            width=size.width,
            height=size.height,
        )
        if layout == self.current_layout:
            return
        self.current_layout = layout
        self.app.apply_theme(layout)
        body = self.query_one("#body", Container)
        await body.remove_children()
        body.styles.layout = "horizontal" if layout.split == "columns" else "vertical"
        await body.mount_all(self._section(section, layout) for section in layout.sections)
        self.query_one(StatusStrip).compact = layout.status == "compact"
        self.query_one(Footer).display = layout.footer
        self._show_state()
        if layout.focus == "entry" and not self.app.read_only:
            self.action_focus_entry()
        else:
            self._focus_main_pane()

    def _focus_main_pane(self) -> None:
        """The layout's starting pane, or its first one when it does not show that pane."""
        layout = self.current_layout
        if layout is not None:
            start = layout.focus if layout.focus in layout.panes else layout.panes[0]
            self.action_focus_pane(start)

    async def reload_layout(self) -> None:
        """The layout files changed: show the chosen layout's new definition."""
        await self.apply_layout(None)

    def _section(self, section: Section, layout: Layout) -> Widget:
        columns = layout.split == "columns"
        panes = [self._pane(ref.pane, ref.size, columns) for ref in section.panes]
        if section.stack:
            for pane in panes:  # say how to reach the panes stacked behind this one
                others = [p for p in panes if p is not pane]
                hint = " · ".join(f"{p.digit} {p.title.lower()}" for p in others)
                pane.border_subtitle = Text(hint, style="dim")
            container: Widget = ContentSwitcher(*panes, initial=panes[0].id, classes="section")
        elif columns:
            container = Vertical(*panes, classes="section")
        else:
            container = Horizontal(*panes, classes="section")
        if columns:
            container.styles.width = section.size
        else:
            container.styles.height = section.size
        container.set_class("timeline" in (ref.pane for ref in section.panes), "-timeline")
        return container

    def _pane(self, name: str, size: str, columns: bool) -> Widget:
        if name == "timeline":
            pane: Widget = Timeline(self.timeline_data, id="pane-timeline", classes="pane")
        else:
            pane = PANE_TYPES[name](id=f"pane-{name}", classes="pane")
        if columns:
            pane.styles.height = size
        else:
            pane.styles.width = size
        return pane

    async def on_resize(self) -> None:
        if not self.layout_forced:
            await self.apply_layout(None)

    # -- what the panes show -------------------------------------------------------------

    @property
    def incident_id(self) -> str | None:
        return self.state.id if self.state else None

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
        opened = (state.id, message.seqs, message.stamps, message.rows, state.fixes)
        self._timeline_target().load(*opened)
        self._show_state()

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
            else:
                self.open_declare_form()

    def show_unsent(self, ids: frozenset[str]) -> None:
        """Mark the entries the sync server has not acknowledged yet."""
        target = self._timeline_target()
        if isinstance(target, Timeline):
            target.mark_unsent(ids)
        else:
            target.unsent = ids

    @on(msg.Recorded)
    def _recorded(self, message: msg.Recorded) -> None:
        event = message.event
        if event.kind == "declaration":
            self.link.open(event.incident_id)
            self.app.notify(f"Declared {event.incident_id}", timeout=3)
        elif isinstance(message.request, StepRun):
            text, severity = outcome_notice(event)
            self.app.notify(text, severity=severity, markup=False, timeout=15)

    @on(msg.Rejected)
    def _rejected(self, message: msg.Rejected) -> None:
        if isinstance(message.request, EntryRequest):
            self.query_one(EntryBar).refused(message.request.text, message.message)
        self.app.notify(message.message, severity="error", markup=False, timeout=6)

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
        if message.action == "details":
            from warroom.tui.screens.detail import EntryDetail

            fix = self.timeline_data.fixes.get(message.row.id)
            self.app.push_screen(EntryDetail(message.row, fix), self._detail_closed)
        elif message.row.rejected is not None:
            self.app.notify(
                "the server rejected this entry, so it is not in the record: nothing to"
                " amend (log it again if it still matters)",
                severity="warning",
                timeout=6,
            )
        else:
            self.open_command_line(f"{message.action} {message.row.id} ")

    def _detail_closed(self, action: str | None) -> None:
        if action:
            self.open_command_line(action)

    @on(EntryBar.Submit)
    def _entry(self, message: EntryBar.Submit) -> None:
        text = message.text
        if text.lstrip().startswith(":"):
            self.run_command(text.lstrip()[1:])
            return
        bar = self.query_one(EntryBar)
        incident_id = self.incident_id
        if incident_id is None:
            bar.refused(text, "no incident is open: declare one with :declare")
            return
        now = self.app.now()
        try:
            draft = parse_entry(text, now)
        except InvalidInput as exc:
            bar.refused(text, str(exc))
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

    @on(TextPane.Act)
    def _pane_act(self, message: TextPane.Act) -> None:
        state = self.state
        if state is None:
            return
        key = message.key
        if message.action == "check":
            phase, item = key.split("/", 1)
            checked = not state.is_checked(phase, item)
            self.write(message, lambda room, at: room.check(state.id, key, checked=checked, at=at))
        elif message.action == "accept":
            self.write(message, lambda room, at: room.accept_handoff(state.id, key, at=at))
        elif message.action in ("step claim", "step start", "step done"):
            step = message.action.split()[1]
            self.write(message, lambda room, at: room.mark_step(state.id, key, step, at=at))
        elif message.action == "step run":
            try:
                self.ask_to_run(key)
            except WarroomError as exc:
                self._refused(exc)
        elif message.action in READING_ACTIONS:
            from warroom.tui.screens.step_detail import open_reading

            open_reading(self, message.action, key)
        else:  # assign, handoff, a step failed or skipped: the : line asks for the rest
            self.open_command_line(f"{message.action} {key} ")

    # -- writing -------------------------------------------------------------------------

    def write(self, request: object, change: Callable[["WarRoom", datetime], "Event"]) -> None:
        """Send a change to the writer thread (refused at once when read-only).

        ``change`` gets the time it is made — the app's clock, so tests can fix it.
        """
        if self.app.read_only:
            self.app.notify("read-only: this screen cannot change the record", severity="warning")
            return
        at = self.app.now()
        self.link.write(request, lambda room: change(room, at))

    # -- running a step's command ---------------------------------------------------------

    def ask_to_run(self, step_ref: str, block: int = 1) -> None:
        """Show a step's pinned command and run it once confirmed (``r``, ``:step run``)."""
        if self.app.read_only:
            raise InvalidInput("read-only: this screen cannot run a step's command")
        self._require_incident()
        run = prepare(self.app.config.policy, self.state, self.catalog, step_ref, block)
        if run.slot in self.running:
            raise InvalidInput(f"the command of {run.key} is still running")
        from warroom.tui.screens.run_step import ConfirmRun

        self.app.push_screen(ConfirmRun(run), partial(self._confirmed, run))

    def _confirmed(self, run: StepRun, confirmed: bool | None) -> None:
        if not confirmed:
            self.app.notify(f"not confirmed; {run.key} was not run", timeout=3)
            return
        self.running[run.slot] = run
        self._show_state()
        self.app.notify(f"running {run.key}… (stopped after {run.timeout} s)", timeout=4)
        work = partial(run_in_thread, run, self.post_message)
        self.run_worker(work, thread=True, group="step-run", exit_on_error=False)

    @on(CommandRan)
    def _command_ran(self, message: CommandRan) -> None:
        run, outcome = message.run, message.outcome
        self.running.pop(run.slot, None)
        self._show_state()
        if outcome is None:
            self.app.notify(message.error, severity="error", markup=False, timeout=10)
            return
        self.write(
            run,
            lambda room, at: room.record_command_run(
                run.incident_id, run.runbook_id, run.step.id, run.command, outcome
            ),
        )

    # -- commands ------------------------------------------------------------------------

    def choices(self, source: str) -> Sequence[str]:
        """Completion values for a command argument source (see ``commands``); values that
        could not be typed (control characters from a hostile client) are left out."""
        return [value for value in self._choices(source) if value.isprintable()]

    def _choices(self, source: str) -> Sequence[str]:
        policy = self.app.config.policy
        state = self.state
        people = sorted({t.person for t in state.tenures}) if state else []
        match source:
            case "command":
                return command_names(read_only=self.app.read_only)
            case "severity":
                return [s.name for s in policy.severities]
            case "status":
                return list(policy.statuses)
            case "phase":
                return [p.id for p in policy.phases]
            case "type":
                return list(policy.incident_types)
            case "role":
                return [r.id for r in policy.roles]
            case "held_role":
                return sorted({t.role for t in state.tenures if t.active}) if state else []
            case "pending_role":
                return sorted({h.role for h in state.pending_handoffs()}) if state else []
            case "person" | "holder":
                return people
            case "item":
                return [f"{p.id}/{i.id}" for p in policy.phases for i in p.items]
            case "checked_item":
                return sorted(k for k, m in state.checklist.items() if m.checked) if state else []
            case "incident":
                return [s.id for s in self.incidents]
            case "layout":
                return sorted(self.app.layouts.by_name)
            case "runbook":
                return sorted(self.catalog.entries) if self.catalog else []
            case "step_action":
                from warroom.core.events import STEP_ACTIONS

                return [*STEP_ACTIONS, "run"]
            case "step":
                from warroom.core.runbook import walk_steps

                runbooks = state.runbooks.values() if state else ()
                return [f"{p.runbook_id}/{s.id}" for p in runbooks for s in walk_steps(p.steps)]
        return []

    def run_command(self, line: str) -> None:
        try:
            parsed = parse_command(line)
            if parsed.spec.mutating and self.app.read_only:
                name = parsed.spec.name
                raise InvalidInput(f":{name} changes the record; this screen is read-only")
            getattr(self, f"_cmd_{parsed.spec.name}")(parsed)
        except WarroomError as exc:
            self._refused(exc)

    def _refused(self, exc: WarroomError) -> None:
        self.app.notify(str(exc), severity="error", markup=False, timeout=6)

    def run_palette_entry(self, entry: PaletteEntry) -> None:
        if entry.run:
            self.run_command(entry.line)
        else:
            self.open_command_line(entry.line)

    def _require_incident(self) -> str:
        if self.incident_id is None:
            raise InvalidInput("no incident is open: declare one with :declare")
        return self.incident_id

    def _cmd_severity(self, cmd: ParsedCommand) -> None:
        iid, level, reason = self._require_incident(), cmd.arg(0, "severity"), cmd.optional(1)
        self.write(cmd, lambda room, at: room.set_severity(iid, level, reason, at=at))

    def _cmd_status(self, cmd: ParsedCommand) -> None:
        iid, status, reason = self._require_incident(), cmd.arg(0, "status"), cmd.optional(1)
        self.write(cmd, lambda room, at: room.set_status(iid, status, reason, at=at))

    def _cmd_phase(self, cmd: ParsedCommand) -> None:
        iid, phase = self._require_incident(), cmd.arg(0, "phase")
        self.write(cmd, lambda room, at: room.set_phase(iid, phase, at=at))

    def _cmd_assign(self, cmd: ParsedCommand) -> None:
        iid, role, person = self._require_incident(), cmd.arg(0, "role"), cmd.arg(1, "person")
        self.write(cmd, lambda room, at: room.assign(iid, role, person, at=at))

    def _cmd_release(self, cmd: ParsedCommand) -> None:
        iid, role, person = self._require_incident(), cmd.arg(0, "role"), cmd.arg(1, "person")
        self.write(cmd, lambda room, at: room.release(iid, role, person, at=at))

    def _cmd_handoff(self, cmd: ParsedCommand) -> None:
        iid, role, person = self._require_incident(), cmd.arg(0, "role"), cmd.arg(1, "person")
        self.write(cmd, lambda room, at: room.handoff(iid, role, person, at=at))

    def _cmd_accept(self, cmd: ParsedCommand) -> None:
        iid, role = self._require_incident(), cmd.optional(0) or "commander"
        self.write(cmd, lambda room, at: room.accept_handoff(iid, role, at=at))

    def _cmd_check(self, cmd: ParsedCommand) -> None:
        iid, item, note = self._require_incident(), cmd.arg(0, "item"), cmd.optional(1)
        self.write(cmd, lambda room, at: room.check(iid, item, note=note, at=at))

    def _cmd_uncheck(self, cmd: ParsedCommand) -> None:
        iid, item = self._require_incident(), cmd.arg(0, "item")
        self.write(cmd, lambda room, at: room.check(iid, item, checked=False, at=at))

    def _cmd_attach(self, cmd: ParsedCommand) -> None:
        iid, name = self._require_incident(), cmd.arg(0, "runbook")
        if self.catalog is None:
            raise InvalidInput("the runbooks are still loading; try again in a moment")
        runbook = self.catalog.get(name).runbook
        self.write(cmd, lambda room, at: room.attach_runbook(iid, runbook, at=at))

    def _cmd_step(self, cmd: ParsedCommand) -> None:
        iid, action = self._require_incident(), cmd.arg(0, "action").lower()
        step, note = cmd.arg(1, "step"), cmd.optional(2)
        if action == "run":  # the third word picks one of several commands
            if note and not note.isdigit():
                raise InvalidInput(f"which of the step's commands: a number, not {note!r}")
            self.ask_to_run(step, int(note or 1))
            return
        self.write(cmd, lambda room, at: room.mark_step(iid, step, action, note=note, at=at))

    def _cmd_correct(self, cmd: ParsedCommand) -> None:
        iid, entry, text = self._require_incident(), cmd.arg(0, "entry id"), cmd.arg(1, "text")
        self.write(cmd, lambda room, at: room.correct(iid, entry, text, at=at))

    def _cmd_retract(self, cmd: ParsedCommand) -> None:
        iid, entry, reason = self._require_incident(), cmd.arg(0, "entry id"), cmd.arg(1, "reason")
        self.write(cmd, lambda room, at: room.correct(iid, entry, reason, retract=True, at=at))

    def _cmd_escalate(self, cmd: ParsedCommand) -> None:
        iid, target, reason = self._require_incident(), cmd.arg(0, "target"), cmd.optional(1)
        self.write(cmd, lambda room, at: room.escalate(iid, target, reason, at=at))

    def _cmd_declare(self, cmd: ParsedCommand) -> None:
        words = cmd.rest.split()
        policy = self.app.config.policy
        severity, kind = policy.severities[0].name, policy.incident_types[0]
        if words and words[0].lower() in {s.name.lower() for s in policy.severities}:
            severity = words.pop(0)
        if words and words[0].lower() in {t.lower() for t in policy.incident_types}:
            kind = words.pop(0)
        if not words:
            self.open_declare_form(severity=severity, incident_type=kind)
            return
        self.declare(" ".join(words), severity, kind, [])

    def _cmd_switch(self, cmd: ParsedCommand) -> None:
        ref = cmd.optional(0)
        if ref:
            self.link.open(ref)
        else:
            self.action_switch_incident()

    def _cmd_layout(self, cmd: ParsedCommand) -> None:
        name = cmd.arg(0, "layout name")
        if name not in self.app.layouts.by_name:
            known = ", ".join(sorted(self.app.layouts.by_name))
            raise InvalidInput(f"unknown layout {name!r}; layouts: {known}")
        self.call_later(self.apply_layout, name, forced=True)

    def _cmd_filter(self, cmd: ParsedCommand) -> None:
        if cmd.rest:
            self.set_filter(cmd.rest)
        else:
            self.action_filter()

    def _cmd_help(self, cmd: ParsedCommand) -> None:
        self.app.action_help()

    def _cmd_quit(self, cmd: ParsedCommand) -> None:
        self.app.exit()

    def declare(self, title: str, severity: str, kind: str, services: list[str]) -> None:
        self.write(
            "declare",
            lambda room, at: room.declare(
                title, severity=severity, incident_type=kind, services=services, at=at
            ),
        )

    def set_filter(self, query: str) -> None:
        timeline = self._timeline()
        if timeline is None:
            self.app.notify("this layout has no timeline", severity="warning")
            return
        timeline.set_filter(TimelineFilter.parse(query))

    # -- actions (keys) ------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in keymap.YIELD_TO_TYPING and isinstance(self.focused, Input):
            return False  # a character for the input, not a command to the screen
        return not (self.app.read_only and action in keymap.MUTATING)

    # Focus moves with ``set_focus`` rather than ``widget.focus()``: the latter is deferred,
    # so keys typed right after ``i`` or ``:`` (a fast typist, a paste, tmux) would still
    # go to the widget that had focus before.

    def open_command_line(self, text: str = "", mode: str = ":") -> None:
        self._focus_before = self.focused
        self.query_one(CommandLine).open(mode, text)

    def _restore_focus(self) -> None:
        previous = getattr(self, "_focus_before", None)
        if previous is not None and previous.is_attached and previous.display:
            self.set_focus(previous)
        else:
            self._focus_main_pane()

    def action_command_line(self) -> None:
        self.open_command_line()

    def action_filter(self) -> None:
        timeline = self._timeline()
        current = timeline.data.query if timeline else None
        text = ""
        if current is not None and current.active:
            kinds = ",".join(sorted(current.kinds))
            text = f"{kinds}: {current.text}" if kinds else current.text
        self.open_command_line(text, mode="/")

    def action_focus_entry(self) -> None:
        if self.app.read_only:
            return
        self.set_focus(self.query_one(EntryBar).input)

    def action_focus_pane(self, name: str) -> None:
        try:
            pane = self.query_one(f"#pane-{name}")
        except NoMatches:
            self.app.notify(f"the {self.current_layout.name} layout has no {name} pane", timeout=3)
            return
        switcher = pane.parent
        if isinstance(switcher, ContentSwitcher):
            switcher.current = pane.id
        self.set_focus(pane)

    def action_switch_incident(self) -> None:
        from warroom.tui.screens.picker import IncidentPicker

        self.app.push_screen(IncidentPicker(self.incidents, self.incident_id), self._picked)

    def _picked(self, choice: str | None) -> None:
        from warroom.tui.screens.picker import NEW_INCIDENT

        if choice == NEW_INCIDENT:
            self.open_declare_form()
        elif choice:
            self.link.open(choice)

    def open_declare_form(
        self, severity: str | None = None, incident_type: str | None = None
    ) -> None:
        if self.app.read_only:
            self.query_one(StatusStrip).show_message(
                Text("No incident here yet, and this screen is read-only.", style="bold")
            )
            return
        from warroom.tui.screens.declare import DeclareForm

        form = DeclareForm(self.app.config.policy, severity, incident_type)
        self.app.push_screen(form, self._declared)

    def _declared(self, result: tuple[str, str, str, list[str]] | None) -> None:
        if result is not None:
            self.declare(*result)

    async def action_next_layout(self) -> None:
        names = sorted(self.app.layouts.by_name)
        current = self.current_layout.name if self.current_layout else names[0]
        following = names[(names.index(current) + 1) % len(names)] if current in names else names[0]
        await self.apply_layout(following, forced=True)
        self.app.notify(f"layout {following}", timeout=2)

    def action_help(self) -> None:
        self.app.action_help()

    def action_quit(self) -> None:
        self.app.exit()
