"""What a command needs, built lazily from the global options.

Commands ask for ``runtime.room`` or ``runtime.store``; nothing opens the database or
reads the policy until a command needs it, so ``warroom --help`` and ``policy check``
stay fast and work without a writable home.
"""

from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from warroom.config import Paths, Settings, load_settings, resolve_actor, resolve_policy
from warroom.store.local import LocalStore

if TYPE_CHECKING:  # imported where first needed: ``warroom list`` needs none of them
    from warroom.actions import WarRoom
    from warroom.core.policy import Policy
    from warroom.runbooks.library import RunbookLibrary


class Runtime:
    def __init__(self, home: Path | None, actor: str | None) -> None:
        self.paths = Paths(home)
        self._actor_override = actor

    @cached_property
    def settings(self) -> Settings:
        return load_settings(self.paths)

    @cached_property
    def actor(self) -> str:
        return resolve_actor(self.settings, self._actor_override)

    @cached_property
    def policy(self) -> "Policy":
        return resolve_policy(self.settings, self.paths)

    @cached_property
    def runbooks(self) -> "RunbookLibrary":
        """Every runbook in the project, user and configured folders, loaded."""
        from warroom.runbooks.library import RunbookLibrary, default_sources

        sources = default_sources(self.paths, self.settings.runbook_dirs)
        library = RunbookLibrary(sources, [phase.id for phase in self.policy.phases])
        library.load()
        return library

    @cached_property
    def store(self) -> LocalStore:
        return LocalStore(self.paths.database)

    @cached_property
    def room(self) -> "WarRoom":
        from warroom.actions import WarRoom

        return WarRoom(self.store, self.policy, self.actor)

    def close(self) -> None:
        if "store" in self.__dict__:
            self.store.close()
