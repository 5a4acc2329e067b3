"""``warroom report`` and ``warroom postmortem --publish`` end to end, through the real
console script on real homes."""

import csv
import io
import shutil
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

FIXTURE = Path(__file__).parents[1] / "store" / "fixtures" / "v3-home"


BASE = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=12)


def hours(n: int) -> str:
    """``n`` hours after ``BASE``, in ISO 8601: every process reads the same time."""
    return (BASE + timedelta(hours=n)).isoformat()


def _declare(cli, title: str, severity: str, *extra: str) -> str:
    return cli(
        "declare", title, "--severity", severity, "--type", "outage", "--at", hours(2), *extra
    ).out.strip()


@pytest.fixture
def home(cli) -> dict[str, str]:
    """Three incidents: a resolved SEV1 with everything a review wants, a resolved SEV2
    with nothing, an open SEV2 drill."""
    full = _declare(
        cli, "Checkout down", "SEV1", "--service", "checkout", "--impact-started", hours(1),
        "--detected", hours(2),
    )  # fmt: skip
    cli("milestone", full, "acknowledged", "--at", hours(3))
    cli("escalate", full, "payments-oncall")  # after the acknowledgement: counted apart
    cli("log", full, "failed over", "--kind", "decision")
    cli("log", full, "a config push", "--kind", "contributing-factor")
    cli("actions", "add", full, "alert on config drift", "--owner", "bo", "--due", "+3d")
    cli("milestone", full, "mitigated", "--at", hours(4))
    cli("milestone", full, "resolved", "--at", hours(5))
    cli("status", full, "resolved")
    bare = _declare(cli, "Search slow", "SEV2", "--service", "search", "--detected", hours(2))
    cli("status", bare, "resolved")
    drill = _declare(cli, "Game day", "SEV2", "--drill")
    return {"full": full, "bare": bare, "drill": drill}


def test_publish_records_the_publication_and_the_report_judges_it(cli, home):
    published = cli(
        "postmortem", home["full"], "--publish", "--url", "https://wiki/pm/1", "--json"
    ).json()
    assert published["payload"] == {"kind": "postmortem_published", "url": "https://wiki/pm/1"}
    report = cli("report", "--json").json()
    assert report["drills_left_out"] == 1 and report["total"]["incidents"] == 2
    groups = {g["key"]: g for g in report["groups"]}
    sev1 = groups["SEV1"]
    assert sev1["metrics"]["mttr"]["median_s"] == 4 * 3600  # impact at 1h, resolved at 5h
    assert sev1["metrics"]["mttd"]["median_s"] == 3600
    assert sev1["metrics"]["mtta"]["median_s"] == 3600
    assert sev1["reviews"]["on_time"] == 1  # within 3 days of resolution
    assert sev1["reviews"]["criteria_met"] == {
        "actions_owned": 1, "factors": 1, "impact": 1, "timeline": 1, "hypotheses": 1,
        "published": 1,
    }  # fmt: skip
    assert sev1["reviews"]["score"]["median_s"] == 100
    assert sev1["escalations"] | {"time_to_ack": None, "steps_per_incident": None} == {
        "pages": 1, "acknowledged": 0, "unanswered": 0, "after_acknowledgement": 1,
        "time_to_ack": None, "steps_fired": 0, "steps_per_incident": None,
    }  # fmt: skip
    assert sev1["follow_ups"] == {"total": 1, "closed": 0, "closure_rate": 0.0, "overdue": 0}
    sev2 = groups["SEV2"]
    assert sev2["incidents"] == 1  # the drill is left out
    assert sev2["metrics"]["mttr"] == {"median_s": None, "p90_s": None, "known": 0, "unknown": 1}
    assert sev2["reviews"]["pending"] == 1 and sev2["reviews"]["score"]["median_s"] == 17
    with_drills = cli("report", "--include-drills", "--json").json()
    assert with_drills["total"]["incidents"] == 3 and with_drills["drills_left_out"] == 0


def test_publication_needs_a_resolved_incident(cli, home):
    refused = cli("postmortem", home["drill"], "--publish", check=False)
    assert refused.code == 1 and "Traceback" not in refused.err
    assert "publish its postmortem once it is resolved" in refused.err
    stray = cli("postmortem", home["full"], "--url", "https://x", check=False)
    assert stray.code == 1 and "--url and --at go with --publish" in stray.err


def test_group_by_service_and_month_and_the_csv_and_markdown(cli, home):
    by_service = cli("report", "--by", "SERVICE", "--json").json()
    assert [g["key"] for g in by_service["groups"]] == ["checkout", "search"]
    month = cli("report", "--by", "month", "--json").json()
    assert [g["key"] for g in month["groups"]] == [f"{BASE + timedelta(hours=2):%Y-%m}"]
    rows = list(csv.DictReader(io.StringIO(cli("report", "--csv").out)))
    assert [row["severity"] for row in rows] == ["SEV1", "SEV2", "all"]
    assert rows[0]["mttr_median_s"] == "14400.0" and rows[1]["mttr_median_s"] == ""
    markdown = cli("report", "--md").out
    assert markdown.startswith("# Incident report, by severity")
    times = " | ".join(f"{n}h00m / {n}h00m" for n in (1, 1, 3, 4))  # MTTD MTTA MTTM MTTR
    assert f"| SEV1 | 1 | {times} |" in markdown
    assert "- postmortem published (published)" in markdown
    assert "Targets after resolution: SEV1 3 days, SEV2 5 business days." in markdown
    assert cli("report").out == markdown  # the Markdown is the plain output too


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--by", "team"), "cannot group by 'team'; choose one of severity, type, service, month"),
        (("--since", "ninety days"), "cannot read --since 'ninety days'; write a span back"),
        (("--until", "2026-13-01"), "cannot read --until '2026-13-01'"),
        (("--since", "7d", "--until", "30d"), "--until ("),
        (("--json", "--csv"), "choose one of --json, --csv and --md"),
    ],
)
def test_bad_options_are_one_line_and_exit_2(cli, args, message):
    result = cli("report", *args, check=False)
    assert result.code == 2, result.err
    assert message in result.err and "Traceback" not in result.err
    assert result.err.count("\n") == 1 and result.out == ""


def test_the_report_reads_cached_facts_and_sees_new_entries(cli, home, _isolated_home: Path):
    cli("report", "--json")
    database = _isolated_home / "warroom.db"
    with sqlite3.connect(database) as conn:
        cached = conn.execute("SELECT COUNT(*) FROM report_cache").fetchone()[0]
    assert cached == 3
    cli("postmortem", home["bare"], "--publish")
    report = cli("report", "--json").json()
    sev2 = {g["key"]: g for g in report["groups"]}["SEV2"]
    assert sev2["reviews"]["on_time"] == 1 and sev2["reviews"]["pending"] == 0


def test_a_bad_review_target_is_reported_with_its_line(cli, tmp_path: Path):
    policy = tmp_path / "p.toml"
    policy.write_text('[review]\nSEV1 = "3d"\nsev2 = "five days"\n', encoding="utf-8")
    result = cli("policy", "check", str(policy), check=False)
    assert result.code == 1
    assert f"{policy}:3: review.sev2: 'five days' is not a review target" in result.out
    policy.write_text('[review]\nsev9 = "3d"\n', encoding="utf-8")
    result = cli("policy", "check", str(policy), check=False)
    assert f"{policy}:1: review: review names unknown severity 'sev9'" in result.out


def test_a_home_from_schema_3_reports_after_its_migration(cli, tmp_path: Path):
    home = tmp_path / "old-home"
    shutil.copytree(FIXTURE, home)
    report = cli("report", "--since", "2000-01-01", "--include-drills", "--json", home=home)
    assert report.json()["total"]["incidents"] == 2
    with sqlite3.connect(home / "warroom.db") as conn:
        version = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        assert version == ("7",)
        assert conn.execute("SELECT COUNT(*) FROM report_cache").fetchone()[0] == 2


def test_a_new_severity_scale_drops_the_default_review_targets(cli, tmp_path: Path):
    """The shipped [review] names SEV1 and SEV2; a scale without them must still load."""
    policy = tmp_path / "scale.toml"
    policy.write_text(
        '[[severities]]\nname = "critical"\n\n[[severities]]\nname = "minor"\n',
        encoding="utf-8",
    )
    assert cli("policy", "check", str(policy)).code == 0
