"""Automatic severity raises (pure): the policy rule an automatic change names may raise
a commanded incident, never lower it, and only on the automation write path."""

from datetime import timedelta

from tests.factories import T0, declaration, make_event
from warroom.core.access import check_append
from warroom.core.fold import fold
from warroom.core.policy import parse_policy

POLICY = parse_policy(
    """
[[escalations]]
id = "still-slow"
when = "unmitigated"
after_minutes = 30
action = "set-severity"
severity = "SEV2"

[[rules]]
id = "errors-high"
thresholds = ["error_rate_pct > 5"]
raise_severity = "SEV1"
""",
    "automatic.toml",
)
INC = "inc-test01"
COMMANDED = fold([declaration(INC, actor="dora", severity="SEV3", declarer_commands=True)])


def judge(actor: str, *, automation: bool, state=COMMANDED, **payload) -> str | None:
    event = make_event("severity_changed", INC, actor=actor, minute=1, **payload)
    now = T0 + timedelta(hours=1)
    return check_append(
        POLICY, state, event, author=actor, admin=False, now=now, automation=automation
    )


def test_the_rule_an_automatic_raise_names_authorises_it_over_the_commander():
    assert judge("warroom:ladder", automation=True, severity="SEV2", rule="still-slow") is None
    assert judge("intake:generic", automation=True, severity="SEV1", rule="errors-high") is None


def test_an_automatic_change_that_lowers_or_names_no_fitting_rule_is_refused():
    sev1 = fold([make_event("severity_changed", INC, actor="dora", severity="SEV1")], COMMANDED)
    lowered = judge(
        "warroom:ladder", automation=True, state=sev1, severity="SEV2", rule="still-slow"
    )
    assert lowered and "only ever raise" in lowered and "human decision" in lowered
    unnamed = judge("warroom:ladder", automation=True, severity="SEV2")
    assert unnamed and "must name the policy rule" in unnamed
    unknown = judge("warroom:ladder", automation=True, severity="SEV2", rule="made-up")
    assert unknown and "no rule 'made-up'" in unknown
    other = judge("warroom:ladder", automation=True, severity="SEV1", rule="still-slow")
    assert other and "raises to SEV2, not SEV1" in other


def test_outside_the_automation_path_a_named_rule_changes_nothing():
    """A client's push (``automation`` off) is judged by the roles, rule field or not."""
    refusal = judge("rita", automation=False, severity="SEV2", rule="still-slow")
    assert refusal and "changing severity needs the commander or deputy" in refusal
    ladder = judge("warroom:ladder", automation=False, severity="SEV2", rule="still-slow")
    assert ladder and "needs the commander or deputy" in ladder
