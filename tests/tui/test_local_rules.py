"""Without a server the screen obeys the policy as a server would (a pilot test)."""

from tests.tui.conftest import main_screen, make_app, opened, until, write
from tests.tui.test_flows import command, events_of
from warroom.core import events as ev


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


async def test_a_time_far_before_the_declaration_asks_before_it_is_recorded(home, demo):
    """``-30h`` is a day and more before the demo was declared: the screen asks on its
    one-line prompt; y records it (as confirmed), Esc gives the text back unrecorded."""
    from warroom.tui.widgets.confirm_line import ConfirmLine
    from warroom.tui.widgets.entry_bar import EntryBar

    app = make_app(home, actor="ana")
    async with app.run_test(size=(160, 45), notifications=True) as pilot:
        await opened(pilot)
        screen = main_screen(pilot)
        prompt, bar = screen.query_one(ConfirmLine), screen.query_one(EntryBar)
        texts = lambda: [ev.payload_text(e.payload) for e in events_of(home, demo)]  # noqa: E731
        before = len(texts())

        await write(pilot, "-30h o: the first 502s, found in old logs")
        await pilot.press("enter")
        await until(pilot, lambda: prompt.asking)
        assert "before" in prompt.question and "Record it anyway?" in prompt.question
        assert len(texts()) == before  # nothing yet
        await pilot.press("y")
        await until(pilot, lambda: "the first 502s, found in old logs" in texts())

        await write(pilot, "-30h o: a second old one")
        await pilot.press("enter")
        await until(pilot, lambda: prompt.asking)
        await pilot.press("escape")
        await until(pilot, lambda: "a second old one" in bar.input.value)
        assert "a second old one" not in texts()
        assert len(texts()) == before + 1
