"""The ``:`` line's commands, run against the open incident (the war-room screen's part).

``parse_command`` (``warroom.tui.commands``) turns a line into a command; this mixin runs
it: each ``_cmd_NAME`` gathers its arguments and sends one ``WarRoom`` call to the writer
thread through ``write``. ``choices`` feeds the completion from the policy and the state.
"""

from collections.abc import Sequence
from typing import TYPE_CHECKING

from warroom.core.errors import InvalidInput, WarroomError
from warroom.tui.commands import PaletteEntry, ParsedCommand, command_names, parse_command
from warroom.tui.rows import TimelineFilter
from warroom.tui.screens.followups import FOLLOWUP_VERBS

if TYPE_CHECKING:
    from warroom.core.state import IncidentState
    from warroom.runbooks.library import Catalog
    from warroom.templates.library import TemplateLibrary
    from warroom.tui import messages as msg
    from warroom.tui.host import WarroomHost
    from warroom.tui.store_worker import StoreLink


class CommandDispatch:
    """Runs ``:`` commands and palette picks; mixed into ``WarRoomScreen``, whose
    ``write``, ``ask_to_run``, focus and form methods it calls."""

    app: "WarroomHost"
    state: "IncidentState | None"
    incidents: "list[msg.IncidentSummary]"
    catalog: "Catalog | None"
    link: "StoreLink | None"
    _notice_templates: "TemplateLibrary | None"

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
            case "item":  # the items still to do first: those are the ones being checked
                items = [(p.id, i.id) for p in policy.phases for i in p.items]
                done = {item for item in items if state and state.is_checked(*item)}
                return [f"{p}/{i}" for p, i in sorted(items, key=lambda item: item in done)]
            case "checked_item":
                return sorted(k for k, m in state.checklist.items() if m.checked) if state else []
            case "undelivered":
                from warroom.core.delivery import undelivered

                return [r.delivery_id[:12] for r in undelivered(state)] if state else []
            case "incident":
                return [s.id for s in self.incidents]
            case "layout":
                return sorted(self.app.layouts.by_name)
            case "runbook":
                return sorted(self.catalog.entries) if self.catalog else []
            case "audience":
                return list(policy.audiences)
            case "template":
                templates = self._notice_templates
                return sorted(templates.by_name) if templates else []
            case "notice":
                return list(state.notices) if state else []
            case "followup_action":
                return list(FOLLOWUP_VERBS)
            case "outcome":
                return ["confirmed", "ruled-out"]
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

    def _cmd_reopen(self, cmd: ParsedCommand) -> None:
        iid, reason = self._require_incident(), cmd.arg(0, "reason")
        self.write(cmd, lambda room, at: room.reopen(iid, reason, at=at))

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

    def _cmd_retry(self, cmd: ParsedCommand) -> None:
        iid, delivery = self._require_incident(), cmd.arg(0, "delivery id")
        self.write(cmd, lambda room, at: room.retry_delivery(iid, delivery))

    def _cmd_ack(self, cmd: ParsedCommand) -> None:
        iid = self._require_incident()
        self.write(cmd, lambda room, at: room.acknowledge(iid, at=at))

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

    def _cmd_postmortem(self, cmd: ParsedCommand) -> None:
        from warroom.tui.screens.postmortem import PostmortemView

        config = self.app.config
        view = PostmortemView(
            config.paths.database,
            config.paths.data,
            config.policy,
            self._require_incident(),
            cmd.rest.strip() or None,
        )
        self.app.push_screen(view)

    def _cmd_report(self, cmd: ParsedCommand) -> None:
        from warroom.core.timeparse import utcnow
        from warroom.tui.screens.report import DEFAULT_SINCE, ReportView

        config = self.app.config
        since = cmd.rest.strip() or DEFAULT_SINCE
        self.app.push_screen(ReportView(config.paths.database, config.policy, since, utcnow()))

    def _cmd_help(self, cmd: ParsedCommand) -> None:
        self.app.action_help()

    def _cmd_quit(self, cmd: ParsedCommand) -> None:
        self.action_quit()  # asks first when something is at stake (``quit_guard``)

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
