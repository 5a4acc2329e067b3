"""Where one delivery stands, as folded from its receipts (``notice_delivered`` /
``notice_failed`` / ``delivery_retry``).

Kept apart from ``state`` so the incident state can hold it without importing the fold
handlers (``core/delivery.py``), which need the incident state.
"""

from datetime import datetime

from pydantic import BaseModel

MAX_ATTEMPTS = 5
"""Attempts (since the last retry by hand) before the dispatcher gives up on a delivery."""


class DeliveryRecord(BaseModel):
    """One (notice or page, channel) pair: its attempts, its last error, its receipt."""

    delivery_id: str
    subject_id: str
    channel: str
    """The channel's URL with its secrets redacted."""
    audience: str | None = None
    failures: int = 0
    """Failed attempts on the record; the next attempt is number ``failures + 1``."""
    budget_from: int = 0
    """``failures`` when it was last retried by hand: the give-up count starts there."""
    last_error: str = ""
    retry_at: datetime | None = None
    gave_up: bool = False
    delivered_at: datetime | None = None
    answer: str = ""
    late_s: float | None = None

    @property
    def delivered(self) -> bool:
        return self.delivered_at is not None

    @property
    def undelivered(self) -> bool:
        """It failed at least once and has no receipt yet: the strip warns about it."""
        return not self.delivered and self.failures > 0
