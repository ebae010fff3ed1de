"""
What the home knows, read from Home Assistant entities into the plain data the engine takes.

Wellness sensors become a WellnessDay, the weather entity's forecast the heat at the usual run
time, the calendar's long or all-day events busy days. A missing, unavailable, unknown or
non-numeric entity gives nothing, and nothing changes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
import math
from typing import Any, Final

from homeassistant.components.weather.const import WeatherEntityFeature
from homeassistant.const import (
    ATTR_ENTITY_ID,
    ATTR_SUPPORTED_FEATURES,
    ATTR_UNIT_OF_MEASUREMENT,
    STATE_NOT_HOME,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
    UnitOfTemperature,
    UnitOfTime,
)
from homeassistant.core import HomeAssistant, State
from homeassistant.exceptions import HomeAssistantError
from homeassistant.util import dt as dt_util
from homeassistant.util.unit_conversion import TemperatureConverter

from .const import (
    CONF_HRV,
    CONF_PERSON,
    CONF_RESTING_HR,
    CONF_SLEEP_DURATION,
    CONF_SLEEP_SCORE,
    LOGGER,
)
from .training.conditions import Heat, dew_point_c
from .training.wellness import WellnessDay

# A timed event this long makes its day busy, like an all-day one.
BUSY_EVENT: Final = timedelta(hours=3)
# An hourly forecast entry counts for the run when it is this close to the run's start.
FORECAST_NEAR: Final = timedelta(minutes=90)
# A daily forecast's low is the morning's temperature, its high the afternoon's.
MORNING_UNTIL_HOUR: Final = 11
CALL_TIMEOUT_S: Final = 10
_SLEEP_SECONDS: Final[dict[str, float]] = {
    UnitOfTime.HOURS: 3600.0,
    UnitOfTime.MINUTES: 60.0,
    UnitOfTime.SECONDS: 1.0,
    UnitOfTime.DAYS: 86400.0,
}
_FIELDS: Final = (
    (CONF_RESTING_HR, "resting_hr"),
    (CONF_HRV, "hrv_rmssd"),
    (CONF_SLEEP_SCORE, "sleep_score"),
)


def _number(hass: HomeAssistant, entity_id: str | None) -> tuple[float, str | None] | None:
    """Return an entity's numeric state and its unit, None when there is no number to read."""
    state = None if not entity_id else _available(hass, entity_id)
    if state is None:
        return None
    try:
        value = float(state.state)
    except ValueError:
        return None
    return (value, state.attributes.get(ATTR_UNIT_OF_MEASUREMENT)) if math.isfinite(value) else None


def wellness_reading(hass: HomeAssistant, options: Mapping[str, Any], day: date) -> WellnessDay:
    """
    Read the configured wellness sensors as the record of `day`.

    Sleep duration is converted by its unit (h, min, s or d; a sensor without one counts in hours);
    a duration in another unit is not read. Plausibility is checked where records are merged.
    """
    values: dict[str, float] = {}
    for option, name in _FIELDS:
        if (reading := _number(hass, options.get(option))) is not None:
            values[name] = reading[0]
    if (sleep := _number(hass, options.get(CONF_SLEEP_DURATION))) is not None:
        value, unit = sleep
        factor = _SLEEP_SECONDS.get(unit or UnitOfTime.HOURS)
        if factor is not None:
            values["sleep_seconds"] = value * factor
    return WellnessDay(day, **values)


def runner_away(hass: HomeAssistant, options: Mapping[str, Any]) -> bool:
    """Tell whether the runner's person entity says they are away (the home's weather is not theirs)."""
    entity_id = options.get(CONF_PERSON)
    state = None if not entity_id else hass.states.get(entity_id)
    return state is not None and state.state == STATE_NOT_HOME


async def _async_call(
    hass: HomeAssistant, domain: str, service: str, entity_id: str, data: dict[str, Any]
) -> Any:
    """Call an entity action that returns data; None when it fails (logged at debug level)."""
    try:
        async with asyncio.timeout(CALL_TIMEOUT_S):
            response = await hass.services.async_call(
                domain,
                service,
                {ATTR_ENTITY_ID: entity_id, **data},
                blocking=True,
                return_response=True,
            )
    except (HomeAssistantError, TimeoutError) as err:
        LOGGER.debug("%s.%s of %s failed: %s", domain, service, entity_id, err)
        return None
    return (response or {}).get(entity_id)


def _available(hass: HomeAssistant, entity_id: str) -> State | None:
    """Return the entity's state when it has one to read."""
    state = hass.states.get(entity_id)
    if state is None or state.state in (STATE_UNAVAILABLE, STATE_UNKNOWN):
        return None
    return state


async def async_heat(hass: HomeAssistant, entity_id: str, at: datetime) -> Heat | None:
    """Return the heat the weather entity forecasts for `at`: hourly when it can, else daily."""
    if (state := _available(hass, entity_id)) is None:
        return None
    features = int(state.attributes.get(ATTR_SUPPORTED_FEATURES) or 0)
    if features & WeatherEntityFeature.FORECAST_HOURLY:
        kind = "hourly"
    elif features & WeatherEntityFeature.FORECAST_DAILY:
        kind = "daily"
    else:
        return None
    reply = await _async_call(hass, "weather", "get_forecasts", entity_id, {"type": kind})
    forecast = reply.get("forecast") if isinstance(reply, dict) else None
    if not isinstance(forecast, list):
        return None
    unit = state.attributes.get("temperature_unit") or UnitOfTemperature.CELSIUS
    return heat_at(forecast, hourly=kind == "hourly", at=at, unit=unit)


def _celsius(value: Any, unit: str) -> float | None:
    if not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return TemperatureConverter.convert(float(value), unit, UnitOfTemperature.CELSIUS)


def heat_at(
    forecast: Iterable[Mapping[str, Any]], *, hourly: bool, at: datetime, unit: str
) -> Heat | None:
    """Pick the forecast for `at` (the nearest hour, or the day) and return its heat."""
    best: tuple[timedelta, Mapping[str, Any]] | None = None
    for entry in forecast:
        when = dt_util.parse_datetime(str(entry.get("datetime", "")))
        if when is None:
            continue
        if hourly:
            gap = abs(when - at)
            if gap <= FORECAST_NEAR and (best is None or gap < best[0]):
                best = (gap, entry)
        elif when.astimezone(at.tzinfo).date() == at.date():
            best = (timedelta(0), entry)
            break
    if best is None:
        return None
    entry = best[1]
    temperature = entry.get("temperature")
    if not hourly and at.hour < MORNING_UNTIL_HOUR and entry.get("templow") is not None:
        temperature = entry.get("templow")
    celsius = _celsius(temperature, unit)
    if celsius is None:
        return None
    dew = _celsius(entry.get("dew_point"), unit)
    humidity = entry.get("humidity")
    if dew is None and isinstance(humidity, int | float):
        dew = dew_point_c(celsius, float(humidity))
    return None if dew is None else Heat.forecast(at, celsius, min(dew, celsius))


async def async_busy_days(
    hass: HomeAssistant, entity_id: str, first: date, days: int
) -> frozenset[date]:
    """Return the days from `first` with an all-day event or one of `BUSY_EVENT` or longer."""
    if _available(hass, entity_id) is None:
        return frozenset()
    start = dt_util.start_of_local_day(first)
    end = dt_util.start_of_local_day(first + timedelta(days=days))
    reply = await _async_call(
        hass,
        "calendar",
        "get_events",
        entity_id,
        {"start_date_time": start, "end_date_time": end},
    )
    events = reply.get("events") if isinstance(reply, dict) else None
    if not isinstance(events, list):
        return frozenset()
    window = {first + timedelta(days=offset) for offset in range(days)}
    return frozenset(busy_days(events) & window)


def busy_days(events: Iterable[Mapping[str, Any]]) -> set[date]:
    """Return the local days that all-day and long events take up."""
    busy: set[date] = set()
    for event in events:
        start, end = str(event.get("start", "")), str(event.get("end", ""))
        first_day = dt_util.parse_date(start)
        last_day = dt_util.parse_date(end)
        if first_day is not None and last_day is not None:
            # An all-day event ends on the day after its last.
            last_day -= timedelta(days=1)
        else:
            begins, ends = dt_util.parse_datetime(start), dt_util.parse_datetime(end)
            if begins is None or ends is None or ends - begins < BUSY_EVENT:
                continue
            first_day = dt_util.as_local(begins).date()
            last_day = dt_util.as_local(ends - timedelta(microseconds=1)).date()
        day = first_day
        while day <= last_day:
            busy.add(day)
            day += timedelta(days=1)
    return busy
