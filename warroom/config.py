"""Where warroom keeps things, and the user's configuration.

``WARROOM_HOME`` (or ``--home``) moves *all* local state — database, config, runbooks,
policy — into one folder; tests and several identities on one machine rely on it.
Without it, the platform's directories are used. Configuration is TOML, read in order
(later wins): the platform config file, ``$WARROOM_HOME/config.toml``, a
``warroom.toml`` in the current directory (the file that lives beside a team's
runbooks), then ``WARROOM_*`` environment variables.
"""

import getpass
import os
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from warroom.core.errors import InvalidInput
from warroom.core.tomlpos import describe_error

if TYPE_CHECKING:
    from warroom.core.policy import Policy

APP = "warroom"

CHECKOUT = Path(__file__).resolve().parents[1]
"""The source tree this package was imported from, when it is one (an editable install)."""


def shipped_dir(name: str) -> Path:
    """Where the ``layouts`` or ``runbooks`` that come with warroom are: the source
    checkout's folder (the README's commands install from one), else the copy a wheel
    installs under the environment's ``share/warroom`` (pyproject's data-files)."""
    if (CHECKOUT / "pyproject.toml").is_file():
        return CHECKOUT / name
    return Path(sys.prefix) / "share" / APP / name


@dataclass
class Settings:
    """Everything a user may configure; unknown keys are errors, not silent no-ops.

    A plain dataclass, checked by pydantic only when a config file is read
    (``load_settings``): a command run without one — ``warroom list`` from a script —
    loads no pydantic at all (~0.1 s of a 0.5 s budget)."""

    __pydantic_config__: ClassVar[dict] = {"extra": "forbid"}

    user: str | None = None
    policy: Path | None = None
    runbook_dirs: list[Path] = field(default_factory=list)
    layout: str | None = None
    keymap: dict[str, str] = field(default_factory=dict)
    server: str | None = None
    token: str | None = None


class Paths:
    """The resolved locations for one run."""

    def __init__(self, home: Path | None = None) -> None:
        env_home = os.environ.get("WARROOM_HOME")
        self.home = home or (Path(env_home) if env_home else None)
        if self.home is not None:
            self.home = self.home.expanduser().resolve()
            self.data = self.home
            self.config_files = [self.home / "config.toml"]
        else:
            import platformdirs  # ~10 ms that a WARROOM_HOME (every script's, tests') skips

            self.data = platformdirs.user_data_path(APP)
            self.config_files = [platformdirs.user_config_path(APP) / "config.toml"]
        self.config_files.append(Path.cwd() / "warroom.toml")

    @property
    def database(self) -> Path:
        return self.data / "warroom.db"

    @property
    def policy_file(self) -> Path:
        return self.data / "policy.toml"

    @property
    def runbooks(self) -> Path:
        return self.data / "runbooks"

    @property
    def layouts(self) -> Path:
        return self.data / "layouts"

    @property
    def templates(self) -> Path:
        """The user's notice templates (``warroom.templates``), over the shipped ones."""
        return self.data / "templates"


def load_settings(paths: Paths) -> Settings:
    """Merge the config files and environment; a bad file is an error with file:line."""
    merged: dict = {}
    checked = None
    for file in paths.config_files:
        if not file.is_file():
            continue
        text = file.read_text("utf-8", errors="replace")
        from pydantic import TypeAdapter, ValidationError

        checked = checked or TypeAdapter(Settings)
        try:
            data = tomllib.loads(text)
            checked.validate_python(data)
        except tomllib.TOMLDecodeError as exc:
            raise InvalidInput(f"{file}: {exc}") from None
        except ValidationError as exc:
            raise InvalidInput(describe_error(text, str(file), exc.errors()[0])) from None
        for key in ("policy",):
            if key in data:
                data[key] = str(file.parent / Path(data[key]).expanduser())
        if "runbook_dirs" in data:  # relative to the file, like the policy
            data["runbook_dirs"] = [
                str(file.parent / Path(folder).expanduser()) for folder in data["runbook_dirs"]
            ]
        merged |= data
    env = {
        "user": os.environ.get("WARROOM_USER"),
        "policy": os.environ.get("WARROOM_POLICY"),
        "server": os.environ.get("WARROOM_SERVER"),
        "token": os.environ.get("WARROOM_TOKEN"),
    }
    merged |= {key: value for key, value in env.items() if value}
    if checked is not None:
        return checked.validate_python(merged)
    policy = merged.pop("policy", None)  # the environment's values are all text
    return Settings(**merged, policy=Path(policy) if policy else None)


def server_urls(server: str) -> list[str]:
    """The URLs in a ``server`` setting: one, or several replicas of one record separated
    by commas (``http://a:8350,http://b:8351``), in the order to try them; trailing
    slashes and repeats dropped. ``InvalidInput`` names an entry that is not http(s)."""
    urls: list[str] = []
    for part in server.split(","):
        url = part.strip().rstrip("/")
        if not url.startswith(("http://", "https://")) or url[-3:] == "://":
            raise InvalidInput(
                f"{part.strip()!r} is not an http:// or https:// URL"
                " (several servers are separated by commas)"
            )
        if url not in urls:
            urls.append(url)
    return urls


def resolve_actor(settings: Settings, override: str | None) -> str:
    """Who is acting: ``--as``, then WARROOM_USER or config, then the login name."""
    for candidate in (override, settings.user):
        if candidate and candidate.strip():
            return candidate.strip()
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def resolve_policy(settings: Settings, paths: Paths) -> "Policy":
    from warroom.core.policy import load_policy  # ~0.1 s of models: only when asked for

    """The configured policy file, else ``policy.toml`` in the home, else the defaults."""
    if settings.policy is not None:
        return load_policy(settings.policy)
    if paths.policy_file.is_file():
        return load_policy(paths.policy_file)
    return load_policy(None)
