"""The escalation ladder in a solo session: ``LadderRunner`` on a thread, by message.

With no server configured, nobody else runs the ladder for this home, so the screen does
(with a server, ``warroom serve`` does, and this stays off). The thread has a store
connection of its own and writes through ``WarRoom`` as ``LADDER_ACTOR``, so a firing is
checked by the same admit as a keystroke and shows up on screen as any other change
does; the thread never touches a widget: each firing becomes a ``LadderFired`` the app
shows as a notification. Closing the screen and opening it again fires nothing twice:
the firing is on the record.
"""

import logging
import threading
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path

from textual.message import Message

from warroom.actions import WarRoom
from warroom.core.errors import WarroomError
from warroom.core.ladder_runner import FINISHED, LADDER_ACTOR, Fired, LadderRunner, RoomSteps
from warroom.core.policy import Policy
from warroom.core.state import IncidentState
from warroom.store.local import LocalStore
from warroom.store.summaries import incident_summaries

log = logging.getLogger(__name__)

TICK_S = 5.0
"""How often the ladder looks at the clock: a step fires at most this late."""


class LadderFired(Message):
    """Steps the ladder just recorded (pages and notices now due)."""

    def __init__(self, fired: list[Fired]) -> None:
        super().__init__()
        self.fired = fired


class SoloWriter(RoomSteps):
    """The ladder's writes to a local home: ``WarRoom`` as ``LADDER_ACTOR``."""

    def __init__(self, store: LocalStore, policy: Policy) -> None:
        self.room = WarRoom(store, policy, LADDER_ACTOR, confirm_backdate=True, automation=True)
        self.policy = policy

    def active_states(self) -> Iterable[IncidentState]:
        for summary in incident_summaries(self.room.store):
            if summary.status not in FINISHED:
                yield self.room.state(summary.id)

    def room_for(self, incident_id: str) -> WarRoom:
        return self.room


class LadderLoop:
    """Ticks the ladder every ``TICK_S`` until stopped; ``run`` is the thread's body."""

    def __init__(
        self,
        database: Path,
        policy: Policy,
        clock: Callable[[], datetime],
        post: Callable[[Message], object],
    ) -> None:
        self.database, self.policy, self.clock, self.post = database, policy, clock, post
        self._stop = threading.Event()

    def run(self) -> None:
        store = LocalStore(self.database)
        try:
            runner = LadderRunner(SoloWriter(store, self.policy))
            while not self._stop.is_set():
                try:
                    fired = runner.tick(self.clock())
                except WarroomError as exc:  # a busy or damaged home: try again next tick
                    log.warning("the escalation ladder could not run: %s", exc)
                    fired = []
                if fired:
                    self.post(LadderFired(fired))
                self._stop.wait(TICK_S)
        finally:
            store.close()

    def stop(self) -> None:
        self._stop.set()
