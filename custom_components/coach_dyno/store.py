"""Persisted activity history: Home Assistant Store (atomic, versioned, migrated, in backups)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Iterator
from dataclasses import replace
from datetime import date, datetime
import inspect
import json
import os
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers.json import json_bytes
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .const import DOMAIN, LOGGER
from .sources.harvest import HarvestState
from .training import Activity, bounds
from .training.wellness import RANGES, WellnessDay, plausible

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
# orjson holds the GIL for the whole of one call, so one call over a long history would stop the
# event loop's thread as long as it takes (a third of a second for 100,000 activities); slices of
# this many activities take a millisecond or two each.
_SLICE = 500


class _ActivityList(list[Activity]):
    """The activities of a save: turned into JSON in the executor, a slice at a time."""


class _HistoryEncoder(json.JSONEncoder):
    """Encodes the stored layout slice by slice, so a save never keeps the event loop waiting."""

    def encode(self, o: Any) -> str:
        """Return the JSON text of `o`."""
        return "".join(self.iterencode(o))

    def iterencode(self, o: Any, _one_shot: bool = False) -> Iterator[str]:
        """Yield the JSON text of `o` in pieces."""
        if isinstance(o, dict):
            yield "{"
            for index, (key, value) in enumerate(o.items()):
                yield ("," if index else "") + json_bytes(str(key)).decode() + ":"
                yield from self.iterencode(value)
            yield "}"
        elif isinstance(o, _ActivityList):
            yield "["
            for start in range(0, len(o), _SLICE):
                page = [activity.as_dict() for activity in o[start : start + _SLICE]]
                yield ("," if start else "") + json_bytes(page)[1:-1].decode()
            yield "]"
        else:
            yield json_bytes(o).decode()


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
            encoder=_HistoryEncoder,
            **_OFF_LOOP,
        )
        self._hass = hass
        # Changes are merged into a copy in the executor; one at a time, so none is lost.
        self._change_lock = asyncio.Lock()
        self.activities: dict[int, Activity] = {}
        self.harvest: dict[str, Any] = {}
        self.governor: dict[str, Any] = {}
        # The watched folder's files already read (sources/watch.py): name -> size, mtime, readable.
        self.watch: dict[str, Any] = {}
        # Where an unreadable file was set aside, so the caller can raise a repair issue.
        self.corrupt_path: str | None = None
        # How many incoming records were recognised as a run already stored from another source.
        self.merges = 0

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
            parsed = await self._hass.async_add_executor_job(_parse, raw)
        except _SHAPE_ERRORS as err:
            self.activities = {}
            self.harvest = {}
            self.governor = {}
            self.watch = {}
            await self._async_set_aside(err)
            return
        self.activities, self.harvest, self.governor, self.watch, refused = parsed
        if refused:
            _log_refused(self.path, refused)

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

    async def async_update(
        self, changed: Iterable[Activity], deleted: Iterable[int] = ()
    ) -> tuple[list[Activity], list[Activity], list[Activity]]:
        """
        Add or replace `changed` and forget `deleted`; return what was created, updated, removed.

        A history of years and an import of as many take a second to merge: it happens on a copy in
        the executor, and the copy replaces the history at once, so the event loop never waits and
        readers never see a half-merged history.
        """
        incoming, gone = list(changed), list(deleted)
        async with self._change_lock:
            history, created, updated, removed, merges = await self._hass.async_add_executor_job(
                _merged, self.activities, incoming, gone
            )
            self.activities = history
            self.merges += merges
        return created, updated, removed

    async def async_save(self) -> None:
        """Write the whole history now (atomically), before anything is derived from it."""
        await self._store.async_save(self._as_dict())

    async def async_remove(self) -> None:
        """Delete the file (config entry removed)."""
        await self._store.async_remove()

    def _as_dict(self) -> dict[str, Any]:
        """Return the stored layout."""
        layout = {
            "activities": _ActivityList(self.activities.values()),
            "harvest": self.harvest,
            "governor": self.governor,
        }
        if self.watch:
            # Only entries with a watched folder carry it; older code ignores it (a minor change).
            layout["watch"] = self.watch
        return layout


class WellnessStore:
    """The runner's wellness days, in a small file of their own so a reading never rewrites history."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Bind the store to one config entry."""
        self._store: Store[dict[str, Any]] = Store(
            hass, 1, f"{DOMAIN}.{entry_id}.wellness", private=True, atomic_writes=True
        )
        self.days: dict[date, WellnessDay] = {}
        self._dirty = False

    async def async_load(self) -> None:
        """Load the stored days; a record that cannot be read is left out."""
        raw = await self._store.async_load()
        items = raw.get("days") if isinstance(raw, dict) else None
        days = []
        for item in items if isinstance(items, list) else []:
            try:
                days.append(
                    WellnessDay(
                        date.fromisoformat(item["day"]),
                        **{name: item.get(name) for name in RANGES},
                    )
                )
            except (KeyError, TypeError, ValueError):
                continue
        self.days = {day.day: plausible(day) for day in days}

    def schedule_save(self) -> None:
        """Save soon; readings in quick succession are written once."""
        self._dirty = True
        self._store.async_delay_save(self._as_dict, 1.0)

    def _as_dict(self) -> dict[str, Any]:
        self._dirty = False
        return {
            "days": [
                {"day": day.isoformat(), **{name: getattr(record, name) for name in RANGES}}
                for day, record in self.days.items()
            ]
        }

    async def async_flush(self) -> None:
        """Write a pending save now (the entry unloads), so no timer outlives the entry."""
        if self._dirty:
            await self._store.async_save(self._as_dict())

    async def async_remove(self) -> None:
        """Delete the file (config entry removed)."""
        await self._store.async_remove()


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


# One run recorded twice (an export row and the run's own file, the API and a file): the same sport,
# starts within a minute, distances within 5 % or 100 m (GPS and a watch's own count differ so much).
SAME_START_S = 60
SAME_DISTANCE_SHARE = 0.05
SAME_DISTANCE_M = 100.0


def same_run(a: Activity, b: Activity) -> bool:
    """
    Whether two records from different sources are one run.

    Strava ids are positive and a record known only from its file has a negative one
    (export.file_activity_id), so two Strava activities are never merged: Strava keeps both.
    """
    if a.id == b.id or (a.id > 0 and b.id > 0):
        return False
    if a.sport_type != b.sport_type and not (a.is_run and b.is_run):
        return False
    if abs((a.start - b.start).total_seconds()) > SAME_START_S:
        return False
    gap = abs(a.distance_m - b.distance_m)
    return gap <= max(SAME_DISTANCE_M, SAME_DISTANCE_SHARE * max(a.distance_m, b.distance_m))


def merge_twins(known: Activity, incoming: Activity) -> Activity:
    """Return one record of a run seen twice: Strava's id and numbers, the richer streams."""
    base, other = (incoming, known) if incoming.id > 0 else (known, incoming)
    return replace(
        base,
        stream_summary=base.stream_summary or other.stream_summary,
        avg_hr=base.avg_hr if base.avg_hr is not None else other.avg_hr,
        max_hr=base.max_hr if base.max_hr is not None else other.max_hr,
        elevation_gain_m=base.elevation_gain_m or other.elevation_gain_m,
        race=base.race or other.race,
        trainer=base.trainer or other.trainer,
        # A file is a recording, so a run with one was not entered by hand.
        manual=base.manual and other.manual,
    )


def _merged(
    known: dict[int, Activity], incoming: list[Activity], deleted: list[int]
) -> tuple[dict[int, Activity], list[Activity], list[Activity], list[Activity], int]:
    """
    Return a copy of `known` with `incoming` merged in and `deleted` left out (runs in the executor).

    Also returns the activities created, updated and removed, and how many incoming records were
    recognised as a run already stored from another source.
    """
    history = dict(known)
    created: list[Activity] = []
    updated: list[Activity] = []
    merges = 0
    by_minute: dict[int, set[int]] | None = None
    for arrived in incoming:
        stored = history.get(arrived.id)
        if stored is None:
            by_minute = by_minute if by_minute is not None else _index(history.values())
            if (twin := _twin_of(history, arrived, by_minute)) is not None:
                merges += 1
                merged = merge_twins(twin, arrived)
                if merged == twin:
                    continue
                del history[twin.id]
                _unindex(by_minute, twin)
                history[merged.id] = merged
                by_minute.setdefault(_minute(merged), set()).add(merged.id)
                # The run was already there: it changed, it did not arrive.
                updated.append(merged)
                continue
            by_minute.setdefault(_minute(arrived), set()).add(arrived.id)
        activity = arrived
        if stored is not None and arrived.stream_summary is None:
            # A summary re-read from the API must not drop the streams we already reduced.
            activity = replace(arrived, stream_summary=stored.stream_summary)
        if stored == activity:
            continue
        history[activity.id] = activity
        (created if stored is None else updated).append(activity)
    removed = [history.pop(activity_id) for activity_id in deleted if activity_id in history]
    return history, created, updated, removed, merges


def _twin_of(
    history: dict[int, Activity], incoming: Activity, by_minute: dict[int, set[int]]
) -> Activity | None:
    """Return the stored record of the same run from another source, if there is one."""
    minute = _minute(incoming)
    for near in (minute - 1, minute, minute + 1):
        for activity_id in by_minute.get(near, ()):
            if same_run(history[activity_id], incoming):
                return history[activity_id]
    return None


def _minute(activity: Activity) -> int:
    return int(activity.start.timestamp()) // 60


def _index(activities: Iterable[Activity]) -> dict[int, set[int]]:
    """Index activity ids by their start minute, to find a twin without scanning the history."""
    by_minute: dict[int, set[int]] = {}
    for activity in activities:
        by_minute.setdefault(_minute(activity), set()).add(activity.id)
    return by_minute


def _unindex(by_minute: dict[int, set[int]], activity: Activity) -> None:
    by_minute.get(_minute(activity), set()).discard(activity.id)


def _parse(
    raw: Any,
) -> tuple[
    dict[int, Activity],
    dict[str, Any],
    dict[str, Any],
    dict[str, Any],
    list[tuple[Activity, str]],
]:
    """Parse the stored layout: activities, harvest cursor, governor and watch state, refused records."""
    activities: dict[int, Activity] = {}
    for item in raw["activities"]:
        activity = Activity.from_dict(item)
        activities[activity.id] = activity
    # A record stored before the imports checked their ranges (a start in year 9999, a run of 1e305
    # km) would stop every snapshot: it is left out, and gone from the file at the next save.
    kept, refused = bounds.split(activities.values())
    if refused:
        activities = {activity.id: activity for activity in kept}
    harvest = dict(raw.get("harvest") or {})
    newest = harvest.get("newest_start")
    if isinstance(newest, int | float) and newest >= bounds.latest_start().timestamp():
        # Synced from such a record, the cursor would ask Strava only for activities after it.
        harvest["newest_start"] = max((int(a.start.timestamp()) for a in kept), default=None)
    # Parsed now, so a cursor that cannot be read is found here and not in the middle of a sync.
    HarvestState.from_dict(harvest)
    governor = raw.get("governor") or {}
    if not isinstance(governor, dict):
        raise TypeError("governor")
    watch = raw.get("watch") or {}
    if not isinstance(watch, dict) or not isinstance(watch.get("files", {}), dict):
        raise TypeError("watch")
    return activities, harvest, dict(governor), dict(watch), refused


def _log_refused(path: str, refused: list[tuple[Activity, str]]) -> None:
    """Say once, at load, which stored records were left out and why."""
    shown = 10
    reasons = "; ".join(f"{activity.id}: {reason}" for activity, reason in refused[:shown])
    more = f"; and {len(refused) - shown} more" if len(refused) > shown else ""
    LOGGER.warning(
        "Activity history %s holds %s activities with impossible values, left out and dropped "
        "at the next save: %s%s",
        path,
        len(refused),
        reasons,
        more,
    )
