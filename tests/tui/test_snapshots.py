"""What each shipped layout looks like, at an SSH terminal (80×24) and a projector (160×45).

The screen is the demo incident as of a fixed time with fixed ids, so the SVGs under
``__snapshots__`` change only when the screen does. After an intended change, review the
new pictures (``--snapshot-report``) and accept them with ``--snapshot-update``.
"""

import pytest

from tests.tui.conftest import main_screen, make_app, until

LAYOUTS = ("commander", "scribe", "responder", "compact")
SIZES = {"ssh": (80, 24), "projector": (160, 45)}


async def _settled(pilot) -> None:
    def ready() -> bool:
        screen = main_screen(pilot)
        if screen is None or screen.state is None:
            return False
        data = screen.timeline_data
        return all(data.rows.get(seq) for seq in data.view[0][-60:])

    await until(pilot, ready)
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES, ids=list(SIZES))
@pytest.mark.parametrize("layout", LAYOUTS)
def test_layout(snap_compare, home, demo, layout, size):
    app = make_app(home, layout=layout, layout_forced=True)
    assert snap_compare(app, terminal_size=SIZES[size], run_before=_settled)
