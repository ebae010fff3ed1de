"""Reading the home's inputs: forecasts, calendar events, sensor units and the wellness file."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from homeassistant.const import UnitOfTemperature
from homeassistant.core import HomeAssistant, ServiceCall, SupportsResponse
from homeassistant.exceptions import HomeAssistantError
from homeassistant.util import dt as dt_util
import pytest

from custom_components.coach_dyno.const import DOMAIN
from custom_components.coach_dyno.home import (
    async_busy_days,
    async_heat,
    busy_days,
    heat_at,
    wellness_reading,
)
from custom_components.coach_dyno.store import WellnessStore
from custom_components.coach_dyno.training.wellness import WellnessDay

from .conftest import ENTRY_ID

AT = datetime(2026, 7, 10, 7, tzinfo=UTC)
WELLNESS_KEY = f"{DOMAIN}.{ENTRY_ID}.wellness"


def _hour(at: datetime, **values: Any) -> dict[str, Any]:
    return {"datetime": at.isoformat(), **values}


def test_the_nearest_forecast_hour_counts() -> None:
    """The hour nearest the run, within 90 minutes; none near enough gives nothing."""
    forecast = [
        {"datetime": "not a time"},
        _hour(AT - timedelta(hours=1), temperature=20.0, dew_point=15.0),
        _hour(AT + timedelta(minutes=20), temperature=27.0, dew_point=22.0),
    ]
    heat = heat_at(forecast, hourly=True, at=AT, unit=UnitOfTemperature.CELSIUS)
    assert heat is not None
    assert (heat.temperature_c, heat.dew_point_c, heat.slowdown_pct) == (27, 22, 5)
    assert heat_at(forecast[1:2], hourly=True, at=AT + timedelta(hours=3), unit="°C") is None


def test_fahrenheit_humidity_and_missing_values() -> None:
    """°F converted; a dew point from humidity; no temperature or no moisture gives nothing."""
    fahrenheit = [_hour(AT, temperature=80.6, dew_point=71.6)]
    heat = heat_at(fahrenheit, hourly=True, at=AT, unit=UnitOfTemperature.FAHRENHEIT)
    assert heat is not None
    assert (heat.temperature_c, heat.dew_point_c) == (27, 22)
    humid = heat_at([_hour(AT, temperature=30.0, humidity=50)], hourly=True, at=AT, unit="°C")
    assert humid is not None
    assert humid.dew_point_c == 18
    assert heat_at([_hour(AT, temperature=30.0)], hourly=True, at=AT, unit="°C") is None
    assert heat_at([_hour(AT, temperature="hot")], hourly=True, at=AT, unit="°C") is None


def test_a_daily_forecast_gives_the_morning_low_and_the_afternoon_high() -> None:
    """Before 11:00 the day's low, later its high; another day's forecast is not today's."""
    day = [_hour(AT.replace(hour=0), temperature=31.0, templow=22.0, dew_point=19.0)]
    morning = heat_at(day, hourly=False, at=AT, unit="°C")
    afternoon = heat_at(day, hourly=False, at=AT.replace(hour=17), unit="°C")
    assert morning is not None
    assert afternoon is not None
    assert (morning.temperature_c, afternoon.temperature_c) == (22, 31)
    assert heat_at(day, hourly=False, at=AT + timedelta(days=1), unit="°C") is None


def test_busy_days_from_events() -> None:
    """All-day events take their days; timed ones of three hours or more too; shorter ones not."""
    events = [
        {"start": "2026-07-10", "end": "2026-07-12"},
        {"start": "2026-07-14T20:00:00+00:00", "end": "2026-07-15T01:00:00+00:00"},
        {"start": "2026-07-16T09:00:00+00:00", "end": "2026-07-16T11:00:00+00:00"},
        {"start": "whenever", "end": "later"},
    ]
    zone = dt_util.get_default_time_zone()
    assert zone == dt_util.get_time_zone("US/Pacific")  # the test instance's zone
    assert busy_days(events) == {
        date(2026, 7, 10),
        date(2026, 7, 11),
        date(2026, 7, 14),
    }


async def test_sleep_units_and_missing_entities(hass: HomeAssistant) -> None:
    """Hours without a unit, seconds by theirs; an unknown unit and absent entities give nothing."""
    day = date(2026, 7, 10)
    hass.states.async_set("sensor.sleep", "7.5")
    hass.states.async_set("sensor.sleep_s", "27000", {"unit_of_measurement": "s"})
    hass.states.async_set("sensor.sleep_weeks", "1", {"unit_of_measurement": "wk"})
    hass.states.async_set("sensor.hrv", "inf")
    assert wellness_reading(hass, {"sleep_duration_entity": "sensor.sleep"}, day) == WellnessDay(
        day, sleep_seconds=27000
    )
    assert wellness_reading(hass, {"sleep_duration_entity": "sensor.sleep_s"}, day) == (
        WellnessDay(day, sleep_seconds=27000)
    )
    options = {"sleep_duration_entity": "sensor.sleep_weeks", "hrv_entity": "sensor.hrv"}
    assert wellness_reading(hass, options, day) == WellnessDay(day)
    assert wellness_reading(hass, {"resting_hr_entity": "sensor.none"}, day) == WellnessDay(day)


async def test_forecasts_and_events_that_fail_give_nothing(hass: HomeAssistant) -> None:
    """No forecast kind, a failing action, a malformed answer or an unavailable calendar: nothing."""
    hass.states.async_set("weather.plain", "sunny", {"supported_features": 0})
    assert await async_heat(hass, "weather.plain", AT) is None
    hass.states.async_set("weather.broken", "sunny", {"supported_features": 1})
    # The weather integration is not loaded: the action does not exist.
    assert await async_heat(hass, "weather.broken", AT) is None

    async def odd_answer(call: ServiceCall) -> dict[str, Any]:
        return {"weather.odd": {"forecast": "sunny"}, "calendar.odd": {"events": None}}

    async def failing(call: ServiceCall) -> dict[str, Any]:
        raise HomeAssistantError("down")

    hass.services.async_register(
        "weather", "get_forecasts", odd_answer, supports_response=SupportsResponse.ONLY
    )
    hass.services.async_register(
        "calendar", "get_events", failing, supports_response=SupportsResponse.ONLY
    )
    hass.states.async_set("weather.odd", "sunny", {"supported_features": 2})
    assert await async_heat(hass, "weather.odd", AT) is None
    hass.states.async_set("calendar.odd", "off")
    assert await async_busy_days(hass, "calendar.odd", AT.date(), 7) == frozenset()
    hass.states.async_set("calendar.gone", "unavailable")
    assert await async_busy_days(hass, "calendar.gone", AT.date(), 7) == frozenset()


@pytest.mark.parametrize("data", [[1, 2], {"days": "many"}, {"days": [{"day": "soon"}, {"x": 1}]}])
async def test_an_unreadable_wellness_file_is_an_empty_one(
    hass: HomeAssistant, hass_storage: dict[str, Any], data: Any
) -> None:
    """A file of the wrong shape, or records without a day, load as nothing."""
    hass_storage[WELLNESS_KEY] = {
        "version": 1,
        "minor_version": 1,
        "key": WELLNESS_KEY,
        "data": data,
    }
    store = WellnessStore(hass, ENTRY_ID)
    await store.async_load()
    assert store.days == {}


async def test_the_wellness_file_keeps_plausible_values(
    hass: HomeAssistant, hass_storage: dict[str, Any]
) -> None:
    """A stored value out of range is dropped at load; a save happens only after a change."""
    hass_storage[WELLNESS_KEY] = {
        "version": 1,
        "minor_version": 1,
        "key": WELLNESS_KEY,
        "data": {"days": [{"day": "2026-07-09", "resting_hr": 400, "hrv_rmssd": 55}]},
    }
    store = WellnessStore(hass, ENTRY_ID)
    await store.async_load()
    assert store.days == {date(2026, 7, 9): WellnessDay(date(2026, 7, 9), hrv_rmssd=55)}
    await store.async_flush()
    assert hass_storage[WELLNESS_KEY]["data"]["days"][0]["resting_hr"] == 400
    store.schedule_save()
    await store.async_flush()
    assert hass_storage[WELLNESS_KEY]["data"]["days"] == [
        {
            "day": "2026-07-09",
            "resting_hr": None,
            "hrv_rmssd": 55,
            "sleep_seconds": None,
            "sleep_score": None,
        }
    ]
