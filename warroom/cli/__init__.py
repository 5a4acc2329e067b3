"""The scriptable command line: every action of the TUI, with ``--json`` for bots."""
