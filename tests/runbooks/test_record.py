"""Runbooks on the record: events, their fold, the write path and the command runner."""

import threading
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.factories import declaration, make_event
from warroom.actions import WarRoom
from warroom.core.errors import InvalidInput, NotFound
from warroom.core.fold import fold
from warroom.core.policy import default_policy, parse_policy
from warroom.core.runbook import CodeBlock, Runbook, parse_runbook
from warroom.core.timeparse import utcnow
from warroom.runbooks.runner import EXCERPT_BYTES, CommandOutcome, run_command
from warroom.store.local import LocalStore

INC = "inc-test01"
DOC = b"""# Gated
## Triage
- [check] Look {#look}
  ```bash
  echo looking
  ```
  ```sql
  select 1;
  ```
## Containment
- [approval] Commander approves
- [command] Do it
  ```sh
  echo doing
  ```
  ```sh
  echo again
  ```
- [check] No command here
"""


def runbook(raw: bytes = DOC, name: str = "gated.md") -> Runbook:
    parsed, problems = parse_runbook(raw, name)
    assert not problems
    return parsed


def attached(book: Runbook, **kw):
    return make_event(
        "runbook_attached",
        INC,
        runbook_id=book.id,
        title=book.title,
        content_hash=book.content_hash,
        source_path=book.path,
        steps=[s.model_dump() for s in book.steps],
        **kw,
    )


def mark(step_id: str, action: str, actor: str = "bob", note: str = "", **kw):
    return make_event(
        "runbook_step",
        INC,
        actor=actor,
        runbook_id="gated",
        step_id=step_id,
        action=action,
        note=note,
        **kw,
    )


# The fold -------------------------------------------------------------------------------


def test_attaching_pins_the_steps_and_a_re_pin_keeps_progress_by_id():
    v1 = runbook()
    v2 = runbook(DOC.replace(b"Look {#look}", b"Look harder {#look}"))
    state = fold([declaration(INC), attached(v1, minute=1), mark("look", "done", minute=2)])
    pinned = state.runbooks["gated"]
    assert (pinned.content_hash, pinned.attached_by) == (v1.content_hash, "alice")
    assert pinned.step("containment-1").type == "approval"
    state = fold([attached(v2, minute=3, actor="carol")], state)
    pinned = state.runbooks["gated"]
    assert pinned.content_hash == v2.content_hash
    assert pinned.step("look").title == "Look harder"
    assert pinned.attached_at < pinned.pinned_at
    assert pinned.progress_of("look").status == "done"


def test_step_marks_set_status_owner_and_times():
    state = fold(
        [
            declaration(INC),
            attached(runbook()),
            mark("look", "claim", actor="bob", minute=1),
            mark("look", "start", actor="carol", minute=2),
            mark("look", "claim", actor="dave", minute=3),
            mark("look", "fail", actor="carol", note="timed out", minute=4),
        ]
    )
    progress = state.runbooks["gated"].progress_of("look")
    assert (progress.status, progress.owner, progress.finished_by, progress.note) == (
        "failed",
        "dave",
        "carol",
        "timed out",
    )
    assert progress.claimed_at and progress.started_at < progress.finished_at
    retried = fold([mark("look", "start", minute=5)], state).runbooks["gated"].progress_of("look")
    assert (retried.status, retried.finished_at, retried.note) == ("started", None, "")
    assert state.runbooks["gated"].progress_of("containment-2").status == "open"


def test_a_mark_made_by_mistake_is_taken_back_by_a_reopen():
    state = fold(
        [
            declaration(INC),
            attached(runbook()),
            mark("look", "done", minute=1),
            mark("look", "reopen", actor="carol", minute=2),
        ]
    )
    progress = state.runbooks["gated"].progress_of("look")
    assert (progress.status, progress.finished_at, progress.owner) == ("open", None, None)


def test_reopening_is_on_the_record_and_only_for_a_marked_step(room, incident):
    from warroom.core.events import payload_text

    room.attach_runbook(incident, runbook())
    with pytest.raises(InvalidInput, match="gated/look is already open"):
        room.mark_step(incident, "look", "reopen")
    room.mark_step(incident, "look", "done")
    event = room.mark_step(incident, "look", "reopen")
    assert payload_text(event.payload) == "Step gated/look reopened"
    assert room.state(incident).runbooks["gated"].progress_of("look").status == "open"
    marks = [e.payload.action for e in room.store.events(incident) if e.kind == "runbook_step"]
    assert marks == ["done", "reopen"]  # both kept: taken back, never erased


def test_marks_and_runs_for_a_runbook_never_attached_are_ignored():
    state = fold([declaration(INC), mark("look", "done")])
    assert state.runbooks == {} and state.event_count == 2


def test_command_runs_are_listed_on_the_step():
    run = make_event(
        "command_run",
        INC,
        runbook_id="gated",
        step_id="look",
        command="echo looking",
        exit_code=0,
        duration_s=0.5,
        output="looking",
    )
    state = fold([declaration(INC), attached(runbook()), run])
    [record] = state.runbooks["gated"].progress_of("look").runs
    assert (record.event_id, record.exit_code, record.duration_s) == (run.id, 0, 0.5)


def test_failing_or_skipping_without_a_note_is_not_a_valid_event():
    with pytest.raises(ValueError, match="needs a note"):
        mark("look", "skip")


_marks = st.lists(
    st.tuples(
        st.sampled_from(["look", "containment-1", "containment-2"]),
        st.sampled_from(["claim", "start", "done", "fail", "skip"]),
        st.sampled_from(["bob", "carol"]),
    ).map(lambda t: mark(*t, note="because")),
    max_size=15,
)


@settings(max_examples=100, deadline=None)
@given(_marks, st.data())
def test_runbook_progress_folds_prefix_then_rest_like_all_at_once(marks, data):
    log = [declaration(INC), attached(runbook()), *marks]
    cut = data.draw(st.integers(1, len(log)))
    assert fold(log[cut:], fold(log[:cut])).model_dump() == fold(log).model_dump()


# The write path -------------------------------------------------------------------------


@pytest.fixture
def room(tmp_path: Path):
    store = LocalStore(tmp_path / "warroom.db")
    yield WarRoom(store, default_policy(), "alice")
    store.close()


@pytest.fixture
def incident(room) -> str:
    return room.declare("DNS broken", severity="SEV2", incident_type="outage").incident_id


def as_user(room: WarRoom, actor: str, policy=None) -> WarRoom:
    return WarRoom(room.store, policy or room.policy, actor)


def test_attach_pins_once_per_version(room, incident):
    book = runbook()
    room.attach_runbook(incident, book)
    with pytest.raises(InvalidInput, match=r"already attached .* at this version"):
        room.attach_runbook(incident, book)
    newer = runbook(DOC + b"- one more\n")
    room.attach_runbook(incident, newer)
    assert room.state(incident).runbooks["gated"].content_hash == newer.content_hash
    assert [e.kind for e in room.store.events(incident)].count("runbook_attached") == 2


def test_steps_are_found_by_id_or_runbook_slash_id(room, incident):
    with pytest.raises(NotFound, match="no runbook is attached"):
        room.mark_step(incident, "look", "claim")
    room.attach_runbook(incident, runbook())
    room.attach_runbook(incident, runbook(name="other.md"))
    with pytest.raises(InvalidInput, match="several attached runbooks: name one of gated/look"):
        room.mark_step(incident, "look", "claim")
    event = room.mark_step(incident, "other/LOOK", "claim")
    assert (event.payload.runbook_id, event.payload.step_id) == ("other", "look")
    with pytest.raises(NotFound, match="no step 'gated/nope'"):
        room.mark_step(incident, "gated/nope", "claim")
    with pytest.raises(NotFound, match="runbook 'ghost' is not attached"):
        room.mark_step(incident, "ghost/look", "claim")


def test_fail_and_skip_need_a_note(room, incident):
    room.attach_runbook(incident, runbook())
    with pytest.raises(InvalidInput, match="to fail a step, add a note saying what went wrong"):
        room.mark_step(incident, "look", "fail")
    with pytest.raises(InvalidInput, match="to skip a step, add a note saying why"):
        room.mark_step(incident, "look", "skip", note="  ")
    assert room.mark_step(incident, "look", "skip", note="not needed").payload.note == "not needed"


def test_no_op_marks_are_refused(room, incident):
    room.attach_runbook(incident, runbook())
    room.mark_step(incident, "look", "claim")
    with pytest.raises(InvalidInput, match="already claimed by you"):
        room.mark_step(incident, "look", "claim")
    as_user(room, "bob").mark_step(incident, "look", "claim")  # taking it over is allowed
    room.mark_step(incident, "look", "start")
    with pytest.raises(InvalidInput, match="gated/look is already started"):
        room.mark_step(incident, "look", "start")
    room.mark_step(incident, "look", "done")
    for action in ("done", "claim", "start"):
        with pytest.raises(InvalidInput, match="already done"):
            room.mark_step(incident, "look", action)
    room.mark_step(incident, "look", "fail", note="it was not really done")
    room.mark_step(incident, "look", "start")  # a failed step may be tried again


def test_only_the_commander_or_deputy_completes_an_approval_step(room, incident):
    room.attach_runbook(incident, runbook())
    bob = as_user(room, "bob")
    bob.mark_step(incident, "containment-1", "claim")  # going to get the approval
    for action, note in (("done", ""), ("skip", "no time")):
        with pytest.raises(InvalidInput, match="approval step needs the commander or deputy"):
            bob.mark_step(incident, "containment-1", action, note=note)
    room.assign(incident, "deputy", "bob")
    assert bob.mark_step(incident, "containment-1", "done").payload.action == "done"


def test_running_a_command_needs_the_policy(room, incident):
    room.attach_runbook(incident, runbook())
    with pytest.raises(InvalidInput, match=r"policy must set \[runbooks\] allow_commands = true"):
        room.run_step_command(incident, "look", confirm=_never_asked, execute=_never_run)


def _never_asked(command):
    raise AssertionError("asked for confirmation")


def _never_run(command, timeout):
    raise AssertionError("ran a command")


@pytest.fixture
def runner(room, incident) -> WarRoom:
    policy = parse_policy("[runbooks]\nallow_commands = true\ncommand_timeout_seconds = 7\n", "p")
    allowed = as_user(room, "alice", policy)
    allowed.attach_runbook(incident, runbook())
    return allowed


def test_a_confirmed_command_runs_the_pinned_block_and_is_recorded(runner, incident, tmp_path):
    asked, ran = [], []

    def execute(command: CodeBlock, timeout: float) -> CommandOutcome:
        ran.append((command.code, timeout))
        return CommandOutcome(runner.state(incident).milestones["declared"], 3, 1.25, "out")

    event = runner.run_step_command(
        incident,
        "containment-2",
        confirm=lambda c: asked.append(c.code) or True,
        execute=execute,
        block=2,
    )
    assert asked == ["echo again"] and ran == [("echo again", 7)]
    payload = event.payload
    assert (payload.command, payload.exit_code, payload.duration_s, payload.output) == (
        "echo again",
        3,
        1.25,
        "out",
    )
    assert event.occurred_at == runner.state(incident).milestones["declared"]
    [record] = runner.state(incident).runbooks["gated"].progress_of("containment-2").runs
    assert record.exit_code == 3


def test_a_refused_confirmation_runs_nothing(runner, incident):
    with pytest.raises(InvalidInput, match="not confirmed; nothing was run"):
        runner.run_step_command(incident, "look", confirm=lambda c: False, execute=_never_run)
    assert "command_run" not in [e.kind for e in runner.store.events(incident)]


def test_a_shell_that_cannot_start_is_a_clear_refusal(runner, incident):
    def execute(command: CodeBlock, timeout: float) -> CommandOutcome:
        raise FileNotFoundError(2, "No such file or directory")

    with pytest.raises(InvalidInput, match="could not start the command of look: No such file"):
        runner.run_step_command(incident, "look", confirm=lambda c: True, execute=execute)
    assert "command_run" not in [e.kind for e in runner.store.events(incident)]


def test_a_run_is_recorded_only_where_commands_are_allowed(room, runner, incident):
    block = room.state(incident).runbooks["gated"].step("look").commands[0]  # as pinned
    outcome = CommandOutcome(utcnow(), 0, 0.01, "")
    with pytest.raises(InvalidInput, match="allow_commands = true"):
        room.record_command_run(incident, "gated", "look", block, outcome)
    event = runner.record_command_run(incident, "gated", "look", block, outcome)
    assert (event.payload.command, event.occurred_at) == (block.code, outcome.started_at)
    with pytest.raises(InvalidInput, match="not one pinned with the runbook"):
        other = CodeBlock(code="true", line=1)
        runner.record_command_run(incident, "gated", "look", other, outcome)


def test_only_shell_blocks_of_the_step_can_run(runner, incident):
    with pytest.raises(InvalidInput, match="has no shell command"):
        runner.run_step_command(incident, "containment-3", confirm=_never_asked, execute=_never_run)
    with pytest.raises(InvalidInput, match="has 1 shell command"):  # the sql block is not one
        runner.run_step_command(incident, "look", confirm=_never_asked, execute=_never_run, block=2)


# The runner -----------------------------------------------------------------------------


def test_run_command_reports_exit_code_and_output():
    outcome = run_command(
        CodeBlock(language="bash", code="echo out; echo err >&2; exit 4", line=1), 10
    )
    assert (outcome.exit_code, outcome.output) == (4, "out\nerr\n")
    assert outcome.duration_s >= 0


def test_run_command_stops_the_whole_group_at_the_timeout():
    start = time.monotonic()
    outcome = run_command(CodeBlock(code="echo started; sleep 30 | cat", line=1), 0.5)
    assert time.monotonic() - start < 5
    assert outcome.exit_code is None and outcome.output == "started\n"


def test_run_command_ends_early_when_told_to_stop():
    stop = threading.Event()
    threading.Timer(0.3, stop.set).start()
    start = time.monotonic()
    outcome = run_command(CodeBlock(code="echo started; sleep 30", line=1), 60, stop=stop)
    assert time.monotonic() - start < 5
    assert outcome.exit_code is None and outcome.output == "started\n"
    quick = run_command(CodeBlock(code="exit 2", line=1), 60, stop=threading.Event())
    assert quick.exit_code == 2


def test_run_command_keeps_only_the_ends_of_long_output():
    outcome = run_command(CodeBlock(code="seq 1 100000", line=1), 10)
    assert outcome.output.startswith("1\n2\n3\n")
    assert outcome.output.endswith("99999\n100000\n")
    assert "bytes omitted" in outcome.output
    assert len(outcome.output.encode()) < 2 * EXCERPT_BYTES + 100
