"""The one-line question a pane key asks before it changes the record (and quit asks).

A key pressed in a pane by someone who thought they were typing into the entry bar
must not put a mark on a record that can never be edited. So ``d`` on a step, ``y`` on
a handoff, quitting with something at stake: the line says what would happen, and only
Enter or ``y`` does it. Escape says no. Any other key says no too — and when it is a
character, the person was typing: it goes, with the key that opened the question, to
the entry bar, or back to the ``:`` line the question was asked over (``carry``), so
nothing typed is lost.

The screen hands each key to ``answer`` the moment it arrives (``pane_keys.take_key``),
so the keys typed after the answer already find the focus where the answer put it.
"""

from collections.abc import Callable

from rich.text import Text
from textual import events
from textual.widgets import Static

from warroom.tui.render import safe

YES_KEYS = frozenset({"enter", "y"})


class ConfirmLine(Static, can_focus=True):
    DEFAULT_CSS = """
    ConfirmLine { height: 1; padding: 0 1; display: none; background: $warning 30%; }
    ConfirmLine.-active { display: block; height: auto; max-height: 3; }
    """

    def __init__(self, carry: Callable[[str], None], **kwargs) -> None:
        """``carry(text)``: put typed text where the person was typing (and focus it)."""
        super().__init__(disabled=True, **kwargs)  # hidden, it could still take focus
        self._carry = carry
        self._yes: Callable[[], None] | None = None
        self._no: Callable[[], None] | None = None
        self._typed = ""
        self.question = ""

    @property
    def asking(self) -> bool:
        return self._yes is not None

    def ask(
        self,
        question: str,
        yes: Callable[[], None],
        no: Callable[[], None],
        typed: str = "",
    ) -> None:
        """Show ``question``; ``yes`` runs on Enter or ``y``; ``no`` on anything else.

        ``typed`` is the character of the key that asked, carried to the entry bar with
        the next one when that is a character too."""
        self.question = question
        self._yes, self._no, self._typed = yes, no, typed
        line = Text("y/Enter: yes · other key: no  ", style="italic", end="")
        line.append_text(safe(question, style="bold"))  # the keys first, then wrapped
        self.update(line)  # a long question (quit's stakes at 80 columns) takes more lines
        self.add_class("-active")
        self.disabled = False
        self.screen.set_focus(self)

    def _close(self) -> tuple[Callable[[], None] | None, Callable[[], None] | None]:
        yes, no = self._yes, self._no
        self._yes = self._no = None
        self.remove_class("-active")
        self.disabled = True
        self.update(Text(""), layout=False)
        return yes, no

    def answer_yes(self) -> None:
        """Say yes without a key (the quit key pressed again while quit asks)."""
        yes, _ = self._close()
        if yes is not None:
            yes()

    def on_key(self, event: events.Key) -> None:
        event.stop()
        event.prevent_default()
        self.answer(event)

    def answer(self, event: events.Key) -> None:
        """The key that answers the question (see the module's doc)."""
        character = event.character if event.is_printable else None
        if not self.asking:  # a key after the answer: it was meant as text
            if character:
                self._carry(character)
            return
        typed = self._typed
        yes, no = self._close()
        if event.key in YES_KEYS:
            yes()
            return
        no()
        if character:
            self._carry(typed + character)

    def on_paste(self, event: events.Paste) -> None:
        """A paste is text, never a yes: say no and carry it to the entry bar."""
        event.stop()
        typed = ""
        if self.asking:
            typed = self._typed
            _, no = self._close()
            no()
        self._carry(typed + event.text)
