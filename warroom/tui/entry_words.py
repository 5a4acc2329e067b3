"""What the entry bar says before anything is typed: its placeholder and its hint.

Apart from ``warroom.tui.entry`` (the scribe's grammar: regular expressions, the time
parser, dataclasses) because the boot screen shows these words in the first frame and
needs nothing else of it.
"""

PLACEHOLDER = "i: type an entry, Enter records it — a line starting with : is a command"
"""What the empty entry bar says (the boot screen's bar says the same)."""

HINT = "o: obs  a: action  r: result  d: decision  h: hypo  t: todo  s: update  -5m backdates"
"""The kind prefixes and backdating, under the entry bar."""
