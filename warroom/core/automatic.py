"""Automatic severity raises: the policy's own rules may raise severity, never lower it.

An alert rule's ``raise_severity`` and a ladder step's ``set-severity`` are the policy
saying "when this happens, the incident is at least this bad". The access rules reserve
severity for the commander or deputy, so without this a rule could never raise a
human-commanded incident. A raise is authorised here, not by a role, when:

- the write path is the server's own (server-authored batches) or the local ladder or
  intake — they pass ``automation=True`` to ``check_append``; a client's push never
  does, so a token claiming to be automation is judged as the token's person;
- the change names the rule that makes it (``SeverityChanged.rule``), and that rule
  raises to exactly this severity;
- it is a raise: lowering stays a human decision.

Pure: the policy and the folded state say everything.
"""

from warroom.core import events as ev
from warroom.core.policy import Policy
from warroom.core.state import IncidentState


def _rule_raises_to(policy: Policy, rule_id: str) -> str | None:
    """The severity the policy rule ``rule_id`` raises to, if it is one that raises."""
    for step in policy.escalations:
        if step.id == rule_id and step.action == "set-severity":
            return step.severity
    for rule in policy.rules:
        if rule.id == rule_id and rule.raise_severity is not None:
            return rule.raise_severity
    return None


def automatic_raise_refusal(
    policy: Policy, state: IncidentState, change: ev.SeverityChanged
) -> str | None:
    """Why automation may not make this severity change; ``None`` when a rule allows it."""
    if not change.rule:
        return "an automatic severity change must name the policy rule that makes it"
    wanted = _rule_raises_to(policy, change.rule)
    if wanted is None:
        return f"the policy has no rule {change.rule!r} that raises severity"
    if policy.severity(wanted).name != policy.severity(change.severity).name:
        return f"rule {change.rule} raises to {wanted}, not {change.severity}"
    if state.severity and policy.severity_rank(change.severity) >= policy.severity_rank(
        state.severity
    ):
        return (
            f"automatic changes only ever raise severity: {state.id} is {state.severity};"
            " lowering it stays a human decision"
        )
    return None
