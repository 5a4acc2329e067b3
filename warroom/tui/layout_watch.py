"""Live reload of the layout files, including a user folder made after the screen opened.

The operating system can only watch a folder that exists, and a new user's ``layouts``
folder usually does not when warroom starts. While it is missing, the watch wakes once
a second to look for it; when it appears, the layouts are read again (it may already
hold files, copied in whole) and the watch starts over with it included.
"""

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path

from warroom.tui.layouts import SHIPPED_DIR, Layouts, load_layouts

DEBOUNCE_MS = 300
STEP_MS = 50
LOOK_FOR_FOLDER_MS = 1000
"""How often a missing user folder is looked for."""


async def layout_reloads(
    user_dir: Path, current: Callable[[], Layouts], shipped_dir: Path = SHIPPED_DIR
) -> AsyncIterator[Layouts]:
    """The layouts, read again after each change to their files; ``current`` gives the
    ones in use, whose last good versions stand in for files that no longer parse."""
    from watchfiles import awatch  # not needed for the first frame

    while True:
        missing = not user_dir.is_dir()
        directories = [d for d in (shipped_dir, user_dir) if d.is_dir()]
        if not directories:  # nothing to watch yet: only look for the user folder
            await asyncio.sleep(LOOK_FOR_FOLDER_MS / 1000)
            if user_dir.is_dir():
                yield load_layouts(user_dir, known=current())
            continue
        waking = {"rust_timeout": LOOK_FOR_FOLDER_MS, "yield_on_timeout": True} if missing else {}
        async for changes in awatch(*directories, debounce=DEBOUNCE_MS, step=STEP_MS, **waking):
            appeared = missing and user_dir.is_dir()
            if changes or appeared:
                yield load_layouts(user_dir, known=current())
            if appeared:
                break  # watch again, this time with the new folder
        else:
            return
