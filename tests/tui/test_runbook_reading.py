"""Reading a runbook on the screen: the whole step (Enter), the reference sections (m),
step ids, what a run printed, a failed run told apart and offered as a failure, the
same step count as the CLI, and command output in the Markdown export."""

from pathlib import Path

from tests.tui.conftest import NOW, main_screen, make_app, opened, room_for, until
from tests.tui.test_step_run import ALLOWED, notices, runs
from warroom.config import shipped_dir
from warroom.core.export import to_markdown
from warroom.core.policy import default_policy
from warroom.core.runbook import parse_runbook
from warroom.runbooks.runner import CommandOutcome
from warroom.tui.screens.step_detail import RunbookReference, StepDetail
from warroom.tui.widgets.confirm_line import ConfirmLine
from warroom.tui.widgets.runbook import RunbookPane
from warroom.tui.widgets.timeline import Timeline

FAILING = """# Probe

## Triage
- [command] Say hello {#hello}
  ```sh
  printf 'hello\\n'
  ```
- [command] Break {#broken}

  This one fails on purpose, and says why.
  ```sh
  printf 'boom: no such record\\n'; exit 3
  ```
"""


def shipped(name: str):
    path = shipped_dir("runbooks") / f"{name}.md"
    runbook, problems = parse_runbook(path.read_bytes(), str(path))
    assert not problems
    return runbook


def incident_with(home: Path, *runbooks) -> str:
    room = room_for(home)
    try:
        incident = room.declare("DNS broken", severity="SEV2", incident_type="outage", at=NOW)
        for runbook in runbooks:
            room.attach_runbook(incident.incident_id, runbook, at=NOW)
        return incident.incident_id
    finally:
        room.store.close()


async def select_step(pilot, key: str) -> RunbookPane:
    await opened(pilot)
    screen = main_screen(pilot)
    pane = screen.query_one(RunbookPane)
    screen.action_focus_pane("runbook")  # from wherever the focus is: the bar, a pane
    await pilot.press("g")
    while pane.selected_key != key:
        before = pane.cursor
        await pilot.press("j")
        assert pane.cursor != before, f"no step {key}"
    return pane


def modal_text(app) -> str:
    return app.screen.query_one("Static").render().plain


async def test_enter_shows_the_whole_step_and_the_pane_shows_ids(home):
    incident_with(home, shipped("dns-misconfiguration"))
    app = make_app(home)
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await select_step(pilot, "dns-misconfiguration/restore-record")
        assert "restore-record" in pane.render_row(pane.cursor, 78).text
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, StepDetail))
        await pilot.pause()
        shown = app.screen.query_one("#step-text").render().plain
        assert "Restore the last known-good record" in shown
        assert "dns-misconfiguration/restore-record · rollback · containment" in shown
        assert "request parameters) into `restore.json` as an `UPSERT`, then apply it." in shown
        assert "$ aws route53 change-resource-record-sets --hosted-zone-id" in shown
        assert "restore-record.1 The change is `INSYNC`" in shown  # the sub-step, with its id
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, StepDetail))


async def test_m_shows_the_reference_sections(home):
    incident_with(home, shipped("kube-pod-crash-looping"))
    app = make_app(home, layout="responder", layout_forced=True)
    async with app.run_test(size=(160, 45)) as pilot:
        await opened(pilot)
        await until(pilot, lambda: main_screen(pilot).catalog is not None)
        await pilot.press("escape", "4", "m")
        await until(pilot, lambda: isinstance(app.screen, RunbookReference))
        shown = modal_text(app)
        assert "## Meaning" in shown and "A container in a pod keeps restarting" in shown
        assert "## Impact" in shown and "## Diagnosis" in shown
        await pilot.press("m")
        await until(pilot, lambda: not isinstance(app.screen, RunbookReference))


async def test_a_failed_run_looks_different_and_offers_to_fail_the_step(home):
    runbook, problems = parse_runbook(FAILING.encode(), "probe.md")
    assert not problems
    incident = incident_with(home, runbook)
    app = make_app(home, policy=ALLOWED, layout="responder", layout_forced=True)
    async with app.run_test(size=(160, 45), notifications=True) as pilot:
        screen = main_screen(pilot)
        for step in ("hello", "broken"):
            pane = await select_step(pilot, f"probe/{step}")
            await pilot.press("r")
            await until(pilot, lambda: app.screen is not screen)
            await pilot.press("y")
            await until(pilot, lambda s=step: s in [r.step_id for r in runs(home, incident)])
            await until(pilot, lambda s=step: screen.state.runbooks["probe"].progress_of(s).runs)
        rows = {pane._rows[i][1]: pane._rows[i][0] for i in range(pane.row_count)}
        assert "ran ok" in rows["probe/hello"].plain
        assert "✗ exit 3" in rows["probe/broken"].plain
        assert "✗" not in rows["probe/hello"].plain
        await until(pilot, lambda: "marks it failed" in notices(app))

        await pilot.press("enter")  # the whole step, with what the run printed
        await until(pilot, lambda: isinstance(app.screen, StepDetail))
        text = app.screen.query_one("#step-text")
        await until(pilot, lambda: "boom: no such record" in text.render().plain)
        assert "This one fails on purpose" in text.render().plain
        assert "f marks the step failed" in text.render().plain

        await pilot.press("f")  # asks first; n leaves the step as it is
        prompt = screen.query_one(ConfirmLine)
        await until(pilot, lambda: app.screen is screen and prompt.asking)
        assert "mark probe/broken failed? (its command exited 3)" in prompt.question
        await pilot.press("n")
        await until(pilot, lambda: not prompt.asking)
        await pilot.pause(0.2)
        assert screen.state.runbooks["probe"].progress_of("broken").status == "open"

        await select_step(pilot, "probe/broken")
        await pilot.press("f")  # from the pane too; y marks it, the outcome as the reason
        await until(pilot, lambda: prompt.asking)
        await pilot.press("y")
        progress = lambda: screen.state.runbooks["probe"].progress_of("broken")  # noqa: E731
        await until(pilot, lambda: progress().status == "failed")
        assert progress().note == "its command exited 3"


async def test_the_screen_and_the_cli_count_the_same_steps(home, cli):
    incident = incident_with(home)
    out = cli("attach", incident, "dns-misconfiguration", home=home).out
    assert "15 steps" in out
    app = make_app(home)
    async with app.run_test(size=(160, 45)) as pilot:
        await opened(pilot)
        timeline = main_screen(pilot).query_one(Timeline)
        await until(pilot, lambda: timeline.selected is not None)
        assert "15 steps" in timeline.selected.text
        pane = main_screen(pilot).query_one(RunbookPane)
        assert "0/15" in pane._rows[0][0].plain


def test_the_markdown_export_has_the_command_output(home):
    runbook, _ = parse_runbook(FAILING.encode(), "probe.md")
    incident = incident_with(home, runbook)
    room = room_for(home)
    room.policy = ALLOWED
    step = runbook.step("broken")
    hostile = "boom\n```\n# not a heading\x1b[31m red\n"
    room.record_command_run(
        incident, "probe", "broken", step.commands[0], CommandOutcome(NOW, 3, 0.2, hostile)
    )
    state = room.state(incident)
    markdown = to_markdown(state, room.store.events(incident), default_policy())
    room.store.close()
    section = markdown.split("## Command output", 1)[1]
    assert "### Ran probe/broken: exit 3 in 0.2 s" in section
    assert "````text\nboom\n```\n# not a heading␛[31m red\n````" in section
    assert "```sh\nprintf 'boom: no such record\\n'; exit 3\n```" in section
    assert "\x1b" not in markdown
