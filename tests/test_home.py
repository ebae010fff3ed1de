"""The home in the coach: real wellness sensors, a weather entity with forecasts and a calendar."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta
import json
import logging
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.calendar import CalendarEntity, CalendarEvent
from homeassistant.const import EVENT_CALL_SERVICE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    MockPlatform,
    async_capture_events,
    async_fire_time_changed,
    mock_platform,
)

from custom_components.coach_dyno.const import DOMAIN
from custom_components.coach_dyno.training.conditions import NO_CONDITIONS, usual_run_time
from custom_components.coach_dyno.training.plan import HARD, QUALITY, WorkoutType, plan_week
from custom_components.coach_dyno.training.wellness import WellnessDay

from .conftest import ENTRY_ID, PROFILE_OPTIONS, coordinator_of, demo_config_entry, setup_entry

WELLNESS_KEY = f"{DOMAIN}.{ENTRY_ID}.wellness"
SENSORS = {
    "resting_hr_entity": "sensor.resting_hr",
    "hrv_entity": "sensor.hrv",
    "sleep_duration_entity": "sensor.sleep",
    "sleep_score_entity": "sensor.sleep_score",
}


def _template_sensor(name: str, unit: str | None = None) -> dict[str, Any]:
    """Return a template sensor showing an input_text; "off" makes it unavailable."""
    key = name.lower().replace(" ", "_")
    sensor = {
        "name": name,
        "state": f"{{{{ states('input_text.{key}') }}}}",
        "availability": f"{{{{ states('input_text.{key}') != 'off' }}}}",
    }
    if unit:
        sensor["unit_of_measurement"] = unit
    return sensor


def _forecast(day: date, temperature: float, dew_point: float) -> str:
    """Return an hourly forecast template: each hour of `day` at one temperature and dew point."""
    zone = dt_util.get_default_time_zone()
    hours = [
        {
            "datetime": datetime.combine(day, time(hour), zone).isoformat(),
            "temperature": temperature,
            "dew_point": dew_point,
            "condition": "sunny",
        }
        for hour in range(24)
    ]
    return "{{ " + json.dumps(hours) + " }}"


class BusyCalendar(CalendarEntity):
    """A calendar with the events a test gives it."""

    _attr_name = "Family"

    def __init__(self) -> None:
        """Start with no events."""
        self.events: list[CalendarEvent] = []

    @property
    def event(self) -> CalendarEvent | None:
        """Return the first event."""
        return self.events[0] if self.events else None

    async def async_get_events(
        self, hass: HomeAssistant, start_date: datetime, end_date: datetime
    ) -> list[CalendarEvent]:
        """Return the events that overlap the range."""
        return [
            e
            for e in self.events
            if e.start_datetime_local < end_date and e.end_datetime_local > start_date
        ]


@pytest.fixture
async def home(hass: HomeAssistant, frozen_now: FrozenDateTimeFactory) -> BusyCalendar:
    """Wellness sensors, a hot morning's hourly forecast, a daily-only one and a calendar."""
    today = dt_util.now().date()
    assert await async_setup_component(
        hass,
        "input_text",
        {
            "input_text": {
                key: {"initial": value}
                for key, value in (
                    ("resting_hr", "50"),
                    ("hrv", "62"),
                    ("sleep", "450"),
                    ("sleep_score", "81"),
                )
            }
        },
    )
    assert await async_setup_component(
        hass,
        "template",
        {
            "template": [
                {
                    "sensor": [
                        _template_sensor("Resting HR", "bpm"),
                        _template_sensor("HRV", "ms"),
                        _template_sensor("Sleep", "min"),
                        _template_sensor("Sleep score"),
                    ],
                    "weather": [
                        {
                            "name": "Home",
                            "condition_template": "sunny",
                            "temperature_template": "{{ 27 }}",
                            "humidity_template": "{{ 74 }}",
                            "temperature_unit": "°C",
                            "forecast_hourly_template": _forecast(today, 27.0, 22.0),
                        },
                        {
                            "name": "Daily",
                            "condition_template": "sunny",
                            "temperature_template": "{{ 28 }}",
                            "humidity_template": "{{ 60 }}",
                            "temperature_unit": "°C",
                            "forecast_daily_template": "{{ "
                            + json.dumps(
                                [
                                    {
                                        "datetime": dt_util.start_of_local_day(today).isoformat(),
                                        "temperature": 31.0,
                                        "templow": 24.0,
                                        "humidity": 80,
                                        "condition": "sunny",
                                    }
                                ]
                            )
                            + " }}",
                        },
                    ],
                }
            ]
        },
    )
    calendar = BusyCalendar()

    async def _setup(hass: HomeAssistant, config: Any, add: Any, info: Any = None) -> None:
        add([calendar])

    mock_platform(hass, "test.calendar", MockPlatform(async_setup_platform=_setup))
    assert await async_setup_component(hass, "calendar", {"calendar": {"platform": "test"}})
    assert await async_setup_component(hass, "person", {})
    await hass.async_block_till_done()
    return calendar


async def _set(hass: HomeAssistant, key: str, value: str) -> None:
    """Change what a wellness sensor shows, as the wearable's integration would."""
    await hass.services.async_call(
        "input_text", "set_value", {"entity_id": f"input_text.{key}", "value": value}, blocking=True
    )
    await hass.async_block_till_done()
    await hass.async_block_till_done()


def _history(
    days: int, *, hrv: float = 62.0, rhr: float = 50.0, skip_today: bool = True
) -> dict[str, Any]:
    """Return a stored wellness file of `days` mornings before today, gently varying."""
    today = dt_util.now().date()
    records = [
        {
            "day": (today - timedelta(days=back)).isoformat(),
            "resting_hr": rhr + (back % 3) - 1,
            "hrv_rmssd": hrv + 2 * ((back % 5) - 2),
            "sleep_seconds": 7.5 * 3600,
            "sleep_score": 80,
        }
        for back in range(1 if skip_today else 0, days + 1)
    ]
    return {"version": 1, "minor_version": 1, "key": WELLNESS_KEY, "data": {"days": records}}


def _entry(**home: str) -> MockConfigEntry:
    return demo_config_entry(options={**PROFILE_OPTIONS, **home})


def _readiness(hass: HomeAssistant, entity_registry: er.EntityRegistry) -> Any:
    entity_id = entity_registry.async_get_entity_id("sensor", DOMAIN, "demo_readiness")
    assert entity_id is not None
    state = hass.states.get(entity_id)
    assert state is not None
    return state


def _briefing_text(hass: HomeAssistant) -> str:
    state = hass.states.get("sensor.demo_runner_briefing")
    assert state is not None
    return str(state.attributes["text"])


async def test_wellness_sensors_make_readiness(
    hass: HomeAssistant,
    home: BusyCalendar,
    hass_storage: dict[str, Any],
    entity_registry: er.EntityRegistry,
) -> None:
    """Sixty normal mornings and today's readings: ready, with the numbers; sleep read in minutes."""
    hass_storage[WELLNESS_KEY] = _history(60)
    entry = _entry(**SENSORS)
    await setup_entry(hass, entry)

    state = _readiness(hass, entity_registry)
    assert state.state == "ready"
    assert state.attributes["reasons"] == []
    assert state.attributes["sleep_last_night_h"] == 7.5
    assert state.attributes["sleep_score"] == 81
    assert state.attributes["hrv_normal_low"] < state.attributes["hrv_7d"]
    assert state.attributes["resting_hr_baseline"] == pytest.approx(50, abs=1)
    today = coordinator_of(entry).wellness.days[dt_util.now().date()]
    assert today == WellnessDay(
        dt_util.now().date(), resting_hr=50, hrv_rmssd=62, sleep_seconds=27000, sleep_score=81
    )


async def test_a_bad_night_turns_readiness_and_the_briefing(
    hass: HomeAssistant,
    home: BusyCalendar,
    hass_storage: dict[str, Any],
    entity_registry: er.EntityRegistry,
) -> None:
    """Low HRV for days: caution, said in the briefing; a short night on top of it: rest."""
    stored = _history(60)
    for record in stored["data"]["days"][:4]:
        record["hrv_rmssd"] = 35.0
    hass_storage[WELLNESS_KEY] = stored
    await _set(hass, "hrv", "34")
    entry = _entry(**SENSORS)
    await setup_entry(hass, entry)
    assert _readiness(hass, entity_registry).state == "caution"
    # The demo runner rests on this day anyway: the briefing says why to keep it so.
    assert "Keep today easy: your HRV is below your normal range (4 days)." in _briefing_text(hass)

    await _set(hass, "sleep", "290")
    state = _readiness(hass, entity_registry)
    assert state.state == "rest"
    assert state.attributes["reasons"] == ["hrv_low", "sleep_short"]
    assert "you slept 4.8 h last night" in _briefing_text(hass)


async def test_caution_turns_a_key_session_easy(
    hass: HomeAssistant,
    home: BusyCalendar,
    hass_storage: dict[str, Any],
    freezer: FrozenDateTimeFactory,
) -> None:
    """On the morning of a quality session, low HRV makes it an easy run, and the briefing says so."""
    stored = _history(60)
    for record in stored["data"]["days"][:5]:
        record["hrv_rmssd"] = 35.0
    hass_storage[WELLNESS_KEY] = stored
    entry = _entry(hrv_entity="sensor.hrv")
    await setup_entry(hass, entry)
    coordinator = coordinator_of(entry)
    snapshot = coordinator.data.snapshot
    plain = plan_week(replace(snapshot, conditions=NO_CONDITIONS), snapshot.today)
    key = next(s for s in plain.sessions if s.kind in QUALITY)
    # The morning of that session: the HRV sensor still reads low.
    freezer.move_to(datetime.combine(key.day, time(6), dt_util.get_default_time_zone()))
    await _set(hass, "hrv", "36")
    await coordinator.async_recompute()
    await hass.async_block_till_done()
    today = plan_week(coordinator.data.snapshot, key.day).sessions[0]
    assert today.kind is WorkoutType.EASY
    text = _briefing_text(hass)
    assert "Today: easy run" in text
    assert "instead of" in text
    assert "your HRV is below your normal range" in text


async def test_unavailable_unknown_and_implausible_readings_change_nothing(
    hass: HomeAssistant, home: BusyCalendar, hass_storage: dict[str, Any]
) -> None:
    """An unavailable sensor, a word, a resting HR of 300 and 20 hours of sleep are not recorded."""
    await _set(hass, "resting_hr", "off")
    await _set(hass, "sleep_score", "poor")
    await _set(hass, "sleep", "1200")
    await _set(hass, "hrv", "900")
    entry = _entry(**SENSORS)
    await setup_entry(hass, entry)
    wellness = coordinator_of(entry).wellness
    assert wellness.days == {}

    await _set(hass, "resting_hr", "300")
    assert wellness.days == {}
    await _set(hass, "resting_hr", "49")
    assert wellness.days[dt_util.now().date()].resting_hr == 49
    await _set(hass, "resting_hr", "off")
    assert wellness.days[dt_util.now().date()].resting_hr == 49


async def test_without_inputs_there_is_no_readiness(
    hass: HomeAssistant, home: BusyCalendar, entity_registry: er.EntityRegistry
) -> None:
    """No wellness sensor configured: no readiness sensor, no home words in the briefing."""
    entry = _entry()
    await setup_entry(hass, entry)
    assert entity_registry.async_get_entity_id("sensor", DOMAIN, "demo_readiness") is None
    assert coordinator_of(entry).data.snapshot.conditions == NO_CONDITIONS
    text = _briefing_text(hass)
    assert "Warm" not in text
    assert "busy" not in text


async def test_too_few_days_say_not_enough_data(
    hass: HomeAssistant, home: BusyCalendar, entity_registry: er.EntityRegistry
) -> None:
    """Only HRV and resting HR, one morning of them: readiness is unknown, and says why."""
    entry = _entry(resting_hr_entity="sensor.resting_hr", hrv_entity="sensor.hrv")
    await setup_entry(hass, entry)
    state = _readiness(hass, entity_registry)
    assert state.state == "unknown"
    assert state.attributes["reasons"] == ["not_enough_data"]


async def test_resting_hr_keeps_the_profile_current(
    hass: HomeAssistant,
    home: BusyCalendar,
    hass_storage: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A week of resting HR near 46 moves the profile's 52 to 46, logged once; 46.4 changes nothing."""
    hass_storage[WELLNESS_KEY] = _history(6, rhr=46.0)
    await _set(hass, "resting_hr", "46")
    entry = _entry(resting_hr_entity="sensor.resting_hr")
    with caplog.at_level(logging.INFO):
        await setup_entry(hass, entry)
    assert entry.options["hr_rest"] == 46
    assert coordinator_of(entry).data.profile.hr_rest == 46
    assert "Resting heart rate follows the wellness readings: 46 bpm (was 52)" in caplog.text
    caplog.clear()
    await _set(hass, "resting_hr", "46.4")
    assert entry.options["hr_rest"] == 46
    assert "Resting heart rate" not in caplog.text


async def test_heat_from_the_hourly_forecast_slows_today(
    hass: HomeAssistant,
    home: BusyCalendar,
    entity_registry: er.EntityRegistry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """27 °C and a 22 °C dew point: 5 % slower today, said in the briefing; asked once per half hour."""
    calls = async_capture_events(hass, EVENT_CALL_SERVICE)
    entry = _entry(weather_entity="weather.home", hrv_entity="sensor.hrv")
    await setup_entry(hass, entry)
    coordinator = coordinator_of(entry)
    snapshot = coordinator.data.snapshot
    heat = snapshot.conditions.heat
    assert heat is not None
    assert heat.slowdown_pct == 5
    usual = usual_run_time(run.start for run in snapshot.recent_runs)
    assert heat.at.time() == usual
    assert f"Warm: 27 °C, dew point 22 °C at {usual:%H:%M} - run by effort, about 5 % slower." in (
        _briefing_text(hass)
    )
    assert _readiness(hass, entity_registry).attributes["heat_adjustment_pct"] == 5
    plain = plan_week(replace(snapshot, conditions=NO_CONDITIONS), snapshot.today).sessions[0]
    today = plan_week(snapshot, snapshot.today).sessions[0]
    if plain.pace_s_per_km is not None:
        assert today.pace_s_per_km == pytest.approx(plain.pace_s_per_km * 1.05, abs=0.1)

    def forecasts() -> int:
        return sum(1 for call in calls if call.data["domain"] == "weather")

    assert forecasts() == 1
    await coordinator.async_recompute()
    assert forecasts() == 1
    freezer.tick(timedelta(minutes=31))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert forecasts() == 2


async def test_daily_forecast_missing_weather_and_runner_away(
    hass: HomeAssistant, home: BusyCalendar, freezer: FrozenDateTimeFactory
) -> None:
    """A daily forecast gives the morning's low; no such entity, or the runner away, gives nothing."""
    entry = _entry(weather_entity="weather.daily", person_entity="person.runner")
    await setup_entry(hass, entry)
    coordinator = coordinator_of(entry)
    heat = coordinator.data.snapshot.conditions.heat
    assert heat is not None
    assert heat.temperature_c == 24
    assert heat.dew_point_c == 20  # from 80 % humidity at 24 °C

    hass.states.async_set("person.runner", "not_home")
    freezer.tick(timedelta(minutes=31))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert coordinator.data.snapshot.conditions.heat is None

    hass.config_entries.async_update_entry(
        entry, options={**entry.options, "weather_entity": "weather.nowhere"}
    )
    await hass.async_block_till_done()
    assert coordinator_of(entry).data.snapshot.conditions.heat is None


async def test_unavailable_weather_changes_nothing(hass: HomeAssistant, home: BusyCalendar) -> None:
    """An unavailable weather entity: no heat, no words about it."""
    hass.states.async_set("weather.home", "unavailable")
    entry = _entry(weather_entity="weather.home")
    await setup_entry(hass, entry)
    assert coordinator_of(entry).data.snapshot.conditions.heat is None
    assert "Warm" not in _briefing_text(hass)


async def test_busy_days_move_key_sessions(
    hass: HomeAssistant, home: BusyCalendar, freezer: FrozenDateTimeFactory
) -> None:
    """An all-day event on the day of a key session moves it, and the briefing says so."""
    entry = _entry(calendar_entity="calendar.family")
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    coordinator = coordinator_of(entry)
    snapshot = coordinator.data.snapshot
    plain = plan_week(snapshot, snapshot.today)
    key = next(s for s in plain.sessions if s.kind in HARD and s.kind is not WorkoutType.RACE)
    home.events = [
        CalendarEvent(start=key.day, end=key.day + timedelta(days=1), summary="Family visit"),
        # Two hours on another day is no busy day.
        CalendarEvent(
            start=datetime.combine(
                key.day + timedelta(days=1), time(18), dt_util.get_default_time_zone()
            ),
            end=datetime.combine(
                key.day + timedelta(days=1), time(20), dt_util.get_default_time_zone()
            ),
            summary="Dinner",
        ),
    ]
    # The calendar is asked again within half an hour.
    freezer.tick(timedelta(minutes=31))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    conditions = coordinator.data.snapshot.conditions
    assert conditions.busy_days == frozenset({key.day})
    moved = plan_week(coordinator.data.snapshot, snapshot.today)
    assert {s.day: s.kind for s in moved.sessions}[key.day] is WorkoutType.EASY
    text = _briefing_text(hass)
    assert f"{key.day:%a} is busy: " in text
    assert "moves to" in text or "becomes an easy run" in text


async def test_wellness_from_another_source_merges_into_the_same_days(
    hass: HomeAssistant, home: BusyCalendar, entity_registry: er.EntityRegistry
) -> None:
    """Records handed over by a source (not a sensor) fill the store and turn readiness at once."""
    entry = _entry(hrv_entity="sensor.hrv")
    await setup_entry(hass, entry)
    coordinator = coordinator_of(entry)
    today = dt_util.now().date()
    records = [
        WellnessDay(
            today - timedelta(days=back),
            hrv_rmssd=35.0 if back < 5 else 60.0 + back % 4,
            resting_hr=400.0,
        )
        for back in range(1, 40)
    ]
    assert await coordinator.async_add_wellness(records) == 39
    assert await coordinator.async_add_wellness(records) == 0
    await hass.async_block_till_done()
    assert _readiness(hass, entity_registry).state == "caution"
    # The implausible resting HR was not taken, so the profile kept its own.
    assert all(day.resting_hr is None for day in coordinator.wellness.days.values())
    assert entry.options["hr_rest"] == 52


async def test_resting_hr_never_reaches_the_threshold(
    hass: HomeAssistant, home: BusyCalendar, hass_storage: dict[str, Any]
) -> None:
    """A resting HR at or above the threshold heart rate is a sensor's mistake for the profile."""
    hass_storage[WELLNESS_KEY] = _history(6, rhr=100.0)
    await _set(hass, "resting_hr", "100")
    entry = demo_config_entry(
        options={**PROFILE_OPTIONS, "lthr": 95, "resting_hr_entity": "sensor.resting_hr"}
    )
    await setup_entry(hass, entry)
    assert entry.options["hr_rest"] == 52


async def test_readings_survive_a_restart_and_go_with_the_entry(
    hass: HomeAssistant, home: BusyCalendar, hass_storage: dict[str, Any]
) -> None:
    """Today's readings are written when the entry unloads, read back, and removed with it."""
    entry = _entry(**SENSORS)
    await setup_entry(hass, entry)
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    saved = hass_storage[WELLNESS_KEY]["data"]["days"]
    assert saved == [
        {
            "day": dt_util.now().date().isoformat(),
            "resting_hr": 50.0,
            "hrv_rmssd": 62.0,
            "sleep_seconds": 27000.0,
            "sleep_score": 81.0,
        }
    ]
    assert coordinator_of(entry).wellness.days[dt_util.now().date()].hrv_rmssd == 62

    assert await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert WELLNESS_KEY not in hass_storage


async def test_a_new_day_records_readings_that_did_not_change(
    hass: HomeAssistant, home: BusyCalendar, freezer: FrozenDateTimeFactory
) -> None:
    """At local midnight the sensors are read for the new day, though their states stayed."""
    entry = _entry(**SENSORS)
    await setup_entry(hass, entry)
    today = dt_util.now().date()
    freezer.move_to(dt_util.start_of_local_day(today + timedelta(days=1)) + timedelta(seconds=5))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert sorted(coordinator_of(entry).wellness.days) == [today, today + timedelta(days=1)]
