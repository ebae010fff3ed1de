"""Shared fixtures: config entries for each kind of source, and Strava and Gemini fakes on loopback."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.application_credentials import (
    ClientCredential,
    async_import_client_credential,
)
from homeassistant.const import CONF_WEBHOOK_ID, MAJOR_VERSION, MINOR_VERSION, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er, issue_registry as ir
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, snapshot_platform
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from syrupy.assertion import SnapshotAssertion

# Import the repository's package first, so Home Assistant's loader finds coach_dyno here and not
# in the test harness's own empty custom_components folder, whichever test file runs alone.
import custom_components  # noqa: F401
from custom_components.coach_dyno.const import DOMAIN
from custom_components.coach_dyno.coordinator import CoachCoordinator
from tests.fakes.gemini import FakeGemini, fake_gemini  # noqa: F401
from tests.fakes.strava import CLIENT_ID, CLIENT_SECRET, FakeStrava, fake_strava  # noqa: F401
from tests.fakes.telegram import fake_telegram  # noqa: F401

# The oldest Home Assistant release Coach Dyno supports (hacs.json), the first the suite runs on.
OLDEST_RELEASE = (2025, 4)
ENTRY_ID = "01JCOACHDYNO0000000000000"
# Where the entry's history is stored (hass_storage's key).
STORAGE_KEY = f"{DOMAIN}.{ENTRY_ID}"
VERIFY_TOKEN = "verify-token-4f7c2b"
WEBHOOK_ID = "webhook-id-3b9d"
GEMINI_KEY = "gemini-key-AIzaFake123"
METERS_PER_MILE = 1609.344
# The time every entity snapshot is taken at (a Friday morning, local time Europe/Amsterdam).
FROZEN_NOW = datetime(2026, 11, 20, 7, 30, tzinfo=UTC)

PROFILE_OPTIONS: dict[str, Any] = {
    "hr_rest": 52,
    "hr_max": 188,
    "sex": "male",
    "race_name": "Autumn Half",
    "race_date": "2027-01-31",
    "race_distance_km": 21.0975,
    "goal_time": 105 * 60,
    "persona": "supportive",
    "language": "en",
    "units": "metric",
}
# The same athlete without a goal race.
NO_RACE_OPTIONS: dict[str, Any] = {
    key: value
    for key, value in PROFILE_OPTIONS.items()
    if key not in ("race_name", "race_date", "race_distance_km", "goal_time")
}


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load custom_components/coach_dyno in every test."""


def deprecation_about_us(text: str) -> bool:
    """Whether a log line or repair issue is Home Assistant reporting Coach Dyno for a deprecation."""
    lowered = text.lower()
    return DOMAIN in lowered and any(
        word in lowered for word in ("deprecat", "will stop working", "no longer supported")
    )


@pytest.fixture(autouse=True)
def no_deprecations_from_coach_dyno(
    request: pytest.FixtureRequest, caplog: pytest.LogCaptureFixture
) -> Generator[None]:
    """
    Fail any test in which Home Assistant reports Coach Dyno for a deprecated usage.

    Python's own deprecation warnings raised from our modules are errors (pyproject.toml); Home
    Assistant reports its deprecations as log lines ("... custom integration 'coach_dyno' ... will
    stop working") and as repair issues, which this checks after every test.
    """
    yield
    lines = [
        r.getMessage() for r in caplog.get_records("call") if deprecation_about_us(r.getMessage())
    ]
    assert not lines, lines
    if "hass" in request.fixturenames:
        hass: HomeAssistant = request.getfixturevalue("hass")
        issues = [
            f"{domain}.{issue_id}: {issue.translation_key} {issue.translation_placeholders}"
            for (domain, issue_id), issue in ir.async_get(hass).issues.items()
            if "deprecat" in f"{issue_id} {issue.translation_key}".lower()
        ]
        assert not issues, issues


@pytest.fixture
async def strava(fake_strava: FakeStrava) -> AsyncGenerator[FakeStrava]:  # noqa: F811
    """Point the integration's Strava API and OAuth token endpoint at the fake."""
    with (
        patch("custom_components.coach_dyno.sources.strava.STRAVA_API_BASE", fake_strava.api_base),
        patch(
            "custom_components.coach_dyno.application_credentials.STRAVA_TOKEN_URL",
            fake_strava.token_url,
        ),
    ):
        yield fake_strava


@pytest.fixture
async def gemini(fake_gemini: FakeGemini) -> AsyncGenerator[FakeGemini]:  # noqa: F811
    """Point the coach's Gemini client at the fake."""
    with patch("custom_components.coach_dyno.coach.gemini.GEMINI_BASE_URL", fake_gemini.base_url):
        yield fake_gemini


@pytest.fixture
async def credentials(hass: HomeAssistant) -> None:
    """Store the user's Strava API application as application credentials."""
    assert await async_setup_component(hass, "application_credentials", {})
    await async_import_client_credential(
        hass, DOMAIN, ClientCredential(CLIENT_ID, CLIENT_SECRET, "Strava")
    )


@pytest.fixture
def strava_entry(strava: FakeStrava) -> MockConfigEntry:
    """Return a Strava entry whose tokens the fake accepts."""
    return MockConfigEntry(
        domain=DOMAIN,
        entry_id=ENTRY_ID,
        title="Dyno Runner",
        unique_id=str(strava.athlete["id"]),
        data={
            "auth_implementation": DOMAIN,
            "token": {
                "access_token": strava.access_token,
                "refresh_token": strava.refresh_token,
                "token_type": "Bearer",
                "expires_in": 6 * 3600,
                "expires_at": (datetime.now(UTC) + timedelta(hours=5)).timestamp(),
            },
            "source": "strava",
            "athlete_id": strava.athlete["id"],
            CONF_WEBHOOK_ID: WEBHOOK_ID,
            "verify_token": VERIFY_TOKEN,
        },
        options=PROFILE_OPTIONS,
    )


def demo_config_entry(
    data: dict[str, Any] | None = None, options: dict[str, Any] = PROFILE_OPTIONS
) -> MockConfigEntry:
    """Return an entry of the bundled demo runner, with more `data` (a key) or other options."""
    return MockConfigEntry(
        domain=DOMAIN,
        entry_id=ENTRY_ID,
        title="Demo runner",
        unique_id="demo",
        data={"source": "demo", **(data or {})},
        options=options,
    )


@pytest.fixture
def demo_entry() -> MockConfigEntry:
    """Return the bundled demo runner's entry, with no keys."""
    return demo_config_entry()


@pytest.fixture
def no_push() -> Generator[None]:
    """Keep Strava push out of tests about something else (no external URL: polling only)."""
    with patch("custom_components.coach_dyno.sources.push.PushHub._async_subscribe"):
        yield


@pytest.fixture
def prepared(frozen_now: FrozenDateTimeFactory, credentials: None, no_push: None) -> None:
    """Freeze time, store the application credentials and keep push out."""


@pytest.fixture
def config_dir(hass: HomeAssistant, tmp_path: Path) -> Path:
    """Give Home Assistant a configuration folder of its own, for exports to live in."""
    hass.config.config_dir = str(tmp_path)
    return tmp_path


async def setup_entry(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Add an entry and set it up, waiting for everything it started."""
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


class RegistrySnapshotExtension(HomeAssistantSnapshotExtension):
    """
    Entity registry snapshots, kept per Home Assistant release where core's entries differ.

    The oldest release we test reads snapshots/; a newer one reads snapshots/ha-<major>.<minor>/,
    since core adds fields to registry entries (2026.2: object_id_base). States stay shared.
    """

    @classmethod
    def dirname(cls, *, test_location: Any) -> str:
        """Return the snapshot folder of the running release."""
        base = Path(super().dirname(test_location=test_location))
        if (MAJOR_VERSION, MINOR_VERSION) <= OLDEST_RELEASE:
            return str(base)
        return str(base / f"ha-{MAJOR_VERSION}.{MINOR_VERSION}")


async def snapshot_one_platform(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    platform: Platform,
) -> None:
    """Set the entry up with only `platform` loaded, and compare its entities with the snapshot."""
    with patch("custom_components.coach_dyno.PLATFORMS", [platform]):
        await setup_entry(hass, entry)
        await snapshot_platform(
            hass, entity_registry, snapshot.use_extension(RegistrySnapshotExtension), entry.entry_id
        )


def coordinator_of(entry: MockConfigEntry) -> CoachCoordinator:
    """Return the entry's coordinator."""
    coordinator: CoachCoordinator = entry.runtime_data.coordinator
    return coordinator


async def call_action(hass: HomeAssistant, action: str, data: dict[str, Any]) -> dict[str, Any]:
    """Call one of the integration's actions that answer, and return the answer."""
    response = await hass.services.async_call(
        DOMAIN, action, data, blocking=True, return_response=True
    )
    assert response is not None
    return dict(response)


def stored_activity(item: dict[str, Any]) -> dict[str, Any]:
    """Return one of the fake Strava's activities as a history file (version 1) holds it."""
    return {
        "id": item["id"],
        "start": item["start_date"].replace("Z", "+00:00"),
        "sport_type": item["sport_type"],
        "name": item["name"],
        "distance_m": item["distance"],
        "moving_s": item["moving_time"],
        "elapsed_s": item["elapsed_time"],
        "avg_hr": item.get("average_heartrate"),
    }


@pytest.fixture
async def frozen_now(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> FrozenDateTimeFactory:
    """Stop the clock at FROZEN_NOW in Europe/Amsterdam, the moment every snapshot is taken at."""
    await hass.config.async_set_time_zone("Europe/Amsterdam")
    freezer.move_to(FROZEN_NOW)
    return freezer


@pytest.fixture
async def loaded_demo(
    hass: HomeAssistant, demo_entry: MockConfigEntry, frozen_now: FrozenDateTimeFactory
) -> MockConfigEntry:
    """Set up the demo runner at FROZEN_NOW."""
    await setup_entry(hass, demo_entry)
    return demo_entry


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Snapshot with Home Assistant's extension: stable registry ids, readable states, snapshots/."""
    return snapshot.use_extension(HomeAssistantSnapshotExtension)
