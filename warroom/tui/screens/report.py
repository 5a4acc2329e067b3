"""``:report [SINCE]``: the report across incidents on the screen — MTTR per month and
incidents per severity as bar charts (textual-plotext), the report's tables beneath.

The facts are read and the report built on a worker thread with its own store (the
first report of a big home refreshes many cached facts), then posted whole; only the
message handler touches the widgets. The charts use plotext's ``clear`` theme: the
terminal's own foreground and background and no colour of their own, so they read the
same in 16 colours, on light and dark terminals and in monochrome; every bar carries its
value as text. The window defaults to a year, so the months make a trend.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Static
from textual_plotext import PlotextPlot

from warroom.core.policy import Policy
from warroom.core.sanitize import visible
from warroom.tui import keymap
from warroom.tui.screens.postmortem import scroll_document

DEFAULT_SINCE = "365d"


@dataclass(frozen=True)
class ReportFigures:
    """What the view draws: (month, median MTTR in hours) for the months where it is
    known, (severity, incidents) in the scale's order, and the report as text."""

    mttr_by_month: tuple[tuple[str, float], ...]
    incidents_by_severity: tuple[tuple[str, int], ...]
    text: str


class ReportReady(Message):
    def __init__(self, figures: ReportFigures | None, problem: str = "") -> None:
        super().__init__()
        self.figures = figures
        self.problem = problem


def build_figures(
    database: Path, policy: Policy, since: str, now: datetime, post: Callable[[Message], Any]
) -> None:
    """On a worker thread: the report by month and by severity, from a store of its own."""
    from warroom.core.errors import WarroomError
    from warroom.core.report import build_report, report_window
    from warroom.core.report_text import report_markdown
    from warroom.store.local import LocalStore
    from warroom.store.report_facts import report_facts

    try:
        start, _ = report_window(since, None, now)
        with LocalStore(database) as store:
            facts = list(report_facts(store))  # read twice: by month and by severity
        by_month = build_report(facts, policy, now, since=start, by="month")
        by_severity = build_report(facts, policy, now, since=start, by="severity")
        months = tuple(
            (group.key, group.metrics["mttr"].median_s / 3600)
            for group in by_month.groups
            if group.metrics["mttr"].median_s is not None
        )
        severities = tuple((group.key, group.incidents) for group in by_severity.groups)
        post(ReportReady(ReportFigures(months, severities, report_markdown(by_severity))))
    except WarroomError as exc:
        post(ReportReady(None, f"the report could not be made: {exc}"))


class ReportView(ModalScreen[None]):
    """Two charts and the tables, scrolled with j/k, PgUp/PgDn, g/G; Esc or q closes."""

    BINDINGS = keymap.bindings(keymap.POSTMORTEM)
    DEFAULT_CSS = """
    ReportView #report-scroll { width: 100%; max-width: 120; max-height: 100%; }
    ReportView #report-charts { height: 14; }
    ReportView PlotextPlot { width: 1fr; height: 14; }
    """

    def __init__(self, database: Path, policy: Policy, since: str, now: datetime) -> None:
        super().__init__()
        self.work = partial(build_figures, database, policy, since, now)

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="report-scroll", classes="dialog"):
            with Horizontal(id="report-charts"):
                yield PlotextPlot(id="report-mttr")
                yield PlotextPlot(id="report-severity")
            yield Static(Text("Building the report…", style="italic"), id="report-text")

    def on_mount(self) -> None:
        self.query_one("#report-scroll").focus()
        for plot in self.query(PlotextPlot):
            plot.theme = "clear"
        self.run_worker(
            partial(self.work, self.post_message), thread=True, group="report",
            exit_on_error=False,
        )  # fmt: skip

    def on_report_ready(self, message: ReportReady) -> None:
        text = Text(end="")
        if message.figures is None:
            text.append(visible(message.problem, single_line=False), style="bold reverse")
            self.query_one("#report-text", Static).update(text)
            return
        figures = message.figures
        _bars(self.query_one("#report-mttr", PlotextPlot), "MTTR per month (h)",
              figures.mttr_by_month)  # fmt: skip
        _bars(self.query_one("#report-severity", PlotextPlot), "Incidents per severity",
              figures.incidents_by_severity)  # fmt: skip
        text.append(visible(figures.text, single_line=False))
        text.append("\nj/k PgUp/PgDn g/G scroll · Esc or q closes", style="italic")
        self.query_one("#report-text", Static).update(text)

    def action_scroll(self, how: str) -> None:
        scroll_document(self.query_one("#report-scroll", VerticalScroll), how)


def _bars(plot: PlotextPlot, title: str, values: tuple[tuple[str, float], ...]) -> None:
    """A bar chart with each bar's value written on it, or a line saying there is none."""
    plt = plot.plt
    plt.clear_data()
    plt.title(title)
    if values:
        labels = [visible(label) for label, _ in values]
        plt.bar(labels, [value for _, value in values])
        for x, (_, value) in enumerate(values, 1):
            plt.text(f"{value:g}" if isinstance(value, int) else f"{value:.1f}", x=x, y=value)
        counts = [value for _, value in values if isinstance(value, int)]
        if len(counts) == len(values):  # a count has whole ticks: no "0.17 incidents"
            step = max(1, -(-max(counts) // 5))
            plt.yticks(list(range(0, max(counts) + step, step)))
    else:
        plt.xticks([])  # no axis numbers around nothing
        plt.yticks([])
        plt.text("no data in this window", x=0.5, y=0.5)
    plot.refresh()
