"""Fold handlers for status notices (registered by ``core/fold.py``): a draft and its
revisions, approval of one exact text, sending back, and what delivery made of it
(``core/delivery``'s). Pure and idempotent per event id, like the rest of the fold.
"""

from collections.abc import Callable

from warroom.core import events as ev
from warroom.core.delivery import fold_delivered, fold_failed, fold_retry
from warroom.core.notices import text_digest
from warroom.core.state import IncidentState, NoticeState


def _notice_drafted(state: IncidentState, event: ev.Event) -> None:
    """A new notice, or a revision of one: the new text stands and any approval or
    sending back (which were about the old text) is cleared."""
    p: ev.NoticeDrafted = event.payload
    earlier = state.notices.get(p.draft_id)
    state.notices[p.draft_id] = NoticeState(
        draft_id=p.draft_id,
        audience=p.audience,
        text=p.text,
        digest=text_digest(p.text),
        template=p.template,
        drafted_by=event.actor,
        drafted_at=event.occurred_at,
        revision=earlier.revision + 1 if earlier else 1,
    )


def _notice_approved(state: IncidentState, event: ev.Event) -> None:
    p: ev.NoticeApproved = event.payload
    notice = state.notices.get(p.draft_id)
    if notice is None:
        return
    notice.approved_by, notice.approved_at = event.actor, event.occurred_at
    notice.approved_digest = p.digest
    notice.returned_by, notice.returned_reason = None, ""
    if p.digest == notice.digest:  # an approval of an older text approves nothing now
        notice.status = "approved"


def _notice_returned(state: IncidentState, event: ev.Event) -> None:
    p: ev.NoticeReturned = event.payload
    notice = state.notices.get(p.draft_id)
    if notice is None:
        return
    notice.returned_by, notice.returned_reason = event.actor, p.reason
    notice.approved_by = notice.approved_at = notice.approved_digest = None
    notice.status = "returned"


NOTICE_HANDLERS: dict[str, Callable[[IncidentState, ev.Event], None]] = {
    "notice_drafted": _notice_drafted,
    "notice_approved": _notice_approved,
    "notice_returned": _notice_returned,
    "notice_delivered": fold_delivered,
    "notice_failed": fold_failed,
    "delivery_retry": fold_retry,
}
