"""What a token's role lets its holder write: the one rule the server applies to a push
and a home logged in with that token applies as an entry is typed.

A module of its own, importing nothing: the screen decides before its first frame
whether it opens read-only, and must not load the access rules' models for it.
"""

WRITING_ROLES = ("responder", "admin")
"""The token roles that write entries: a viewer follows the record and writes nothing,
and an intake token only raises alerts (through its own endpoint)."""


def login_refusal(role: str | None, server: str | None) -> str | None:
    """Why a person may not write in a home logged in with a token of ``role``: the
    server would refuse every entry at the next sync, so the home refuses it as it is
    typed. ``None`` for a writing role, or a home that has not logged in (or did before
    homes kept the role: it learns it at its next sync)."""
    if role is None or role in WRITING_ROLES:
        return None
    article = "an" if role.startswith(("a", "e", "i", "o", "u")) else "a"
    return (
        f"this home is logged in to {server} with {article} {role} token, which may not write"
        f" entries: log in with a responder's token to write (warroom login {server}"
        " --token …)"
    )
