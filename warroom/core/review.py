"""Publishing an incident's postmortem: when the record takes a ``postmortem_published``.

A review is of a response that ended, so publication needs the incident resolved (or
closed); a closed incident takes it without being reopened (``AFTER_CLOSE_KINDS``).
Publishing again — a revised document at a new address — is allowed; review timeliness
counts the first publication. Called from ``access.check_append``, so the local write
path and a server judge it alike.
"""

from warroom.core import events as ev
from warroom.core.state import IncidentState


def publication_refusal(state: IncidentState, payload: object) -> str | None:
    """Why ``payload`` (a publication) may not go on ``state``'s record now."""
    if not isinstance(payload, ev.PostmortemPublished):
        return None
    if "resolved" not in state.milestones and state.status not in ("resolved", "closed"):
        return (
            f"{state.id} is {state.status}; publish its postmortem once it is resolved"
            f" (`warroom status {state.id} resolved`)"
        )
    return None
