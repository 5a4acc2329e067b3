"""One line per incident, as ``warroom list`` and the screen's picker show it.

Plain data, importable without pydantic, so the screen's first frame does not pay for
the models; ``warroom.store.summaries`` makes them from folded states and caches them.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class IncidentSummary:
    id: str
    title: str
    severity: str
    status: str
    phase: str
    commander: str | None
    drill: bool
    declared_at: str | None
    """ISO 8601, as ``warroom list --json`` prints it."""
    events: int

    @property
    def active(self) -> bool:
        return self.status not in ("resolved", "closed")
