"""The subcommands, each loaded only when it runs.

Importing every command module — the event model, the write path, runbooks, Jinja2 for
the postmortem, sync and the server's client — cost ~0.5 s before ``warroom list`` did
anything, and turning ~70 commands' signatures into typer's parameters another ~0.1 s
(issue 11: ``warroom list`` <= 0.5 s at 10,000 incidents). So the root group knows the
commands by name only and imports a command's module the first time that name is asked
for: by running it, by its ``--help``, or by the root's ``--help``, which lists them all.

``COMMANDS`` is in the order the help lists them, each with the module that registers
it (``tests/cli/test_lazy_commands.py`` checks the two agree). A module registers with
its ``register(app)`` or, for one group, is added from its ``app``.
"""

from functools import cache
from importlib import import_module

import click
import typer
from typer.core import TyperGroup

_INCIDENTS = (
    "declare log correct retract assign release handoff accept severity phase check"
    " services milestone reopen escalate alert"
)
_TABLE = (
    (_INCIDENTS, "incidents"),
    ("status", "status_cmd"),
    ("export locate", "export_cmd"),
    ("list", "list_cmd"),
    ("serve migrate", "serve_cmd"),
    ("login sync", "sync_cmd"),
    ("verify", "verify_cmd"),
    ("rejected", "sync_cmd"),
    ("deliver deliveries subscribe channels", "delivery_cmd"),
    ("attach step", "runbooks_cmd"),
    ("demo", "tui_cmd"),
    ("ack", "ladder_cmd"),
    ("outcome", "actions_cmd"),
    ("postmortem", "postmortem_cmd"),
    ("report", "report_cmd"),
    ("policy", "policy_cmd"),
    ("rules", "rules_cmd"),
    ("intake", "intake_cmd"),
    ("update", "delivery_cmd"),
    ("token", "serve_cmd"),
    ("runbooks", "runbooks_cmd"),
    ("actions", "actions_cmd"),
    ("risks", "risks_cmd"),
)
COMMANDS: dict[str, str] = {name: unit for names, unit in _TABLE for name in names.split()}
"""Each command's module under ``warroom.cli``, in the order ``warroom --help`` lists them."""


@cache
def unit_group(unit: str) -> click.Group:
    """The commands ``warroom.cli.<unit>`` registers, as one click group (built once)."""
    module = import_module(f"warroom.cli.{unit}")
    holder = typer.Typer(rich_markup_mode=None)
    if hasattr(module, "register"):
        module.register(holder)
    else:
        (name,) = (name for name, owner in COMMANDS.items() if owner == unit)
        holder.add_typer(module.app, name=name)
    return typer.main.get_group(holder)


class LazyCommands(TyperGroup):
    """The root group: commands registered on it directly, then the lazy ones."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        eager = super().list_commands(ctx)
        return [*eager, *(name for name in COMMANDS if name not in eager)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        found = super().get_command(ctx, cmd_name)
        if found is None and cmd_name in COMMANDS:
            found = unit_group(COMMANDS[cmd_name]).get_command(ctx, cmd_name)
        return found
