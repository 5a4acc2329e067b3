"""Resizing: a small terminal shows the compact layout, growing back restores the one the
user chose, the timeline keeps rows at 40×12, and a layouts folder made while the
screen is open is picked up."""

from textual.geometry import Region

from tests.tui.conftest import main_screen, make_app, opened, until
from warroom.tui.widgets.timeline import Timeline


async def test_growing_back_restores_the_chosen_layout(home, demo):
    app = make_app(home, layout="scribe")  # from the configuration: gives way when small
    async with app.run_test(size=(160, 45)) as pilot:
        await opened(pilot)
        screen = main_screen(pilot)
        assert screen.current_layout.name == "scribe"
        await pilot.resize_terminal(80, 24)
        await until(pilot, lambda: screen.current_layout.name == "compact")
        await pilot.resize_terminal(200, 50)
        await until(pilot, lambda: screen.current_layout.name == "scribe")
        await pilot.resize_terminal(80, 24)
        await until(pilot, lambda: screen.current_layout.name == "compact")
        await pilot.resize_terminal(160, 45)
        await until(pilot, lambda: screen.current_layout.name == "scribe")


async def test_the_default_layout_comes_back_too(home, demo):
    app = make_app(home)
    async with app.run_test(size=(80, 24)) as pilot:
        await opened(pilot)
        screen = main_screen(pilot)
        assert screen.current_layout.name == "compact"
        await pilot.resize_terminal(200, 50)
        await until(pilot, lambda: screen.current_layout.name == "commander")


async def test_the_timeline_shows_rows_at_40_by_12(home, demo):
    app = make_app(home)
    async with app.run_test(size=(40, 12)) as pilot:
        await opened(pilot)
        timeline = main_screen(pilot).query_one(Timeline)
        await until(pilot, lambda: timeline.size.height >= 2)
        width, height = timeline.size
        lines = [s.text for s in timeline.render_lines(Region(0, 0, width, height))]
        shown = [line for line in lines if line.strip() and line.strip() != "…"]
        assert len(shown) >= 2, lines


async def test_a_layouts_folder_made_while_the_screen_is_open_is_picked_up(home, demo):
    folder = home / "layouts"
    assert not folder.exists()
    app = make_app(home)
    async with app.run_test(size=(160, 45)) as pilot:
        await opened(pilot)
        await pilot.pause(0.5)  # the watch is in place, without the folder
        folder.mkdir(parents=True)
        (folder / "mine.toml").write_text(
            'name = "mine"\n[[sections]]\npanes = ["timeline", "roles"]\n'
        )
        await until(pilot, lambda: "mine" in app.layouts.by_name, 10)
        (folder / "mine.toml").write_text(
            'name = "mine"\n[[sections]]\npanes = ["timeline", "checklist"]\n'
        )
        await until(pilot, lambda: app.layouts.by_name["mine"].panes[1] == "checklist", 10)
