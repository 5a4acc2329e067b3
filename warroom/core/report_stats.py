"""The figures of the report across incidents, each for one group of incidents.

Durations are summarised as a median and a 90th percentile over the incidents whose
milestones are known, and the unknown ones are counted beside them: a mean is pulled by
one long outlier and a guess for a missing milestone is worse than a blank, so neither
appears. The 90th percentile is the nearest-rank one (the smallest value at least 90 %
of the known values do not exceed), so it is always a value that was observed.
"""

import math
import statistics
from collections.abc import Sequence

from pydantic import BaseModel

from warroom.core.report_scores import CRITERIA, IncidentScore, Slot


class Spread(BaseModel):
    """Median and p90 (seconds) of the known values, and how many were unknown."""

    median_s: float | None = None
    p90_s: float | None = None
    known: int = 0
    unknown: int = 0


def p90(values: Sequence[float]) -> float:
    """Nearest-rank 90th percentile of a non-empty sequence."""
    ordered = sorted(values)
    return ordered[math.ceil(0.9 * len(ordered)) - 1]


def spread(values: Sequence[float | None]) -> Spread:
    known = [v for v in values if v is not None]
    if not known:
        return Spread(unknown=len(values))
    return Spread(
        median_s=float(statistics.median(known)),
        p90_s=float(p90(known)),
        known=len(known),
        unknown=len(values) - len(known),
    )


# -- update punctuality ------------------------------------------------------------------


class Punctuality(BaseModel):
    """Status updates to one audience against the cadence: each due update was on time,
    late (sent after it was due, by how much) or missed (none went out before the
    incident was resolved, or before now while it is open)."""

    audience: str
    on_time: int = 0
    late: int = 0
    missed: int = 0
    late_by: Spread = Spread()
    """How late the late and missed ones were (missed: until resolution or now)."""


def punctuality(group: Sequence[IncidentScore], audiences: Sequence[str]) -> list[Punctuality]:
    slots: dict[str, list[Slot]] = {}
    for scored in group:
        for audience, found in scored.lateness.items():
            slots.setdefault(audience, []).extend(found)
    rows = []
    for audience in sorted(slots, key=lambda a: _order(audiences, a)):
        found = slots[audience]
        late = [late_s for late_s, missed in found if late_s > 0 or missed]
        rows.append(
            Punctuality(
                audience=audience,
                on_time=sum(late_s <= 0 and not missed for late_s, missed in found),
                late=sum(late_s > 0 and not missed for late_s, missed in found),
                missed=sum(missed for _, missed in found),
                late_by=spread(late) if late else Spread(),
            )
        )
    return rows


def _order(names: Sequence[str], name: str) -> tuple[int, str]:
    return (names.index(name) if name in names else len(names), name)


# -- escalation effectiveness ------------------------------------------------------------


class Escalations(BaseModel):
    """Pages and what came of them. A page counts as acknowledged when the incident was
    acknowledged at or after it went out (time to acknowledge: from the page to the
    acknowledgement); a page sent once it already was is counted apart."""

    pages: int = 0
    acknowledged: int = 0
    unanswered: int = 0
    after_acknowledgement: int = 0
    time_to_ack: Spread = Spread()
    steps_fired: int = 0
    steps_per_incident: Spread = Spread()
    """Ladder steps fired per incident (a count, in the fields of a spread)."""


def escalations(group: Sequence[IncidentScore]) -> Escalations:
    waits = [wait for scored in group for wait in scored.page_waits]
    unanswered = sum(scored.unanswered for scored in group)
    after = sum(scored.after_acknowledgement for scored in group)
    steps = [float(scored.steps_fired) for scored in group]
    return Escalations(
        pages=len(waits) + unanswered + after,
        acknowledged=len(waits),
        unanswered=unanswered,
        after_acknowledgement=after,
        time_to_ack=spread(waits) if waits else Spread(),
        steps_fired=int(sum(steps)),
        steps_per_incident=spread(steps) if steps else Spread(),
    )


# -- reviews -----------------------------------------------------------------------------


class Reviews(BaseModel):
    """Postmortems of the resolved incidents against the policy's ``[review]`` targets,
    and the quality of their records (``CRITERIA``; the score is the share met, 0-100)."""

    resolved: int = 0
    on_time: int = 0
    late: int = 0
    overdue: int = 0
    """Not published, and the target has passed."""
    pending: int = 0
    """Not published yet, still within the target."""
    no_target: int = 0
    """The policy sets no target for the severity."""
    late_by: Spread = Spread()
    score: Spread = Spread()
    """The quality score of each resolved incident (a score, in the fields of a spread)."""
    criteria_met: dict[str, int] = {}


def reviews(group: Sequence[IncidentScore]) -> Reviews:
    counts = dict.fromkeys(("on_time", "late", "overdue", "pending", "no_target"), 0)
    late_by: list[float] = []
    scores: list[float] = []
    met = dict.fromkeys(CRITERIA, 0)
    resolved = [scored for scored in group if scored.review is not None]
    for scored in resolved:
        passed = scored.quality or {}
        for name, ok in passed.items():
            met[name] += ok
        scores.append(round(100 * sum(passed.values()) / len(passed)))
        counts[scored.review] += 1
        if scored.review_late_s is not None:
            late_by.append(scored.review_late_s)
    return Reviews(
        resolved=len(resolved),
        late_by=spread(late_by) if late_by else Spread(),
        score=spread(scores) if scores else Spread(),
        criteria_met=met,
        **counts,
    )


class FollowUps(BaseModel):
    """Action items of the group: how many are closed (done or won't do), how many open
    ones are past their due date."""

    total: int = 0
    closed: int = 0
    closure_rate: float | None = None
    overdue: int = 0


def follow_ups(group: Sequence[IncidentScore]) -> FollowUps:
    total = sum(scored.actions for scored in group)
    closed = sum(scored.actions_closed for scored in group)
    return FollowUps(
        total=total,
        closed=closed,
        closure_rate=closed / total if total else None,
        overdue=sum(scored.actions_overdue for scored in group),
    )
