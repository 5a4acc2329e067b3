"""The war-room screen's "learning after" commands: ``:factor``, ``:outcome``,
``:followup`` (change an action item) and the ``:actions`` / ``:risks`` views.

Mixed into ``WarRoomScreen``; each change goes to the writer thread through ``write``,
like every other command (``screens.dispatch``).
"""

from typing import TYPE_CHECKING, NoReturn

from warroom.core.errors import InvalidInput
from warroom.tui.screens.followups_view import ACTIONS, RISKS, FollowUpsView

if TYPE_CHECKING:
    from warroom.tui.commands import ParsedCommand
    from warroom.tui.host import WarroomHost

FOLLOWUP_VERBS = ("done", "in-progress", "open", "wont-do", "reassign", "redate")
_STATUSES = {"done": "done", "in-progress": "in_progress", "open": "open", "wont-do": "wont_do"}


class FollowUpCommands:
    """``_cmd_`` methods for the commands above; see ``CommandDispatch``."""

    app: "WarroomHost"

    def _cmd_factor(self, cmd: "ParsedCommand") -> None:
        iid, text = self._require_incident(), cmd.arg(0, "text")
        self.write(cmd, lambda room, at: room.log(iid, text, kind="contributing_factor", at=at))

    def _cmd_outcome(self, cmd: "ParsedCommand") -> None:
        iid, hypothesis = self._require_incident(), cmd.arg(0, "hypothesis id")
        outcome, reason = cmd.arg(1, "outcome"), cmd.optional(2)
        self.write(
            cmd, lambda room, at: room.hypothesis_outcome(iid, hypothesis, outcome, reason, at=at)
        )

    def _cmd_followup(self, cmd: "ParsedCommand") -> None:
        from warroom.core.followups import parse_due

        verb = cmd.arg(0, "change").lower()
        incident, item, value = cmd.arg(1, "incident"), cmd.arg(2, "item id"), cmd.optional(3)
        changes: dict[str, object] = {}
        reason = ""
        if verb in _STATUSES:
            changes["status"], reason = _STATUSES[verb], value
        elif verb == "reassign":
            changes["owner"] = value or _missing("who takes it over")
        elif verb == "redate":
            changes["due"] = parse_due(value or _missing("the new due date"), self.app.now())
        else:
            raise InvalidInput(f"unknown change {verb!r}; one of {', '.join(FOLLOWUP_VERBS)}")
        self.write(
            cmd,
            lambda room, at: room.update_action_item(
                incident, item, reason=reason, at=at, **changes
            ),
        )

    def _cmd_actions(self, cmd: "ParsedCommand") -> None:
        self._open_followups(ACTIONS)

    def _cmd_risks(self, cmd: "ParsedCommand") -> None:
        self._open_followups(RISKS)

    def _open_followups(self, mode: str) -> None:
        config = self.app.config
        view = FollowUpsView(mode, config.paths.database, config.policy.risks, self.app.now())
        self.app.push_screen(view, self._followups_closed)

    def _followups_closed(self, line: str | None) -> None:
        if line:
            self.open_command_line(line)


def _missing(what: str) -> NoReturn:
    raise InvalidInput(f"say {what} after the item id")
