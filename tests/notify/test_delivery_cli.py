"""The delivery commands through the real script: channel book problems with file:line,
subscriptions (each subscriber once), deliveries and retries, secrets never printed."""

from pathlib import Path

from tests.notify.conftest import SECRET, book_of, hook_url, write_book


def test_a_broken_channel_book_is_reported_with_its_file_and_line(cli, _isolated_home: Path):
    write_book(
        _isolated_home,
        '[channels.ok]\nurl = "ntfy://127.0.0.1/topic"\n\n[channels.bad]\nurl = "ftp://x/y"\n',
    )
    result = cli("channels", check=False)
    assert result.code != 0 and "Traceback" not in result.err
    assert f"{_isolated_home / 'channels.toml'}:5: channels.bad.url:" in result.err
    assert "cannot send to a 'ftp' URL" in result.err
    write_book(_isolated_home, '[channels.ok]\nurl = "ntfy://127.0.0.1/topic"\nmood = "x"\n')
    result = cli("channels", check=False)
    assert ":3: channels.ok.mood: is not a known setting here" in result.err


def test_a_subscriber_gets_each_notice_once(cli, hook, chat, _isolated_home: Path):
    url = hook_url(hook)
    write_book(
        _isolated_home,
        f'[channels.hook]\nurl = "{url}"\naudiences = ["internal"]\n\n'
        f'[people.dee]\nurl = "{url}"\n',  # the same address as the channel: once
    )
    incident = cli("declare", "API down", "--severity", "SEV2", "--type", "outage").out.strip()
    chat_hook = f"{chat.url}/hooks/{SECRET}"
    said = cli("subscribe", "--all", "--audience", "internal", "--channel", chat_hook).out
    assert SECRET not in said and "gets internal notices of every incident" in said
    again = cli("subscribe", "--all", "--audience", "internal", "--channel", chat_hook).out
    assert "already gets" in again
    cli("subscribe", incident, "--audience", "internal", "--person", "dee")
    refused = cli("subscribe", incident, "--audience", "internal", "--person", "zed", check=False)
    assert refused.code != 0 and "no person 'zed'" in refused.err
    cli("update", "draft", incident, "--audience", "internal", "--file", "-", input="All clear\n")
    assert cli("deliver", "--once").out.startswith("2 ")
    assert len(hook.arrivals) == 1 and len(chat.arrivals) == 1
    assert cli("deliver", "--once").out.startswith("0 ")
    listing = cli("deliveries", incident).out
    assert listing.count("delivered") == 2 and SECRET not in listing
    subscriptions = (_isolated_home / "subscriptions.toml").stat().st_mode & 0o777
    assert subscriptions == 0o600


def test_retry_names_an_undelivered_delivery(cli, hook, _isolated_home: Path):
    book_of(_isolated_home, {"hook": hook_url(hook)})
    hook.statuses = [500]
    incident = cli("declare", "API down", "--severity", "SEV2", "--type", "outage").out.strip()
    cli("update", "draft", incident, "--audience", "internal", "--file", "-", input="Hello\n")
    cli("deliver", "--once")
    (row,) = cli("deliveries", incident, "--json").json()["deliveries"]
    assert row["failures"] == 1 and "HTTP 500" in row["last_error"]
    missing = cli("update", "retry", incident, "zzzz", check=False)
    assert missing.code != 0 and "no delivery" in missing.err
    assert "to be tried again" in cli("update", "retry", incident, row["delivery_id"][:8]).out
    cli("deliver", "--once")
    (row,) = cli("deliveries", incident, "--json").json()["deliveries"]
    assert row["delivered_at"] and len(hook.arrivals) == 2
