"""The payloads of notices and their delivery: drafts, approvals, returns, and the
receipts of each attempt to send a notice or a page through a channel.
"""

from typing import Annotated, Literal, Self

from pydantic import AwareDatetime, Field, StringConstraints, model_validator

from warroom.core.events.fields import MAX_TEXT, Name, Reason, Sha256, Text, _Payload


class _DeliveryReceipt(_Payload):
    """What one attempt to deliver a notice or a page through one channel came to.

    ``delivery_id`` names the (notice or page, channel) pair and is sent with the message,
    so a receiver drops a repeat; ``channel`` is the channel's URL with its secrets
    redacted — never the URL itself. ``subject_id`` is the notice's draft id or the
    escalation event's id."""

    delivery_id: Name
    subject_id: Name
    channel: Name
    audience: Name | None = None
    attempt: int = Field(default=1, ge=1, le=10_000)
    version: Reason = ""
    """A notice's text digest (the text that went out); empty for a page."""


class NoticeDelivered(_DeliveryReceipt):
    """The channel took the message: its answer, and the cadence's due time it met or
    missed (``due_at``, with ``late_s`` seconds past it, negative when early; both
    ``None`` when no cadence applied)."""

    kind: Literal["notice_delivered"] = "notice_delivered"
    answer: Reason = ""
    due_at: AwareDatetime | None = None
    late_s: float | None = Field(default=None, allow_inf_nan=False)


class NoticeFailed(_DeliveryReceipt):
    """The channel refused or could not be reached; ``retry_at`` is when the next attempt
    is due, ``None`` when the dispatcher gave up (a retry by hand starts it again)."""

    kind: Literal["notice_failed"] = "notice_failed"
    error: Text
    retry_at: AwareDatetime | None = None


class DeliveryRetry(_Payload):
    """Someone asked for a delivery that gave up to be tried again now."""

    kind: Literal["delivery_retry"] = "delivery_retry"
    delivery_id: Name


DraftId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]
"""Names one notice on an incident; short enough to type (``warroom update show ID u-7k2m``)."""
NoticeText = Annotated[str, StringConstraints(min_length=1, max_length=MAX_TEXT)]
"""A notice exactly as written: not stripped, because approval binds to its bytes."""
TemplateName = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]


class NoticeDrafted(_Payload):
    """A status notice written for one audience, from a template or by hand.

    A revision reuses the ``draft_id`` and replaces the text; any approval given to the
    earlier text no longer counts (approval binds to the digest of the exact text).
    """

    kind: Literal["notice_drafted"] = "notice_drafted"
    draft_id: DraftId
    audience: Name
    text: NoticeText
    template: TemplateName = ""

    @model_validator(mode="after")
    def _has_words(self) -> Self:
        if not self.text.strip():
            raise ValueError("a notice needs some text")
        return self


class NoticeApproved(_Payload):
    """The approver's yes to one text of a notice: ``digest`` is the sha256 (hex) of the
    UTF-8 text they read, so a later revision is not approved by it."""

    kind: Literal["notice_approved"] = "notice_approved"
    draft_id: DraftId
    digest: Sha256


class NoticeReturned(_Payload):
    """The approver sends a notice back to its writer, saying why; it needs a revision."""

    kind: Literal["notice_returned"] = "notice_returned"
    draft_id: DraftId
    reason: Text
