"""Holding CPython's cyclic garbage collector over work that makes many small acyclic
objects: a fold (``stored_events``) and a catch-up's pages (``sync.engine``).

The collector runs every 700 allocations and, now and then, over everything the process
holds; folding a long incident or holding a page of thousands of records made it re-walk
them again and again (a third of the fold's time at 30k events, 6% of a 100k-event
catch-up's CPU). What such work makes is freed by reference counting as it goes.

A module of its own, with nothing but the standard library, so pausing costs no import
of the fold's decoder."""

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_pause_lock = threading.Lock()
_pausers = 0


@contextmanager
def paused_collector() -> Iterator[None]:
    """Hold the cyclic collector for the block; nested and concurrent pauses (TUI
    workers fold on threads) resume it once the last one ends, and a collector someone
    else disabled stays disabled."""
    global _pausers
    with _pause_lock:
        pausing = _pausers > 0 or gc.isenabled()
        if pausing:
            _pausers += 1
            gc.disable()
    try:
        yield
    finally:
        if pausing:
            with _pause_lock:
                _pausers -= 1
                if _pausers == 0:
                    gc.enable()
