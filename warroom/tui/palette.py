"""ctrl+p: the same actions as the ``:`` line, found by fuzzy search.

Entries come from ``commands.palette_entries`` so the palette and the command line can
never offer different things. Titles may carry store data (incident ids, role names
written by other clients), so they are shown as plain, sanitised content.
"""

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content
from textual.markup import escape

from warroom.core.sanitize import visible
from warroom.tui.commands import BY_NAME, PaletteEntry, palette_entries


class WarroomCommands(Provider):
    def _entries(self) -> list[tuple[PaletteEntry, object]]:
        from warroom.tui.screens.main import WarRoomScreen

        screen = next((s for s in self.app.screen_stack if isinstance(s, WarRoomScreen)), None)
        if screen is None:
            return []
        read_only = getattr(self.app, "read_only", False)
        return [
            (entry, partial(screen.run_palette_entry, entry))
            for entry in palette_entries(screen.choices)
            if not (read_only and BY_NAME[entry.line.split()[0]].mutating)
        ]

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for entry, run in self._entries():
            score = matcher.match(entry.title)
            if score > 0:
                yield Hit(
                    score,
                    Content(visible(entry.title)),
                    run,
                    text=entry.title,
                    help=escape(visible(entry.help)),
                )

    async def discover(self) -> Hits:
        for entry, run in self._entries():
            title, help = Content(visible(entry.title)), escape(visible(entry.help))
            yield DiscoveryHit(title, run, text=entry.title, help=help)
