"""Running a runbook step's pinned command from the war-room screen (``r``).

Real parts throughout: the commands really run (harmless ``printf``, ``echo``,
``sleep``), on the screen's worker thread, and the outcome is read back from the SQLite
store with a separate connection.
"""

import os
import time

import pytest

from tests.tui.conftest import main_screen, make_app, opened, room_for, until, write
from tests.tui.test_hostile import EVIL, RAW, painted
from warroom.core.policy import parse_policy
from warroom.core.runbook import parse_runbook
from warroom.tui.screens.run_step import ConfirmRun
from warroom.tui.widgets.runbook import RunbookPane

PROBE = """# Probe

## Triage
- [command] Say hello {#hello}
  ```sh
  printf 'hello %s\\n' pinned; echo second line
  ```
- [command] Wait too long {#slow}
  ```sh
  sleep 5
  ```
- Look around {#look}
- [command] Start in bash {#in-bash}
  ```bash
  echo never
  ```
"""

ALLOWED = parse_policy("[runbooks]\nallow_commands = true\ncommand_timeout_seconds = 1\n", "t")


@pytest.fixture
def probe(home) -> str:
    """An incident with the probe runbook attached; returns its id."""
    runbook, problems = parse_runbook(PROBE.encode(), "probe.md")
    assert not problems, problems
    room = room_for(home)
    try:
        iid = room.declare("Probe", severity="SEV3", incident_type="outage").incident_id
        room.attach_runbook(iid, runbook)
        return iid
    finally:
        room.store.close()


def runs(home, incident_id):
    room = room_for(home)
    try:
        return [e.payload for e in room.store.events(incident_id) if e.kind == "command_run"]
    finally:
        room.store.close()


def notices(app) -> str:
    return "\n".join(n.message for n in app._notifications)


async def on_step(pilot, step_id: str) -> RunbookPane:
    """Focus the runbook pane and put its cursor on ``step_id``."""
    await opened(pilot)
    pane = main_screen(pilot).query_one(RunbookPane)
    await pilot.press("escape", "4")  # from the entry bar (home) to the runbook
    await pilot.press("g")
    while pane.selected_key != f"probe/{step_id}":
        before = pane.cursor
        await pilot.press("j")
        assert pane.cursor != before, f"no step {step_id}"
    return pane


def modal_text(app) -> str:
    return painted(app.screen.query_one("Static"))[0]


async def test_confirm_runs_the_pinned_command_and_records_it(home, probe):
    app = make_app(home, policy=ALLOWED, layout="responder", layout_forced=True)
    async with app.run_test(size=(160, 45)) as pilot:
        await on_step(pilot, "hello")
        await pilot.press("r")
        await until(pilot, lambda: isinstance(app.screen, ConfirmRun))
        await pilot.pause()
        shown = modal_text(app)
        assert "$ printf 'hello %s\\n' pinned; echo second line" in shown
        assert "/sh" in shown and "1 s, then it is stopped" in shown
        assert os.getcwd() in shown and "changed since" not in shown
        await pilot.press("enter")
        await until(pilot, lambda: runs(home, probe))
        [run] = runs(home, probe)
        assert (run.runbook_id, run.step_id, run.exit_code) == ("probe", "hello", 0)
        assert run.command == "printf 'hello %s\\n' pinned; echo second line"
        assert run.output == "hello pinned\nsecond line"
        await until(pilot, lambda: "Ran probe/hello: exit 0" in notices(app))
        assert "hello pinned" in notices(app)
        screen = main_screen(pilot)
        await until(pilot, lambda: screen.state.runbooks["probe"].progress_of("hello").runs)
        data = screen.timeline_data  # the entry is on the timeline too
        await until(pilot, lambda: any(data.rows.get(seq) for seq in data.view[0]))
        assert any(r.kind == "command_run" for s in data.view[0] if (r := data.rows.get(s)))

        await pilot.press("colon")  # the same from the : line, with y this time
        await write(pilot, "step run probe/hello")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ConfirmRun))
        await pilot.press("y")
        await until(pilot, lambda: len(runs(home, probe)) == 2)


async def test_cancel_records_nothing(home, probe):
    app = make_app(home, policy=ALLOWED, layout="responder", layout_forced=True)
    async with app.run_test(size=(160, 45)) as pilot:
        await on_step(pilot, "hello")
        for cancel in ("escape", "n"):
            await pilot.press("r")
            await until(pilot, lambda: isinstance(app.screen, ConfirmRun))
            await pilot.press(cancel)
            await until(pilot, lambda: not isinstance(app.screen, ConfirmRun))
        assert "not confirmed; probe/hello was not run" in notices(app)
        await pilot.pause(0.3)
        assert runs(home, probe) == []
        await pilot.press("question_mark")  # the pane's help lists the key by its id
        from warroom.tui.screens.help import HelpScreen

        assert isinstance(app.screen, HelpScreen)
        assert "runbook.run" in str(app.screen.query_one("Static").render())


async def test_refusals_say_why(home, probe, tmp_path, monkeypatch):
    app = make_app(home, layout="responder", layout_forced=True)  # the default policy
    async with app.run_test(size=(160, 45)) as pilot:
        await on_step(pilot, "hello")
        await pilot.press("r")
        await until(pilot, lambda: "[runbooks] allow_commands = true" in notices(app))
        assert not isinstance(app.screen, ConfirmRun)

    broken = tmp_path / "bin"  # a "bash" that cannot be executed: the command cannot start
    broken.mkdir()
    (broken / "bash").write_bytes(b"")
    (broken / "bash").chmod(0o755)
    monkeypatch.setenv("PATH", f"{broken}{os.pathsep}{os.environ['PATH']}")
    app = make_app(home, policy=ALLOWED, layout="responder", layout_forced=True)
    async with app.run_test(size=(160, 45)) as pilot:
        await on_step(pilot, "look")
        await pilot.press("r")
        await until(pilot, lambda: "probe/look has no shell command to run" in notices(app))
        await pilot.press("j", "r")
        await until(pilot, lambda: isinstance(app.screen, ConfirmRun))
        await pilot.press("y")
        await until(pilot, lambda: "could not start the command of probe/in-bash" in notices(app))
        await pilot.pause(0.3)
        assert runs(home, probe) == []


async def test_read_only_refuses(home, probe):
    """Read-only offers no way to run a command: ``r`` is off (not in ``?`` nor the
    footer) and ``:step run`` says why."""
    app = make_app(home, policy=ALLOWED, layout="responder", layout_forced=True, read_only=True)
    async with app.run_test(size=(160, 45)) as pilot:
        await on_step(pilot, "hello")
        await pilot.press("r")
        await pilot.pause(0.2)
        assert not isinstance(app.screen, ConfirmRun)
        main_screen(pilot).run_command("step run probe/hello")
        await until(pilot, lambda: ":step changes the record" in notices(app))
        assert not isinstance(app.screen, ConfirmRun)
        await pilot.pause(0.3)
        assert runs(home, probe) == []


async def test_a_command_past_its_timeout_is_stopped_and_recorded(home, probe):
    app = make_app(home, policy=ALLOWED, layout="responder", layout_forced=True)
    async with app.run_test(size=(160, 45)) as pilot:
        pane = await on_step(pilot, "slow")
        await pilot.press("r", "enter")
        started = time.monotonic()

        def row() -> str:
            return next(t.plain for t, key in pane._rows if key == "probe/slow")

        await until(pilot, lambda: "running…" in row())
        await pilot.press("r")  # not twice at once
        await until(pilot, lambda: "probe/slow is still running" in notices(app))
        await until(pilot, lambda: runs(home, probe))
        assert time.monotonic() - started < 4
        [run] = runs(home, probe)
        assert run.exit_code is None and 1 <= run.duration_s < 3
        await until(pilot, lambda: "stopped at the timeout" in notices(app))
        assert "running…" not in row()


async def test_quitting_stops_a_running_command(home, probe):
    slow = parse_policy("[runbooks]\nallow_commands = true\ncommand_timeout_seconds = 60\n", "t")
    app = make_app(home, policy=slow, layout="responder", layout_forced=True)
    async with app.run_test(size=(160, 45)) as pilot:
        await on_step(pilot, "slow")
        await pilot.press("r", "enter")
        await until(pilot, lambda: main_screen(pilot).running)
        started = time.monotonic()
    assert time.monotonic() - started < 3  # not the 5 s of `sleep 5`
    assert runs(home, probe) == []


async def test_the_pinned_command_runs_even_when_the_file_changed(home, probe):
    folder = home / "runbooks"
    folder.mkdir(parents=True)
    (folder / "probe.md").write_text(PROBE.replace("pinned", "from-disk"))
    app = make_app(home, policy=ALLOWED, layout="responder", layout_forced=True)
    async with app.run_test(size=(160, 45)) as pilot:
        await on_step(pilot, "hello")
        screen = main_screen(pilot)
        await until(pilot, lambda: screen.catalog and "probe" in screen.catalog.entries)
        await pilot.press("r")
        await until(pilot, lambda: isinstance(app.screen, ConfirmRun))
        await pilot.pause()
        shown = modal_text(app)
        assert "changed since it was pinned" in shown and ":attach probe" in shown
        assert "pinned;" in shown and "from-disk" not in shown
        await pilot.press("enter")
        await until(pilot, lambda: runs(home, probe))
        assert runs(home, probe)[0].output.startswith("hello pinned\n")


async def test_a_hostile_command_is_shown_literally(home):
    runbook, _ = parse_runbook(b"# Evil\n\n## Triage\n- step {#evil}\n", "evil.md")
    step = runbook.steps[0]
    command = step.model_copy(update={"commands": (*step.commands, _block(EVIL))})
    room = room_for(home)  # as a peer could send it: control characters included
    try:
        iid = room.declare("Evil", severity="SEV3", incident_type="outage").incident_id
        room.attach_runbook(iid, runbook.model_copy(update={"steps": (command,)}))
    finally:
        room.store.close()
    app = make_app(home, policy=ALLOWED, layout="responder", layout_forced=True)
    async with app.run_test(size=(160, 45)) as pilot:
        await opened(pilot)
        await pilot.press("escape", "4", "r")
        await until(pilot, lambda: isinstance(app.screen, ConfirmRun))
        await pilot.pause()
        text, segments = painted(app.screen.query_one("Static"))
        assert not RAW.search(text), text
        assert "[bold]B[/]" in text and "␛" in text and "␍" in text
        for segment in segments:
            assert not (segment.style and segment.style.link), segment
            assert not (segment.style and segment.style.bold and segment.text == "B"), segment
        await pilot.press("escape")
        await pilot.pause(0.2)
        assert runs(home, iid) == []


def _block(code: str):
    from warroom.core.runbook import CodeBlock

    return CodeBlock(language="sh", code=code, line=5)
