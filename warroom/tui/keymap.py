"""Every key the war room answers to, in one registry with stable ids.

Widgets build their ``BINDINGS`` from here, the help screen lists the bindings active
in the current context, and ``keymap`` in the configuration remaps any of them by id
(``keymap = { "pane.timeline" = "f5" }``) through Textual's ``App.set_keymap``. An id
is a promise: renaming one breaks users' configuration.

``mutating`` marks actions that change the record; ``--read-only`` disables them all in
one place (``WarroomApp.check_action``). Every mutating key of a pane says in ``guard``
how a stray press is kept off the record — it asks first (a one-line question, or the
``:`` line with the command typed in, which Enter runs) or it can be taken back by a new
entry — and the help screen shows that next to the key.

A pane's record keys are *priority* bindings that run on the screen
(``screen.pane_act``): the app runs them the moment the key arrives, before the keys
queued behind it are handed out, so the question has the focus before the next key
does. A character a pane has no key for goes to the entry bar (``CursorView``).
"""

from dataclasses import dataclass

from textual.binding import Binding


@dataclass(frozen=True)
class KeyAction:
    id: str
    keys: str
    action: str
    description: str
    show: bool = True
    mutating: bool = False
    priority: bool = False
    guard: str = ""
    """How a stray press of a record key is kept off the record (shown by ``?``)."""


APP = (
    KeyAction("app.quit", "ctrl+q", "quit", "Quit", show=False, priority=True),
    KeyAction("app.palette", "ctrl+p", "command_palette", "Palette", show=False, priority=True),
    KeyAction("app.help", "f1", "help", "Help", show=False, priority=True),
)

SCREEN = (
    KeyAction("screen.help", "question_mark", "help", "Help", priority=True),
    KeyAction("screen.command", "colon", "command_line", "Command", priority=True),
    KeyAction("screen.filter", "slash", "filter", "Filter", priority=True),
    KeyAction("screen.entry", "i", "focus_entry", "Entry", mutating=True, priority=True),
    KeyAction(
        "pane.timeline", "1", "focus_pane('timeline')", "Timeline", show=False, priority=True
    ),
    KeyAction("pane.roles", "2", "focus_pane('roles')", "Roles", show=False, priority=True),
    KeyAction(
        "pane.checklist", "3", "focus_pane('checklist')", "Checklist", show=False, priority=True
    ),
    KeyAction("pane.runbook", "4", "focus_pane('runbook')", "Runbook", show=False, priority=True),
    KeyAction("screen.switch", "f3", "switch_incident", "Incidents", show=False),
    KeyAction("screen.layout", "f2", "next_layout", "Layout", show=False),
    KeyAction("screen.quit", "q", "quit", "Quit", show=False, priority=True),
)
"""Screen keys are *priority* bindings: the app runs them the moment the key arrives, so
the keys typed right after ``i`` or ``:`` already reach the entry bar or command line
(a normal binding runs only after the keys queued behind it have been handed out). The
screen lets them through to a focused input, where they are just characters."""

YIELD_TO_TYPING = frozenset(a.action for a in SCREEN if a.priority)

LIST = (
    KeyAction("list.down", "j,down", "cursor_down", "Down", show=False),
    KeyAction("list.up", "k,up", "cursor_up", "Up", show=False),
    KeyAction("list.top", "g,home", "cursor_top", "Top", show=False),
    KeyAction("list.bottom", "G,end", "cursor_bottom", "Bottom", show=False),
    KeyAction("list.page-down", "pagedown,ctrl+f", "page_down", "Page down", show=False),
    KeyAction("list.page-up", "pageup,ctrl+b", "page_up", "Page up", show=False),
    KeyAction("list.leave", "escape", "screen.focus_entry", "Entry bar", show=False),
)

READ_STEP = "step read"
READ_REFERENCE = "runbook reference"
"""The runbook pane's reading actions (``screen.pane_act``), opened by ``screens.reading``."""

ASKS = "asks first (Enter or y)"
OPENS_LINE = "opens the : line; Enter runs it"


LADDER = (KeyAction("screen.ack", "A", "acknowledge", "Acknowledge", mutating=True, guard=ASKS),)
"""``A`` anywhere on the screen acknowledges the incident (the ladder's unacknowledged
steps stop); not a priority key, so in the entry bar it is just a capital A."""


def _pane_key(id: str, keys: str, act: str, description: str, guard: str) -> KeyAction:
    """A pane key that changes the record: run on the screen, at once (see above)."""
    return KeyAction(
        id, keys, f"screen.pane_act('{act}')", description, True, True, True, guard=guard
    )


TIMELINE = (
    KeyAction("timeline.follow", "ctrl+t", "toggle_follow", "Follow"),
    KeyAction("timeline.details", "enter", "details", "Details"),
    _pane_key("timeline.correct", "c", "correct", "Correct", OPENS_LINE),
    _pane_key("timeline.retract", "x", "retract", "Retract", OPENS_LINE),
)

CHECKLIST = (
    _pane_key("checklist.check", "space", "check", "Check", "undo: space again (a new mark)"),
)

RUNBOOK = (
    _pane_key("runbook.claim", "c", "step claim", "Claim", ASKS + "; o reopens"),
    _pane_key("runbook.start", "s", "step start", "Start", ASKS + "; o reopens"),
    _pane_key("runbook.done", "d", "step done", "Done", ASKS + "; o reopens"),
    _pane_key("runbook.fail", "f", "step fail", "Fail", OPENS_LINE + "; o reopens"),
    _pane_key("runbook.skip", "x", "step skip", "Skip", OPENS_LINE + "; o reopens"),
    _pane_key("runbook.reopen", "o", "step reopen", "Reopen", ASKS),
    _pane_key(
        "runbook.run", "r", "step run", "Run command", "shows the command; Enter or y runs it"
    ),
    KeyAction("runbook.read", "enter", f"screen.pane_act('{READ_STEP}')", "Read step"),
    KeyAction("runbook.reference", "m", f"screen.pane_act('{READ_REFERENCE}')", "Reference"),
)

STEP_DETAIL = (
    KeyAction("step.close", "escape,q,enter", "dismiss(None)", "Close"),
    KeyAction("step.fail", "f", "fail", "Mark failed", mutating=True),
    KeyAction("step.run", "r", "run", "Run command", mutating=True),
    KeyAction("step.reference", "m", "reference", "Reference"),
)

REFERENCE = (KeyAction("reference.close", "escape,q,enter,m", "dismiss(None)", "Close"),)

POSTMORTEM = (
    KeyAction("postmortem.close", "escape,q", "dismiss(None)", "Close"),
    KeyAction("postmortem.down", "j,down", "scroll('down')", "Down", show=False),
    KeyAction("postmortem.up", "k,up", "scroll('up')", "Up", show=False),
    KeyAction("postmortem.page-down", "pagedown,space,ctrl+f", "scroll('page_down')", "Page down"),
    KeyAction("postmortem.page-up", "pageup,ctrl+b", "scroll('page_up')", "Page up", show=False),
    KeyAction("postmortem.top", "g,home", "scroll('home')", "Top", show=False),
    KeyAction("postmortem.bottom", "G,end", "scroll('end')", "Bottom", show=False),
)

ROLES = (
    _pane_key("roles.assign", "a", "assign", "Assign", OPENS_LINE),
    _pane_key("roles.handoff", "h", "handoff", "Hand off", OPENS_LINE),
    _pane_key("roles.accept", "y", "accept", "Accept", ASKS),
)

ENTRY = (
    KeyAction("entry.leave", "escape", "leave", "Leave", show=False),
    KeyAction("entry.submit", "ctrl+j", "submit", "Record", show=False, mutating=True),
    KeyAction("entry.complete", "tab", "complete", "Complete a : line", show=False),
)

COMMAND_LINE = (
    KeyAction("command.complete", "tab", "complete", "Complete", show=False),
    KeyAction("command.cancel", "escape", "cancel", "Cancel", show=False),
)

PICKER = (
    KeyAction("picker.cancel", "escape,q", "dismiss(None)", "Cancel"),
    KeyAction("picker.new", "n", "new", "New incident", mutating=True),
    KeyAction("picker.down", "j", "cursor('down')", "Down", show=False),
    KeyAction("picker.up", "k", "cursor('up')", "Up", show=False),
)

DECLARE = (KeyAction("declare.cancel", "escape", "dismiss(None)", "Cancel"),)

DETAIL = (
    KeyAction("detail.close", "escape,q,enter", "dismiss(None)", "Close"),
    KeyAction("detail.correct", "c", "amend('correct')", "Correct", mutating=True),
    KeyAction("detail.retract", "x", "amend('retract')", "Retract", mutating=True),
)

RUN_STEP = (
    KeyAction("run.confirm", "enter,y", "run", "Run it"),
    KeyAction("run.cancel", "escape,n", "dismiss(False)", "Cancel"),
)

COMPOSE = (
    KeyAction("compose.submit", "ctrl+s", "submit", "Record draft", mutating=True),
    KeyAction("compose.discard", "escape", "discard", "Discard (asks)"),
)

NOTICE = (
    KeyAction("notice.close", "escape,q", "close", "Close"),
    KeyAction("notice.approve", "a", "approve", "Approve (asks)", mutating=True),
    KeyAction("notice.return", "b", "send_back", "Send back", mutating=True),
    KeyAction("notice.revise", "e", "revise", "Revise", mutating=True),
)

FOLLOWUPS = (
    KeyAction("followups.close", "escape,q", "dismiss(None)", "Close"),
    KeyAction("followups.switch", "tab", "switch", "Actions / risks"),
    KeyAction("followups.down", "j", "cursor('down')", "Down", show=False),
    KeyAction("followups.up", "k", "cursor('up')", "Up", show=False),
    KeyAction("followups.done", "d", "change('done')", "Done", mutating=True, guard=OPENS_LINE),
    KeyAction(
        "followups.progress", "p", "change('progress')", "In progress", mutating=True,
        guard=OPENS_LINE,
    ),
    KeyAction("followups.wont", "w", "change('wont')", "Won't do", mutating=True, guard=OPENS_LINE),
    KeyAction(
        "followups.reassign", "o", "change('reassign')", "Reassign", mutating=True,
        guard=OPENS_LINE,
    ),
    KeyAction(
        "followups.redate", "e", "change('redate')", "Re-date", mutating=True, guard=OPENS_LINE
    ),
)  # fmt: skip
HELP = (KeyAction("help.close", "escape,q,question_mark,f1,enter", "dismiss(None)", "Close"),)

ALL: tuple[KeyAction, ...] = (
    APP
    + SCREEN
    + LADDER
    + LIST
    + TIMELINE
    + CHECKLIST
    + RUNBOOK
    + ROLES
    + ENTRY
    + COMMAND_LINE
    + PICKER
    + DECLARE
    + DETAIL
    + RUN_STEP
    + STEP_DETAIL
    + REFERENCE
    + FOLLOWUPS
    + POSTMORTEM
    + HELP
    + COMPOSE
    + NOTICE
)
BY_ID = {action.id: action for action in ALL}

MUTATING = frozenset(
    action.action.split("(")[0].removeprefix("screen.") for action in ALL if action.mutating
)
"""Action names (without namespace and arguments) disabled in read-only mode; a pane's
``pane_act`` is one of them, except its reading keys (see ``screens.keys``)."""
GUARDS = {action.id: action.guard for action in ALL if action.guard}


def bindings(group: tuple[KeyAction, ...]) -> list[Binding]:
    return [
        Binding(
            a.keys,
            a.action,
            a.description,
            show=a.show,
            id=a.id,
            priority=a.priority,
        )
        for a in group
    ]


def unknown_ids(keymap: dict[str, str]) -> list[str]:
    """Ids in a user's keymap that name no binding (a typo silently does nothing)."""
    return sorted(set(keymap) - set(BY_ID))
