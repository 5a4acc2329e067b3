"""The report across incidents in words: Markdown tables for people (``--md``, the
plain output and the screen's report view) and one flat row per group for CSV.

Durations read ``median / p90 (n known, m unknown)``; an empty group says ``unknown``,
never zero, because no data is not a zero-minute MTTR.
"""

from datetime import timedelta

from warroom.core.report import GroupReport, Report
from warroom.core.report_stats import Spread
from warroom.core.review_policy import describe_target
from warroom.core.timeparse import format_duration

METRIC_NAMES = {"mttd": "MTTD", "mtta": "MTTA", "mttm": "MTTM", "mttr": "MTTR"}


def duration(seconds: float | None) -> str:
    return format_duration(None if seconds is None else timedelta(seconds=round(seconds)))


def spread_text(value: Spread) -> str:
    if value.median_s is None:
        return f"unknown ({value.unknown} unknown)" if value.unknown else "unknown"
    shown = f"{duration(value.median_s)} / {duration(value.p90_s)}"
    return shown + (f" ({value.unknown} unknown)" if value.unknown else "")


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{round(100 * value)}%"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return [*lines, ""]


def report_markdown(report: Report) -> str:
    """The whole report as Markdown: window, then one table per figure, a row a group."""
    window = (
        f"declared from {report.since:%Y-%m-%d %H:%M} UTC" if report.since else "every incident"
    )
    if report.until:
        window += f" until {report.until:%Y-%m-%d %H:%M} UTC"
    drills = (
        "drills included"
        if report.include_drills
        else (f"{report.drills_left_out} drill(s) left out (--include-drills counts them)")
    )
    groups = [*report.groups, report.total]
    lines = [
        f"# Incident report, by {report.by}",
        "",
        f"{report.total.incidents} incident(s), {window}; {drills}.",
        "",
        "## Response times (median / p90)",
        "",
        *_table(
            [report.by, "incidents", *METRIC_NAMES.values()],
            [
                [g.key, str(g.incidents), *(spread_text(g.metrics[m]) for m in METRIC_NAMES)]
                for g in groups
            ],
        ),
        "## Update punctuality (against the cadence)",
        "",
        *_table(
            [report.by, "audience", "on time", "late", "missed", "late by (median / p90)"],
            [
                [g.key, p.audience, str(p.on_time), str(p.late), str(p.missed),
                 spread_text(p.late_by)]
                for g in groups
                for p in g.punctuality
            ],
        ),
        "## Escalation effectiveness",
        "",
        *_table(
            [report.by, "pages", "acknowledged", "unanswered", "after ack",
             "time to ack (median / p90)", "steps fired", "steps per incident (median / p90)"],
            [_escalation_row(g) for g in groups],
        ),
        "## Reviews",
        "",
        "Targets after resolution: "
        + (", ".join(f"{s} {describe_target(t)}" for s, t in report.review_targets.items())
           or "none set ([review] in the policy)")
        + ".",
        "",
        *_table(
            [report.by, "resolved", "on time", "late", "overdue", "pending", "no target",
             "quality (median / p90)"],
            [_review_row(g) for g in groups],
        ),
        "Quality score: the share of these criteria a resolved incident's record meets:",
        "",
        *(f"- {text} ({name})" for name, text in report.criteria.items()),
        "",
        *_table(
            [report.by, *report.criteria],
            [[g.key, *(str(g.reviews.criteria_met.get(c, 0)) for c in report.criteria)]
             for g in groups],
        ),
        "## Follow-up actions",
        "",
        *_table(
            [report.by, "actions", "closed", "closure rate", "overdue"],
            [
                [g.key, str(g.follow_ups.total), str(g.follow_ups.closed),
                 _percent(g.follow_ups.closure_rate), str(g.follow_ups.overdue)]
                for g in groups
            ],
        ),
    ]  # fmt: skip
    return "\n".join(lines).rstrip() + "\n"


def _escalation_row(group: GroupReport) -> list[str]:
    esc = group.escalations
    steps = esc.steps_per_incident
    per_incident = "n/a" if steps.median_s is None else f"{steps.median_s:g} / {steps.p90_s:g}"
    return [
        group.key, str(esc.pages), str(esc.acknowledged), str(esc.unanswered),
        str(esc.after_acknowledgement), spread_text(esc.time_to_ack), str(esc.steps_fired),
        per_incident,
    ]  # fmt: skip


def _review_row(group: GroupReport) -> list[str]:
    rev = group.reviews
    score = "n/a" if rev.score.median_s is None else f"{rev.score.median_s:g} / {rev.score.p90_s:g}"
    counts = (rev.resolved, rev.on_time, rev.late, rev.overdue, rev.pending, rev.no_target)
    return [group.key, *(str(n) for n in counts), score]


def report_rows(report: Report) -> list[dict[str, object]]:
    """One flat row per group (and ``all``), durations in seconds, for CSV."""
    rows = []
    for group in [*report.groups, report.total]:
        row: dict[str, object] = {report.by: group.key, "incidents": group.incidents}
        for metric, value in group.metrics.items():
            row |= {f"{metric}_median_s": value.median_s, f"{metric}_p90_s": value.p90_s,
                    f"{metric}_unknown": value.unknown}  # fmt: skip
        on_time = sum(p.on_time for p in group.punctuality)
        late = sum(p.late + p.missed for p in group.punctuality)
        esc, rev, fol = group.escalations, group.reviews, group.follow_ups
        row |= {
            "updates_on_time": on_time, "updates_late_or_missed": late,
            "pages": esc.pages, "pages_acknowledged": esc.acknowledged,
            "time_to_ack_median_s": esc.time_to_ack.median_s, "steps_fired": esc.steps_fired,
            "reviews_resolved": rev.resolved, "reviews_on_time": rev.on_time,
            "reviews_late": rev.late, "reviews_overdue": rev.overdue,
            "quality_median": rev.score.median_s, "actions": fol.total,
            "actions_closed": fol.closed, "closure_rate": fol.closure_rate,
            "actions_overdue": fol.overdue,
        }  # fmt: skip
        rows.append(row)
    return rows
