"""Switch: pause or resume the coach's scheduled briefings."""

from __future__ import annotations

from typing import Any

from homeassistant.components.switch import SwitchEntity
from homeassistant.const import STATE_OFF, EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.restore_state import RestoreEntity

from .coordinator import CoachCoordinator, CoachDynoConfigEntry
from .entity import CoachDynoEntity

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: CoachDynoConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the briefings switch."""
    async_add_entities([BriefingsSwitch(entry.runtime_data.coordinator)])


class BriefingsSwitch(CoachDynoEntity, SwitchEntity, RestoreEntity):
    """The blueprints send briefings only while this is on; it survives restarts."""

    _attr_translation_key = "briefings_enabled"
    _attr_entity_category = EntityCategory.CONFIG
    _attr_is_on = True

    def __init__(self, coordinator: CoachCoordinator) -> None:
        """Create the switch, on by default."""
        super().__init__(coordinator, "briefings_enabled")

    async def async_added_to_hass(self) -> None:
        """Restore the last choice."""
        await super().async_added_to_hass()
        if (last := await self.async_get_last_state()) is not None:
            self._attr_is_on = last.state != STATE_OFF

    @property
    def available(self) -> bool:
        """A preference is always available, whatever the sync does."""
        return True

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Resume briefings."""
        self._attr_is_on = True
        self.async_write_ha_state()

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Pause briefings."""
        self._attr_is_on = False
        self.async_write_ha_state()
