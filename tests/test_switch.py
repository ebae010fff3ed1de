"""Tests for the briefings switch: a preference that survives restarts."""

from __future__ import annotations

from homeassistant.const import (
    ATTR_ENTITY_ID,
    SERVICE_TURN_OFF,
    SERVICE_TURN_ON,
    STATE_OFF,
    STATE_ON,
    Platform,
)
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, mock_restore_cache
from syrupy.assertion import SnapshotAssertion

from tests.conftest import setup_entry, snapshot_one_platform

SWITCH = "switch.demo_runner_briefings_enabled"


@pytest.mark.usefixtures("frozen_now")
async def test_snapshot(
    hass: HomeAssistant,
    demo_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """A new athlete's briefings are on; the switch is a configuration entity."""
    await snapshot_one_platform(hass, demo_entry, entity_registry, snapshot, Platform.SWITCH)


async def _turn(hass: HomeAssistant, service: str) -> None:
    await hass.services.async_call(
        Platform.SWITCH, service, {ATTR_ENTITY_ID: SWITCH}, blocking=True
    )


def _state(hass: HomeAssistant) -> str:
    state = hass.states.get(SWITCH)
    assert state is not None
    return state.state


async def test_turn_off_and_on(hass: HomeAssistant, loaded_demo: MockConfigEntry) -> None:
    """The switch follows the user's choice."""
    assert _state(hass) == STATE_ON
    await _turn(hass, SERVICE_TURN_OFF)
    assert _state(hass) == STATE_OFF
    await _turn(hass, SERVICE_TURN_ON)
    assert _state(hass) == STATE_ON


@pytest.mark.parametrize("last_state", [STATE_OFF, STATE_ON])
@pytest.mark.usefixtures("frozen_now")
async def test_restored_after_restart(
    hass: HomeAssistant, demo_entry: MockConfigEntry, last_state: str
) -> None:
    """After a restart the switch is what it was before, not the default."""
    mock_restore_cache(hass, [State(SWITCH, last_state)])
    await setup_entry(hass, demo_entry)
    assert _state(hass) == last_state


async def test_kept_across_reload(hass: HomeAssistant, loaded_demo: MockConfigEntry) -> None:
    """Reloading the entry (as an options change does) keeps a paused coach paused."""
    await _turn(hass, SERVICE_TURN_OFF)
    assert await hass.config_entries.async_reload(loaded_demo.entry_id)
    await hass.async_block_till_done()
    assert _state(hass) == STATE_OFF


async def test_available_while_sync_fails(
    hass: HomeAssistant, loaded_demo: MockConfigEntry
) -> None:
    """A preference stays available when the coordinator's data does not."""
    coordinator = loaded_demo.runtime_data.coordinator
    coordinator.last_update_success = False
    coordinator.async_update_listeners()
    await hass.async_block_till_done()
    assert _state(hass) == STATE_ON
    sensor = hass.states.get("sensor.demo_runner_distance_this_week")
    assert sensor is not None
    assert sensor.state == "unavailable"
