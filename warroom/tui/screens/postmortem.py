"""``:postmortem``: the incident's postmortem draft on the screen, read-only and scrolled.

The same document ``warroom postmortem`` writes (same data, same template), built on a
worker thread with its own store — a long incident's pass over its events never holds
up the screen — and shown as the Markdown text a team will edit, literally (user text
stays text). A broken user template is reported with its ``file:line`` and the shipped
template is used instead, so the draft is always there to read.
"""

from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Static

from warroom.core.policy import Policy
from warroom.core.sanitize import visible
from warroom.tui import keymap


class DraftReady(Message):
    """The rendered draft, and what went wrong on the way (a template problem)."""

    def __init__(self, text: str, problem: str = "") -> None:
        super().__init__()
        self.text = text
        self.problem = problem


def build_draft(
    database: Path,
    data_dir: Path,
    policy: Policy,
    incident_id: str,
    template: str | None,
    post: Callable[[Message], Any],
) -> None:
    """On a worker thread: the draft's data from a store of its own, then the text."""
    from warroom.core.errors import WarroomError
    from warroom.postmortem.library import find_template
    from warroom.store.local import LocalStore
    from warroom.store.postmortem_feed import postmortem_of

    problem = ""
    try:
        try:
            chosen = find_template(policy, data_dir, template)
        except WarroomError as exc:
            problem = f"{exc} — showing the shipped template instead"
            chosen = find_template(policy, data_dir)
        with LocalStore(database) as store:
            data = postmortem_of(store, incident_id, policy)
        post(DraftReady("".join(chosen.render(data)), problem))
    except WarroomError as exc:
        post(DraftReady("", f"the draft could not be made: {exc}"))


class PostmortemView(ModalScreen[None]):
    """The draft, scrolled with j/k, PgUp/PgDn, g/G; Esc or q closes."""

    BINDINGS = keymap.bindings(keymap.POSTMORTEM)
    DEFAULT_CSS = """
    PostmortemView #postmortem-scroll { width: 100%; max-width: 110; max-height: 100%; }
    """
    """A document to read: as much of the terminal as there is (80x24 included)."""

    def __init__(
        self, database: Path, data_dir: Path, policy: Policy, incident_id: str, template: str | None
    ) -> None:
        super().__init__()
        self.work = partial(build_draft, database, data_dir, policy, incident_id, template)

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="postmortem-scroll", classes="dialog"):
            yield Static(Text("Building the postmortem draft…", style="italic"), id="postmortem")

    def on_mount(self) -> None:
        self.query_one("#postmortem-scroll").focus()
        self.run_worker(
            partial(self.work, self.post_message), thread=True, group="postmortem",
            exit_on_error=False,
        )  # fmt: skip

    def on_draft_ready(self, message: DraftReady) -> None:
        text = Text(end="")
        if message.problem:
            text.append(visible(message.problem, single_line=False) + "\n\n", style="bold reverse")
        text.append(visible(message.text, single_line=False))
        text.append("\nj/k PgUp/PgDn g/G scroll · Esc or q closes", style="italic")
        self.query_one("#postmortem", Static).update(text)

    def action_scroll(self, how: str) -> None:
        scroll_document(self.query_one("#postmortem-scroll", VerticalScroll), how)


_SCROLLS = frozenset({"down", "up", "page_down", "page_up", "home", "end"})


def scroll_document(scroller: VerticalScroll, how: str) -> None:
    """``how`` is one of ``_SCROLLS`` (the keymap's ``POSTMORTEM`` moves, which the
    report view shares): the container's own ``scroll_…`` method."""
    if how in _SCROLLS:
        getattr(scroller, f"scroll_{how}")(animate=False)
