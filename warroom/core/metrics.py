"""Response metrics from milestone times.

A metric whose milestones are missing is ``None`` ("unknown"), never a guess: a wrong
MTTR in a quarterly review is worse than a blank one. A negative span (a backdated
milestone recorded in the wrong order) is also reported as unknown.
"""

from datetime import timedelta

from pydantic import BaseModel

from warroom.core.state import IncidentState

DEFINITIONS: dict[str, tuple[str, str]] = {
    "mttd": ("impact_started", "detected"),
    "mtta": ("detected", "acknowledged"),
    "mttm": ("impact_started", "mitigated"),
    "mttr": ("impact_started", "resolved"),
}


class IncidentMetrics(BaseModel):
    mttd: timedelta | None = None
    mtta: timedelta | None = None
    mttm: timedelta | None = None
    mttr: timedelta | None = None


def incident_metrics(state: IncidentState) -> IncidentMetrics:
    values: dict[str, timedelta | None] = {}
    for name, (start, end) in DEFINITIONS.items():
        began, ended = state.milestones.get(start), state.milestones.get(end)
        span = ended - began if began and ended else None
        values[name] = span if span is not None and span >= timedelta(0) else None
    return IncidentMetrics(**values)
