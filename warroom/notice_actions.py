"""The write path of word going out: notice drafts, approvals and returns, and the
receipts of deliveries, as methods of ``warroom.actions.WarRoom`` (which mixes this
class in).

Kept out of ``actions.py`` so that module keeps one reason to change; every method goes
through ``WarRoom._append`` — the same access rules as every other change, so who may
approve a notice for an audience is decided once, locally and on the server.
"""

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from pydantic import BaseModel

from warroom.core import events as ev
from warroom.core.errors import InvalidInput, NotFound
from warroom.core.ids import new_draft_id
from warroom.core.notices import no_such_notice
from warroom.core.policy import Policy
from warroom.core.state import IncidentState
from warroom.store.local import LocalStore


class NoticeActions:
    """Notices and their deliveries; see ``WarRoom`` for ``at`` and the access rules."""

    store: LocalStore
    policy: Policy
    actor: str
    if TYPE_CHECKING:
        _current: Callable[[str], IncidentState]
        _payload: Callable[..., BaseModel]
        _append: Callable[..., ev.Event]

    # -- deliveries ----------------------------------------------------------------------

    def record_delivery(
        self,
        incident_ref: str,
        receipt: ev.NoticeDelivered | ev.NoticeFailed,
        *,
        event_id: str,
        at: datetime,
    ) -> ev.Event:
        """Record what one delivery attempt came to (``warroom.notify`` calls this), under
        the id the dispatcher derives from the delivery, so it is written once."""
        state = self._current(incident_ref)
        return self._append(state, receipt, at, event_id=event_id)

    def retry_delivery(self, incident_ref: str, delivery_ref: str) -> ev.Event:
        """Ask for an undelivered notice or page to be sent again now."""
        state = self._current(incident_ref)
        wanted = delivery_ref.strip().lower()
        found = [r for r in state.deliveries.values() if r.delivery_id.startswith(wanted)]
        if len(found) != 1:
            problem = "no delivery" if not found else "several deliveries"
            raise InvalidInput(
                f"{problem} in {state.id} with id starting {delivery_ref!r};"
                f" `warroom deliveries {state.id}` lists them"
            )
        record = found[0]
        if record.delivered:
            raise InvalidInput(f"delivery {record.delivery_id[:12]} already went out")
        payload = self._payload(ev.DeliveryRetry, delivery_id=record.delivery_id)
        return self._append(state, payload, None)

    # -- notices -------------------------------------------------------------------------

    def draft_notice(
        self,
        incident_ref: str,
        audience: str,
        text: str,
        *,
        draft_id: str | None = None,
        template: str = "",
        at: datetime | None = None,
    ) -> ev.Event:
        """Record a notice for ``audience`` exactly as written; ``draft_id`` revises one."""
        state = self._current(incident_ref)
        if draft_id is None:
            draft_id = new_draft_id()
            while draft_id in state.notices:
                draft_id = new_draft_id()
        elif draft_id not in state.notices:
            raise NotFound(no_such_notice(state, draft_id))
        payload = self._payload(
            ev.NoticeDrafted,
            draft_id=draft_id,
            audience=self.policy.audience(audience),
            text=text,
            template=template,
        )
        return self._append(state, payload, at)

    def approve_notice(
        self, incident_ref: str, draft_id: str, *, digest: str | None = None
    ) -> ev.Event:
        """Approve the notice's text as it is now; ``digest`` (or a prefix of it, as shown
        to the approver) pins the text they read, so a revision in between is refused."""
        state = self._current(incident_ref)
        notice = state.notices.get(draft_id)
        if notice is None:
            raise NotFound(no_such_notice(state, draft_id))
        wanted = notice.digest if digest is None else digest.strip().lower()
        if len(wanted) < 8:
            raise InvalidInput("a digest needs at least the 8 characters `update show` prints")
        if not notice.digest.startswith(wanted):
            raise InvalidInput(
                f"notice {draft_id} has changed since you read it (its text is now"
                f" {notice.digest[:8]}); read it again before approving"
            )
        payload = self._payload(ev.NoticeApproved, draft_id=draft_id, digest=notice.digest)
        return self._append(state, payload, None)

    def return_notice(self, incident_ref: str, draft_id: str, reason: str) -> ev.Event:
        """Send a notice back to its writer with the reason it cannot go out as it is."""
        state = self._current(incident_ref)
        if not reason.strip():
            raise InvalidInput("sending a notice back needs a reason the writer can act on")
        payload = self._payload(ev.NoticeReturned, draft_id=draft_id, reason=reason)
        return self._append(state, payload, None)
