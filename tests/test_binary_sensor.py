"""Tests for the on-track binary sensor: the verdict and the reason an automation can test."""

from __future__ import annotations

from collections.abc import Generator
from unittest.mock import patch

from homeassistant.const import STATE_OFF, STATE_ON, STATE_UNKNOWN, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, snapshot_platform
from syrupy.assertion import SnapshotAssertion

from tests.conftest import PROFILE_OPTIONS, setup_entry

ON_TRACK = "binary_sensor.demo_runner_on_track_for_goal"
PREDICTED = "sensor.demo_runner_predicted_race_time"


@pytest.fixture
def binary_sensors_only() -> Generator[None]:
    """Load only the binary sensor platform."""
    with patch("custom_components.coach_dyno.PLATFORMS", [Platform.BINARY_SENSOR]):
        yield


@pytest.mark.usefixtures("binary_sensors_only", "frozen_now")
async def test_snapshot(
    hass: HomeAssistant,
    demo_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """The demo runner's verdict at FROZEN_NOW."""
    await setup_entry(hass, demo_entry)
    await snapshot_platform(hass, entity_registry, snapshot, demo_entry.entry_id)


async def test_behind_then_ahead(hass: HomeAssistant, loaded_demo: MockConfigEntry) -> None:
    """The verdict compares the prediction with the goal, and follows a new goal at once."""
    state = hass.states.get(ON_TRACK)
    assert state is not None
    predicted_s = state.attributes["predicted_time_s"]
    assert state.attributes["goal_time_s"] == PROFILE_OPTIONS["goal_time"]
    # The same prediction the race-time sensor shows (in minutes there).
    predicted = hass.states.get(PREDICTED)
    assert predicted is not None
    assert float(predicted.state) == pytest.approx(predicted_s / 60, abs=0.1)

    for goal_time, expected, reason in (
        (round(predicted_s * 0.8), STATE_OFF, "behind"),
        (predicted_s + 120, STATE_ON, "ahead"),
    ):
        hass.config_entries.async_update_entry(
            loaded_demo, options={**PROFILE_OPTIONS, "goal_time": goal_time}
        )
        await hass.async_block_till_done()
        state = hass.states.get(ON_TRACK)
        assert state is not None
        assert state.state == expected
        assert state.attributes["reason"] == reason
        assert state.attributes["goal_time_s"] == goal_time
        assert state.attributes["predicted_time_s"] == predicted_s


async def test_goal_without_time(hass: HomeAssistant, loaded_demo: MockConfigEntry) -> None:
    """A race without a goal time has no verdict, and says why."""
    options = {key: value for key, value in PROFILE_OPTIONS.items() if key != "goal_time"}
    hass.config_entries.async_update_entry(loaded_demo, options=options)
    await hass.async_block_till_done()
    state = hass.states.get(ON_TRACK)
    assert state is not None
    assert state.state == STATE_UNKNOWN
    assert state.attributes["reason"] == "no_goal_time"
    assert state.attributes["goal_time_s"] is None


@pytest.mark.usefixtures("frozen_now")
async def test_no_goal_race(hass: HomeAssistant) -> None:
    """Without a goal race the verdict is unknown with reason no_goal."""
    options = {
        key: value
        for key, value in PROFILE_OPTIONS.items()
        if key not in ("race_name", "race_date", "race_distance_km", "goal_time")
    }
    entry = MockConfigEntry(
        domain="coach_dyno",
        title="Demo runner",
        unique_id="demo",
        data={"source": "demo"},
        options=options,
    )
    await setup_entry(hass, entry)
    state = hass.states.get(ON_TRACK)
    assert state is not None
    assert state.state == STATE_UNKNOWN
    assert state.attributes["reason"] == "no_goal"
    assert "predicted_time_s" not in state.attributes
