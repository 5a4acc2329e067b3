"""What the war-room screen needs from the application, as a type of its own.

The screen and its parts (``screens.dispatch``, ``screens.keys``, ...) reach the app
through ``self.app``. Typing that as ``WarroomApp`` would make the screen import the app
module, which imports the palette, which imports the screen: an import circle. This
protocol names the app's warroom-specific surface instead; ``WarroomApp`` satisfies it,
and everything else on ``self.app`` is Textual's ``App``.
"""

from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from warroom.tui.screen_config import TuiConfig

if TYPE_CHECKING:
    from warroom.tui.layouts import Layout, Layouts


class WarroomHost(Protocol):
    config: TuiConfig
    layouts: "Layouts"

    @property
    def read_only(self) -> bool: ...

    def now(self) -> datetime: ...

    def apply_theme(self, layout: "Layout") -> None: ...

    def start_watching(self) -> None: ...

    def action_help(self) -> None: ...
