"""Hostile text is shown literally in every pane: markup is not interpreted, and control
characters (ESC sequences, OSC, BEL, backspace, carriage return, bidi overrides) are made
visible instead of reaching the terminal.

The check reads the strips each widget hands to the compositor — exactly what would be
written to the terminal — so it covers borders, titles and subtitles too.
"""

import re

from textual.geometry import Region

from tests.tui.conftest import main_screen, make_app, opened, room_for, until, write
from warroom.core.runbook import parse_runbook
from warroom.tui.screens.detail import EntryDetail
from warroom.tui.screens.picker import IncidentPicker
from warroom.tui.widgets.status_strip import StatusStrip

EVIL = "[bold]B[/]\x1b[31m[link=https://evil.example]L[/link]\x1b]52;c;cHduZWQ=\x07\x08\r\u202eZ"
"""Markup, an SGR sequence, an OSC 52 clipboard write with BEL, backspace, CR, bidi."""

MARKUP_RUNBOOK = (
    b"# [bold]B[/] [link=https://evil.example]L[/link]\n\n## Triage\n- [ ] [bold]B[/]\n"
)

RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def painted(widget) -> tuple[str, list]:
    """The text and styles of every cell the widget paints."""
    strips = widget.render_lines(Region(0, 0, *widget.outer_size))
    segments = [segment for strip in strips for segment in strip]
    return "".join(segment.text for segment in segments), segments


def assert_literal(widget) -> None:
    text, segments = painted(widget)
    name = widget.id or type(widget).__name__
    assert not RAW.search(text), f"{name} sends a raw control character: {text!r}"
    assert "[bold]B[/]" in text, f"{name} interpreted markup or lost the text: {text!r}"
    assert "␛" in text, f"{name} hides the escape character: {text!r}"
    for segment in segments:
        style = segment.style
        assert not (style and style.link), f"{name} made a link: {segment!r}"
        assert not (style and style.bold and segment.text == "B"), f"{name} applied [bold]"


def seed(home) -> str:
    room = room_for(home, EVIL)
    try:
        iid = room.declare(EVIL, severity="SEV1", incident_type="outage").incident_id
        entry = room.log(iid, EVIL, kind="observation")
        room.log(iid, EVIL, kind="todo", owner=EVIL)
        room.correct(iid, entry.id, EVIL)
        room.assign(iid, "scribe", "bo")
        room.handoff(iid, "scribe", EVIL)
        room.check(iid, "confirm-impact", note=EVIL)
        room.escalate(iid, EVIL, EVIL)
        room.alert(iid, EVIL, EVIL, {EVIL: EVIL})
        runbook, problems = parse_runbook(MARKUP_RUNBOOK, "evil.md")  # the parser refuses
        assert not problems  # control characters in a file, so only markup gets this far
        room.attach_runbook(iid, runbook)
        room.mark_step(iid, "triage-1", "fail", note=EVIL)
        room.declare("second", severity="SEV3", incident_type="outage")
        return iid
    finally:
        room.store.close()


async def test_every_pane_shows_hostile_text_literally(home):
    iid = seed(home)
    app = make_app(home, layout="commander", layout_forced=True, incident=iid)
    async with app.run_test(size=(240, 60), notifications=True) as pilot:
        await opened(pilot)
        await pilot.press("escape")  # from the entry bar, where every layout starts, to the panes
        screen = main_screen(pilot)
        timeline = screen.query_one("#pane-timeline")
        await until(pilot, lambda: all(timeline.data.rows.get(s) for s in timeline.data.view[0]))
        await pilot.pause()
        for pane in (
            screen.query_one(StatusStrip).query_one("#strip-main"),
            timeline,
            screen.query_one("#pane-roles"),
            screen.query_one("#pane-checklist"),
            screen.query_one("#pane-runbook"),
        ):
            assert_literal(pane)

        await pilot.press("slash")  # the filter's own text, in the timeline's subtitle
        await write(pilot, EVIL[:10])
        await pilot.press("enter")
        await until(pilot, lambda: not timeline.data.filtering)
        text, _ = painted(timeline)
        assert "[bold]B[/]" in text and not RAW.search(text)

        await pilot.press("1", "enter")  # the entry in full
        await until(pilot, lambda: isinstance(app.screen, EntryDetail))
        await pilot.pause()
        assert_literal(app.screen.query_one("Static"))
        await pilot.press("escape", "f3")  # the incident picker
        await until(pilot, lambda: isinstance(app.screen, IncidentPicker))
        await pilot.pause()
        assert_literal(app.screen.query_one("#picker-list"))
        await pilot.press("escape")

        await pilot.press("colon")  # an error quoting what was typed
        await write(pilot, "assign " + EVIL[:10] + " x")
        await pilot.press("enter")
        await until(pilot, lambda: app.screen.query("Toast"))
        await pilot.pause()
        toasts = app.screen.query("Toast")
        assert all(not RAW.search(painted(t)[0]) for t in toasts)
        assert any("[bold]B[/]" in painted(t)[0] for t in toasts)
