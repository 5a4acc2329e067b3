"""The access rules' shortcuts give the answers of the long way round.

``check_append`` remembers the names a policy accepted, answers "which kind is this"
from a table by type, and compares an entry's times against bounds in the entry's own
zone; each shortcut is checked here at the edges where a wrong key or a wrong zone
would let an entry through that the rules refuse (or refuse one they allow).
"""

import ast
import inspect
import textwrap
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from tests.factories import T0, declaration, make_event
from warroom.core import access, learning_rules, validity
from warroom.core import events as ev
from warroom.core.access import check_append
from warroom.core.events.fields import _TextEntry
from warroom.core.fold import fold
from warroom.core.kinds import KindTable, kind_test
from warroom.core.policy import default_policy, parse_policy
from warroom.core.validity import EARLIEST, FUTURE_SLACK, time_refusal, vocabulary_refusal

NOW = T0 + timedelta(hours=1)


def _judge(policy, event, state=None):
    state = state or fold([declaration(declarer_commands=True)])
    return check_append(policy, state, event, author="alice", admin=False, now=NOW)


def test_a_name_one_policy_accepted_is_judged_afresh_by_another():
    default = default_policy()
    other = parse_policy('[[severities]]\nname = "critical"\n', "other.toml")
    change = make_event("severity_changed", severity="SEV1")
    assert _judge(default, change) is None
    assert "unknown severity 'SEV1'" in _judge(other, change)
    assert _judge(default, change) is None  # and the first still accepts it


def test_an_accepted_name_does_not_accept_its_other_spellings():
    policy = default_policy()
    assert _judge(policy, make_event("severity_changed", severity="SEV2")) is None
    refusal = _judge(policy, make_event("severity_changed", severity="sev2"))
    assert refusal == "severity 'sev2' must be written 'SEV2', as the policy has it"


def test_a_checklist_item_accepted_in_one_phase_is_not_accepted_in_another():
    policy = default_policy()
    accepted = ev.ChecklistMarked(phase="triage", item="set-severity", checked=True)
    assert vocabulary_refusal(policy, accepted) is None
    refused = ev.ChecklistMarked(phase="recovery", item="set-severity", checked=True)
    assert "unknown checklist item" in vocabulary_refusal(policy, refused)


def test_a_name_is_remembered_only_once_accepted():
    policy = default_policy()
    for _ in range(2):
        assert "unknown role 'captain'" in vocabulary_refusal(
            policy, ev.RoleAssigned(role="captain", person="bob")
        )


ZONES = [
    UTC,
    timezone(timedelta(hours=2)),
    timezone(timedelta(hours=-9, minutes=-30)),
    ZoneInfo("Europe/Berlin"),  # a zone with DST: same-zone times compare by wall clock
]
"""Zones an entry's times may carry: pydantic's UTC and fixed offsets from JSON, any
tzinfo when an event is built in Python."""


FOLD_EVE = datetime(2026, 10, 24, 0, 30, tzinfo=UTC)
"""A day before 02:30 of the night Berlin's clocks go back (02:00-03:00 happens twice):
half an hour after the window's end is 02:00 on the wall, before its 02:30."""


@pytest.mark.parametrize("zone", ZONES, ids=str)
@pytest.mark.parametrize("json", [True, False], ids=["from-json", "built"])
@pytest.mark.parametrize("now", [NOW, FOLD_EVE], ids=["now", "fold-eve"])
def test_times_at_the_edges_of_the_window_are_judged_as_their_instants(zone, json, now):
    latest = now + FUTURE_SLACK
    tick = timedelta(microseconds=1)
    half_hour = timedelta(minutes=30)
    for moment in (EARLIEST - tick, EARLIEST, latest, latest + tick, latest + half_hour, now):
        local = moment.astimezone(zone)
        event = make_event("note", text="x").model_copy(
            update={"occurred_at": local, "recorded_at": local}
        )
        if json:  # pydantic's own zone objects, as a server sees them
            event = ev.Event.model_validate_json(event.model_dump_json())
        inside = EARLIEST <= moment <= latest
        assert (time_refusal(event, now) is None) is inside, (moment, zone)


def test_a_kind_table_answers_as_isinstance_and_match_would():
    class Special(ev.Note):
        pass

    test = kind_test(ev.Note, ev.SeverityChanged)
    table = KindTable({ev.Note: "note", _TextEntry: "text"}, "other")
    for payload, expected in (
        (ev.Note(text="x"), "note"),
        (Special(text="x"), "note"),
        (ev.Observation(text="x"), "text"),
        (ev.PhaseChanged(phase="triage"), "other"),
    ):
        assert table[type(payload)] == expected
        assert test[type(payload)] is isinstance(payload, ev.Note | ev.SeverityChanged)


def _matched_kinds(rule) -> set[type]:
    """The payload classes named by the class patterns of ``rule``'s ``match``."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(rule)))
    return {
        getattr(ev, node.cls.attr)
        for node in ast.walk(tree)
        if isinstance(node, ast.MatchClass) and isinstance(node.cls, ast.Attribute)
    }


@pytest.mark.parametrize(
    ("rule", "guard"),
    [
        (access._role_refusal, access._ROLE_RULED),
        (learning_rules.learning_refusal, learning_rules._LEARNING_WORK),
        (validity._times, validity._TIMED),
        (validity.milestones_after, validity._SETS_MILESTONES),
    ],
    ids=["roles", "learning", "times", "milestones"],
)
def test_each_guard_names_exactly_the_kinds_its_rule_matches(rule, guard):
    """A guard skips its rule for every kind it does not name: a case added to the rule
    but not to its guard would never run (a role check, a time check silently gone)."""
    assert {kind for kind, _ in guard.cases} == _matched_kinds(rule)
