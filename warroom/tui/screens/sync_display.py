"""What the war-room screen shows of the sync with the server (its part).

The app's sync worker reports the link state and which of our entries the server has
not acknowledged yet; the screen keeps the latter (quitting asks first while there are
some) and hands both to the status strip and the timeline.
"""

from typing import TYPE_CHECKING

from warroom.tui.widgets.status_strip import StatusStrip
from warroom.tui.widgets.timeline import Timeline

if TYPE_CHECKING:
    from warroom.tui.widgets.timeline import TimelineData


class SyncDisplay:
    """The sync state on screen; mixed into ``WarRoomScreen``."""

    unsent: frozenset[str] = frozenset()
    """Ids of our entries the sync server has not acknowledged yet."""

    def show_unsent(self, ids: frozenset[str]) -> None:
        """Mark the entries the sync server has not acknowledged yet."""
        self.unsent = ids
        target: Timeline | TimelineData = self._timeline_target()
        if isinstance(target, Timeline):
            target.mark_unsent(ids)
        else:
            target.unsent = ids

    def show_sync(self, state: str, detail: str, short: str = "") -> None:
        """The sync worker's report (see ``messages.SyncState``), for the status strip."""
        self.query_one(StatusStrip).show_sync(state, detail, short)
