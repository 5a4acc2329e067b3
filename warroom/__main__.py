"""Allow ``python -m warroom``."""

from warroom.cli.main import run

run()
