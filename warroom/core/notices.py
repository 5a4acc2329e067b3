"""Notices from draft to "ready to send": who must approve, and what may go out.

The rule that matters: a notice that needs approval goes out only with the exact text
that was approved. An approval names the sha256 of the text its giver read; any
revision changes the digest, so the earlier approval approves nothing. Delivery reads
``ready_notices`` and nothing else.

Pure: the state is the fold, the policy says which audiences need whose approval.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

from warroom.core import events as ev
from warroom.core.kinds import kind_test
from warroom.core.state import IncidentState, NoticeState

if TYPE_CHECKING:  # the fold imports this module; the policy's ~20 models are not needed to fold
    from warroom.core.policy import Policy


def text_digest(text: str) -> str:
    """The digest an approval binds to: sha256 (hex) of the text's UTF-8 bytes."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def needs_approval(policy: Policy, audience: str) -> tuple[str, ...]:
    """The incident roles one of whom must approve a notice to ``audience`` (none: no
    approval needed). The policy's ``[access] approved_audiences`` and ``approvers``."""
    rules = policy.access
    return rules.approvers if audience in rules.approved_audiences else ()


class ReadyNotice(BaseModel):
    """A notice that may be sent now, exactly as it reads here."""

    model_config = ConfigDict(frozen=True)

    draft_id: str
    audience: str
    text: str
    digest: str


def is_ready(policy: Policy, notice: NoticeState) -> bool:
    """Approved to the byte when approval is needed; otherwise simply drafted."""
    if needs_approval(policy, notice.audience):
        return notice.status == "approved" and notice.approved_digest == notice.digest
    return notice.status in ("drafted", "approved")


def ready_notices(state: IncidentState, policy: Policy) -> list[ReadyNotice]:
    """Every notice of the incident that may be sent now, in drafting order."""
    return [
        ReadyNotice(draft_id=n.draft_id, audience=n.audience, text=n.text, digest=n.digest)
        for n in state.notices.values()
        if is_ready(policy, n)
    ]


def standing(policy: Policy, notice: NoticeState) -> str:
    """Where a notice stands, in words: who must act next."""
    roles = needs_approval(policy, notice.audience)
    if notice.status == "returned":
        return f"sent back by {notice.returned_by}: {notice.returned_reason}"
    if is_ready(policy, notice):
        return f"approved by {notice.approved_by}" if roles else "ready (needs no approval)"
    if roles:
        return f"awaiting approval by the {' or '.join(roles)}"
    return notice.status


def awaiting_approval(state: IncidentState, policy: Policy) -> list[NoticeState]:
    """Notices waiting for an approver's yes or no (what the strip shows the commander)."""
    return [
        n
        for n in state.notices.values()
        if n.status == "drafted" and needs_approval(policy, n.audience)
    ]


def no_such_notice(state: IncidentState, draft_id: str) -> str:
    """The words for a notice id the incident does not have."""
    return f"{state.id} has no notice {draft_id!r}; `warroom update list {state.id}` shows them"


_NOTICE_WORK = kind_test(ev.NoticeDrafted, ev.NoticeApproved, ev.NoticeReturned)


def notice_refusal(state: IncidentState, payload: object) -> str | None:
    """Why a notice entry does not fit the notice it names (binds admins too): a
    revision keeps its audience, and an approval must name the text as it is now."""
    if not _NOTICE_WORK[type(payload)]:
        return None
    notice = state.notices.get(payload.draft_id)
    if isinstance(payload, ev.NoticeDrafted):
        if notice is not None and notice.audience != payload.audience:
            return (
                f"notice {payload.draft_id} is for {notice.audience}; a revision keeps its"
                f" audience (draft a new notice for {payload.audience})"
            )
        return None
    if notice is None:
        return no_such_notice(state, payload.draft_id)
    if isinstance(payload, ev.NoticeApproved):
        if notice.status == "returned":
            return f"notice {notice.draft_id} was sent back; it needs a revision before approval"
        if payload.digest != notice.digest:
            return (
                f"the text of notice {notice.draft_id} is not the one approved (it is now"
                f" revision {notice.revision}); read it again before approving"
            )
    return None
