"""The declare form: shown when there is no incident yet, and on a bare ``:declare``.

Three short fields and Enter. Severity and type complete from the policy; the default
severity is the policy's most severe, because when unsure the more severe is right.
"""

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widgets import Input, Label, Static

from warroom.core.errors import InvalidInput
from warroom.core.policy import Policy
from warroom.tui import keymap
from warroom.tui.render import safe

Declared = tuple[str, str, str, list[str]]
"""(title, severity, incident type, services)."""


class DeclareForm(ModalScreen[Declared | None]):
    BINDINGS = keymap.bindings(keymap.DECLARE)

    def __init__(
        self, policy: Policy, severity: str | None, incident_type: str | None, title: str = ""
    ) -> None:
        """``title``: what was typed before the form showed (the title field starts with it)."""
        super().__init__()
        self.policy = policy
        self.title = title
        self.severity = severity or policy.severities[0].name
        self.incident_type = incident_type or policy.incident_types[0]

    def compose(self) -> ComposeResult:
        severities = [s.name for s in self.policy.severities]
        kinds = list(self.policy.incident_types)
        with Vertical(classes="dialog"):
            yield Label(Text("Declare an incident", style="bold"))
            yield Input(  # typing goes on after a title typed ahead, never replaces it
                self.title,
                placeholder="What is broken, in a few words",
                select_on_focus=False,
                id="declare-title",
            )
            yield Input(
                self.severity,
                placeholder=" / ".join(severities),
                suggester=SuggestFromList(severities, case_sensitive=False),
                id="declare-severity",
            )
            yield Input(
                self.incident_type,
                placeholder=" / ".join(kinds),
                suggester=SuggestFromList(kinds, case_sensitive=False),
                id="declare-type",
            )
            yield Input(placeholder="Affected services, comma separated", id="declare-services")
            yield Static(
                Text("Enter declares · Tab moves between fields · Esc cancels", style="italic"),
                id="declare-hint",
            )

    def on_mount(self) -> None:
        self.query_one("#declare-title", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        title = self.query_one("#declare-title", Input).value.strip()
        try:
            if not title:
                raise InvalidInput("a title is needed: what is broken?")
            severity = self.policy.severity(self.query_one("#declare-severity", Input).value).name
            kind = self.policy.incident_type(self.query_one("#declare-type", Input).value)
        except InvalidInput as exc:
            self.query_one("#declare-hint", Static).update(safe(str(exc), style="bold reverse"))
            return
        raw = self.query_one("#declare-services", Input).value
        services = [s.strip() for s in raw.split(",") if s.strip()]
        self.dismiss((title, severity, kind, services))
