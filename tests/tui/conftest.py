"""Fixtures for the war-room screen: a fixed clock, predictable ids, seeded homes, and a
way to wait for the store threads without sleeping blindly."""

import time
from collections.abc import Callable
from datetime import UTC, datetime
from itertools import count
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from warroom.actions import WarRoom
from warroom.config import Paths
from warroom.core.policy import Policy, default_policy
from warroom.core.runbook import parse_runbook
from warroom.demo import build_demo
from warroom.store.local import LocalStore
from warroom.tui.app import TuiConfig, WarroomApp

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)

RUNBOOK = b"""---
title: Checkout rollback
services: [checkout-api]
incident_types: [outage]
---
# Checkout rollback

## Triage
- [ ] [check] Confirm the release landed before the errors {#release-timing}
- [ ] Freeze deploys to checkout

## Containment
- [ ] [canary] Abort the canary {#abort-canary}
  - [ ] [check] Canary weight is back to 0
- [ ] [approval] Commander approves the rollback {#approve-rollback}
- [ ] [rollback] Roll back to the previous revision {#rollback}
- [ ] [check] Error rate is back to the baseline

## Recovery
- [ ] [approval] Commander approves redeploying the fix
"""
"""The demo's runbook in tests: fixed here, so shipped runbooks can change freely."""


def demo_runbook():
    runbook, problems = parse_runbook(RUNBOOK, "checkout-rollback.md")
    assert not problems, problems
    return runbook


@pytest.fixture(autouse=True)
def _utc(monkeypatch: pytest.MonkeyPatch):
    """Clock times on screen are local: pin the zone so screens compare byte for byte."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    monkeypatch.delenv("TEXTUAL_THEME", raising=False)
    monkeypatch.setattr(Input, "cursor_blink", False)
    yield
    time.tzset()


@pytest.fixture
def ids(monkeypatch: pytest.MonkeyPatch) -> None:
    """Incident and event ids that are the same on every run (for snapshots)."""
    incidents, events = count(1), count(1)
    monkeypatch.setattr("warroom.actions.new_incident_id", lambda: f"inc-demo{next(incidents):02d}")
    monkeypatch.setattr(
        "warroom.actions.new_event_id",
        lambda: f"0190a000-0000-7000-8000-{next(events):012d}",
    )


@pytest.fixture
def home() -> Path:
    return Paths().home


def room_for(home: Path, actor: str = "alice") -> WarRoom:
    """A WarRoom on the test home; close its store when done (``room.store.close()``)."""
    return WarRoom(LocalStore(home / "warroom.db"), default_policy(), actor)


@pytest.fixture
def demo(home: Path, ids: None) -> str:
    """The demo incident, built as of ``NOW``; returns its id."""
    room = room_for(home)
    try:
        return build_demo(room, now=NOW, runbook=demo_runbook())
    finally:
        room.store.close()


def make_app(home: Path, policy: Policy | None = None, **options) -> WarroomApp:
    config = TuiConfig(
        paths=Paths(home),
        policy=policy or default_policy(),
        actor=options.pop("actor", "eli"),
        clock=lambda: NOW,
        **options,
    )
    return WarroomApp(config)


async def until(pilot: Pilot, ready: Callable[[], object], timeout: float = 5.0) -> None:
    """Let the app run until ``ready()`` is true (the store threads answer in ms)."""
    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {ready}")
        await pilot.pause(0.02)


def main_screen(pilot: Pilot):
    """The war-room screen (modal screens may sit on top of it)."""
    from warroom.tui.screens.main import WarRoomScreen

    return next((s for s in pilot.app.screen_stack if isinstance(s, WarRoomScreen)), None)


async def opened(pilot: Pilot) -> None:
    """Wait until the incident is on screen."""
    await until(pilot, lambda: (screen := main_screen(pilot)) and screen.state is not None)
    await pilot.pause()


async def write(pilot: Pilot, text: str) -> None:
    """Put ``text`` into the focused input as a paste would (pressing each key through the
    pilot costs ~60 ms a key; the keys that matter are pressed for real in the tests)."""
    pilot.app.focused.insert_text_at_cursor(text)
    await pilot.pause()


def shown_rows(timeline) -> list:
    """The timeline's rows in view order (``None`` where a row is not loaded)."""
    return [timeline.data.rows.get(seq) for seq in timeline.data.view[0]]
