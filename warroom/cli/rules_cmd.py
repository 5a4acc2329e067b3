"""``warroom rules test``: what an alert payload would do under the policy's rules.

A dry run for the team's CI and for whoever writes the rules: it reads an Alertmanager,
Grafana or generic payload, evaluates every alert in it against the rules of the policy
in force (as if no incident were open), prints what would happen and why, and changes
nothing. Exit 0 when the payload parsed, 2 when it did not.
"""

from typing import Annotated

import typer

from warroom.cli.files import read_text_source
from warroom.cli.output import emit_json, say
from warroom.cli.params import Json, runtime_of
from warroom.core.alert_eval import Decision, evaluate_all
from warroom.core.alerts import Format, MalformedPayload, parse_alerts_text

app = typer.Typer(help="Try the policy's alert rules on a payload.", no_args_is_help=True)

FormatOpt = Annotated[
    str,
    typer.Option(
        "--format",
        help="auto (the default: a body with 'alerts' is a webhook), alertmanager, grafana"
        " or generic.",
    ),
]
FORMATS: tuple[Format, ...] = ("auto", "alertmanager", "grafana", "generic")


def read_payload(source: str) -> str:
    """The text of ``source`` (``-`` is standard input), or ``MalformedPayload``."""
    return read_text_source(source, MalformedPayload)


@app.command("test")
def test(
    ctx: typer.Context,
    payload: Annotated[str, typer.Argument(help="A JSON payload file, or - for standard input.")],
    fmt: FormatOpt = "auto",
    as_json: Json = False,
) -> None:
    """Dry-run a payload against the policy's rules: print what would happen and why."""
    if fmt not in FORMATS:
        raise MalformedPayload(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    alerts = parse_alerts_text(read_payload(payload), fmt)  # type: ignore[arg-type]
    policy = runtime_of(ctx).policy
    decisions = evaluate_all(policy, alerts)
    if as_json:
        emit_json({"alerts": alerts, "decisions": decisions})
        return
    if not policy.rules:
        say("The policy has no alert rules: no alert would declare or change an incident.")
    for alert, decision in zip(alerts, decisions, strict=True):
        say(f"{alert.source} alert {alert.fingerprint} ({alert.status}): {alert.summary}")
        for line in describe(decision):
            say("  " + line)


def describe(decision: Decision) -> list[str]:
    """A decision as lines for a person: each rule that fired, why, and what it does."""
    if decision.news == "repeat":
        return [f"a repeat of an alert already on {decision.incident}: changes nothing"]
    lines = [action.text for action in decision.actions]
    for fired in decision.fired:
        lines.append(f"rule {fired.rule} fires: {'; '.join(fired.why)}")
        lines.extend(f"  -> {action.text}" for action in fired.actions)
    if not decision.fired and decision.status == "firing":
        lines.append("no rule fires")
        lines.extend(f"  {reason}" for reason in decision.not_fired)
    return lines
