"""Warroom's bytecode written before a bench starts processes, as installing it does.

Textual, pydantic and the rest come compiled from their installs; an editable checkout
under ``PYTHONDONTWRITEBYTECODE=1`` (as on these machines) compiles every warroom module
from source at every start of every process — ~25 ms of CPU for the screen, more for a
catch-up or a server — and a bench would measure that instead of warroom.
"""

from pathlib import Path


def byte_compile_warroom() -> None:
    """Write ``warroom/**/__pycache__`` for the interpreter running the bench."""
    import compileall

    import warroom

    compileall.compile_dir(Path(warroom.__file__).parent, quiet=1)
