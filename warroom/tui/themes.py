"""Colour themes. Each paints an explicit background, so the screen reads the same on a
light or dark terminal and through tmate or a projector; colours are chosen to stay
distinct when Textual reduces them to 256 or 16 colours over SSH. For a terminal's own
palette use Textual's ``ansi-dark`` / ``ansi-light`` (``TEXTUAL_THEME`` or a layout)."""

from textual.theme import Theme

THEMES = (
    Theme(
        name="warroom-projector",
        primary="#ffd700",
        secondary="#00d7ff",
        accent="#ff8700",
        foreground="#ffffff",
        background="#000000",
        surface="#000000",
        panel="#1c1c1c",
        warning="#ffaf00",
        error="#ff5f5f",
        success="#5fff87",
        dark=True,
        variables={
            "border": "#ffd700",
            "border-blurred": "#808080",
            "footer-key-foreground": "#ffd700",
        },
    ),
    Theme(
        name="warroom-dark",
        primary="#5fafff",
        secondary="#87d7d7",
        accent="#ffaf5f",
        foreground="#e4e4e4",
        background="#121212",
        surface="#1c1c1c",
        panel="#262626",
        warning="#ffaf00",
        error="#ff5f5f",
        success="#87d787",
        dark=True,
    ),
    Theme(
        name="warroom-light",
        primary="#005faf",
        secondary="#008787",
        accent="#af5f00",
        foreground="#1c1c1c",
        background="#ffffff",
        surface="#f5f5f5",
        panel="#e4e4e4",
        warning="#af5f00",
        error="#d70000",
        success="#008700",
        dark=False,
    ),
)
