"""The war-room screen: a Textual TUI over the local store.

Layering, from the inside out:

* ``rows``, ``entry``, ``commands``, ``keymap``, ``layouts`` — plain Python (no Textual):
  how events become timeline rows, how a scribe's line becomes an entry, the command
  grammar, the key registry and layout files. Testable without a terminal.
* ``store_reader``, ``store_worker`` — the threads that own SQLite connections: one reads
  (pages, polling for changes made by other processes, filters), one writes through
  ``WarRoom``. They
  only post messages; widgets are touched by message handlers on the UI thread.
* ``widgets``, ``screens``, ``app`` — Textual.

``launch.run`` is the entry point; it sets the terminal profile (low bandwidth, colours)
before Textual is imported, because Textual reads those settings at import time.
"""
