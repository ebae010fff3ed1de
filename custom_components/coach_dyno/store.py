"""Persisted activity history: Home Assistant Store (atomic, versioned, migrated, in backups)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
import inspect
import os
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .const import DOMAIN, LOGGER
from .sources.harvest import HarvestState
from .training import Activity

STORAGE_VERSION = 1
# Minor 2 added the harvest cursor; older files rebuild it from their activities.
STORAGE_MINOR_VERSION = 2
# What reading a file of the wrong shape raises (a list for a dict, a string for a number...).
_SHAPE_ERRORS = (AttributeError, KeyError, TypeError, ValueError)


# Home Assistant 2026.2 serialises stored data on the event loop unless told otherwise; years of
# activities are written from a fresh dict, so the JSON is built in the executor, as before.
_OFF_LOOP: dict[str, Any] = (
    {"serialize_in_event_loop": False}
    if "serialize_in_event_loop" in inspect.signature(Store.__init__).parameters
    else {}
)


class _VersionedStore(Store[dict[str, Any]]):
    """Store with Coach Dyno's migrations."""

    async def _async_migrate_func(
        self, old_major_version: int, old_minor_version: int, old_data: dict[str, Any]
    ) -> dict[str, Any]:
        """Bring an older file up to the current layout."""
        if old_major_version > STORAGE_VERSION:
            raise NotImplementedError
        # A newer minor version only added what older code may ignore: it loads as it is.
        data = dict(old_data)
        if old_minor_version < 2:
            starts = [
                int(datetime.fromisoformat(item["start"]).timestamp())
                for item in data.get("activities", [])
            ]
            data["harvest"] = {
                "newest_start": max(starts, default=None),
                "backfill_before": None,
                # A store written before the cursor existed held a finished backfill.
                "backfill_done": bool(starts),
            }
        return data


class ActivityStore:
    """The athlete's activities keyed by id, plus small state that must survive restarts."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Bind the store to one config entry."""
        self._store = _VersionedStore(
            hass,
            STORAGE_VERSION,
            f"{DOMAIN}.{entry_id}",
            minor_version=STORAGE_MINOR_VERSION,
            private=True,
            atomic_writes=True,
            **_OFF_LOOP,
        )
        self._hass = hass
        self.activities: dict[int, Activity] = {}
        self.harvest: dict[str, Any] = {}
        self.governor: dict[str, Any] = {}
        # Where an unreadable file was set aside, so the caller can raise a repair issue.
        self.corrupt_path: str | None = None

    @property
    def path(self) -> str:
        """Return the file the history lives in."""
        return str(self._store.path)

    async def async_load(self) -> None:
        """Load the history; a file that is not a history is set aside and the history rebuilt."""
        # Invalid JSON is Home Assistant's to handle: it sets the file aside and loads nothing.
        try:
            raw = await self._store.async_load()
            if raw is None:
                return
            # Thousands of activities take tens of milliseconds to rebuild: not on the event loop.
            self.activities, self.harvest, self.governor = await self._hass.async_add_executor_job(
                _parse, raw
            )
        except _SHAPE_ERRORS as err:
            self.activities = {}
            self.harvest = {}
            self.governor = {}
            await self._async_set_aside(err)

    async def _async_set_aside(self, err: Exception) -> None:
        """Move an unreadable file out of the way, keeping it for the user to inspect."""
        corrupt_path = f"{self.path}.corrupt.{dt_util.utcnow():%Y%m%dT%H%M%S}"
        try:
            await self._hass.async_add_executor_job(os.replace, self.path, corrupt_path)
        except OSError as move_err:
            # The history is rebuilt either way; the next save overwrites what could not be moved.
            LOGGER.error(
                "Activity history %s was unreadable (%s) and could not be set aside (%s); rebuilding",
                self.path,
                type(err).__name__,
                type(move_err).__name__,
            )
            return
        LOGGER.error(
            "Activity history %s was unreadable (%s); set aside as %s and rebuilding",
            self.path,
            type(err).__name__,
            corrupt_path,
        )
        self.corrupt_path = corrupt_path

    def upsert(self, activities: Iterable[Activity]) -> tuple[list[Activity], list[Activity]]:
        """Add or replace activities; return those that were created and those that changed."""
        created: list[Activity] = []
        updated: list[Activity] = []
        for incoming in activities:
            known = self.activities.get(incoming.id)
            activity = incoming
            if known is not None and activity.stream_summary is None:
                # A summary re-read from the API must not drop the streams we already reduced.
                activity = replace(activity, stream_summary=known.stream_summary)
            if known == activity:
                continue
            self.activities[activity.id] = activity
            (created if known is None else updated).append(activity)
        return created, updated

    def remove(self, activity_id: int) -> Activity | None:
        """Forget an activity (deleted on Strava); return it if it was known."""
        return self.activities.pop(activity_id, None)

    async def async_save(self) -> None:
        """Write the whole history now (atomically), before anything is derived from it."""
        await self._store.async_save(self._as_dict())

    async def async_remove(self) -> None:
        """Delete the file (config entry removed)."""
        await self._store.async_remove()

    def _as_dict(self) -> dict[str, Any]:
        """Return the stored layout."""
        return {
            "activities": [activity.as_dict() for activity in self.activities.values()],
            "harvest": self.harvest,
            "governor": self.governor,
        }


class ConversationStore:
    """The coach's conversation, in a small file of its own so a question never rewrites history."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Bind the store to one config entry."""
        self._store: Store[dict[str, Any]] = Store(
            hass, 1, f"{DOMAIN}.{entry_id}.conversation", private=True, atomic_writes=True
        )
        self._pending: dict[str, Any] | None = None

    async def async_load(self) -> dict[str, Any]:
        """Return the saved conversation (empty when there is none)."""
        return await self._store.async_load() or {}

    def schedule_save(self, data: dict[str, Any]) -> None:
        """Save soon; answers in quick succession are written once."""
        self._pending = data
        self._store.async_delay_save(self._take_pending, 1.0)

    def _take_pending(self) -> dict[str, Any]:
        """Hand the latest conversation to the delayed write."""
        data, self._pending = self._pending, None
        return data or {}

    async def async_flush(self) -> None:
        """Write a pending save now (the entry unloads), so no timer outlives the entry."""
        if self._pending is not None:
            await self._store.async_save(self._take_pending())

    async def async_remove(self) -> None:
        """Delete the file (config entry removed)."""
        await self._store.async_remove()


def _parse(raw: Any) -> tuple[dict[int, Activity], dict[str, Any], dict[str, Any]]:
    """Parse the stored layout into activities, harvest cursor and governor state."""
    activities: dict[int, Activity] = {}
    for item in raw["activities"]:
        activity = Activity.from_dict(item)
        activities[activity.id] = activity
    harvest = dict(raw.get("harvest") or {})
    # Parsed now, so a cursor that cannot be read is found here and not in the middle of a sync.
    HarvestState.from_dict(harvest)
    governor = raw.get("governor") or {}
    if not isinstance(governor, dict):
        raise TypeError("governor")
    return activities, harvest, dict(governor)
