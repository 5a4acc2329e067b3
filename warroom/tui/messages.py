"""Messages from the store threads (and, later, the sync worker) to the screen.

Worker threads never touch widgets; they post one of these, and the screen's handlers —
on the UI thread — update what is shown. Payloads are built on the worker and handed
over whole: a posted ``IncidentState`` is never mutated again by its sender.
"""

from array import array
from typing import TYPE_CHECKING, Any

from textual.message import Message

from warroom.core.summary import IncidentSummary
from warroom.tui.rows import Row

if TYPE_CHECKING:
    from warroom.core.events import Event
    from warroom.core.state import IncidentState


class Incidents(Message):
    """The incidents in the store, most recently active first.

    ``choose`` asks the user to pick one (or declare one, when there are none): it is
    sent when no incident was named and none is clearly the current one.
    """

    def __init__(self, incidents: list[IncidentSummary], choose: bool = False) -> None:
        super().__init__()
        self.incidents = incidents
        self.choose = choose


class Loaded(Message):
    """An incident was opened: its state, its timeline order and the newest rows."""

    def __init__(
        self,
        state: "IncidentState",
        seqs: array,
        stamps: array,
        rows: list[Row],
    ) -> None:
        super().__init__()
        self.state = state
        self.seqs = seqs
        self.stamps = stamps
        self.rows = rows


class Tail(Message):
    """A long incident is opening without caches: its newest rows (in timeline order) and
    its title, to show while the reader folds it; a ``Loaded`` follows and replaces
    them whole (``warroom.tui.tail_reader``)."""

    def __init__(
        self, incident_id: str, title: str, seqs: array, stamps: array, rows: list[Row]
    ) -> None:
        super().__init__()
        self.incident_id = incident_id
        self.title = title
        self.seqs = seqs
        self.stamps = stamps
        self.rows = rows


class Changed(Message):
    """New events arrived for the open incident (from this screen or any other writer)."""

    def __init__(self, state: "IncidentState", rows: list[Row]) -> None:
        super().__init__()
        self.state = state
        self.rows = rows


class Rows(Message):
    """Timeline rows the timeline asked for (it scrolled to where it had none)."""

    def __init__(self, incident_id: str, rows: list[Row]) -> None:
        super().__init__()
        self.incident_id = incident_id
        self.rows = rows


class Filtered(Message):
    """The timeline positions matching a filter, in timeline order."""

    def __init__(self, generation: int, seqs: array, stamps: array, rows: list[Row]) -> None:
        super().__init__()
        self.generation = generation
        self.seqs = seqs
        self.stamps = stamps
        self.rows = rows


class Recorded(Message):
    """A change the user made is committed to the local store."""

    def __init__(self, event: "Event", request: Any) -> None:
        super().__init__()
        self.event = event
        self.request = request


class Rejected(Message):
    """A change the user asked for was refused (policy, state, or the store).

    ``confirmed`` is set when the refusal only wants a confirmation (a time far before the
    declaration): writing it (``link.write(request, confirmed)``) records the change as
    confirmed, so a prompt can offer to.
    """

    def __init__(self, message: str, request: Any, confirmed: Any = None) -> None:
        super().__init__()
        self.message = message
        self.request = request
        self.confirmed = confirmed


class StoreFailed(Message):
    """The local database cannot be used; the screen says so and stays up."""

    def __init__(self, message: str) -> None:
        super().__init__()
        self.message = message


class SyncState(Message):
    """For the sync worker: how the link to the backend is doing.

    ``state`` is one of ``offline`` (no backend configured: the slot stays hidden),
    ``ok``, ``syncing``, ``behind`` or ``error``; ``detail`` is a few words (``12
    queued``, ``reconnecting in 4s``), ``short`` the same in the few cells the 80-column
    strip has for it (``⚠ off 07:18 1p 1r``; ``detail`` when not given). Post it to the
    app; the status strip shows it.
    """

    def __init__(self, state: str, detail: str = "", short: str = "") -> None:
        super().__init__()
        self.state = state
        self.detail = detail
        self.short = short or detail
