"""``warroom report``: metrics across the incidents of this home, grouped."""

from typing import Annotated

import typer

from warroom.cli.actions_cmd import write_csv
from warroom.cli.output import emit_json, say
from warroom.cli.params import Json, runtime_of
from warroom.core.report import Report, ReportInputError, build_report, grouping, report_window
from warroom.core.report_text import report_markdown, report_rows
from warroom.core.timeparse import utcnow
from warroom.store.report_facts import report_facts


def report(
    ctx: typer.Context,
    since: Annotated[
        str, typer.Option("--since", help="Declared since: 90d, 12w, 36h or a date.")
    ] = "90d",
    until: Annotated[
        str | None, typer.Option("--until", help="Declared before: 7d, a date or a time.")
    ] = None,
    by: Annotated[
        str, typer.Option("--by", help="Group by severity, type, service or month.")
    ] = "severity",
    include_drills: Annotated[
        bool, typer.Option("--include-drills", help="Count drill incidents too.")
    ] = False,
    as_json: Json = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="One row per group, as CSV.")] = False,
    as_md: Annotated[bool, typer.Option("--md", help="Markdown tables (the default).")] = False,
) -> None:
    """Counts, MTTD/MTTA/MTTM/MTTR (median and p90), update punctuality, escalations,
    review timeliness and quality, follow-up closure — per group of incidents."""
    if as_json + as_csv + as_md > 1:
        raise ReportInputError("choose one of --json, --csv and --md")
    now = utcnow()
    start, end = report_window(since, until, now)
    chosen = grouping(by)
    runtime = runtime_of(ctx)
    built = build_report(
        report_facts(runtime.store),
        runtime.policy,
        now,
        since=start,
        until=end,
        by=chosen,
        include_drills=include_drills,
    )
    write_report(built, as_json=as_json, as_csv=as_csv)


def write_report(built: Report, *, as_json: bool, as_csv: bool) -> None:
    if as_json:
        emit_json(built)
    elif as_csv:
        rows = report_rows(built)
        write_csv(tuple(rows[0]), rows)
    else:
        say(report_markdown(built).rstrip("\n"))


def register(app: typer.Typer) -> None:
    app.command()(report)
