"""A read-only screen (``warroom --read-only``) offers nothing it would refuse: the ``:``
completion, its hint, the palette and ``?`` list only what changes nothing."""

from tests.tui.conftest import main_screen, make_app, opened, until
from warroom.tui.commands import complete, expected
from warroom.tui.screens.help import HelpScreen


async def test_read_only_offers_only_what_works(home, demo):
    app = make_app(home, read_only=True)
    async with app.run_test(size=(160, 45)) as pilot:
        await opened(pilot)
        screen = main_screen(pilot)
        assert complete("s", screen.choices) == ["switch "]  # not severity, status, step
        hint = expected("", screen.choices)
        assert "switch" in hint and "layout" in hint and "quit" in hint
        assert "severity" not in hint and "declare" not in hint and "accept" not in hint
        await pilot.press("4", "question_mark")  # the runbook pane's keys
        await until(pilot, lambda: isinstance(app.screen, HelpScreen))
        shown = app.screen.query_one("Static").render().plain
        assert "READ-ONLY" in shown and "layout NAME" in shown
        for refused in ("runbook.run", "runbook.done", "severity SEV", "Entry bar", "declare"):
            assert refused not in shown, refused
        assert "runbook.read" in shown and "runbook.reference" in shown


async def test_a_writable_screen_offers_everything(home, demo):
    async with make_app(home).run_test(size=(160, 45)) as pilot:
        await opened(pilot)
        screen = main_screen(pilot)
        assert {"severity ", "status ", "step ", "switch "} <= set(complete("s", screen.choices))
        await pilot.press("escape", "4", "question_mark")
        await until(pilot, lambda: isinstance(pilot.app.screen, HelpScreen))
        shown = pilot.app.screen.query_one("Static").render().plain
        assert "runbook.run" in shown and "severity SEV" in shown and "Entry bar" in shown


async def test_an_entrys_details_offer_no_change_on_a_read_only_screen(home, demo):
    from warroom.tui.screens.detail import EntryDetail

    for read_only, offered in ((True, False), (False, True)):
        async with make_app(home, read_only=read_only).run_test(size=(120, 40)) as pilot:
            await opened(pilot)
            if not read_only:
                await pilot.press("escape")  # from the entry bar to the panes
            await pilot.press("1", "enter")
            await until(pilot, lambda: isinstance(pilot.app.screen, EntryDetail))
            shown = str(pilot.app.screen.query_one("Static").render())
            assert "Enter or q closes" in shown
            assert ("c corrects · x retracts" in shown) is offered, shown


async def test_stray_typing_on_a_read_only_screen_shows_one_notice(home, demo):
    """A sentence typed into a pane stacked a notice per key, over the whole screen."""
    app = make_app(home, read_only=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await opened(pilot)
        await pilot.press(*"hello world")
        await until(pilot, lambda: app._notifications)
        await pilot.press(*"zzz")
        await pilot.pause(0.3)
        shown = [n.message for n in app._notifications]
        assert shown == ["read-only: there is no entry bar to type into"], shown
