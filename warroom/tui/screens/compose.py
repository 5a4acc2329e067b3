"""Writing and reviewing a status notice on the screen.

``ComposeNotice`` is a multi-line editor prefilled from the audience's template (or the
text of the notice being revised): ctrl+s records the draft, Esc asks before throwing
the text away. ``NoticeReview`` shows the approver the exact text — control characters
and markup made visible, never interpreted, so what they read is what goes out — with
its digest; ``a`` approves that text (asks first), ``b`` sends it back with a reason,
``e`` revises it. Both return what was decided; the war-room screen records it.
"""

from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Static, TextArea

from warroom.core.sanitize import visible
from warroom.core.state import NoticeState
from warroom.tui import keymap
from warroom.tui.widgets.confirm_line import ConfirmLine

LANGUAGES = {"markdown": "markdown", "html": "html"}
"""TextArea highlighting per notice format (plain text has none)."""


@dataclass(frozen=True)
class Draft:
    """What the editor is opened on."""

    incident_id: str
    audience: str
    text: str
    template: str = ""
    fmt: str = "plain"
    draft_id: str | None = None
    """The notice revised; ``None`` for a new one."""
    revision: int = 0


class ComposeNotice(ModalScreen[str | None]):
    """Returns the text to record, or ``None`` when the draft was discarded."""

    BINDINGS = keymap.bindings(keymap.COMPOSE)

    def __init__(self, draft: Draft) -> None:
        super().__init__()
        self.draft = draft

    def compose(self) -> ComposeResult:
        draft = self.draft
        title = Text(f"Notice to {draft.audience}", style="bold", end="")
        if draft.draft_id:
            title.append(f" · revising {draft.draft_id} (revision {draft.revision + 1})")
        if draft.template:
            title.append(f" · from template {draft.template}", style="dim")
        title.append(f" · {draft.incident_id}", style="dim")
        with Vertical(classes="dialog compose"):
            yield Static(title)
            yield TextArea(
                draft.text,
                language=LANGUAGES.get(draft.fmt),
                soft_wrap=True,
                id="compose-text",
            )
            yield ConfirmLine(self._carry, id="compose-confirm")
            yield Static(
                Text("ctrl+s records the draft · Esc discards it (asks first)", style="italic")
            )

    def on_mount(self) -> None:
        self.query_one(TextArea).focus()

    @property
    def text(self) -> str:
        return self.query_one(TextArea).text

    def action_submit(self) -> None:
        if not self.text.strip():
            self.app.notify("the notice is empty; write something or Esc", severity="warning")
            return
        self.dismiss(self.text)

    def action_discard(self) -> None:
        confirm = self.query_one(ConfirmLine)
        if confirm.asking:
            return
        confirm.ask(
            "Discard this draft? Nothing is recorded", lambda: self.dismiss(None), self._back
        )

    def _back(self) -> None:
        self.query_one(TextArea).focus()

    def _carry(self, typed: str) -> None:
        """A key other than yes while asking: the writer was typing; the text keeps it."""
        area = self.query_one(TextArea)
        area.focus()
        area.insert(typed)


@dataclass(frozen=True)
class Decision:
    """The approver's answer: ``approve`` (with the digest read), ``return`` (with the
    reason) or ``revise``."""

    action: str
    draft_id: str
    value: str = ""


class NoticeReview(ModalScreen[Decision | None]):
    """The exact text of one notice, for the approver (or anyone) to read."""

    BINDINGS = keymap.bindings(keymap.NOTICE)

    def __init__(self, notice: NoticeState, standing: str, may_decide: bool) -> None:
        """``standing``: where the notice stands, in words; ``may_decide``: whether
        approving and sending back are offered (the server decides either way)."""
        super().__init__()
        self.notice = notice
        self.standing = standing
        self.may_decide = may_decide

    def compose(self) -> ComposeResult:
        notice = self.notice
        head = Text(f"Notice {notice.draft_id} to {notice.audience}", style="bold", end="")
        head.append(f" · revision {notice.revision} by ")
        head.append(visible(notice.drafted_by), style="italic")
        head.append(f"\n{visible(self.standing)} · digest {notice.digest[:12]}\n", style="dim")
        keys = "a approves this text · b sends it back · " if self.may_decide else ""
        with Vertical(classes="dialog review"):
            yield Static(head)
            with VerticalScroll(id="review-text"):
                yield Static(Text(visible(notice.text, single_line=False)))
            yield ConfirmLine(lambda _typed: None, id="review-confirm")
            reason = Input(placeholder="why it goes back (Enter sends, Esc cancels)")
            reason.display = False
            yield reason
            yield Static(Text(keys + "e revises · Esc or q closes", style="italic"))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("approve", "send_back") and not self.may_decide:
            return False
        if action != "close" and self.query_one(Input).display:
            return False  # the reason line is open: its keys are words
        return not (getattr(self.app, "read_only", False) and action in keymap.MUTATING)

    def action_approve(self) -> None:
        notice = self.notice
        decision = Decision("approve", notice.draft_id, notice.digest)
        self.query_one(ConfirmLine).ask(
            f"Approve exactly this text ({notice.digest[:8]}) to {notice.audience}?",
            lambda: self.dismiss(decision),
            lambda: None,
        )

    def action_send_back(self) -> None:
        reason = self.query_one(Input)
        reason.display = True
        self.call_after_refresh(reason.focus)  # once shown: a hidden input takes no focus

    def action_revise(self) -> None:
        self.dismiss(Decision("revise", self.notice.draft_id))

    def action_close(self) -> None:
        reason = self.query_one(Input)
        if reason.display:  # Esc in the reason line cancels sending back, not the review
            reason.display = False
            reason.value = ""
            self.set_focus(None)
            return
        self.dismiss(None)

    @on(Input.Submitted)
    def _reason(self, event: Input.Submitted) -> None:
        if not event.value.strip():
            self.app.notify("say why it goes back, so it can be fixed", severity="warning")
            return
        self.dismiss(Decision("return", self.notice.draft_id, event.value.strip()))
