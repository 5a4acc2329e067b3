"""Nothing is written that the user did not mean, and nothing typed is lost: the entry
bar as home, pane keys that ask first, prefilled lines, quitting, pastes, completion.

Keys are pressed for real through the pilot; what was recorded is read back from the
SQLite store with a separate connection.
"""

import time

from textual import events

from tests.tui.conftest import main_screen, make_app, opened, until
from tests.tui.test_flows import events_of
from tests.tui.test_step_run import ALLOWED, on_step, probe, runs  # noqa: F401 — a fixture
from warroom.core.events import STOPPED_ON_QUIT
from warroom.core.policy import parse_policy
from warroom.tui.commands import complete
from warroom.tui.screens.help import HelpScreen
from warroom.tui.widgets.confirm_line import ConfirmLine
from warroom.tui.widgets.runbook import RunbookPane
from warroom.tui.widgets.timeline import Timeline

LOG = "\n".join(
    f"2026-11-24T10:{n // 60:02d}:{n % 60:02d} ERROR pool exhausted #{n}" for n in range(200)
)


def step_marks(home, incident_id) -> list[str]:
    return [e.payload.action for e in events_of(home, incident_id) if e.kind == "runbook_step"]


def hint(pilot) -> str:
    return str(main_screen(pilot).query_one("#entry-hint").render())


async def test_every_layout_starts_in_the_entry_bar_and_escape_comes_back(home, demo):
    app = make_app(home, layout="commander", layout_forced=True)
    async with app.run_test(size=(160, 45)) as pilot:
        await opened(pilot)
        assert app.focused.id == "entry-input"
        await pilot.press(*"o: db failover started", "enter")  # right after launch
        await until(pilot, lambda: events_of(home, demo)[-1].kind == "observation")
        assert events_of(home, demo)[-1].payload.text == "db failover started"
        await pilot.press("escape")  # to the panes ...
        assert isinstance(app.focused, Timeline)
        await pilot.press("escape")  # ... and back home
        assert app.focused.id == "entry-input"


async def test_a_prefilled_line_keeps_its_text_with_the_cursor_at_the_end(home, demo):
    app = make_app(home)
    async with app.run_test(size=(160, 45)) as pilot:
        await opened(pilot)
        await pilot.press("escape", "c")  # correct the selected (last) entry
        command = app.screen.query_one("#command-input")
        prefill = command.value
        assert prefill.startswith("correct ") and prefill.endswith(" ")
        await pilot.press(*"Write")
        assert command.value == prefill + "Write"  # not "Write": nothing was selected
        assert command.selection.is_empty and command.cursor_position == len(command.value)


async def test_stray_keys_in_the_runbook_pane_write_nothing(home, demo):
    app = make_app(home, layout="responder", layout_forced=True)
    async with app.run_test(size=(160, 45)) as pilot:
        await opened(pilot)
        before = len(events_of(home, demo))
        await pilot.press("escape", "4")
        assert isinstance(app.focused, RunbookPane)
        await pilot.press(*"dns failover")  # thought the entry bar had the keys
        await pilot.pause(0.3)
        assert len(events_of(home, demo)) == before  # no step marked
        assert app.focused.id == "entry-input"  # the typing went where it was meant
        assert app.focused.value == "dns failover"


async def test_a_step_mark_asks_first_and_can_be_taken_back(home, demo):
    app = make_app(home, layout="responder", layout_forced=True)
    async with app.run_test(size=(160, 45)) as pilot:
        await opened(pilot)
        screen = main_screen(pilot)
        await pilot.press("escape", "4")
        pane = screen.query_one(RunbookPane)
        step = pane.selected_key.split("/")[1]
        progress = lambda: screen.state.runbooks["checkout-rollback"].progress_of(step)  # noqa: E731
        await pilot.press("d")
        prompt = screen.query_one(ConfirmLine)
        assert prompt.asking and "mark done" in prompt.question
        await pilot.press("escape")  # no: nothing written, back in the pane
        assert app.focused is pane and not prompt.asking
        await pilot.press("d", "y")
        await until(pilot, lambda: progress().status == "done")
        await pilot.press("o", "enter")  # a mistake: reopened, on the record
        await until(pilot, lambda: progress().status == "open")
        assert step_marks(home, demo)[-2:] == ["done", "reopen"]


async def test_help_says_how_each_record_key_is_guarded(home, demo):
    app = make_app(home, layout="responder", layout_forced=True)
    async with app.run_test(size=(160, 45)) as pilot:
        await opened(pilot)
        await pilot.press("escape", "4", "f1")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen))
        text = str(app.screen.query_one("Static").render())
        assert "runbook.done" in text and "asks first" in text and "o reopens" in text


async def test_quit_asks_while_text_is_in_the_entry_bar(home, demo):
    app = make_app(home)
    async with app.run_test(size=(160, 45)) as pilot:
        await opened(pilot)
        await pilot.press(*"half a thought", "ctrl+q")
        prompt = main_screen(pilot).query_one(ConfirmLine)
        assert prompt.asking and "unrecorded text in the entry bar" in prompt.question
        await pilot.press("escape")
        assert app.is_running and app.focused.value == "half a thought"
        await pilot.press("ctrl+q", "y")
        await until(pilot, lambda: not app.is_running)


async def test_quit_asks_while_a_prefilled_command_line_has_text(home, demo):
    """A pane key opens the ``:`` line with ``retract ID `` and a reason is typed after
    it: ctrl+q must ask, as for the entry bar, and "no" gives the line back intact."""
    app = make_app(home)
    async with app.run_test(size=(160, 45)) as pilot:
        await opened(pilot)
        await pilot.press("escape", "x", *"wrong incident")
        command = app.screen.query_one("#command-input")
        typed = command.value
        assert typed.startswith("retract ") and typed.endswith("wrong incident")
        await pilot.press("ctrl+q")
        prompt = main_screen(pilot).query_one(ConfirmLine)
        assert prompt.asking and f"command line not yet run ({len(typed)} chars)" in (
            prompt.question
        )
        await pilot.press("escape")
        assert app.is_running and app.focused is command and command.value == typed
        await pilot.press("ctrl+q", *" x")  # typing on: "no", and the keys stay on the line
        assert app.focused is command and command.value == typed + " x"
        await pilot.press("ctrl+q", "y")
        await until(pilot, lambda: not app.is_running)


async def test_a_paste_into_the_command_line_keeps_every_line(home, demo):
    """A reason pasted after a pane key's ``retract ID `` has several lines: Textual's
    ``Input`` would keep the first; the retraction must carry them all."""
    app = make_app(home)
    async with app.run_test(size=(160, 45)) as pilot:
        await opened(pilot)
        await pilot.press("escape", "x")
        app.screen.query_one("#command-input").post_message(
            events.Paste("logged on the wrong incident\nsee #4411")
        )
        await pilot.pause()
        await pilot.press("enter")
        await until(pilot, lambda: events_of(home, demo)[-1].kind == "retraction")
        reason = events_of(home, demo)[-1].payload.reason
        assert reason == "logged on the wrong incident\nsee #4411", reason


async def test_keys_and_a_paste_that_arrive_together_apply_in_order(home, demo):
    """ctrl+u (clear the bar) and a paste in one read, as over SSH or from a fast hand:
    Textual runs a widget's key bindings only once the key has bubbled up to the app, so
    the paste, handed to the bar directly, landed first and ctrl+u then wiped it."""
    app = make_app(home)
    async with app.run_test(size=(160, 45)) as pilot:
        await opened(pilot)
        await pilot.press(*"dns")
        bar = app.focused
        app.post_message(events.Key("ctrl+u", None))  # both queued before either is handled
        app.post_message(events.Paste("pool exhausted\nretrying"))
        app.post_message(events.Key("backspace", None))
        await until(pilot, lambda: bar.value.startswith("pool"))
        await pilot.pause()
        assert bar.value == "pool exhausted\u2424retryin", bar.value


async def test_colon_quit_leaves_at_once_when_nothing_else_is_at_stake(home, demo):
    """``:quit`` is typed on the command line itself: it must not count as text at stake."""
    app = make_app(home)
    async with app.run_test(size=(160, 45)) as pilot:
        await opened(pilot)
        await pilot.press(":", *"quit", "enter")
        await until(pilot, lambda: not app.is_running)


async def test_the_whole_quit_question_shows_at_80_columns(home, demo):
    """At 80x24 the question with its stakes is longer than a line: it wraps, so the
    count of what would be dropped and the question mark are on screen, not cut off."""
    app = make_app(home)
    async with app.run_test(size=(80, 24)) as pilot:
        await opened(pilot)
        await pilot.press(*"half a thought", "ctrl+q")
        await pilot.pause()
        prompt = main_screen(pilot).query_one(ConfirmLine)
        shown = " ".join(
            line.text.strip() for line in prompt.render_lines(prompt.region.reset_offset)
        )
        assert prompt.region.height >= 2
        assert "(14 chars)?" in shown, shown


async def test_quit_with_a_running_command_records_it_as_stopped(home, probe):  # noqa: F811
    slow = parse_policy("[runbooks]\nallow_commands = true\ncommand_timeout_seconds = 60\n", "t")
    app = make_app(home, policy=slow, layout="responder", layout_forced=True)
    async with app.run_test(size=(160, 45)) as pilot:
        await on_step(pilot, "slow")
        await pilot.press("r", "enter")
        await until(pilot, lambda: main_screen(pilot).running)
        await pilot.press("q")
        prompt = main_screen(pilot).query_one(ConfirmLine)
        assert "stop the running command of probe/slow" in prompt.question
        started = time.monotonic()
        await pilot.press("y")
        await until(pilot, lambda: not app.is_running)
    assert time.monotonic() - started < 3
    [run] = runs(home, probe)
    assert run.exit_code is None and run.output.startswith(STOPPED_ON_QUIT)


async def test_a_200_line_paste_is_one_entry(home, demo):
    app = make_app(home)
    async with app.run_test(size=(160, 45)) as pilot:
        await opened(pilot)
        app.post_message(events.Paste(LOG))
        await pilot.pause()
        assert "200 lines" in hint(pilot)
        await pilot.press("enter")
        await until(pilot, lambda: events_of(home, demo)[-1].kind == "note")
        assert events_of(home, demo)[-1].payload.text == LOG
        timeline = main_screen(pilot).query_one(Timeline)
        await until(pilot, lambda: "⏎ +199 lines" in timeline.line(timeline.selected).plain)


async def test_a_paste_over_the_limit_is_refused_in_words_and_kept(home, demo):
    app = make_app(home)
    async with app.run_test(size=(160, 45)) as pilot:
        await opened(pilot)
        before = len(events_of(home, demo))
        app.post_message(events.Paste("x" * 12_034))
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause(0.2)
        assert "entry is 12,034 characters; the limit is 10,000" in hint(pilot)
        assert len(app.focused.value) == 12_034
        assert len(events_of(home, demo)) == before


async def test_the_hint_refuses_what_enter_would_refuse(home, demo):
    app = make_app(home)
    async with app.run_test(size=(160, 45)) as pilot:
        await opened(pilot)
        await pilot.press(*"s: @exec all good")
        assert "unknown audience 'exec'" in hint(pilot)
        await pilot.press("ctrl+u", *"s: @external all good")
        assert "status update · to external" in hint(pilot)


async def test_tab_completes_with_the_separating_space(home, demo):
    app = make_app(home)
    async with app.run_test(size=(160, 45)) as pilot:
        await opened(pilot)
        entry = app.focused
        await pilot.press(*":sev")
        await until(pilot, lambda: entry._suggestion == ":sev ")
        await pilot.press("tab", "S")
        await until(pilot, lambda: entry._suggestion.startswith(":sev SEV"))
        await pilot.press("tab")
        assert entry.value.startswith(":sev SEV") and "severitySEV" not in entry.value


async def test_check_completion_filters_and_offers_unchecked_items_first(home, demo):
    app = make_app(home)
    async with app.run_test(size=(160, 45)) as pilot:
        await opened(pilot)
        screen = main_screen(pilot)
        items = list(screen.choices("item"))
        checked = [i for i in items if screen.state.is_checked(*i.split("/", 1))]
        assert checked and items[-len(checked) :] == checked  # the demo checked some
        name = items[0].split("/", 1)[1]
        assert complete(f"check {name[:4]}", screen.choices)[0] == f"check {items[0]} "


async def test_the_entry_bar_does_not_blink_in_low_bandwidth(home, demo, monkeypatch):
    from textual.widgets import Input

    monkeypatch.setattr(Input, "cursor_blink", True)  # the fixtures turn it off everywhere
    app = make_app(home)
    app.animation_level = "none"  # what TEXTUAL_ANIMATIONS=none (the SSH profile) sets
    async with app.run_test(size=(80, 24)) as pilot:
        await opened(pilot)
        assert app.focused.id == "entry-input" and not app.focused.cursor_blink
