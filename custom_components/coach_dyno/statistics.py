"""
Long-term statistics of the whole history, for the dashboard's charts.

Sensors only gather statistics from the day they are installed; a runner's fitness chart should
start with their first run. So Coach Dyno keeps its own external statistics, one row per day of
the history: running distance (a sum, for weekly and monthly bars) and fitness, fatigue and form
(means). They are rewritten when the history changes, only the days that changed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Final, cast

from homeassistant.components.recorder.models import (
    StatisticData,
    StatisticMeanType,
    StatisticMetaData,
)
from homeassistant.components.recorder.statistics import (
    async_add_external_statistics,
    get_last_statistics,
)
from homeassistant.const import UnitOfLength
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.recorder import get_instance
from homeassistant.util import dt as dt_util

from .coach.formatting import METERS_PER_MILE
from .coach.settings import Units
from .const import DOMAIN
from .coordinator import CoachCoordinator
from .intent import ha_units
from .training import Activity, AthleteProfile, daily_loads, pmc, resolve_time_zone

# What each statistic holds, and whether it is a sum (distance) or a mean (the load curves).
DISTANCE: Final = "distance"
# Days of daily load rows (the 90-day chart); before them one row a week (the year's chart).
DAILY_DAYS: Final = 100
# Home Assistant 2025.11 and newer want each statistic's unit class; older releases refuse the key.
_WANTS_UNIT_CLASS: Final = "unit_class" in StatisticMetaData.__annotations__
LOAD_CURVES: Final = ("fitness", "fatigue", "form")


@dataclass(frozen=True, slots=True)
class HistoryDay:
    """One local day of the history: distance run and the fitness, fatigue and form after it."""

    day: date
    distance_m: float
    fitness: float
    fatigue: float
    form: float


def history_days(
    activities: Iterable[Activity], profile: AthleteProfile, today: date
) -> list[HistoryDay]:
    """
    Return every day from the first activity to `today`: the distance run, and the load curves.

    Like the sensors: distance counts the profile's running sports, the load every activity.
    """
    zone = resolve_time_zone(profile.time_zone)
    dated = [(activity.start.astimezone(zone).date(), activity) for activity in activities]
    dated = [(day, activity) for day, activity in dated if day <= today]
    if not dated:
        return []
    distances: dict[date, float] = {}
    for day, activity in dated:
        if activity.sport_type in profile.sport_types:
            distances[day] = distances.get(day, 0.0) + activity.distance_m
    first = min(day for day, _ in dated)
    loads = daily_loads((activity for _, activity in dated), profile, first, today)
    return [
        HistoryDay(
            day=first + timedelta(days=offset),
            distance_m=distances.get(first + timedelta(days=offset), 0.0),
            fitness=point.ctl,
            fatigue=point.atl,
            form=point.tsb,
        )
        for offset, point in enumerate(pmc(loads))
    ]


def statistic_id(entry_id: str, kind: str) -> str:
    """Return the id of one of an entry's statistics."""
    return f"{DOMAIN}:{entry_id.lower()}_{kind}"


class HistoryStatistics:
    """Keeps one entry's external statistics in step with its history."""

    def __init__(self, hass: HomeAssistant, coordinator: CoachCoordinator) -> None:
        """Watch the coordinator; nothing is written before the first update."""
        self._hass = hass
        self._coordinator = coordinator
        # What was written, so an update writes only the days that changed.
        self._written: dict[str, dict[datetime, tuple[float, ...]]] = {}
        self._units: Units | None = None

    @callback
    def async_start(self) -> None:
        """Write the history now and after every update until the entry unloads."""
        entry = self._coordinator.config_entry
        entry.async_on_unload(self._coordinator.async_add_listener(self._async_update))
        self._async_update()

    @callback
    def _async_update(self) -> None:
        """Compute the daily series in the executor, then hand the changes to the recorder."""
        data = self._coordinator.data
        activities = tuple(self._coordinator.store.activities.values())
        self._coordinator.config_entry.async_create_task(
            self._hass,
            self._async_write(activities, data.profile, data.snapshot.today),
            f"{DOMAIN} statistics",
        )

    async def _async_write(
        self, activities: tuple[Activity, ...], profile: AthleteProfile, today: date
    ) -> None:
        days = await self._hass.async_add_executor_job(history_days, activities, profile, today)
        units = ha_units(self._hass)
        if units is not self._units:
            # Another unit system rewrites the distances (and their unit) from scratch.
            self._written.pop(DISTANCE, None)
            self._units = units
        zone = resolve_time_zone(profile.time_zone)
        per_unit = METERS_PER_MILE if units is Units.IMPERIAL else 1000.0
        unit = UnitOfLength.MILES if units is Units.IMPERIAL else UnitOfLength.KILOMETERS
        total = 0.0
        distance_rows: dict[datetime, tuple[float, ...]] = {}
        curve_rows: dict[str, dict[datetime, tuple[float, ...]]] = {k: {} for k in LOAD_CURVES}
        for item in days:
            # Rows start on the hour: local midnight, or the hour before it in a half-hour zone.
            start = dt_util.as_utc(datetime.combine(item.day, time(), zone)).replace(minute=0)
            if item.distance_m:
                # A sum needs a row only where it grows: the days with a run.
                total = round(total + item.distance_m / per_unit, 3)
                distance_rows[start] = (round(item.distance_m / per_unit, 3), total)
            if (today - item.day).days < DAILY_DAYS or item.day.weekday() == 0:
                # Daily for the 90-day chart, one day a week for the year's weekly means.
                for kind in LOAD_CURVES:
                    curve_rows[kind][start] = (round(getattr(item, kind), 2),)
        await self._async_send(DISTANCE, distance_rows, unit, has_sum=True)
        for kind, rows in curve_rows.items():
            await self._async_send(kind, rows, None, has_sum=False)

    async def _async_send(
        self,
        kind: str,
        rows: dict[datetime, tuple[float, ...]],
        unit: str | None,
        *,
        has_sum: bool,
    ) -> None:
        """Send the rows that changed; after a start, nothing when the newest stored row agrees."""
        if kind not in self._written and rows and await self._async_stored_agrees(kind, rows):
            self._written[kind] = rows
        self._write(kind, rows, unit, has_sum=has_sum)

    async def _async_stored_agrees(
        self, kind: str, rows: dict[datetime, tuple[float, ...]]
    ) -> bool:
        """Whether the recorder's newest row of `kind` is the one we would write last."""
        ident = statistic_id(self._coordinator.config_entry.entry_id, kind)
        field = "sum" if kind == DISTANCE else "mean"
        stored = await get_instance(self._hass).async_add_executor_job(
            get_last_statistics, self._hass, 1, ident, False, {field}
        )
        if not (last := stored.get(ident)):
            return False
        start, values = max(rows.items())
        row = last[0]
        value = row.get("sum") if kind == DISTANCE else row.get("mean")
        return (
            row["start"] == start.timestamp()
            and value is not None
            and abs(value - values[-1]) < 1e-6
        )

    def _write(
        self,
        kind: str,
        rows: dict[datetime, tuple[float, ...]],
        unit: str | None,
        *,
        has_sum: bool,
    ) -> None:
        """Send the rows that changed since the last write."""
        written = self._written.get(kind, {})
        changed = {start: values for start, values in rows.items() if written.get(start) != values}
        self._written[kind] = rows
        if not changed:
            return
        entry = self._coordinator.config_entry
        metadata: dict[str, Any] = {
            "source": DOMAIN,
            "statistic_id": statistic_id(entry.entry_id, kind),
            "name": f"{entry.title} {kind}",
            "unit_of_measurement": unit,
            "has_sum": has_sum,
            "mean_type": StatisticMeanType.NONE if has_sum else StatisticMeanType.ARITHMETIC,
        }
        if _WANTS_UNIT_CLASS:
            metadata["unit_class"] = "distance" if unit else None
        statistics: list[dict[str, Any]] = []
        for start, values in sorted(changed.items()):
            if has_sum:
                statistics.append({"start": start, "state": values[0], "sum": values[1]})
            else:
                value = values[0]
                statistics.append({"start": start, "mean": value, "min": value, "max": value})
        async_add_external_statistics(
            self._hass,
            cast(StatisticMetaData, metadata),
            cast(list[StatisticData], statistics),
        )
