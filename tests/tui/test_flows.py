"""Every flow of the war-room screen, driven by keys through Textual's pilot.

Each test checks the record (the store, read with a separate connection) and what the
screen shows, because a change that is written but not shown — or shown but not written —
is the failure that matters in a war room.
"""

from datetime import timedelta

from tests.tui.conftest import (
    NOW,
    main_screen,
    make_app,
    opened,
    room_for,
    shown_rows,
    until,
    write,
)
from warroom.tui.widgets.checklist import ChecklistPane
from warroom.tui.widgets.roles import RolesPane
from warroom.tui.widgets.runbook import RunbookPane
from warroom.tui.widgets.status_strip import StatusStrip
from warroom.tui.widgets.timeline import Timeline


def events_of(home, incident_id):
    room = room_for(home)
    try:
        return room.store.events(incident_id)
    finally:
        room.store.close()


def state_of(home, incident_id):
    room = room_for(home)
    try:
        return room.store.state(incident_id)
    finally:
        room.store.close()


async def type_entry(pilot, text: str) -> None:
    if pilot.app.focused.id != "entry-input":  # the bar is home; "i" brings it back
        await pilot.press("i")
    await write(pilot, text)
    await pilot.press("enter")


async def command(pilot, line: str) -> None:
    """Open the ``:`` line with its key, type ``line``, run it with Enter."""
    await pilot.press("colon")
    await write(pilot, line)
    await pilot.press("enter")


def strip_text(pilot) -> str:
    return str(main_screen(pilot).query_one(StatusStrip).query_one("#strip-main").render())


async def test_each_entry_kind_is_recorded_and_keeps_focus(home, demo):
    app = make_app(home)
    async with app.run_test(size=(120, 40)) as pilot:
        await opened(pilot)
        eli = room_for(home, "eli")  # eli takes command, so the external update is theirs
        try:
            eli.accept_handoff(demo, at=NOW - timedelta(seconds=30))
        finally:
            eli.store.close()
        before = len(events_of(home, demo))
        lines = {
            "n: a note": ("note", "a note"),
            "o: an observation": ("observation", "an observation"),
            "a: an action": ("action", "an action"),
            "r: an action result": ("action", "an action result"),
            "d: a decision": ("decision", "a decision"),
            "h: a hypothesis": ("hypothesis", "a hypothesis"),
            "t: @dee a todo": ("todo", "a todo"),
            "s: @external a status update": ("status_update", "a status update"),
            "plain words are a note": ("note", "plain words are a note"),
        }
        assert app.focused.id == "entry-input"  # every layout starts in the entry bar
        for line in lines:
            await write(pilot, line)
            await pilot.press("enter")
            assert app.focused.id == "entry-input"  # Enter keeps focus for the next one
        timeline = main_screen(pilot).query_one(Timeline)
        await until(pilot, lambda: timeline.row_count >= before + len(lines))
        new = events_of(home, demo)[before:]
        assert [(e.kind, e.payload.text) for e in new] == list(lines.values())
        assert new[3].payload.stage == "result"
        assert new[6].payload.owner == "dee"
        assert new[7].payload.audience == "external"
        assert all(e.occurred_at == NOW and e.actor == "eli" for e in new)
        assert timeline.selected.text == "plain words are a note"  # followed to the bottom


async def test_backdated_entry_slots_in_at_its_time(home, demo):
    app = make_app(home)
    async with app.run_test(size=(120, 40)) as pilot:
        await opened(pilot)
        await type_entry(pilot, "-30m o: the 502s started before the deploy")
        timeline = main_screen(pilot).query_one(Timeline)
        await until(pilot, lambda: any(r and "502s" in r.text for r in shown_rows(timeline)))
        event = events_of(home, demo)[-1]
        assert event.occurred_at == NOW - timedelta(minutes=30)
        texts = [row.text for row in shown_rows(timeline) if row]
        position = texts.index("the 502s started before the deploy")
        assert position < len(texts) - 10  # not at the bottom: 30 minutes back
        stamps = list(timeline.data.view[1])
        assert stamps == sorted(stamps)


async def test_a_bad_entry_is_refused_and_given_back(home, demo):
    app = make_app(home)
    async with app.run_test(size=(120, 40)) as pilot:
        await opened(pilot)
        await type_entry(pilot, "s: @nobody hello")  # unknown audience
        entry = app.screen.query_one("#entry-input")
        await until(pilot, lambda: entry.value == "s: @nobody hello")
        assert "unknown audience" in str(app.screen.query_one("#entry-hint").render())


async def test_severity_status_and_phase_by_command(home, demo):
    app = make_app(home)
    async with app.run_test(size=(160, 45)) as pilot:
        await opened(pilot)
        screen = main_screen(pilot)
        for line in ("sev SEV2 contained to one AZ", "status monitoring", "phase eradication"):
            await command(pilot, line)
        await until(pilot, lambda: screen.state.phase == "eradication")
        state = state_of(home, demo)
        assert (state.severity, state.status, state.phase) == ("SEV2", "monitoring", "eradication")
        strip = strip_text(pilot)
        assert "SEV2" in strip and "MONITORING" in strip and "eradication" in strip
        heading = [t.plain for t, _ in screen.query_one(ChecklistPane)._rows if "▶" in t.plain]
        assert heading and "ERADICATION" in heading[0]


async def test_command_line_completes(home, demo):
    app = make_app(home)
    async with app.run_test(size=(120, 40)) as pilot:
        await opened(pilot)
        await pilot.press("escape", ":", *"pha", "tab")  # the : line of the panes
        command = app.screen.query_one("#command-input")
        assert command.value == "phase "
        await pilot.press("r", "e")
        await until(pilot, lambda: command._suggestion == "phase recovery")
        await pilot.press("tab", "enter")
        await until(pilot, lambda: main_screen(pilot).state.phase == "recovery")


async def test_assign_handoff_and_accept(home, demo):
    app = make_app(home)  # eli, to whom the demo handed command
    async with app.run_test(size=(160, 45)) as pilot:
        await opened(pilot)
        await pilot.press("escape")  # from the entry bar, where every layout starts, to the panes
        screen = main_screen(pilot)
        roles = screen.query_one(RolesPane)
        assert screen.state.pending_handoffs()
        assert screen.state.commander == "ana"  # until eli accepts, ana holds command
        await pilot.press("2")  # the roles pane, cursor on commander
        assert roles.selected_key == "commander"
        await pilot.press("y", "y")  # accept the handoff of command: it asks first
        await until(pilot, lambda: not screen.state.pending_handoffs())
        assert screen.state.commander == "eli"
        await command(pilot, "assign recovery-owner zoe")
        await until(pilot, lambda: screen.state.holders("recovery-owner"))
        assert any("zoe" in t.plain for t, _ in roles._rows)
        await pilot.press("2", "h")  # hand command on: the : line opens with "handoff commander "
        await write(pilot, "zoe")
        await pilot.press("enter")
        await until(pilot, lambda: screen.state.pending_handoffs())
        assert screen.state.pending_handoff("commander").to_person == "zoe"
        assert screen.state.commander == "eli"  # an offer, until zoe accepts
        kinds = [e.kind for e in events_of(home, demo)[-3:]]
        assert kinds == ["handoff_accepted", "role_assigned", "handoff"]


async def test_space_checks_and_unchecks_an_item(home, demo):
    app = make_app(home)
    async with app.run_test(size=(160, 45)) as pilot:
        await opened(pilot)
        await pilot.press("escape")  # from the entry bar, where every layout starts, to the panes
        screen = main_screen(pilot)
        await pilot.press("3")
        checklist = screen.query_one(ChecklistPane)
        assert checklist.selected_key == "containment/stop-bleeding"  # first open item
        await pilot.press("space")
        await until(pilot, lambda: screen.state.is_checked("containment", "stop-bleeding"))
        await pilot.press("space")
        await until(pilot, lambda: not screen.state.is_checked("containment", "stop-bleeding"))
        marks = [e.payload.checked for e in events_of(home, demo)[-2:]]
        assert marks == [True, False]


async def test_filter_by_kind_and_text(home, demo):
    app = make_app(home)
    async with app.run_test(size=(120, 40)) as pilot:
        await opened(pilot)
        await pilot.press("escape")  # from the entry bar, where every layout starts, to the panes
        timeline = main_screen(pilot).query_one(Timeline)
        everything = timeline.row_count
        await pilot.press("slash")
        await write(pilot, "d:")
        await pilot.press("enter")
        await until(pilot, lambda: timeline.row_count < everything and not timeline.data.filtering)
        shown = shown_rows(timeline)
        assert shown and {row.kind for row in shown} == {"decision"}
        await pilot.press("slash", "ctrl+u")
        await write(pilot, "rollback")
        await pilot.press("enter")
        await until(pilot, lambda: not timeline.data.filtering and timeline.data.query.text)
        shown = shown_rows(timeline)
        assert shown and all("rollback" in row.text.lower() for row in shown)
        assert "filter" in str(timeline.border_subtitle)
        await type_entry(pilot, "o: second rollback wave")  # live rows obey the filter
        await until(pilot, lambda: timeline.row_count == len(shown) + 1)
        await pilot.press("escape", "slash", "ctrl+u", "enter")
        await until(pilot, lambda: timeline.row_count == everything + 1)


async def test_follow_pauses_when_scrolled_up_and_resumes_on_G(home, demo):
    app = make_app(home)
    async with app.run_test(size=(120, 40)) as pilot:
        await opened(pilot)
        await pilot.press("escape")  # from the entry bar, where every layout starts, to the panes
        timeline = main_screen(pilot).query_one(Timeline)
        await pilot.press("1", "k", "k")
        assert not timeline.follow
        other = room_for(home, "bo")
        try:
            other.log(demo, "written by another process", kind="note")
        finally:
            other.store.close()
        await until(pilot, lambda: "1 new" in str(timeline.border_subtitle), timeout=2)
        assert "PAUSED" in str(timeline.border_subtitle)
        await pilot.press("G")
        assert timeline.follow and timeline.selected.text == "written by another process"


async def test_changes_from_another_process_appear_within_a_second(home, demo):
    app = make_app(home)
    async with app.run_test(size=(120, 40)) as pilot:
        await opened(pilot)
        screen = main_screen(pilot)
        other = room_for(home, "ana")  # the commander (the demo's handoff awaits eli)
        try:
            other.set_severity(demo, "SEV2", "from a script")
        finally:
            other.store.close()
        await until(pilot, lambda: screen.state.severity == "SEV2", timeout=1.0)
        await until(pilot, lambda: "SEV2" in strip_text(pilot), timeout=1.0)


async def test_correct_the_selected_entry(home, demo):
    app = make_app(home)
    async with app.run_test(size=(120, 40)) as pilot:
        await opened(pilot)
        await pilot.press("escape")  # from the entry bar, where every layout starts, to the panes
        timeline = main_screen(pilot).query_one(Timeline)
        await pilot.press("1", "c")
        command = app.screen.query_one("#command-input")
        target = timeline.selected
        assert command.value == f"correct {target.id} "
        await write(pilot, "pool-size review, owner dee")
        await pilot.press("enter")
        await until(pilot, lambda: target.id in timeline.data.fixes)
        assert "✎ pool-size review" in timeline.line(target).plain


async def test_details_of_an_entry(home, demo):
    app = make_app(home)
    async with app.run_test(size=(120, 40)) as pilot:
        await opened(pilot)
        await pilot.press("escape")  # from the entry bar, where every layout starts, to the panes
        await pilot.press("1", "enter")
        from warroom.tui.screens.detail import EntryDetail

        assert isinstance(app.screen, EntryDetail)
        assert app.screen.row.id in str(app.screen.query_one("Static").render())
        await pilot.press("x")
        assert app.screen.query_one("#command-input").value.startswith("retract ")


async def test_declare_form_when_the_home_is_empty(home):
    app = make_app(home)
    async with app.run_test(size=(120, 40)) as pilot:
        from warroom.tui.screens.declare import DeclareForm

        await until(pilot, lambda: isinstance(app.screen, DeclareForm) and app.focused)
        strip = main_screen(pilot).query_one("#strip-main").render()
        assert "no incident here yet" in str(strip)  # not "opening the store…" for good
        await write(pilot, "Search returns nothing")
        await pilot.press("enter")
        await opened(pilot)
        state = main_screen(pilot).state
        assert (state.title, state.severity) == ("Search returns nothing", "SEV1")
        assert state.milestones["declared"] == NOW


async def test_a_title_typed_before_the_declare_form_shows_lands_in_it(home):
    """Typed at once on an empty home (on the boot screen, or while the store opened),
    before the reader's answer said the home is empty: the text stayed in the entry bar
    behind the form, and the form's title started empty. Here the answer is made to
    arrive after the typing, as it does when a fast typist starts at once."""
    from warroom.tui import messages as msg
    from warroom.tui.screens.declare import DeclareForm

    app = make_app(home)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, DeclareForm) and app.focused)
        await pilot.press("escape")  # back to the empty screen and its entry bar
        screen = main_screen(pilot)
        await write(pilot, "Search down")
        await pilot.press("enter")  # an Enter too early declares nothing
        assert screen.incident_id is None
        screen.post_message(msg.Incidents([], choose=True))
        await until(pilot, lambda: isinstance(app.screen, DeclareForm) and app.focused)
        assert app.screen.query_one("#declare-title").value == "Search down"
        assert screen.query_one("#entry-input").value == ""
        await write(pilot, " in eu")  # goes on after it, not over it
        await pilot.press("enter")
        await opened(pilot)
        assert screen.state.title == "Search down in eu"


async def test_declare_and_switch_by_command(home, demo):
    app = make_app(home)
    async with app.run_test(size=(120, 40)) as pilot:
        await opened(pilot)
        screen = main_screen(pilot)
        await command(pilot, "declare SEV3 degradation Search is slow")
        await until(pilot, lambda: screen.state.id != demo)
        assert screen.state.title == "Search is slow"
        assert screen.query_one(Timeline).row_count == 1
        await command(pilot, f"switch {demo}")
        await until(pilot, lambda: screen.state.id == demo)


async def test_picker_when_several_incidents_are_active(home, demo):
    room = room_for(home)
    try:
        other = room.declare("DNS flapping", severity="SEV3", incident_type="outage").incident_id
    finally:
        room.store.close()
    app = make_app(home)
    async with app.run_test(size=(120, 40)) as pilot:
        from warroom.tui.screens.picker import IncidentPicker

        await until(pilot, lambda: isinstance(app.screen, IncidentPicker))
        assert [s.id for s in app.screen.incidents] == [other, demo]
        await pilot.press("j", "enter")
        await opened(pilot)
        assert main_screen(pilot).state.id == demo
        await pilot.press("f3")
        await until(pilot, lambda: isinstance(app.screen, IncidentPicker))
        await pilot.press("k", "enter")
        await until(pilot, lambda: main_screen(pilot).state.id == other)


async def test_layout_switch_by_command_and_key(home, demo):
    app = make_app(home, layout="commander", layout_forced=True)
    async with app.run_test(size=(160, 45)) as pilot:
        await opened(pilot)
        screen = main_screen(pilot)
        assert screen.current_layout.name == "commander"
        assert app.theme == "warroom-projector"
        await command(pilot, "layout scribe")
        await until(pilot, lambda: screen.current_layout.name == "scribe")
        await pilot.pause()
        assert app.focused.id == "entry-input"  # the scribe starts in the entry bar
        await pilot.press("escape", "f2")
        await until(pilot, lambda: screen.current_layout.name != "scribe")
        timeline = screen.query_one(Timeline)
        assert timeline.row_count > 30  # the timeline kept its data across layouts


async def test_small_terminal_gets_the_compact_layout(home, demo):
    app = make_app(home)
    async with app.run_test(size=(80, 24)) as pilot:
        await opened(pilot)
        await pilot.press("escape")  # from the entry bar, where every layout starts, to the panes
        screen = main_screen(pilot)
        assert screen.current_layout.name == "compact"
        await pilot.press("2")  # the stacked side pane brings roles forward
        assert app.focused.id == "pane-roles"


async def test_read_only_changes_nothing(home, demo):
    app = make_app(home, read_only=True)
    async with app.run_test(size=(160, 45)) as pilot:
        await opened(pilot)
        before = len(events_of(home, demo))
        screen = main_screen(pilot)
        assert not screen.query_one("#entry").display
        await pilot.press("i", "o")  # no entry bar to focus
        await pilot.press("3", "space", "2", "y", "1", "c")
        await command(pilot, "sev SEV4")
        await pilot.pause(0.3)
        assert len(events_of(home, demo)) == before
        await command(pilot, "layout scribe")  # looking around is fine
        await until(pilot, lambda: screen.current_layout.name == "scribe")


async def test_help_lists_the_keys_of_the_context(home, demo):
    app = make_app(home)
    async with app.run_test(size=(120, 40)) as pilot:
        await opened(pilot)
        await pilot.press("escape")  # from the entry bar, where every layout starts, to the panes
        await pilot.press("3", "question_mark")
        from warroom.tui.screens.help import HelpScreen

        assert isinstance(app.screen, HelpScreen)
        text = str(app.screen.query_one("Static").render())
        assert "checklist.check" in text and "space" in text.lower()
        await pilot.press("f1")
        assert not isinstance(app.screen, HelpScreen)
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)


async def test_palette_runs_the_same_commands(home, demo):
    app = make_app(home)
    async with app.run_test(size=(120, 40)) as pilot:
        await opened(pilot)
        await pilot.press("ctrl+p")
        await write(pilot, "phase recovery")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await until(pilot, lambda: main_screen(pilot).state.phase == "recovery")


async def test_keys_are_remapped_by_id(home, demo):
    app = make_app(home, keymap={"pane.roles": "f6", "no.such.key": "f7"})
    async with app.run_test(size=(160, 45)) as pilot:
        await opened(pilot)
        await pilot.press("escape")  # from the entry bar, where every layout starts, to the panes
        await pilot.press("f6")
        assert app.focused.id == "pane-roles"
        assert any("no.such.key" in n.message for n in app._notifications)


async def test_runbook_steps_by_key(home, demo):
    app = make_app(home, layout="responder", layout_forced=True, actor="bo")  # the scribe
    async with app.run_test(size=(160, 45)) as pilot:
        await opened(pilot)
        await pilot.press("escape")  # from the entry bar, where every layout starts, to the panes
        screen = main_screen(pilot)
        pane = screen.query_one(RunbookPane)
        await pilot.press("4")
        assert app.focused is pane
        key = pane.selected_key  # the demo's rollback step: started, then claimed after it
        assert key == "checkout-rollback/rollback"
        pinned = lambda: screen.state.runbooks["checkout-rollback"]  # noqa: E731
        await pilot.press("d", "y")  # marking asks first: y (or Enter) says yes
        await until(pilot, lambda: pinned().progress_of("rollback").status == "done")
        await pilot.press("j")
        assert pane.selected_key == "checkout-rollback/containment-4"
        await pilot.press("s", "enter")
        await until(pilot, lambda: pinned().progress_of("containment-4").status == "started")
        await pilot.press("f")  # failing needs a reason: the : line asks for it
        command_input = app.screen.query_one("#command-input")
        assert command_input.value == "step fail checkout-rollback/containment-4 "
        await write(pilot, "error rate still 4%")
        await pilot.press("enter")
        await until(pilot, lambda: pinned().progress_of("containment-4").status == "failed")
        assert "error rate still 4%" in "".join(t.plain for t, _ in pane._rows)
        await pilot.press("j", "c", "y")  # claim the recovery approval; only the IC may give it
        await until(pilot, lambda: pinned().progress_of("recovery-1").status == "claimed")
        await pilot.press("d", "y")
        await until(pilot, lambda: any("approval" in n.message for n in app._notifications))
        assert pinned().progress_of("recovery-1").status == "claimed"
        texts = [t.plain for t, _ in pane._rows]
        assert any("↺ ROLLBACK" in t for t in texts) and any("✋ APPROVAL" in t for t in texts)


async def test_attach_and_live_reload_of_a_runbook(home, demo):
    folder = home / "runbooks"
    folder.mkdir(parents=True)
    path = folder / "cache-flush.md"
    path.write_text("# Flush the cache\n\n## Containment\n- [ ] Flush the edge cache\n")
    app = make_app(home, layout="responder", layout_forced=True)
    async with app.run_test(size=(160, 45)) as pilot:
        await opened(pilot)
        screen = main_screen(pilot)
        await until(pilot, lambda: screen.catalog and "cache-flush" in screen.catalog.entries)
        await command(pilot, "attach cache-flush")
        await until(pilot, lambda: "cache-flush" in screen.state.runbooks)
        pane = screen.query_one(RunbookPane)

        def notice() -> bool:
            return any("changed since it was pinned" in t.plain for t, _ in pane._rows)

        assert not notice()
        path.write_text(
            "# Flush the cache\n\n## Containment\n- [ ] Flush the edge cache\n- [ ] Warm it\n"
        )
        await until(pilot, notice, timeout=10)  # the library reloaded the file live
        await command(pilot, "attach cache-flush")  # re-pin the new version
        await until(pilot, lambda: not notice())
        assert len(screen.state.runbooks["cache-flush"].steps) == 2


def test_low_bandwidth_profile_over_ssh_unless_told_otherwise():
    from warroom.tui.launch import terminal_profile

    profile = {"TEXTUAL_FPS": "10", "TEXTUAL_ANIMATIONS": "none", "TEXTUAL_COLOR_SYSTEM": "256"}
    assert terminal_profile(None, {}) == {}
    assert terminal_profile(None, {"SSH_CONNECTION": "10.0.0.1 5 10.0.0.2 22"}) == profile
    assert terminal_profile(False, {"SSH_CONNECTION": "10.0.0.1 5 10.0.0.2 22"}) == {}
    assert terminal_profile(True, {"TEXTUAL_COLOR_SYSTEM": "standard"}) == {
        "TEXTUAL_FPS": "10",
        "TEXTUAL_ANIMATIONS": "none",
    }


async def test_no_color_is_honoured(home, demo, monkeypatch):
    from textual.filter import Monochrome

    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(home)
    async with app.run_test(size=(80, 24)) as pilot:
        await opened(pilot)
        assert app.no_color and any(isinstance(f, Monochrome) for f in app._filters)


async def test_a_layout_without_the_timeline_keeps_it_up_to_date(home, demo):
    folder = home / "layouts"
    folder.mkdir(parents=True)
    (folder / "board.toml").write_text('name = "board"\n[[sections]]\npanes = ["checklist"]\n')
    app = make_app(home, layout="board", layout_forced=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await opened(pilot)
        screen = main_screen(pilot)
        await type_entry(pilot, "o: noted while the timeline is hidden")
        await until(pilot, lambda: screen.state.event_count == len(events_of(home, demo)))
        await pilot.press("escape")
        await command(pilot, "layout scribe")
        await until(pilot, lambda: screen.query(Timeline))
        timeline = screen.query_one(Timeline)
        assert timeline.selected.text == "noted while the timeline is hidden"


async def test_the_sync_slot_shows_what_the_sync_worker_reports(home, demo):
    from warroom.tui.messages import SyncState

    app = make_app(home)
    async with app.run_test(size=(120, 40)) as pilot:
        await opened(pilot)
        slot = main_screen(pilot).query_one("#strip-sync")
        assert not slot.display
        app.post_message(SyncState("behind", "12 queued"))
        await until(pilot, lambda: slot.display)
        assert "sync behind · 12 queued" in str(slot.render())
        app.post_message(SyncState("offline"))
        await until(pilot, lambda: not slot.display)


async def test_entries_made_just_before_quitting_are_kept(home, demo):
    """The writer is held up (another process has the database locked) while two entries
    queue behind it and the user quits: both must still reach the record."""
    import sqlite3
    import threading
    import time

    lock = sqlite3.connect(home / "warroom.db", isolation_level=None, check_same_thread=False)
    app = make_app(home)
    async with app.run_test(size=(120, 40)) as pilot:
        await opened(pilot)
        lock.execute("BEGIN IMMEDIATE")
        threading.Timer(0.5, lock.rollback).start()
        for text in ("d: first of two", "d: the last word"):
            await write(pilot, text)
            await pilot.press("enter")
        await pilot.press("ctrl+q")
    deadline = time.monotonic() + 10
    while events_of(home, demo)[-1].payload.text != "the last word":
        assert time.monotonic() < deadline, "the queued entry was lost"
        time.sleep(0.05)
    assert events_of(home, demo)[-2].payload.text == "first of two"
    lock.close()
