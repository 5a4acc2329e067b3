"""The command line loads only the command that runs (issue 11: ``warroom list`` <= 0.5 s
at 10,000 incidents, of which importing everything once took 0.6 s)."""

import os
import subprocess
import sys

from warroom.cli.lazy import COMMANDS, unit_group

HEAVY = ("textual", "fastapi", "starlette", "httpx", "jinja2", "apprise", "cryptography")
"""The screen, the server, the network client, templates, channels, signatures."""
WRITE_PATH = ("warroom.actions", "warroom.core.events", "warroom.core.policy")

PROBE = (
    "import sys\n"
    "from warroom.cli.entry import run\n"
    "packages, modules = sys.argv.pop(1).split(','), sys.argv.pop(1).split(',')\n"
    "sys.argv = ['warroom', *sys.argv[1:]]\n"
    "try:\n"
    "    run()\n"
    "finally:\n"
    "    loaded = [m for m in sys.modules if m.split('.')[0] in packages or m in modules]\n"
    "    print('LOADED', *sorted(loaded), file=sys.stderr)\n"
)


def loaded_by(
    *args: str, packages: tuple[str, ...] = HEAVY, modules: tuple[str, ...] = WRITE_PATH
) -> tuple[str, set[str]]:
    """Run ``warroom args`` in a fresh interpreter: its output and the modules it loaded
    of ``packages`` (by their top-level name) and ``modules``."""
    watched = [",".join(packages), ",".join(modules)]
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, *watched, *args],
        capture_output=True, text=True, env=dict(os.environ), timeout=60, check=True,
    )  # fmt: skip
    (line,) = [ln for ln in proc.stderr.splitlines() if ln.startswith("LOADED")]
    return proc.stdout, set(line.split()[1:])


def test_list_loads_neither_the_screen_the_server_nor_the_write_path(cli):
    incident_id = cli("declare", "Checkout API returning 502s").out.strip()
    cli("list")  # the first listing saves the summary; reading it needs no event model
    out, loaded = loaded_by("list", "--json")
    assert incident_id in out
    assert loaded == set(), f"warroom list loaded {sorted(loaded)}"


def test_the_probe_sees_what_a_command_loads(cli):
    incident_id = cli("declare", "Checkout API returning 502s").out.strip()
    _, loaded = loaded_by("log", incident_id, "p99 4s")
    assert {"warroom.actions", "warroom.core.events"} <= loaded


def test_every_module_registers_exactly_the_commands_the_table_gives_it():
    """A command a module registers but the table does not name could not be run."""
    for unit in set(COMMANDS.values()):
        named = {name for name, owner in COMMANDS.items() if owner == unit}
        assert set(unit_group(unit).list_commands(None)) == named, unit


def test_help_lists_every_command_in_the_table(cli):
    listed = cli("--help").out
    for name in COMMANDS:
        assert f"  {name} " in listed or f"  {name}\n" in listed, name


PARSER = ("typer", "click", "pydantic", "pydantic_core")
"""The full command line's parser (typer builds its parameters with pydantic) and the
models: ~0.25 s that listing the incidents does not need."""


def test_list_skips_the_parser_and_prints_what_the_full_command_line_prints(cli, tmp_path):
    """``warroom list [--json]`` goes straight to the listing (issue 11: <= 0.5 s at
    10,000 incidents); ``warroom --home DIR list --json`` through typer prints the same."""
    incident_id = cli("declare", "Checkout API returning 502s").out.strip()
    cli("list")
    for args in (["list"], ["list", "--json"]):
        out, loaded = loaded_by(*args, packages=PARSER, modules=())
        assert loaded == set(), f"warroom {' '.join(args)} loaded {sorted(loaded)}"
        assert incident_id in out
        assert out == cli("--home", os.environ["WARROOM_HOME"], *args).out


def test_list_with_anything_more_goes_through_the_parser(cli):
    assert "--json" in cli("list", "--help").out
    wrong = cli("list", "--jsn", check=False)
    assert wrong.code == 2 and "--jsn" in wrong.err


def test_a_broken_config_file_stops_the_quick_listing_too(cli, _isolated_home):
    cli("declare", "Checkout API returning 502s")
    (_isolated_home / "config.toml").write_text('user = "x"\nfavourite_colour = "red"\n')
    result = cli("list", "--json", check=False)
    assert result.code == 1 and "config.toml:2: favourite_colour" in result.err
    assert "is not a known setting here" in result.err and not result.out
