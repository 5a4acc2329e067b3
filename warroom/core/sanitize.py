"""Make hostile text safe to show: user strings are data, never terminal commands.

A timeline entry may contain anything a panicked human or a malicious alert pastes:
ANSI escape sequences that repaint the screen, OSC sequences that set the clipboard or
the window title, BEL, backspace and carriage return that hide text, and Unicode bidi
overrides that reorder it. ``visible`` replaces each with a printable stand-in so the
reader sees that something odd was typed, and nothing reaches the terminal raw.
"""

import re

BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
_UNSAFE = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{BIDI_CONTROLS}]")
_NEWLINE = re.compile(r"\r\n|\n|\t")


def _stand_in(match: re.Match[str]) -> str:
    char = match.group(0)
    code = ord(char)
    if code < 0x20:
        return chr(0x2400 + code)  # the Unicode "control pictures" block: ␛, ␇, ␈, ␍
    if code == 0x7F:
        return "\u2421"  # ␡
    return f"<U+{code:04X}>"


def visible(text: str, *, single_line: bool = True) -> str:
    """``text`` with every control and bidi character replaced by a visible symbol.

    With ``single_line`` newlines and tabs become ``⏎`` and a space, for one-row views.
    """
    if single_line:
        text = _NEWLINE.sub(lambda m: " " if m.group(0) == "\t" else "⏎", text)
    return _UNSAFE.sub(_stand_in, text)
