"""Runbook files on disk: the library of sources and the live-reload watcher.

Parsing is pure and lives in ``warroom.core.runbook``; this package adds the file system
(discovery, override order, last good versions) and watchfiles.
"""
