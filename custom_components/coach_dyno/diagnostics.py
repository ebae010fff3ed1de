"""Diagnostics: health and numbers, with every secret and personal identifier redacted."""

from __future__ import annotations

from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_API_KEY, CONF_TOKEN, CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant
from homeassistant.helpers.device_registry import DeviceEntry

from .const import (
    CONF_ATHLETE_ID,
    CONF_CLOUDHOOK_URL,
    CONF_EXPORT_PATH,
    CONF_INTERVALS_API_KEY,
    CONF_PERSON,
    CONF_RACE_NAME,
    CONF_SUBSCRIPTION_ID,
    CONF_VERIFY_TOKEN,
)
from .coordinator import CoachDynoConfigEntry, snapshot_status

TO_REDACT = {
    CONF_API_KEY,
    CONF_INTERVALS_API_KEY,
    CONF_TOKEN,
    CONF_WEBHOOK_ID,
    CONF_CLOUDHOOK_URL,
    CONF_VERIFY_TOKEN,
    CONF_ATHLETE_ID,
    CONF_SUBSCRIPTION_ID,
    CONF_EXPORT_PATH,
    CONF_PERSON,
    CONF_RACE_NAME,
    # A person entity is named after the runner.
    CONF_PERSON,
    "title",
    "unique_id",
    "name",
    "webhook_url",
    # A Strava activity id leads to the athlete's public profile.
    "activity_id",
}
DIGITS = 3


def _rounded(value: Any) -> Any:
    """Round floats to what a reader needs (and what stays equal across machines)."""
    if isinstance(value, float):
        return round(value, DIGITS)
    if isinstance(value, dict):
        return {key: _rounded(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_rounded(item) for item in value]
    return value


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: CoachDynoConfigEntry
) -> dict[str, Any]:
    """Return what helps a bug report: how syncing goes and what the engine computed."""
    runtime = entry.runtime_data
    coordinator = runtime.coordinator
    data = coordinator.data
    push = runtime.push
    diagnostics = {
        "entry": {
            "data": dict(entry.data),
            "options": dict(entry.options),
            "title": entry.title,
            "unique_id": entry.unique_id,
        },
        "health": {
            "activities_stored": len(coordinator.store.activities),
            "wellness_days_stored": len(coordinator.wellness.days),
            "last_sync": data.last_sync.isoformat() if data.last_sync else None,
            "sync_error": data.sync_error,
            "last_update_success": coordinator.last_update_success,
            "polling_interval_s": (
                coordinator.update_interval.total_seconds() if coordinator.update_interval else None
            ),
            "push_enabled": push is not None,
            "push_connected": bool(push and push.connected),
            "webhook_url_valid": bool(push and push.webhook_url),
            "rate_limits": coordinator.client.governor.as_dict() if coordinator.client else None,
            "coach": runtime.coach.diagnostics(),
        },
        **(
            {"intervals": {"strava_placeholders_skipped": coordinator.strava_placeholders}}
            if coordinator.intervals is not None
            else {}
        ),
        # Runs by name and the per-day series say nothing a bug report needs.
        "snapshot": _rounded(snapshot_status(data.snapshot)),
    }
    return async_redact_data(diagnostics, TO_REDACT)


async def async_get_device_diagnostics(
    hass: HomeAssistant, entry: CoachDynoConfigEntry, device: DeviceEntry
) -> dict[str, Any]:
    """Return the same as the entry: one device per athlete."""
    return await async_get_config_entry_diagnostics(hass, entry)
