"""Escaping user text for the format a notice is written in.

Everything a template prints with ``{{ … }}`` is user text (a title, a decision, a
service name) and goes through ``escape`` for the template's format, so no one typing
into the incident can add markup, a script, a link, a mass mention or a terminal
escape sequence to a notice. The template's own literal text is not escaped: it is the
team's, written on purpose.

Every format gets the same two basics: control and bidi characters become visible
symbols (``warroom.core.sanitize.visible``), and chat mentions that wake a whole room
(``@channel``, ``@here``, ``@everyone``, ``@all``, Slack's ``<!channel>``) get a zero-width
space after the ``@`` or ``!`` so no chat service reads them as mentions.
"""

import re
from typing import Literal

from markupsafe import escape as html_escape

from warroom.core.sanitize import visible

Format = Literal["plain", "markdown", "html"]
FORMATS: dict[str, Format] = {"txt": "plain", "md": "markdown", "html": "html"}
"""Template file extension (before ``.j2``) to the format its notices are written in."""

_MASS_MENTION = re.compile(r"([@!])(channel|here|everyone|all|group)\b", re.IGNORECASE)
_ZERO_WIDTH_SPACE = "\u200b"
_MARKDOWN_INLINE = re.compile(r"([\\`*_\[\]~|])")
_MARKDOWN_LINE_MARK = re.compile(r"^(\s*)([#>+=-])", re.MULTILINE)
_MARKDOWN_NUMBERED = re.compile(r"^(\s*\d+)([.)])", re.MULTILINE)
_MARKDOWN_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def _defuse_mentions(text: str) -> str:
    return _MASS_MENTION.sub(lambda m: m.group(1) + _ZERO_WIDTH_SPACE + m.group(2), text)


def _markdown(text: str) -> str:
    """Backslash before Markdown's inline marks, entities for ``& < >`` (raw HTML and
    autolinks), and a backslash before a heading, quote, list or rule mark at a line
    start — user text reads literally in CommonMark, GitHub, Mattermost and Slack."""
    text = "".join(_MARKDOWN_ENTITIES.get(char, char) for char in text)
    text = _MARKDOWN_INLINE.sub(r"\\\1", text)
    text = _MARKDOWN_LINE_MARK.sub(r"\1\\\2", text)
    return _MARKDOWN_NUMBERED.sub(r"\1\\\2", text)


def escape(value: object, fmt: Format) -> str:
    """``value`` as inert text in ``fmt``; markup a value carries is escaped like the rest."""
    text = _defuse_mentions(visible(str(value), single_line=False))
    if fmt == "html":
        return str(html_escape(text))
    if fmt == "markdown":
        return _markdown(text)
    return text
