"""Receivers on 127.0.0.1, a home with a channel book, and a room to write in."""

from pathlib import Path

import pytest

from tests.notify.receivers import HttpReceiver, SmtpReceiver
from tests.sync.conftest import backend, clients, server  # noqa: F401 (fixtures: a real warroom serve)
from warroom.actions import WarRoom
from warroom.core.policy import default_policy
from warroom.store.local import LocalStore

SECRET = "s3cr3tT0kenValue"
"""Part of every channel URL here: it must never reach the record, the CLI or an export."""


@pytest.fixture
def hook():
    receiver = HttpReceiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture
def chat():
    receiver = HttpReceiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture
def smtp():
    receiver = SmtpReceiver().start()
    yield receiver
    receiver.stop()


def hook_url(receiver: HttpReceiver) -> str:
    return f"{receiver.url}/hooks/{SECRET}"


def chat_url(receiver: HttpReceiver) -> str:
    """A Mattermost incoming webhook: Apprise posts to /hooks/<token>."""
    return f"mmost://127.0.0.1:{receiver.port}/{SECRET}"


def mail_url(receiver: SmtpReceiver) -> str:
    return (
        f"mailto://127.0.0.1:{receiver.port}?to=ops@example.com&from=warroom@example.com"
        "&mode=insecure"
    )


def write_book(home: Path, text: str) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "channels.toml").write_text(text)


def book_of(home: Path, urls: dict[str, str], audiences: str = '"internal"') -> None:
    """A channel book of ``urls`` by name, each for ``audiences`` (TOML array items)."""
    write_book(
        home,
        "".join(
            f'[channels.{name}]\nurl = "{url}"\naudiences = [{audiences}]\n\n'
            for name, url in urls.items()
        ),
    )


@pytest.fixture
def room(_isolated_home: Path):
    store = LocalStore(_isolated_home / "warroom.db")
    yield WarRoom(store, default_policy(), "eli")
    store.close()
