"""The status strip in 80 columns: every fact that matters, shortened until it fits.

At an SSH terminal the strip has two lines and ~78 cells each. The first carries the
severity badge, the incident and — right-aligned, so a long title can never push them
out — the badges (READ-ONLY, DRILL) and the link to the sync server. The second carries
status, phase, commander (with a handoff awaiting acceptance), the next status-update
clock and the escalation state. Each of those has a few forms, longest first; ``fit``
shortens them one at a time, in a fixed order (the least important first), until the
line fits, so nothing required is ever cut off by the terminal's edge::

    INVESTIGATING · containment · IC ana→eli? · T+42m · int OVR 2m +2 · ESC! sev1-unack…
"""

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from rich.text import Text

from warroom.tui.render import safe, short_duration

if TYPE_CHECKING:
    from warroom.core.clocks import UpdateClock
    from warroom.core.ladder import LadderStep
    from warroom.core.state import FiredStep, HandoffRecord, IncidentState

SEPARATOR = " · "
NAME_CELLS = 8
"""How much of a person's name or a rule's id is kept in the shortest forms."""


@dataclass
class Part:
    """One fact of the line in its possible forms, longest first."""

    forms: list[Text]
    at: int = 0

    @property
    def text(self) -> Text:
        return self.forms[self.at]

    def shorten(self) -> bool:
        if self.at + 1 < len(self.forms):
            self.at += 1
            return True
        return False


def fit(parts: list[Part], steps: list[int], width: int) -> Text:
    """Join ``parts`` with `` · ``, shortening them until the line is at most ``width``
    cells: each entry of ``steps`` names the part to shorten next by one form (the least
    important first). A part whose form is empty is left out."""

    def joined() -> Text:
        shown = [part.text for part in parts if part.text.cell_len]
        return Text(SEPARATOR, end="").join(shown)

    line = joined()
    for index in steps:
        if line.cell_len <= width:
            break
        if parts[index].shorten():
            line = joined()
    return line


def cut(name: str, cells: int = NAME_CELLS) -> str:
    return name if len(name) <= cells else name[: cells - 1] + "…"


def commander_forms(state: "IncidentState") -> list[Text]:
    """``IC eli``, or with a handoff of command not yet accepted ``IC eli → bo (awaiting
    acceptance)`` then ``IC eli→bo?``; ``IC NONE`` when nobody holds command."""
    handoff = pending_command_handoff(state)
    holder = state.commander
    if handoff is None:
        if holder is None:
            return [Text("IC ", end="").append("NONE", style="bold reverse")]
        return [_ic(holder), _ic(cut(holder))]
    giver = handoff.from_person or holder or "NONE"
    return [
        _ic(f"{giver} → {handoff.to_person}").append(" (awaiting acceptance)", style="italic"),
        _ic(f"{giver}→{handoff.to_person}?"),
        _ic(f"{cut(giver)}→{cut(handoff.to_person)}?"),
    ]


def _ic(who: str) -> Text:
    return Text("IC ", end="").append_text(safe(who, style="bold"))


def pending_command_handoff(state: "IncidentState") -> "HandoffRecord | None":
    """The latest offer of command its new holder has not accepted yet."""
    offers = [h for h in state.pending_handoffs() if h.role == "commander"]
    return offers[-1] if offers else None


def clock_forms(clocks: "list[UpdateClock]", now: datetime) -> list[Text]:
    """Every audience's clock, then the soonest one with a count of the others."""
    if not clocks:
        return [Text(end="")]

    def one(clock: "UpdateClock", short: bool) -> Text:
        if clock.overdue:
            word = "OVR" if short else "OVERDUE"
            late = short_duration(now - clock.due_at)
            return Text(f"{clock.audience[:3]} {word} {late}", style="bold reverse", end="")
        return Text(f"{clock.audience[:3]} {short_duration(clock.remaining(now))}", end="")

    every = Text(" ", end="").join(one(clock, False) for clock in clocks)
    first, more = clocks[0], len(clocks) - 1
    forms = [every]
    for short in (False, True):
        form = one(first, short)
        if more:
            form.append(f" +{more}")
        forms.append(form)
    return forms


def _page_word(record: "FiredStep") -> str:
    """``PAGE`` or ``NOTIFY``, and ``DRILL`` before it for a drill's page."""
    return ("DRILL " if record.drill else "") + record.action.upper()


def escalation_forms(
    ladder: "list[LadderStep]", now: datetime, delivered: frozenset[str] = frozenset()
) -> list[Text]:
    """The ladder, longest form first: each page or notice on the record, shown as due
    until a channel delivered it (``delivered``: the event ids with a receipt) (``PAGE DUE
    next-tier 09:05 (sev1-unacknowledged)``), each step
    whose time came but is not yet recorded (``FIRING rule``), then the next step with its
    countdown. Shorter: ``PAGE next-tier 09:05 · esc 54m``, ``PAGE next-tier 09:05``,
    ``ESC! rule`` and counts; ``esc rule 12m`` when only a wait is left; nothing when the
    ladder is quiet. A page on a drill incident says so (``DRILL PAGE DUE …``). Why a step
    fired is on the record and in ``warroom status``."""
    from warroom.core.ladder import next_step  # the strip module stays light to import

    fired = [
        step
        for step in ladder
        if step.fired and step.record is not None and step.record.event_id not in delivered
    ]
    firing = [step for step in ladder if step.due]
    following = next_step(ladder)
    left = short_duration(following.fires_at - now) if following else ""
    full = Text(end="")
    for step in fired:
        record = step.record
        full.append(f"{_page_word(record)} DUE ", style="bold reverse")
        full.append_text(safe(record.target, style="bold reverse"))
        full.append(f" {record.at:%H:%M} ({step.rule.id}) ")
    for step in firing:
        full.append(f"FIRING {step.rule.id}", style="bold reverse")
        full.append(f" ({step.rule.action} {step.rule.target}) ")
    if following is not None:
        full.append(f"next {following.rule.id} in {left}")
    full.rstrip()
    style = "bold reverse"
    if fired:
        first = fired[0].record
        more = f" +{len(fired) + len(firing) - 1}" if len(fired) + len(firing) > 1 else ""
        word = _page_word(first)
        due = Text(f"{word} ", style=style, end="").append_text(safe(first.target, style))
        due.append(f" {first.at:%H:%M}{more}", style=style)
        forms = [full]
        if following is not None:
            forms.append(due + Text(f" · esc {left}", end=""))
        forms.append(due)
        forms.append(Text(f"{word} {cut(first.target, 12)}{more}", style=style, end=""))
        forms.append(Text(f"ESC! {len(fired) + len(firing)}", style=style, end=""))
        return forms
    if firing:
        more = f" +{len(firing) - 1}" if len(firing) > 1 else ""
        ids = " ".join(step.rule.id for step in firing)
        return [
            full,
            Text(f"ESC! {ids}", style=style, end=""),
            Text(f"ESC! {firing[0].rule.id}{more}", style=style, end=""),
            Text(f"ESC! {cut(firing[0].rule.id, 12)}{more}", style=style, end=""),
            Text(f"ESC! {len(firing)}", style=style, end=""),
        ]
    if following is None:
        return [full]
    return [
        full,
        Text(f"esc {cut(following.rule.id, 12)} {left}", end=""),
        Text(f"esc {left}", end=""),
    ]


def head_line(head: Text, badges: Text, width: int) -> Text:
    """The first line: ``head`` (badge, id, title) cut to leave room for ``badges``,
    which sit at the right edge."""
    room = width - badges.cell_len - (1 if badges.cell_len else 0)
    line = head.copy()
    if line.cell_len > room:
        line.truncate(max(room - 1, 0))
        line.append("…")
    if badges.cell_len:
        line.pad_right(width - badges.cell_len - line.cell_len)
        line.append_text(badges)
    return line
