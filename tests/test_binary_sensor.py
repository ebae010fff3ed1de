"""Tests for the on-track binary sensor: the verdict and the reason an automation can test."""

from __future__ import annotations

from homeassistant.const import STATE_OFF, STATE_ON, STATE_UNKNOWN, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from syrupy.assertion import SnapshotAssertion

from tests.conftest import (
    NO_RACE_OPTIONS,
    PROFILE_OPTIONS,
    demo_config_entry,
    setup_entry,
    snapshot_one_platform,
)

ON_TRACK = "binary_sensor.demo_runner_on_track_for_goal"
PREDICTED = "sensor.demo_runner_predicted_race_time"


@pytest.mark.usefixtures("frozen_now")
async def test_snapshot(
    hass: HomeAssistant,
    demo_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """The demo runner's verdict at FROZEN_NOW."""
    await snapshot_one_platform(hass, demo_entry, entity_registry, snapshot, Platform.BINARY_SENSOR)


async def test_behind_then_ahead(hass: HomeAssistant, loaded_demo: MockConfigEntry) -> None:
    """The verdict compares the prediction with the goal, and follows a new goal at once."""
    state = hass.states.get(ON_TRACK)
    assert state is not None
    predicted_s = state.attributes["predicted_time_s"]
    assert state.attributes["goal_time_s"] == PROFILE_OPTIONS["goal_time"]
    # The same prediction the race-time sensor shows (in minutes there).
    predicted = hass.states.get(PREDICTED)
    assert predicted is not None
    assert int(predicted.state) == predicted_s

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
    await setup_entry(hass, demo_config_entry(options=NO_RACE_OPTIONS))
    state = hass.states.get(ON_TRACK)
    assert state is not None
    assert state.state == STATE_UNKNOWN
    assert state.attributes["reason"] == "no_goal"
    assert "predicted_time_s" not in state.attributes
