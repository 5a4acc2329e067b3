"""What the first frame costs: the boot screen is drawn with Textual and a few small
modules of warroom's, nothing of the event model, the store or the configuration, and
without re-parsing the stylesheets (issue 11: first frame <= 1.2x a one-widget app)."""

import subprocess
import sys
import threading

from textual.color import Color
from textual.css.stylesheet import Stylesheet

from tests.tui.conftest import until
from warroom.tui.app import WarroomApp
from warroom.tui.screens.boot import BootScreen

HEAVY = (
    "pydantic",
    "sqlite3",
    "typer",
    "yaml",
    "warroom.config",
    "warroom.core.events",
    "warroom.core.stored_events",
    "warroom.store",
    "warroom.tui.entry",
    "warroom.tui.screens.main",
)
"""Modules that cost tens of milliseconds (or stand for such) and that the boot screen
must leave to the boot thread, which starts once the first frame is out."""

ON_THE_BOOT_SCREEN = f"""
import asyncio, sys, threading
import warroom.cli.entry, warroom.tui.launch  # what the bare command imports first
from warroom.tui.app import WarroomApp
from warroom.tui.screens.boot import BootScreen

gate = threading.Event()

def load():
    gate.wait(10)
    raise RuntimeError("the test is over")

async def main():
    app = WarroomApp(load)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, BootScreen), app.screen
        heavy = {HEAVY!r}
        print(",".join(m for m in sorted(sys.modules) if
                       any(m == h or m.startswith(h + ".") for h in heavy)))
        gate.set()

asyncio.run(main())
"""


def test_the_boot_screen_is_drawn_without_the_heavy_modules():
    result = subprocess.run(
        [sys.executable, "-c", ON_THE_BOOT_SCREEN],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", f"loaded before the first frame: {result.stdout}"


def test_the_heavy_module_check_can_fail():
    code = ON_THE_BOOT_SCREEN.replace("import asyncio,", "import warroom.tui.entry, asyncio,")
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "warroom.tui.entry"


async def test_the_boot_screen_starts_in_the_warroom_theme_without_a_reparse(monkeypatch):
    reparses = []
    original = Stylesheet.reparse

    def counted(self) -> None:
        reparses.append(self)
        original(self)

    monkeypatch.setattr(Stylesheet, "reparse", counted)
    monkeypatch.delenv("TEXTUAL_THEME", raising=False)
    gate = threading.Event()

    def load():
        assert gate.wait(10)
        raise RuntimeError("the test is over")

    app = WarroomApp(load)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, BootScreen))
        await pilot.pause()
        assert app.theme == "warroom-dark"
        assert {"-theme-warroom-dark", "-dark-mode"} <= app.classes
        assert "-light-mode" not in app.classes
        assert app.screen.styles.background == Color.parse("#121212")  # warroom-dark's
        assert reparses == []
        gate.set()
        await until(pilot, lambda: app.boot_error is not None)
