"""Follow-ups across every log of a home: each incident's action items and each risk of
the register, cached beside the events so listing them over 10,000 incidents is one
query, not 10,000 folds.

The cache keeps, per log, the projection below of its folded state, saved with the
``seq`` of the log's newest row; it is fresh while that row is still the newest, and
``Replica._invalidate`` drops it with the other caches when a rejection or a move
changes rows behind it (the same rule as ``store/summaries.py``). A cache: if it cannot
be saved, the answer is still right, only not faster next time (``save_cache``).
"""

import json
from dataclasses import dataclass, field
from datetime import datetime

from warroom.core.followups import risk_flags, standing_items
from warroom.core.ids import RISK_PREFIX
from warroom.core.learning_state import ActionItem, RiskState
from warroom.core.policy_sections import RiskScales
from warroom.core.state import IncidentState
from warroom.store.local import FOLD_VERSION, LocalStore
from warroom.store.summaries import save_cache

CACHE_VERSION = FOLD_VERSION * 1000 + 1
"""Changes with the fold and with the projection, so stale entries are refolded."""


@dataclass(frozen=True)
class IncidentFollowUps:
    """One incident's action items, with what a list across incidents shows of it."""

    incident_id: str
    title: str
    status: str
    drill: bool
    items: tuple[ActionItem, ...]


@dataclass(frozen=True)
class RiskEntry:
    """One risk of the register."""

    risk_id: str
    risk: RiskState


def _project(state: IncidentState) -> dict:
    if state.risk is not None:
        return {"risk": state.risk.model_dump(mode="json")}
    return {
        "title": state.title,
        "status": state.status,
        "drill": state.drill,
        "items": [item.model_dump(mode="json") for item in standing_items(state)],
    }


def _records(store: LocalStore, risks: bool, only: str | None = None) -> list[tuple[str, dict]]:
    """(log id, projection) of every incident (or every risk), most recently active
    first; stale projections are refolded and saved."""
    where = "i.id LIKE ?2" if risks else "i.id NOT LIKE ?2"
    params: list = [CACHE_VERSION, RISK_PREFIX + "%"]
    if only is not None:
        where += " AND i.id = ?3"
        params.append(only)
    rows = store.conn.execute(
        "SELECT i.id, (SELECT MAX(seq) FROM events WHERE incident_id = i.id) AS newest,"
        " c.through_seq, c.record FROM incidents i"
        " LEFT JOIN followups_cache c ON c.incident_id = i.id AND c.version = ?1"
        f" WHERE {where} ORDER BY newest DESC",
        params,
    ).fetchall()
    found, refreshed = [], []
    for log_id, newest, through, saved in rows:
        if saved is not None and through == newest:
            found.append((log_id, json.loads(saved)))
            continue
        if newest is None:
            continue  # every entry refused by the server: nothing stands
        record = _project(store.state(log_id))
        found.append((log_id, record))
        refreshed.append((log_id, CACHE_VERSION, newest, json.dumps(record)))
    if refreshed and not store.read_only:
        save_cache(store, "followups_cache", "record", refreshed)
    return found


def incident_follow_ups(
    store: LocalStore, incident_id: str | None = None
) -> list[IncidentFollowUps]:
    """Every incident that has action items (or just ``incident_id``'s), most recently
    active first."""
    found = []
    for log_id, record in _records(store, risks=False, only=incident_id):
        if not record.get("items"):
            continue
        items = tuple(ActionItem.model_validate(item) for item in record["items"])
        found.append(
            IncidentFollowUps(log_id, record["title"], record["status"], record["drill"], items)
        )
    return found


def risk_register(store: LocalStore) -> list[RiskEntry]:
    """Every risk of the register, most recently changed first."""
    return [
        RiskEntry(log_id, RiskState.model_validate(record["risk"]))
        for log_id, record in _records(store, risks=True)
        if record.get("risk")
    ]


@dataclass(frozen=True)
class ActionRow:
    """One action item in a list across incidents."""

    incident: IncidentFollowUps
    item: ActionItem
    short_id: str
    """The shortest prefix of the item's id (13 characters at least) unique among the
    incident's items: what ``warroom actions done INCIDENT ITEM`` takes."""
    overdue: bool


def action_rows(
    store: LocalStore,
    now: datetime,
    *,
    owner: str | None = None,
    overdue_only: bool = False,
    incident_id: str | None = None,
    include_closed: bool = False,
) -> list[ActionRow]:
    """Action items across every incident, overdue first, then by due date (undated
    last) and age; done and won't-do items only with ``include_closed``."""
    rows = []
    for incident in incident_follow_ups(store, incident_id):
        shorts = short_ids([item.event_id for item in incident.items])
        for item in incident.items:
            late = item.overdue(now)
            if owner is not None and (item.owner or "").lower() != owner.strip().lower():
                continue
            if (overdue_only and not late) or (item.closed and not include_closed):
                continue
            rows.append(ActionRow(incident, item, shorts[item.event_id], late))
    far = datetime.max.replace(tzinfo=now.tzinfo)
    return sorted(
        rows, key=lambda r: (not r.overdue, r.item.closed, r.item.due or far, r.item.created_at)
    )


@dataclass(frozen=True)
class RiskRow:
    """One risk of the register as the register shows it."""

    risk_id: str
    risk: RiskState
    exposure: int
    flags: list[str] = field(default_factory=list)


def register_rows(store: LocalStore, scales: RiskScales, now: datetime) -> list[RiskRow]:
    """The register, highest exposure (likelihood x impact) first, closed risks last; each
    flagged when its review date passed or every mitigating action is overdue."""
    items = {
        (incident.incident_id, item.event_id): item
        for incident in incident_follow_ups(store)
        for item in incident.items
    }
    rows = []
    for entry in risk_register(store):
        risk = entry.risk
        mitigations = [items.get((m.incident_id, m.action_id)) for m in risk.mitigations]
        exposure = scales.exposure(risk.likelihood, risk.impact)
        rows.append(RiskRow(entry.risk_id, risk, exposure, risk_flags(risk, mitigations, now)))
    return sorted(rows, key=lambda r: (r.risk.status == "closed", -r.exposure, r.risk.title))


def short_ids(ids: list[str], least: int = 13) -> dict[str, str]:
    """Each id cut to the shortest prefix, ``least`` characters or more, that no other
    id in ``ids`` shares (UUIDv7s made in the same millisecond share 13)."""
    shorts = {}
    for one in ids:
        size = least
        while size < len(one) and any(o != one and o.startswith(one[:size]) for o in ids):
            size += 1
        shorts[one] = one[:size]
    return shorts
