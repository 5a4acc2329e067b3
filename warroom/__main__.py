"""Allow ``python -m warroom``."""

from warroom.cli.entry import run

run()
