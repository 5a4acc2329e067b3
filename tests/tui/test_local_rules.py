"""Without a server the screen obeys the policy as a server would (a pilot test)."""

from tests.tui.conftest import main_screen, make_app, opened, until
from tests.tui.test_flows import command, events_of


async def test_a_responder_cannot_change_severity_or_take_command_from_the_screen(home, demo):
    """In the demo ana offered command to eli; until eli accepts, ana holds it."""
    app = make_app(home, actor="dee")
    async with app.run_test(size=(160, 45), notifications=True) as pilot:
        await opened(pilot)
        screen = main_screen(pilot)
        before = len(events_of(home, demo))
        await command(pilot, "sev SEV4")
        await command(pilot, "handoff commander dee")
        await command(pilot, "accept")

        def said(words: str) -> bool:
            return any(words in n.message for n in app._notifications)

        await until(pilot, lambda: said("changing severity needs the commander or deputy"))
        await until(pilot, lambda: said("handing off a role needs the commander or deputy"))
        await until(pilot, lambda: said("no handoff of commander to dee is waiting"))
        assert len(events_of(home, demo)) == before  # nothing reached the record
        assert (screen.state.severity, screen.state.commander) == ("SEV1", "ana")
