"""
Tests for diagnostics: what helps a bug report, and never a secret or a personal identifier.

The frozen clock goes back in time, so the entry is set up before `hass_client` signs its token.
"""

from __future__ import annotations

import json

# Diagnostics reads the system info, which imports the Supervisor client: its models must be built
# before the clock is frozen, or they see the fake datetime class.
import homeassistant.components.hassio  # noqa: F401
from homeassistant.const import CONF_API_KEY
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
    get_diagnostics_for_device,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion

from custom_components.coach_dyno.const import DOMAIN
from custom_components.coach_dyno.diagnostics import _rounded
from tests.conftest import GEMINI_KEY, VERIFY_TOKEN, WEBHOOK_ID
from tests.fakes.strava import CLIENT_SECRET, FakeStrava

CLOUDHOOK_URL = "https://hooks.nabu.casa/cloudhook-secret-77"


async def test_entry_diagnostics(
    hass: HomeAssistant,
    loaded_demo: MockConfigEntry,
    hass_client: ClientSessionGenerator,
    snapshot: SnapshotAssertion,
) -> None:
    """The demo runner's diagnostics: health, coach and the computed numbers."""
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, loaded_demo)
    assert diagnostics == snapshot


async def test_device_diagnostics(
    hass: HomeAssistant,
    loaded_demo: MockConfigEntry,
    hass_client: ClientSessionGenerator,
    device_registry: dr.DeviceRegistry,
) -> None:
    """The athlete's device reports the same as the entry (one device per athlete)."""
    device = device_registry.async_get_device(identifiers={(DOMAIN, "demo")})
    assert device is not None
    by_device = await get_diagnostics_for_device(hass, hass_client, loaded_demo, device)
    assert by_device == await get_diagnostics_for_config_entry(hass, hass_client, loaded_demo)


@pytest.mark.usefixtures("credentials", "no_push")
async def test_no_secret_or_identity_leaks(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    strava: FakeStrava,
    strava_entry: MockConfigEntry,
) -> None:
    """Tokens, keys, webhook and push identifiers, the athlete's id and name never appear."""
    strava.generate(20)
    strava_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        strava_entry,
        data={
            **strava_entry.data,
            CONF_API_KEY: GEMINI_KEY,
            "subscription_id": 987654,
            "cloudhook_url": CLOUDHOOK_URL,
        },
    )
    assert await hass.config_entries.async_setup(strava_entry.entry_id)
    await hass.async_block_till_done()

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, strava_entry)
    text = json.dumps(diagnostics)

    secrets = [
        strava.access_token,
        strava.refresh_token,
        strava_entry.data["token"]["access_token"],
        strava_entry.data["token"]["refresh_token"],
        GEMINI_KEY,
        VERIFY_TOKEN,
        WEBHOOK_ID,
        CLOUDHOOK_URL,
        "987654",
        str(strava.athlete["id"]),
        strava.athlete["firstname"],
        strava.athlete["lastname"],
        strava_entry.title,
        CLIENT_SECRET,
    ]
    leaks = [secret for secret in secrets if secret in text]
    assert leaks == []
    # Still useful: the health of the sync and what was computed.
    assert diagnostics["health"]["activities_stored"] == 20
    assert diagnostics["health"]["sync_error"] is None
    assert diagnostics["health"]["push_enabled"] is True
    assert diagnostics["health"]["rate_limits"]["read"]
    assert diagnostics["health"]["coach"]["gemini_enabled"] is True
    assert diagnostics["snapshot"]["activity_count"] == 20


def test_rounding_reaches_every_number() -> None:
    """Floats are rounded wherever they sit, in lists too; other values are left as they are."""
    raw = {"ctl": 41.23456, "days": [{"tsb": -3.00049}, 2.5, 7], "phase": "build", "race": None}
    assert _rounded(raw) == {
        "ctl": 41.235,
        "days": [{"tsb": -3.0}, 2.5, 7],
        "phase": "build",
        "race": None,
    }
