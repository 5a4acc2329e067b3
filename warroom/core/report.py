"""The report across incidents: counts, response times, update punctuality, escalation
effectiveness, review timeliness and quality, follow-up closure — per group.

Pure: it reads ``IncidentFacts`` (one per incident, ``core/report_facts.py``), the
policy and the time of the report, so the same record and policy give the same report.
Incidents are chosen by when they were declared (``since`` inclusive, ``until``
exclusive); drills are left out, and counted as left out, unless asked for.
"""

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

from pydantic import BaseModel

from warroom.core.errors import InvalidInput
from warroom.core.metrics import DEFINITIONS
from warroom.core.policy import Policy
from warroom.core.report_facts import IncidentFacts
from warroom.core.report_scores import CRITERIA, CadenceBook, IncidentScore, score_incident
from warroom.core.report_stats import (
    Escalations,
    FollowUps,
    Punctuality,
    Reviews,
    Spread,
    escalations,
    follow_ups,
    punctuality,
    reviews,
    spread,
)

Grouping = Literal["severity", "type", "service", "month"]
GROUPINGS: tuple[str, ...] = Grouping.__args__
NO_SERVICE = "(no service)"


class ReportInputError(InvalidInput):
    """A bad ``--since``, ``--until`` or ``--by``: a usage error (exit status 2)."""

    exit_code = 2


class GroupReport(BaseModel):
    """The figures of one group (or of every chosen incident, ``key`` ``all``)."""

    key: str
    incidents: int
    metrics: dict[str, Spread]
    punctuality: list[Punctuality]
    escalations: Escalations
    reviews: Reviews
    follow_ups: FollowUps


class Report(BaseModel):
    since: datetime | None
    until: datetime | None
    by: str
    generated_at: datetime
    include_drills: bool
    drills_left_out: int
    review_targets: dict[str, str]
    criteria: dict[str, str]
    groups: list[GroupReport]
    total: GroupReport


def build_report(
    facts: Iterable[IncidentFacts],
    policy: Policy,
    now: datetime,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    by: str = "severity",
    include_drills: bool = False,
) -> Report:
    by = grouping(by)
    book = CadenceBook.of(policy.cadence)
    scored: list[IncidentScore] = []
    groups: dict[str, list[IncidentScore]] = {}
    drills = 0
    for one in facts:  # one at a time: only the scores are kept
        declared = one.milestones.get("declared")
        if declared is None or (since and declared < since) or (until and declared >= until):
            continue
        if one.drill and not include_drills:
            drills += 1
            continue
        score = score_incident(one, book, policy, now)
        scored.append(score)
        for key in _keys(one, by):
            groups.setdefault(key, []).append(score)
    ordered = sorted(groups, key=lambda key: _group_order(policy, by, key))
    return Report(
        since=since,
        until=until,
        by=by,
        generated_at=now,
        include_drills=include_drills,
        drills_left_out=drills,
        review_targets=dict(policy.review),
        criteria=CRITERIA,
        groups=[group_report(key, groups[key], policy, now) for key in ordered],
        total=group_report("all", scored, policy, now),
    )


def group_report(
    key: str, group: list[IncidentScore], policy: Policy, now: datetime
) -> GroupReport:
    return GroupReport(
        key=key,
        incidents=len(group),
        metrics={m: spread([one.spans[m] for one in group]) for m in DEFINITIONS},
        punctuality=punctuality(group, policy.audiences),
        escalations=escalations(group),
        reviews=reviews(group),
        follow_ups=follow_ups(group),
    )


def _keys(facts: IncidentFacts, by: str) -> list[str]:
    """The groups one incident falls in: every service it affects, for ``service``."""
    match by:
        case "severity":
            return [facts.severity or "(none)"]
        case "type":
            return [facts.incident_type or "(none)"]
        case "service":
            return list(dict.fromkeys(facts.services)) or [NO_SERVICE]
    return [facts.milestones["declared"].astimezone(UTC).strftime("%Y-%m")]


def _group_order(policy: Policy, by: str, key: str) -> tuple[int, str]:
    if by == "severity":
        names = [s.name for s in policy.severities]
        return (names.index(key) if key in names else len(names), key)
    return (key == NO_SERVICE, key)


def grouping(text: str) -> str:
    """``--by`` in any case, or the choices."""
    wanted = text.strip().lower()
    if wanted not in GROUPINGS:
        raise ReportInputError(f"cannot group by {text!r}; choose one of {', '.join(GROUPINGS)}")
    return wanted


_AGO = re.compile(r"^\s*(\d{1,5})\s*([hdw])\s*(?:ago)?\s*$", re.IGNORECASE)
_HOURS = {"h": 1, "d": 24, "w": 24 * 7}


def report_time(text: str, option: str, now: datetime) -> datetime:
    """A ``--since``/``--until`` value: a span back from now (``90d``, ``12w``, ``36h``),
    a date (its start, UTC) or an ISO 8601 time; ``ReportInputError`` says how to write
    it, naming the option."""
    raw = text.strip()
    if match := _AGO.match(raw):
        return now - timedelta(hours=int(match.group(1)) * _HOURS[match.group(2).lower()])
    try:
        if len(raw) == 10:
            return datetime.combine(date.fromisoformat(raw), time(), tzinfo=UTC)
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise ReportInputError(
            f"cannot read {option} {text!r}; write a span back from now (90d, 12w, 36h),"
            " a date (2026-09-01) or an ISO 8601 time"
        ) from None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)


def report_window(
    since: str | None, until: str | None, now: datetime
) -> tuple[datetime | None, datetime | None]:
    """The window the options choose; ``until`` before ``since`` is refused."""
    start = report_time(since, "--since", now) if since else None
    end = report_time(until, "--until", now) if until else None
    if start and end and end <= start:
        raise ReportInputError(
            f"--until ({end:%Y-%m-%d %H:%M}) must be after --since ({start:%Y-%m-%d %H:%M})"
        )
    return start, end
