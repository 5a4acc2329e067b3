"""The status strip at 80×24: severity, status, phase, commander, the next update clock,
the escalation state and the link to the server all stay on screen, shortened, whatever
state the incident and the link are in."""

from datetime import UTC, datetime, timedelta

from textual.geometry import Region

from tests.tui.conftest import NOW, main_screen, make_app, opened, room_for, until
from warroom.core.ladder import escalation_ladder
from warroom.core.policy import default_policy
from warroom.sync.engine import SyncStatus
from warroom.tui.sync_worker import describe
from warroom.tui.widgets.status_strip import StatusStrip

SSH = (80, 24)


def strip_lines(pilot) -> list[str]:
    """The strip's lines as the terminal shows them (cut at the screen's edge)."""
    main = main_screen(pilot).query_one(StatusStrip).query_one("#strip-main")
    width, height = main.size
    return [line.text.rstrip() for line in main.render_lines(Region(0, 0, width, height))]


def declare(home, title: str, *, minutes_ago: int, severity: str = "SEV1") -> str:
    room = room_for(home, "eli")
    try:
        at = NOW - timedelta(minutes=minutes_ago)
        incident = room.declare(title, severity=severity, incident_type="outage", at=at)
        return incident.incident_id
    finally:
        room.store.close()


def assert_everything_shown(lines: list[str], phase: str = "triage") -> None:
    head, facts = lines[0], lines[1]
    assert head.lstrip().startswith("SEV1")
    assert facts.startswith("INVESTIGATING")
    assert phase in facts
    assert "IC eli" in facts
    assert "ext " in facts  # the next status-update clock (SEV1: external, 20 min)
    assert not facts.endswith("…"), facts


async def test_online(home):
    declare(home, "Checkout API returning 502s in eu-west-1 for every customer", minutes_ago=2)
    app = make_app(home)
    async with app.run_test(size=SSH) as pilot:
        await opened(pilot)
        app.post_message(describe(SyncStatus("http://x", online=True)))
        await until(pilot, lambda: "✓ sync" in strip_lines(pilot)[0])
        lines = strip_lines(pilot)
        assert main_screen(pilot).current_layout.name == "compact"
        assert_everything_shown(lines)
        assert "esc no-mitigati… 58m" in lines[1]  # the ladder's next step, and when
        assert lines[0].endswith("✓ sync")


async def test_offline_with_pending_and_rejected(home):
    declare(home, "Checkout API returning 502s in eu-west-1 for every customer", minutes_ago=2)
    app = make_app(home)
    since = datetime(2026, 11, 24, 7, 18, 3, tzinfo=UTC)
    status = SyncStatus("http://x", online=False, offline_since=since, pending=1, rejected=1)
    async with app.run_test(size=SSH) as pilot:
        await opened(pilot)
        app.post_message(describe(status))
        await until(pilot, lambda: "off" in strip_lines(pilot)[0])
        lines = strip_lines(pilot)
        assert lines[0].endswith("⚠ off 07:18 1p 1r")
        assert_everything_shown(lines)
        assert not main_screen(pilot).query_one("#strip-sync").display  # no second copy


async def test_an_overdue_update(home):
    declare(home, "Checkout down", minutes_ago=25)  # the external update was due at 20
    app = make_app(home)
    async with app.run_test(size=SSH) as pilot:
        await opened(pilot)
        lines = strip_lines(pilot)
        assert_everything_shown(lines)
        assert "ext OVR 5m" in lines[1] or "ext OVERDUE 5m" in lines[1]


async def test_escalation_fired(home):
    incident = declare(home, "Checkout down", minutes_ago=70)
    app = make_app(home)
    async with app.run_test(size=SSH) as pilot:
        await opened(pilot)
        state = main_screen(pilot).state
        fired = [s for s in escalation_ladder(default_policy(), state, NOW) if s.due]
        assert fired and state.id == incident
        lines = strip_lines(pilot)
        assert_everything_shown(lines)
        assert "ESC! " + fired[0].rule.id[:11] in lines[1]


async def test_a_handoff_of_command_awaiting_acceptance(home):
    incident = declare(home, "Checkout down", minutes_ago=2)
    room = room_for(home, "eli")
    room.handoff(incident, "commander", "bo", at=NOW - timedelta(minutes=1))
    room.store.close()
    async with make_app(home).run_test(size=SSH) as pilot:
        await opened(pilot)
        assert "IC eli→bo?" in strip_lines(pilot)[1]
    async with make_app(home).run_test(size=(160, 45)) as pilot:
        await opened(pilot)
        assert "IC eli → bo (awaiting acceptance)" in strip_lines(pilot)[1]


async def test_read_only_shows_a_badge(home):
    declare(home, "Checkout down", minutes_ago=2)
    for size in (SSH, (160, 45)):
        async with make_app(home, read_only=True).run_test(size=size) as pilot:
            await opened(pilot)
            assert "READ-ONLY" in strip_lines(pilot)[0]
