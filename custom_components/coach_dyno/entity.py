"""The base entity: one service device per athlete, data from the coordinator only."""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntry
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import DOMAIN
from .coordinator import CoachCoordinator


def unique_id_of(entry: ConfigEntry, key: str) -> str:
    """Return the unique id of the athlete's entity `key` (the athlete, not the entry, owns it)."""
    return f"{entry.unique_id or entry.entry_id}_{key}"


class CoachDynoEntity(CoordinatorEntity[CoachCoordinator]):
    """An entity of one athlete's coach."""

    _attr_has_entity_name = True

    def __init__(self, coordinator: CoachCoordinator, key: str) -> None:
        """Attach the entity to the athlete's device."""
        super().__init__(coordinator)
        entry = coordinator.config_entry
        athlete = entry.unique_id or entry.entry_id
        self._attr_unique_id = unique_id_of(entry, key)
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, athlete)},
            name=entry.title,
            manufacturer="Coach Dyno",
            model="Running coach",
            entry_type=DeviceEntryType.SERVICE,
        )
