"""Layout files: the shipped ones are valid, a broken file says file:line and keeps the
last good version, a user's file wins over a shipped one, and edits apply live."""

import pytest

from tests.tui.conftest import main_screen, make_app, opened, until
from warroom.tui.layouts import (
    COMPACT,
    SHIPPED_DIR,
    LayoutError,
    choose,
    load_layouts,
    parse_layout,
)


def test_the_shipped_layouts_load_cleanly(tmp_path):
    layouts = load_layouts(tmp_path / "none")
    assert layouts.problems == []
    assert {"commander", "scribe", "responder", "compact"} <= set(layouts.by_name)
    for layout in layouts.by_name.values():
        assert "timeline" in layout.panes


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ('name = "x"\n[[sections]]\npanes = ["timeline", "graphs"]\n', ":3: sections.0.panes.1"),
        ('name = "x"\nsplit = "diagonal"\n[[sections]]\npanes = ["roles"]\n', ":2: split"),
        ('name = "x"\n[[sections]]\nsize = "wide"\npanes = ["roles"]\n', ":3: sections.0.size"),
        (
            'name = "x"\n[[sections]]\npanes = ["roles"]\n[[sections]]\npanes = ["roles"]\n',
            ":1: layout: pane 'roles' appears twice",
        ),
        ('name = "x"\n[[sections]\n', ": Expected"),
    ],
)
def test_a_broken_layout_says_file_and_line(text, where):
    with pytest.raises(LayoutError) as caught:
        parse_layout(text, "mine.toml")
    assert f"mine.toml{where}" in str(caught.value)


def test_a_user_layout_wins_and_a_broken_edit_keeps_the_last_good(tmp_path):
    (tmp_path / "commander.toml").write_text(
        'name = "commander"\nsplit = "rows"\n[[sections]]\npanes = ["timeline"]\n'
    )
    layouts = load_layouts(tmp_path)
    assert layouts.by_name["commander"].split == "rows"
    assert layouts.files["commander"] == tmp_path / "commander.toml"
    (tmp_path / "commander.toml").write_text('name = "commander"\nsplit = "sideways"\n')
    again = load_layouts(tmp_path, known=layouts)
    assert again.by_name["commander"].split == "rows"  # the last good version stays
    assert any("commander.toml:2: split" in p for p in again.problems)


def test_compact_is_chosen_when_the_terminal_is_small():
    layouts = load_layouts(SHIPPED_DIR)
    assert choose(layouts, "commander", forced=False, width=80, height=24).name == COMPACT
    assert choose(layouts, "commander", forced=True, width=80, height=24).name == "commander"
    assert choose(layouts, "commander", forced=False, width=160, height=45).name == "commander"
    assert choose(layouts, "no-such", forced=True, width=160, height=45).name == "commander"


async def test_layout_files_reload_while_the_screen_is_open(home, demo):
    folder = home / "layouts"
    folder.mkdir(parents=True)
    mine = folder / "mine.toml"
    mine.write_text('name = "mine"\n[[sections]]\npanes = ["timeline", "roles"]\n')
    app = make_app(home, layout="mine", layout_forced=True)
    async with app.run_test(size=(160, 45)) as pilot:
        await opened(pilot)
        screen = main_screen(pilot)
        assert screen.current_layout.panes == ["timeline", "roles"]
        mine.write_text('name = "mine"\n[[sections]]\npanes = ["timeline", "checklist"]\n')
        await until(pilot, lambda: screen.query("#pane-checklist"), 10)
        assert not screen.query("#pane-roles")
        mine.write_text('name = "mine"\n[[sections]]\npanes = ["timeline", "nope"]\n')
        await until(pilot, lambda: any("mine.toml:3" in n.message for n in app._notifications), 10)
        assert screen.current_layout.panes == ["timeline", "checklist"]
