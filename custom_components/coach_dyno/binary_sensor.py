"""Binary sensor: whether the athlete is on track for the goal race."""

from __future__ import annotations

from typing import Any

from homeassistant.components.binary_sensor import BinarySensorEntity
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import CoachCoordinator, CoachDynoConfigEntry
from .entity import CoachDynoEntity

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: CoachDynoConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the on-track sensor."""
    async_add_entities([OnTrackSensor(entry.runtime_data.coordinator)])


class OnTrackSensor(CoachDynoEntity, BinarySensorEntity):
    """On when the predicted race time meets the goal; unknown without a goal or a prediction."""

    _attr_translation_key = "on_track"

    def __init__(self, coordinator: CoachCoordinator) -> None:
        """Create the sensor."""
        super().__init__(coordinator, "on_track")

    @property
    def is_on(self) -> bool | None:
        """Return the verdict."""
        race = self.coordinator.data.snapshot.race
        return None if race is None else race.on_track

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """Say why, as a stable reason code an automation can test."""
        race = self.coordinator.data.snapshot.race
        if race is None:
            return {"reason": "no_goal"}
        return {
            "reason": race.reason,
            "predicted_time_s": None
            if race.predicted_time_s is None
            else round(race.predicted_time_s),
            "goal_time_s": race.goal_time_s,
        }
