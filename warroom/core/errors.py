"""Errors that carry a message fit to show a user verbatim.

Every adapter (CLI, TUI, server) catches ``WarroomError`` and prints its message on one
line; anything else reaching the top is a bug, reported without a traceback.
"""


class WarroomError(Exception):
    """A failure the user can understand and act on."""

    exit_code = 1


class NotFound(WarroomError):
    """An incident, role, phase, item or runbook that does not exist."""


class InvalidInput(WarroomError):
    """A value the user supplied that the policy or the model rejects."""


class AlreadyRecorded(InvalidInput):
    """An entry whose event id is on the record already (a derived id written twice)."""


class StoreError(WarroomError):
    """The local database is locked, corrupt or unreadable."""


class BackdateNeedsConfirmation(InvalidInput):
    """A time far before the declaration (``[record] backdate_confirm_hours``): recorded
    only when confirmed — ``--yes`` on the command line, a prompt on the screen, which
    retries through ``WarRoom.confirming_backdate()``."""
