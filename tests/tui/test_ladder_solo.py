"""The ladder in a solo session: the runner on a real home, the screen running it, and
``warroom ack`` stopping it — real SQLite files, the real console script, real tmux."""

import os
import subprocess
from datetime import timedelta

import pytest

from tests.tui.conftest import NOW, main_screen, make_app, opened, room_for, until
from tests.tui.test_terminal import TMUX, WARROOM, wait_for
from warroom.core import events as ev
from warroom.core.ladder_runner import LADDER_ACTOR, LadderRunner
from warroom.core.policy import default_policy, parse_policy
from warroom.core.timeparse import utcnow
from warroom.store.local import LocalStore
from warroom.tui.ladder_worker import SoloWriter


def vacant_sev1(home, minutes_ago: float, now=NOW, drill: bool = False) -> str:
    """A SEV1 declared by intake, command vacant: nobody has acknowledged it."""
    room = room_for(home, "intake:alertmanager")
    try:
        at = now - timedelta(minutes=minutes_ago)
        declared = room.declare(
            "Checkout down",
            severity="SEV1",
            incident_type="outage",
            at=at,
            take_command=False,
            drill=drill,
        )
        return declared.incident_id
    finally:
        room.store.close()


def escalations(home, incident: str) -> list[ev.Event]:
    store = LocalStore(home / "warroom.db")
    try:
        return [e for e in store.events(incident) if e.kind == "escalation"]
    finally:
        store.close()


def tick(home, now, policy=None):
    """One tick of a fresh runner on its own connection: a restarted scheduler."""
    store = LocalStore(home / "warroom.db")
    try:
        return LadderRunner(SoloWriter(store, policy or default_policy())).tick(now)
    finally:
        store.close()


def test_each_step_fires_once_even_across_restarts(home):
    incident = vacant_sev1(home, minutes_ago=3)
    assert tick(home, NOW) == []  # sev1-unacknowledged fires at 5 min
    (fired,) = tick(home, NOW + timedelta(minutes=2))
    assert (fired.incident_id, fired.step, fired.target) == (
        incident,
        "sev1-unacknowledged",
        "next-tier",
    )
    for minutes in (2, 3, 4):  # a restarted runner sees the firing and does not page again
        assert tick(home, NOW + timedelta(minutes=minutes)) == []
    (page,) = escalations(home, incident)
    assert page.actor == LADDER_ACTOR
    assert (page.payload.action, page.payload.rule, page.payload.step) == (
        "page",
        "sev1-unacknowledged",
        "sev1-unacknowledged",
    )
    assert "not acknowledged within 5 min" in page.payload.reason
    (later,) = tick(home, NOW + timedelta(minutes=58))  # no mitigation after 60 minutes
    assert (later.step, later.action, later.target) == (
        "no-mitigation-60m",
        "notify",
        "executive-on-call",
    )
    assert len(escalations(home, incident)) == 2


class _LateStore(LocalStore):
    """A second screen's connection whose first write lands just after the other screen's
    whole tick: both saw the step due before either wrote (the check and the append of a
    firing are not one transaction)."""

    def __init__(self, path, first_screen) -> None:
        super().__init__(path)
        self.first_screen = first_screen

    def append_new(self, **fields):
        if self.first_screen is not None:
            first_screen, self.first_screen = self.first_screen, None
            first_screen()
        return super().append_new(**fields)


def test_two_solo_screens_racing_on_one_home_fire_a_step_once(home):
    incident = vacant_sev1(home, minutes_ago=6)
    first: list = []
    late = _LateStore(home / "warroom.db", lambda: first.extend(tick(home, NOW)))
    try:
        assert LadderRunner(SoloWriter(late, default_policy())).tick(NOW) == []
    finally:
        late.close()
    assert [f.step for f in first] == ["sev1-unacknowledged"]  # the first screen fired it
    (page,) = escalations(home, incident)  # ... and the second one's copy was dropped
    assert page.id == first[0].event_id


def test_ack_on_the_command_line_stops_the_unacknowledged_steps(home, cli):
    incident = vacant_sev1(home, minutes_ago=1, now=utcnow())
    result = cli("ack", incident, "--json")
    assert result.json()["payload"]["milestone"] == "acknowledged"
    again = cli("ack", incident, check=False)
    assert again.code != 0 and "already acknowledged" in again.err and "Traceback" not in again.err
    assert tick(home, utcnow() + timedelta(minutes=10)) == []
    assert escalations(home, incident) == []


async def test_the_solo_screen_runs_the_ladder_and_shows_the_page_as_due(home):
    incident = vacant_sev1(home, minutes_ago=6)
    app = make_app(home, ladder=True)
    async with app.run_test(size=(160, 45)) as pilot:
        await opened(pilot)
        await until(pilot, lambda: escalations(home, incident), timeout=10)
        screen = main_screen(pilot)
        await until(pilot, lambda: "sev1-unacknowledged" in screen.state.fired_steps, timeout=10)
        strip = str(screen.query_one("#strip-main").render())
        assert "PAGE DUE next-tier" in strip and "sev1-unacknowledged" in strip
    assert len(escalations(home, incident)) == 1


async def test_a_drill_runs_its_steps_and_marks_the_page_a_drill(home):
    """The drill exercises the step (it is on the record) but its page is a drill one, for
    delivery to send to a drill channel or skip; the strip says DRILL."""
    incident = vacant_sev1(home, minutes_ago=6, drill=True)
    app = make_app(home, ladder=True)
    async with app.run_test(size=(160, 45)) as pilot:
        await opened(pilot)
        screen = main_screen(pilot)
        await until(pilot, lambda: "sev1-unacknowledged" in screen.state.fired_steps, timeout=10)
        await pilot.pause(0.2)
        strip = str(screen.query_one("#strip-main").render())
        assert "DRILL PAGE DUE next-tier" in strip, strip
    (page,) = escalations(home, incident)
    assert page.payload.drill is True and page.payload.step == "sev1-unacknowledged"
    real = vacant_sev1(home, minutes_ago=6)
    tick(home, NOW)
    assert [e.payload.drill for e in escalations(home, real)] == [False]


@pytest.mark.skipif(TMUX is None, reason="tmux is not installed (apt-get install tmux)")
def test_a_solo_session_in_a_real_terminal_pages_once(home):
    """``warroom`` in tmux with no server: the overdue step is recorded by the ladder and
    shown as due; a second session on the same home does not page again."""
    incident = vacant_sev1(home, minutes_ago=6, now=utcnow())
    session = "warroom"
    command = f"exec env WARROOM_HOME={home} WARROOM_USER=tess TERM=xterm-256color {WARROOM}"
    # Each session gets its own tmux server: a server whose last session was just killed is
    # still shutting down, and a new session sent to its socket fails ("server exited
    # unexpectedly").
    for _ in range(2):
        tmux = [TMUX, "-L", f"warroom-ladder-{os.urandom(6).hex()}"]

        def screen(tmux=tmux) -> str:
            return subprocess.run(
                [*tmux, "capture-pane", "-p", "-t", session], capture_output=True, text=True
            ).stdout

        try:
            subprocess.run(
                [*tmux, "new-session", "-d", "-s", session, "-x", "80", "-y", "24", command],
                check=True,
            )
            wait_for(lambda: "Checkout down" in screen(), 20, "the incident on screen")
            wait_for(lambda: "PAGE" in screen() and "next-tier" in screen(), 20, "the page due")
        finally:
            subprocess.run([*tmux, "kill-server"], capture_output=True)
    (page,) = escalations(home, incident)
    assert page.actor == LADDER_ACTOR and page.payload.step == "sev1-unacknowledged"


async def test_the_ack_key_asks_then_stops_the_ladder(home):
    incident = vacant_sev1(home, minutes_ago=2)
    app = make_app(home)
    async with app.run_test(size=(160, 45)) as pilot:
        await opened(pilot)
        screen = main_screen(pilot)
        await pilot.press("escape")  # out of the entry bar, where A is a letter
        await pilot.press("A")
        await pilot.press("n")  # no: nothing recorded (the n goes to the entry bar)
        await pilot.pause()
        assert "acknowledged" not in screen.state.milestones
        await pilot.press("escape", "A", "y")
        await until(pilot, lambda: "acknowledged" in screen.state.milestones)
    assert tick(home, NOW + timedelta(minutes=10)) == []  # the unacknowledged step is settled
    assert escalations(home, incident) == []


async def test_at_80_columns_the_strip_shows_the_page_due_and_the_next_countdown(home):
    incident = vacant_sev1(home, minutes_ago=6)
    app = make_app(home, ladder=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await opened(pilot)
        screen = main_screen(pilot)
        await until(pilot, lambda: "sev1-unacknowledged" in screen.state.fired_steps, timeout=10)
        await pilot.pause(0.2)
        facts = str(screen.query_one("#strip-main").render()).splitlines()[1]
        assert "PAGE next-tier 10:00" in facts, facts  # who, when (why: the full strip)
        assert "esc 54m" in facts, facts  # no mitigation after 60 min: the next step
    assert len(escalations(home, incident)) == 1


RAISING_LADDER = parse_policy(
    """
[[escalations]]
id = "latency-sev2"
when = "threshold"
metric = "p99_latency_ms"
above = 2000
after_minutes = 5
action = "set-severity"
severity = "SEV2"
target = "owning-team"
""",
    "raising.toml",
)


def test_a_threshold_step_raises_a_commanded_incident_and_pages(home):
    """A set-severity step raises the severity even though a person commands the incident:
    the policy's rule authorises it (an automatic change only ever raises)."""
    ana = room_for(home, "ana")
    intake = room_for(home, "intake:alertmanager")
    try:
        at = NOW - timedelta(minutes=8)
        incident = ana.declare(
            "Checkout slow", severity="SEV3", incident_type="outage", at=at, take_command=True
        ).incident_id
        intake.alert(incident, "alertmanager", "p99 high", {}, fingerprint="fp1", at=at)
        intake.threshold_crossed(incident, "p99_latency_ms", 2450, 2000, "rule x", at=at)
    finally:
        ana.store.close()
        intake.store.close()
    fired = tick(home, NOW, RAISING_LADDER)
    assert [(f.step, f.action, f.target) for f in fired] == [
        ("latency-sev2", "page", "owning-team")
    ]
    (page,) = escalations(home, incident)
    assert "p99_latency_ms 2450 > 2000" in page.payload.reason
    assert "(raise to SEV2)" in page.payload.reason and "could not" not in page.payload.reason
    store = LocalStore(home / "warroom.db")
    try:
        state = store.state(incident)
        (raised,) = [e for e in store.events(incident) if e.kind == "severity_changed"]
    finally:
        store.close()
    assert (state.severity, state.commander) == ("SEV2", "ana")
    assert (raised.actor, raised.payload.rule) == (LADDER_ACTOR, "latency-sev2")
    assert tick(home, NOW + timedelta(minutes=1), RAISING_LADDER) == []
