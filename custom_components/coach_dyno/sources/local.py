"""Activities from files on this machine: a Strava export, a folder of FIT/GPX/TCX, or the demo."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util

from custom_components.coach_dyno.const import CONF_EXPORT_PATH, CONF_SOURCE_KIND, SOURCE_DEMO
from custom_components.coach_dyno.training import Activity

from .export import ExportPathError, ImportResult, read_export, resolve_import_path

DEMO_PATH = Path(__file__).parent.parent / "demo"
# The demo may end after today (made after a test's frozen clock): it is moved into the past week
# right after reading, so its starts are not held to today's clock (every other range still is).
_DEMO_NOW = datetime.max.replace(tzinfo=UTC)


async def async_read_user_path(hass: HomeAssistant, user_path: str) -> tuple[Path, ImportResult]:
    """Resolve a path the user typed (inside the config folder) and read it, off the event loop."""
    config_dir = Path(hass.config.config_dir)

    def resolve_and_read() -> tuple[Path, ImportResult]:
        # Resolving follows links and checks that the path exists: file system calls, like the read.
        path = resolve_import_path(config_dir, user_path)
        return path, read_export(path)

    return await hass.async_add_executor_job(resolve_and_read)


async def async_check_export(hass: HomeAssistant, user_path: str) -> tuple[str, str | None, int]:
    """Validate a path the user typed: (resolved path, error key or None, activities found)."""
    try:
        path, result = await async_read_user_path(hass, user_path)
    except ExportPathError as err:
        # read_export refuses an export without activities (reason no_activities) too.
        return user_path, f"export_{err.reason}", 0
    return str(path), None, len(result.activities)


async def async_read_source(hass: HomeAssistant, entry: ConfigEntry) -> ImportResult:
    """Read the entry's files (off the event loop); the demo is moved to end in the past week."""
    if entry.data[CONF_SOURCE_KIND] == SOURCE_DEMO:
        result = await hass.async_add_executor_job(partial(read_export, DEMO_PATH, now=_DEMO_NOW))
        today = dt_util.now().date()
        return replace(result, activities=shift_to_end_before(result.activities, today))
    _path, result = await async_read_user_path(hass, entry.data[CONF_EXPORT_PATH])
    return result


def shift_to_end_before(activities: tuple[Activity, ...], today: date) -> tuple[Activity, ...]:
    """
    Move a history by whole weeks so its newest activity falls in the week before `today`.

    Whole weeks keep every run on its weekday, so the demo's training pattern stays plausible
    however long ago the bundled data was generated.
    """
    if not activities:
        return activities
    newest = max(activity.start for activity in activities).date()
    # Floor division also moves a history that runs past today back into the past.
    weeks = (today - newest).days // 7
    if weeks == 0:
        return activities
    shift = timedelta(weeks=weeks)
    return tuple(replace(activity, start=activity.start + shift) for activity in activities)
