"""Tests for the sensors: numbers with units that follow the unit system, periods and categories."""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import replace
from datetime import date, datetime, timedelta
import json
from pathlib import Path
import re
from unittest.mock import PropertyMock, patch

from freezegun.api import FrozenDateTimeFactory
import hass_frontend
from homeassistant.components.sensor import (
    ATTR_LAST_RESET,
    ATTR_STATE_CLASS,
    SensorDeviceClass,
    SensorStateClass,
)
from homeassistant.const import (
    ATTR_DEVICE_CLASS,
    ATTR_UNIT_OF_MEASUREMENT,
    STATE_UNKNOWN,
    EntityCategory,
    Platform,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
from homeassistant.util.unit_system import US_CUSTOMARY_SYSTEM
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed
from syrupy.assertion import SnapshotAssertion

from custom_components.coach_dyno.const import DOMAIN
from custom_components.coach_dyno.sensor import READINESS, SENSORS
from custom_components.coach_dyno.training import Activity
from tests.conftest import (
    FROZEN_NOW,
    METERS_PER_MILE,
    NO_RACE_OPTIONS,
    PROFILE_OPTIONS,
    demo_config_entry,
    setup_entry,
    snapshot_one_platform,
)

PREFIX = "sensor.demo_runner"
INTEGRATION = Path(__file__).resolve().parent.parent / "custom_components" / DOMAIN


@pytest.fixture
def all_enabled() -> Generator[None]:
    """Enable the sensors that are disabled by default, so they can be snapshot too."""
    with patch(
        "homeassistant.helpers.entity.Entity.entity_registry_enabled_default",
        new_callable=PropertyMock,
        return_value=True,
    ):
        yield


def _runs(entry: MockConfigEntry) -> list[Activity]:
    """Return the demo entry's stored runs, oldest first."""
    activities = entry.runtime_data.coordinator.store.activities.values()
    return sorted((a for a in activities if a.is_run), key=lambda a: a.start)


def _local_day(activity: Activity) -> date:
    return dt_util.as_local(activity.start).date()


def _value(hass: HomeAssistant, entity_id: str) -> float:
    state = hass.states.get(entity_id)
    assert state is not None, entity_id
    return float(state.state)


@pytest.mark.usefixtures("all_enabled", "frozen_now")
async def test_all_sensors(
    hass: HomeAssistant,
    demo_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """Every sensor of the demo runner at FROZEN_NOW: registry entry and state."""
    await snapshot_one_platform(hass, demo_entry, entity_registry, snapshot, Platform.SENSOR)


async def test_volume_matches_the_history(
    hass: HomeAssistant, loaded_demo: MockConfigEntry
) -> None:
    """Sum the stored runs by local day: this week's, last week's and the rolling totals match."""
    today = FROZEN_NOW.astimezone(dt_util.get_default_time_zone()).date()
    monday = today - timedelta(days=today.weekday())
    runs = _runs(loaded_demo)
    this_week = [run for run in runs if monday <= _local_day(run) <= today]
    last_week = [run for run in runs if monday - timedelta(days=7) <= _local_day(run) < monday]
    rolling = [run for run in runs if today - timedelta(days=6) <= _local_day(run) <= today]
    assert this_week, "the demo must have runs this week for this test to mean anything"

    assert _value(hass, f"{PREFIX}_distance_this_week") == pytest.approx(
        sum(run.distance_m for run in this_week) / 1000, abs=1e-3
    )
    assert _value(hass, f"{PREFIX}_distance_last_week") == pytest.approx(
        sum(run.distance_m for run in last_week) / 1000, abs=1e-3
    )
    assert _value(hass, f"{PREFIX}_distance_last_7_days") == pytest.approx(
        sum(run.distance_m for run in rolling) / 1000, abs=1e-3
    )
    assert _value(hass, f"{PREFIX}_runs_this_week") == len(this_week)
    # Whole seconds, which the frontend shows as h:mm:ss.
    moving = hass.states.get(f"{PREFIX}_moving_time_this_week")
    assert moving is not None
    assert moving.attributes[ATTR_UNIT_OF_MEASUREMENT] == "s"
    assert moving.state == str(round(sum(run.moving_s for run in this_week)))


async def test_latest_run_and_race(hass: HomeAssistant, loaded_demo: MockConfigEntry) -> None:
    """The latest run is the newest run up to now; the race countdown counts calendar days."""
    latest = [run for run in _runs(loaded_demo) if run.start <= FROZEN_NOW][-1]
    distance = hass.states.get(f"{PREFIX}_latest_run_distance")
    assert distance is not None
    assert float(distance.state) == pytest.approx(latest.distance_m / 1000, abs=1e-3)
    assert distance.attributes["activity_id"] == latest.id
    assert distance.attributes["name"] == latest.name

    pace = hass.states.get(f"{PREFIX}_latest_run_pace")
    assert pace is not None
    # Decimal minutes per kilometre, a number a card can graph.
    assert float(pace.state) == pytest.approx(
        latest.moving_s / latest.distance_m * 1000 / 60, abs=0.01
    )
    assert pace.attributes[ATTR_UNIT_OF_MEASUREMENT] == "min/km"
    assert pace.attributes[ATTR_STATE_CLASS] == SensorStateClass.MEASUREMENT

    start = hass.states.get(f"{PREFIX}_latest_run_start")
    assert start is not None
    assert dt_util.parse_datetime(start.state) == latest.start

    race_day = date.fromisoformat(PROFILE_OPTIONS["race_date"])
    days = (race_day - FROZEN_NOW.date()).days
    countdown = hass.states.get(f"{PREFIX}_days_to_race")
    assert countdown is not None
    assert int(countdown.state) == days
    assert countdown.attributes["race_date"] == race_day.isoformat()
    assert _value(hass, f"{PREFIX}_weeks_to_race") == days // 7

    goal_pace = hass.states.get(f"{PREFIX}_goal_pace")
    assert goal_pace is not None
    seconds_per_km = PROFILE_OPTIONS["goal_time"] / PROFILE_OPTIONS["race_distance_km"]
    assert float(goal_pace.state) == pytest.approx(seconds_per_km / 60, abs=0.01)


async def test_periodic_totals_name_their_period(
    hass: HomeAssistant, loaded_demo: MockConfigEntry
) -> None:
    """Totals that restart each week, month, year or day say when, for long-term statistics."""
    zone = dt_util.get_default_time_zone()
    expected = {
        "distance_this_week": datetime(2026, 11, 16, tzinfo=zone),
        "runs_this_week": datetime(2026, 11, 16, tzinfo=zone),
        "moving_time_this_week": datetime(2026, 11, 16, tzinfo=zone),
        "distance_this_month": datetime(2026, 11, 1, tzinfo=zone),
        "distance_this_year": datetime(2026, 1, 1, tzinfo=zone),
        "training_load_today": datetime(2026, 11, 20, tzinfo=zone),
    }
    for key, period_start in expected.items():
        state = hass.states.get(f"{PREFIX}_{key}")
        assert state is not None, key
        assert state.attributes[ATTR_STATE_CLASS] == SensorStateClass.TOTAL, key
        assert dt_util.parse_datetime(state.attributes[ATTR_LAST_RESET]) == period_start, key
    # A rolling window and a finished week are not running totals.
    rolling = hass.states.get(f"{PREFIX}_distance_last_7_days")
    assert rolling is not None
    assert rolling.attributes[ATTR_STATE_CLASS] == SensorStateClass.MEASUREMENT
    assert ATTR_LAST_RESET not in rolling.attributes
    last_week = hass.states.get(f"{PREFIX}_distance_last_week")
    assert last_week is not None
    assert ATTR_STATE_CLASS not in last_week.attributes


async def test_new_week_resets_the_totals(
    hass: HomeAssistant, loaded_demo: MockConfigEntry, frozen_now: FrozenDateTimeFactory
) -> None:
    """On Monday the weekly totals start again from the runs of that day, with a new last_reset."""
    before = _value(hass, f"{PREFIX}_distance_this_week")
    monday = datetime(2026, 11, 23, 6, 0, tzinfo=dt_util.get_default_time_zone())
    frozen_now.move_to(monday)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)

    # The demo's bundled history holds no run before 06:00 on that Monday.
    assert not [
        run
        for run in _runs(loaded_demo)
        if run.start <= monday and _local_day(run) == monday.date()
    ]
    assert before > 0
    assert _value(hass, f"{PREFIX}_distance_this_week") == 0
    assert _value(hass, f"{PREFIX}_runs_this_week") == 0
    state = hass.states.get(f"{PREFIX}_distance_this_week")
    assert state is not None
    assert dt_util.parse_datetime(state.attributes[ATTR_LAST_RESET]) == monday.replace(hour=0)


@pytest.mark.usefixtures("frozen_now")
async def test_us_customary_units(hass: HomeAssistant, demo_entry: MockConfigEntry) -> None:
    """With US customary units, distances are in miles and paces in minutes per mile."""
    hass.config.units = US_CUSTOMARY_SYSTEM
    await setup_entry(hass, demo_entry)
    runs = _runs(demo_entry)
    today = FROZEN_NOW.astimezone(dt_util.get_default_time_zone()).date()
    monday = today - timedelta(days=today.weekday())
    this_week = [run for run in runs if monday <= _local_day(run) <= today]

    week = hass.states.get(f"{PREFIX}_distance_this_week")
    assert week is not None
    assert week.attributes[ATTR_UNIT_OF_MEASUREMENT] == "mi"
    assert week.attributes[ATTR_DEVICE_CLASS] == SensorDeviceClass.DISTANCE
    assert float(week.state) == pytest.approx(
        sum(run.distance_m for run in this_week) / METERS_PER_MILE, abs=0.01
    )

    latest = [run for run in runs if run.start <= FROZEN_NOW][-1]
    pace = hass.states.get(f"{PREFIX}_latest_run_pace")
    assert pace is not None
    assert pace.attributes[ATTR_UNIT_OF_MEASUREMENT] == "min/mi"
    assert float(pace.state) == pytest.approx(
        latest.moving_s / latest.distance_m * METERS_PER_MILE / 60, abs=0.01
    )
    goal = hass.states.get(f"{PREFIX}_goal_pace")
    assert goal is not None
    assert goal.attributes[ATTR_UNIT_OF_MEASUREMENT] == "min/mi"
    assert goal.attributes["formatted"].endswith("/mi")
    # A duration has no imperial form: seconds stay seconds.
    moving = hass.states.get(f"{PREFIX}_moving_time_this_week")
    assert moving is not None
    assert moving.attributes[ATTR_UNIT_OF_MEASUREMENT] == "s"


async def test_noisy_and_diagnostic_sensors(
    hass: HomeAssistant, loaded_demo: MockConfigEntry, entity_registry: er.EntityRegistry
) -> None:
    """Noisy metrics start disabled; the last sync is diagnostic; nothing else hides."""
    entries = er.async_entries_for_config_entry(entity_registry, loaded_demo.entry_id)
    sensors = {entry.unique_id: entry for entry in entries if entry.domain == "sensor"}
    disabled = {key for key, entry in sensors.items() if entry.disabled_by is not None}
    assert disabled == {"demo_monotony", "demo_strain", "demo_latest_run_efficiency"}
    assert all(
        entry.disabled_by is er.RegistryEntryDisabler.INTEGRATION
        for entry in sensors.values()
        if entry.disabled_by
    )
    diagnostic = {
        key for key, entry in sensors.items() if entry.entity_category is EntityCategory.DIAGNOSTIC
    }
    assert diagnostic == {"demo_last_sync"}
    # Disabled sensors have no state until the user enables them.
    assert hass.states.get(f"{PREFIX}_training_monotony") is None


async def test_last_sync_of_a_file_source(
    hass: HomeAssistant, loaded_demo: MockConfigEntry
) -> None:
    """Without Strava there is no sync time, but the history size is reported."""
    state = hass.states.get(f"{PREFIX}_last_sync")
    assert state is not None
    assert state.state == STATE_UNKNOWN
    stored = len(loaded_demo.runtime_data.coordinator.store.activities)
    future = sum(
        1
        for activity in loaded_demo.runtime_data.coordinator.store.activities.values()
        if _local_day(activity) > FROZEN_NOW.date()
    )
    assert state.attributes["activities"] == stored - future
    assert state.attributes["sync_error"] is None


@pytest.mark.usefixtures("frozen_now")
async def test_without_goal_race(hass: HomeAssistant) -> None:
    """Without a goal race the race sensors are unknown, not zero; the rest still works."""
    await setup_entry(hass, demo_config_entry(options=NO_RACE_OPTIONS))
    for key in (
        "days_to_race",
        "weeks_to_race",
        "training_phase",
        "predicted_race_time",
        "goal_pace",
    ):
        state = hass.states.get(f"{PREFIX}_{key}")
        assert state is not None, key
        assert state.state == STATE_UNKNOWN, key
    assert _value(hass, f"{PREFIX}_distance_this_week") > 0


def test_every_sensor_has_a_name_and_an_icon() -> None:
    """Each sensor's translation key names it in strings.json and gives it an icon in icons.json."""
    strings = json.loads((INTEGRATION / "strings.json").read_text(encoding="utf-8"))
    icons = json.loads((INTEGRATION / "icons.json").read_text(encoding="utf-8"))
    keys = {description.translation_key for description in SENSORS}
    assert len(keys) == len(SENSORS)
    keys |= {"briefing", "latest_run_analysis", "risk_flags", READINESS.translation_key}
    assert keys == set(strings["entity"]["sensor"])
    assert keys == set(icons["entity"]["sensor"])
    assert all(strings["entity"]["sensor"][key]["name"] for key in keys)


async def _strip_heart_rate(entry: MockConfigEntry, **changes: float) -> None:
    """Store the demo's history as a watch without a strap would have recorded it, and recompute."""
    coordinator = entry.runtime_data.coordinator
    coordinator.store.activities = {
        key: replace(activity, avg_hr=None, max_hr=None, stream_summary=None, **changes)
        for key, activity in coordinator.store.activities.items()
    }
    await coordinator.async_recompute()


LOAD_SENSORS = (
    "fitness",
    "fatigue",
    "form",
    "acute_chronic_workload_ratio",
    "training_load_last_7_days",
)


async def test_load_without_heart_rate_is_estimated_from_pace(
    hass: HomeAssistant, loaded_demo: MockConfigEntry
) -> None:
    """Without heart rate the load comes from pace: real numbers, marked as estimated."""
    measured = {key: _value(hass, f"{PREFIX}_{key}") for key in LOAD_SENSORS}
    for key in LOAD_SENSORS:
        state = hass.states.get(f"{PREFIX}_{key}")
        assert state is not None
        assert state.attributes["estimated"] is False, key
    await _strip_heart_rate(loaded_demo)
    await hass.async_block_till_done()
    for key in ("fitness", "fatigue", "training_load_last_7_days"):
        state = hass.states.get(f"{PREFIX}_{key}")
        assert state is not None
        assert state.attributes["estimated"] is True, key
        assert float(state.state) > 0, key
        assert float(state.state) != measured[key], key


async def test_load_without_heart_rate_or_pace_is_unknown(
    hass: HomeAssistant, loaded_demo: MockConfigEntry
) -> None:
    """No heart rate and no run long enough for a VDOT: the load sensors are unknown, not 0."""
    await _strip_heart_rate(loaded_demo, distance_m=2000.0)
    await hass.async_block_till_done()
    for key in (*LOAD_SENSORS, "training_load_today"):
        state = hass.states.get(f"{PREFIX}_{key}")
        assert state is not None, key
        assert state.state == STATE_UNKNOWN, key
        assert state.attributes["estimated"] is False, key
    # Volume does not need heart rate.
    assert _value(hass, f"{PREFIX}_distance_this_week") > 0


def test_every_icon_exists_in_the_frontend() -> None:
    """Each mdi icon of icons.json is one the frontend of this Home Assistant release can draw."""
    frontend = Path(hass_frontend.__file__).parent / "static" / "mdi" / "iconList.json"
    known = {f"mdi:{icon['name']}" for icon in json.loads(frontend.read_text(encoding="utf-8"))}
    text = (INTEGRATION / "icons.json").read_text(encoding="utf-8")
    used = set(re.findall(r"mdi:[a-z0-9-]+", text))
    assert len(used) > 30
    assert used - known == set()


async def test_what_the_coach_says(hass: HomeAssistant, loaded_demo: MockConfigEntry) -> None:
    """Today's briefing, the latest run's analysis and the risk flags are there before anyone asks."""
    coach = loaded_demo.runtime_data.coach
    snapshot = loaded_demo.runtime_data.coordinator.data.snapshot
    briefing = hass.states.get(f"{PREFIX}_briefing")
    assert briefing is not None
    assert briefing.state == "offline"
    assert briefing.attributes["text"] == coach.todays_briefing(snapshot).text
    assert [day["date"] for day in briefing.attributes["plan"]] == [
        (snapshot.today + timedelta(days=offset)).isoformat() for offset in range(7)
    ]
    analysis = hass.states.get(f"{PREFIX}_latest_run_analysis")
    assert analysis is not None
    assert analysis.state == "offline"
    assert snapshot.latest_run is not None
    assert analysis.attributes["activity_id"] == snapshot.latest_run.id
    assert analysis.attributes["name"] == snapshot.latest_run.name
    assert analysis.attributes["summary"] in analysis.attributes["text"]
    risks = hass.states.get(f"{PREFIX}_risk_flags")
    assert risks is not None
    assert int(risks.state) == len(risks.attributes["flags"]) == len(risks.attributes["messages"])


async def test_risk_flags_are_said(hass: HomeAssistant, loaded_demo: MockConfigEntry) -> None:
    """A week of heavy running raises the load spike flag, said in the coach's words."""
    coordinator = loaded_demo.runtime_data.coordinator
    latest = max(coordinator.store.activities.values(), key=lambda a: a.start)
    spike = [
        replace(
            latest,
            id=latest.id + day,
            start=latest.start - timedelta(days=day, hours=1),
            moving_s=3 * 3600,
            elapsed_s=3 * 3600,
            avg_hr=170,
            stream_summary=None,
        )
        for day in range(6)
    ]
    await coordinator.async_apply_changes(spike, announce=False)
    await hass.async_block_till_done()
    risks = hass.states.get(f"{PREFIX}_risk_flags")
    assert risks is not None
    assert "acwr_high" in risks.attributes["flags"]
    assert int(risks.state) == len(risks.attributes["messages"]) >= 1
    assert any("1." in message for message in risks.attributes["messages"])


async def test_old_duration_units_are_forgotten(
    hass: HomeAssistant,
    demo_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    frozen_now: FrozenDateTimeFactory,
) -> None:
    """Durations an older version suggested in hours show in whole seconds; a user's own unit stays."""
    demo_entry.add_to_hass(hass)
    moving = entity_registry.async_get_or_create(
        "sensor",
        DOMAIN,
        "demo_moving_time_this_week",
        config_entry=demo_entry,
        suggested_object_id="demo_runner_moving_time_this_week",
    )
    entity_registry.async_update_entity_options(
        moving.entity_id, "sensor.private", {"suggested_unit_of_measurement": "h"}
    )
    predicted = entity_registry.async_get_or_create(
        "sensor",
        DOMAIN,
        "demo_predicted_race_time",
        config_entry=demo_entry,
        suggested_object_id="demo_runner_predicted_race_time",
    )
    entity_registry.async_update_entity_options(
        predicted.entity_id, "sensor.private", {"suggested_unit_of_measurement": "min"}
    )
    entity_registry.async_update_entity_options(
        predicted.entity_id, "sensor", {"unit_of_measurement": "min"}
    )
    await setup_entry(hass, demo_entry)

    state = hass.states.get(moving.entity_id)
    assert state is not None
    assert state.attributes[ATTR_UNIT_OF_MEASUREMENT] == "s"
    assert state.state.isdigit()
    assert ":" in state.attributes["formatted"]
    chosen = hass.states.get(predicted.entity_id)
    assert chosen is not None
    assert chosen.attributes[ATTR_UNIT_OF_MEASUREMENT] == "min"
