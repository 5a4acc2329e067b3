"""warroom: a terminal war room for incident command.

The package is layered; read the folders from the inside out:

* ``warroom.core`` — pure domain: event models, the fold into incident state, policy,
  metrics, runbook parsing. It imports no Textual, httpx or sqlite, so it can be reused
  by every adapter and tested without I/O.
* ``warroom.store`` — the local SQLite event store (the only place events are persisted
  on a client).
* ``warroom.actions`` — the single write path: turns a user's intent into a validated
  event, appends it locally, and returns the folded result.
* ``warroom.cli`` — the scriptable command line.
"""

__version__ = "0.1.0"
