"""
A watched folder: activity files that Syncthing, Gadgetbridge or a watch's USB sync drop into it.

Each file is read once: its name, size and modification time are remembered in the store, so a file
is read again only when it changes, and a file that cannot be read stays reported until it is fixed
or removed, never retried in a loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
import os
from pathlib import Path
from typing import Any, Final

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.event import async_track_time_interval

from custom_components.coach_dyno.training import Activity

from .export import (
    REASON_OUTSIDE_CONFIG_DIR,
    ExportPathError,
    ImportLimits,
    read_export,
    resolve_import_path,
)
from .files import file_kind

WATCH_INTERVAL: Final = timedelta(minutes=15)
REASON_NOT_FOLDER: Final = "not_folder"
_LIMITS: Final = ImportLimits()

type ApplyChanges = Callable[[Iterable[Activity], bool], Awaitable[int]]


def resolve_watch_folder(config_dir: Path, user_path: str) -> Path:
    """Resolve a folder the user named: inside the config folder (not the folder itself), existing."""
    if ".." in Path(user_path.strip()).parts:
        raise ExportPathError(REASON_OUTSIDE_CONFIG_DIR, "the path climbs out with ..")
    folder = resolve_import_path(config_dir, user_path)
    if folder == config_dir.resolve():
        # The whole configuration (its storage, its backups) is no drop folder.
        raise ExportPathError(REASON_OUTSIDE_CONFIG_DIR, "the configuration folder itself")
    if not folder.is_dir():
        raise ExportPathError(REASON_NOT_FOLDER, "not a folder")
    return folder


@dataclass(frozen=True, slots=True)
class ScanResult:
    """What one look at the folder found: new activities, the bad files, what to remember."""

    activities: tuple[Activity, ...]
    read: int
    bad: tuple[str, ...]
    files: dict[str, list[Any]]


def scan_folder(
    folder: Path, remembered: Mapping[str, list[Any]], *, now: datetime | None = None
) -> ScanResult:
    """
    Read the files of `folder` that are new or changed since `remembered` (runs in the executor).

    `remembered` maps a file's relative name to [size, mtime_ns, readable]; files gone from the
    folder are forgotten, so what is remembered never outgrows the folder.
    """
    files: dict[str, list[Any]] = {}
    activities: list[Activity] = []
    read = 0
    for name, size, mtime in _listing(folder):
        known = remembered.get(name)
        if isinstance(known, list) and len(known) == 3 and known[:2] == [size, mtime]:
            files[name] = known
            continue
        read += 1
        try:
            result = read_export(folder / name, limits=_LIMITS, now=now)
        except ExportPathError:
            readable = False
        else:
            readable = not result.skipped
            activities.extend(result.activities)
        files[name] = [size, mtime, readable]
    bad = tuple(name for name, (_size, _mtime, readable) in files.items() if not readable)
    return ScanResult(tuple(activities), read, bad, files)


def _listing(folder: Path) -> list[tuple[str, int, int]]:
    """List the activity files under `folder` (name, size, mtime_ns), never following links out."""
    root = folder.resolve()
    found: list[tuple[str, int, int]] = []
    for directory, subdirs, names in os.walk(root):
        subdirs.sort()
        for file_name in sorted(names):
            if file_name.startswith(".") or file_kind(file_name) is None:
                continue  # hidden files are sync tools' partial downloads
            path = Path(directory, file_name)
            try:
                if path.is_symlink() and not path.resolve().is_relative_to(root):
                    continue
                stat = path.stat()
            except OSError:  # vanished meanwhile, a dangling link, no permission
                continue
            found.append((path.relative_to(root).as_posix(), stat.st_size, stat.st_mtime_ns))
            if len(found) >= _LIMITS.max_files:
                return found
    return found


class FolderWatcher:
    """Imports one entry's watched folder, every WATCH_INTERVAL and whenever asked."""

    def __init__(
        self,
        hass: HomeAssistant,
        folder: str,
        *,
        state: Callable[[], dict[str, Any]],
        save_state: Callable[[dict[str, Any]], Awaitable[None]],
        apply_changes: ApplyChanges,
        report: Callable[[tuple[str, ...], bool], None],
    ) -> None:
        """Bind the watcher to its folder (as the user typed it) and to the entry's store."""
        self._hass = hass
        self.folder = folder
        self._state = state
        self._save_state = save_state
        self._apply_changes = apply_changes
        # Told after every look: the unreadable files, and whether the folder itself is missing.
        self._report = report
        # A scheduled look and an asked-for one never read the same new file twice.
        self._lock = asyncio.Lock()

    @callback
    def async_start(self) -> CALLBACK_TYPE:
        """Look now and every WATCH_INTERVAL; return what stops it."""

        async def _scheduled(_now: datetime) -> None:
            await self.async_scan()

        return async_track_time_interval(
            self._hass, _scheduled, WATCH_INTERVAL, name="coach_dyno watched folder"
        )

    async def async_scan(self) -> dict[str, Any]:
        """Import what is new in the folder; return counts, and the names of unreadable files."""
        async with self._lock:
            state = self._state()
            # Another folder's files say nothing about this one: its first look starts afresh.
            same_folder = state.get("folder") == self.folder
            remembered = state.get("files", {}) if same_folder else {}
            config_dir = Path(self._hass.config.config_dir)

            def resolve_and_scan() -> ScanResult:
                return scan_folder(resolve_watch_folder(config_dir, self.folder), remembered)

            try:
                result = await self._hass.async_add_executor_job(resolve_and_scan)
            except ExportPathError:
                # Removed or moved since the option was set: nothing is forgotten meanwhile.
                self._report((), True)
                return {"read": 0, "imported": 0, "unreadable": [], "folder_missing": True}
            # The first look takes in a folder's history: only later files are news.
            imported = await self._apply_changes(result.activities, same_folder)
            new_state = {"folder": self.folder, "files": result.files}
            if new_state != state:
                await self._save_state(new_state)
            self._report(result.bad, False)
            return {
                "read": result.read,
                "imported": imported,
                "unreadable": list(result.bad),
                "folder_missing": False,
            }
