"""The screen's delivery worker: a room without a server delivers its own notices.

With no server configured and a channel book in the home, the screen runs the solo
dispatcher (``notify.wiring.solo_dispatcher``) on a worker thread with a store of its
own. Its receipts are ordinary writes to the local store, so the store reader picks them
up like any other process's entries and the strip's UNDELIVERED warning appears and
clears by itself. A broken channel book is reported once and delivery stays off.
"""

import threading
from collections.abc import Callable
from typing import Any

from warroom.core.errors import WarroomError
from warroom.tui.screen_config import TuiConfig

ROUND_S = 0.25
"""A round when nothing was written costs one query: approval to channel well within 1 s."""


class DeliveryLink:
    def __init__(self, config: TuiConfig, notify: Callable[[str], Any]) -> None:
        self.config = config
        self.notify = notify
        self._stop = threading.Event()

    def run(self) -> None:
        from warroom.actions import WarRoom
        from warroom.notify.wiring import solo_dispatcher
        from warroom.store.local import LocalStore

        config = self.config
        store = LocalStore(config.paths.database)
        try:
            room = WarRoom(store, config.policy, config.actor)
            try:
                dispatcher = solo_dispatcher(config.paths.data, room)
            except WarroomError as exc:
                self.notify(f"delivery is off: {exc}")
                return
            try:
                said = ""
                while not self._stop.wait(ROUND_S):
                    try:
                        dispatcher.tick()
                    except WarroomError as exc:  # a receipt refused: say so once, go on
                        if str(exc) != said:
                            said = str(exc)
                            self.notify(f"delivery: {exc}")
            finally:
                dispatcher.close()
        finally:
            store.close()

    def stop(self) -> None:
        self._stop.set()
