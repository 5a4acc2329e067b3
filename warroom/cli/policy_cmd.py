"""``warroom policy show|check``: see the rules in force, validate a policy file."""

from pathlib import Path
from typing import Annotated

import typer

from warroom.cli.output import emit_json, report_problems, say
from warroom.cli.params import Json
from warroom.core.policy import PolicyError, load_policy

app = typer.Typer(help="Show the policy in force or check a policy file.", no_args_is_help=True)


@app.command("show")
def show(
    ctx: typer.Context,
    as_json: Json = False,
) -> None:
    """Print the policy in force: severities, roles, phases, cadence, escalations, rules."""
    policy = ctx.obj.policy
    if as_json:
        emit_json(policy)
        return
    say("Severities (lower is worse):")
    for sev in policy.severities:
        say(f"  {sev.name:<6} {'major ' if sev.major else '      '}{sev.description}")
    say(f"Incident types: {', '.join(policy.incident_types)}")
    say(f"Statuses: {' -> '.join(policy.statuses)}")
    say("Roles:")
    for role in policy.roles:
        flags = [
            f
            for f, on in (
                ("several holders", role.multiple),
                ("required when major", role.required_when_major),
            )
            if on
        ]
        say(f"  {role.id:<15} {role.title}" + (f" ({', '.join(flags)})" if flags else ""))
    say("Phases:")
    for phase in policy.phases:
        say(f"  {phase.id} (owner: {phase.owner})")
        for item in phase.items:
            say(f"    - {item.id}: {item.text}")
    say("Update cadence:")
    for rule in policy.cadence:
        window = f" for the first {rule.for_first_minutes} min" if rule.for_first_minutes else ""
        say(f"  {rule.severity} {rule.audience}: every {rule.every_minutes} min{window}")
    say("Escalations:")
    for esc in policy.escalations:
        say(f"  {esc.id}: {esc.description or esc.when}")
    say("Alert rules (in order; `warroom rules test PAYLOAD` tries them):")
    for rule in policy.rules:
        tests = [m.text for m in rule.match] + [t.text for t in rule.thresholds]
        say(f"  {rule.id}: {rule.description or ', '.join(tests) or 'every alert'}")


@app.command("check")
def check(
    files: Annotated[list[Path], typer.Argument(help="Policy TOML files to validate.")],
    as_json: Json = False,
) -> None:
    """Validate policy files; print file:line: field: message for every problem."""
    problems = []
    for file in files:
        try:
            load_policy(file)
        except PolicyError as exc:
            problems.extend(exc.problems)
    report_problems(problems, as_json)
