"""Setting entries up and down: first start, retries, tokens, secrets in logs, reload, options."""

from __future__ import annotations

from datetime import timedelta
import logging
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import config_entry_oauth2_flow, entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.coach_dyno.const import DOMAIN
from tests.conftest import (
    ENTRY_ID,
    FROZEN_NOW,
    GEMINI_KEY,
    PROFILE_OPTIONS,
    STORAGE_KEY,
    VERIFY_TOKEN,
    coordinator_of,
    setup_entry,
    stored_activity,
)
from tests.fakes.strava import API_PREFIX, CLIENT_SECRET, FakeStrava, Fault

ACTIVITIES = f"{API_PREFIX}/athlete/activities"


def state_of(entry: MockConfigEntry) -> ConfigEntryState:
    """Return the entry's state (read afresh, for the type checker's sake too)."""
    state: ConfigEntryState = entry.state
    return state


def sensor_state(hass: HomeAssistant, entry: MockConfigEntry, key: str) -> str:
    """Return the state of one of the entry's sensors."""
    entity_id = er.async_get(hass).async_get_entity_id("sensor", DOMAIN, f"{entry.unique_id}_{key}")
    assert entity_id is not None
    state = hass.states.get(entity_id)
    assert state is not None
    return state.state


def stored_history(strava: FakeStrava, count: int) -> dict[str, Any]:
    """Return a history file as a finished backfill of the fake's first `count` activities left it."""
    activities = [stored_activity(item) for item in list(strava.activities.values())[:count]]
    return {
        "version": 1,
        "minor_version": 2,
        "key": STORAGE_KEY,
        "data": {"activities": activities, "harvest": {}, "governor": {}},
    }


@pytest.mark.usefixtures("credentials", "no_push")
async def test_setup_and_unload_leave_nothing_behind(
    hass: HomeAssistant,
    frozen_now: FrozenDateTimeFactory,
    strava: FakeStrava,
    strava_entry: MockConfigEntry,
) -> None:
    """A loaded entry shows its history; unloaded, it stops polling and its entities go away."""
    strava.generate(40)
    # One full cycle first: setting up loads Home Assistant components that stay loaded.
    await setup_entry(hass, strava_entry)
    assert await hass.config_entries.async_unload(strava_entry.entry_id)
    await hass.async_block_till_done()
    listeners_before = hass.bus.async_listeners()

    assert await hass.config_entries.async_setup(strava_entry.entry_id)
    await hass.async_block_till_done()

    assert state_of(strava_entry) is ConfigEntryState.LOADED
    assert float(sensor_state(hass, strava_entry, "distance_this_year")) > 0

    assert await hass.config_entries.async_unload(strava_entry.entry_id)
    await hass.async_block_till_done()

    assert state_of(strava_entry) is ConfigEntryState.NOT_LOADED
    assert sensor_state(hass, strava_entry, "distance_this_year") == "unavailable"
    assert hass.bus.async_listeners() == listeners_before
    # No timer of the entry survives: hours later nothing has asked Strava anything.
    strava.requests.clear()
    frozen_now.tick(timedelta(hours=7))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert strava.count() == 0


# Home Assistant 2026.2 raises this when a provider of application credentials (the cloud) is down.
UNAVAILABLE = getattr(
    config_entry_oauth2_flow, "ImplementationUnavailableError", HomeAssistantError
)


@pytest.mark.usefixtures("credentials", "no_push")
async def test_unavailable_oauth_implementation_retries_setup(
    hass: HomeAssistant, strava: FakeStrava, strava_entry: MockConfigEntry
) -> None:
    """Credentials that cannot be reached for now retry setup, saying why; no sign-in is asked."""
    strava.generate(5)
    strava_entry.add_to_hass(hass)
    with patch(
        "custom_components.coach_dyno.async_get_config_entry_implementation",
        side_effect=UNAVAILABLE("the cloud is unreachable"),
    ):
        await hass.config_entries.async_setup(strava_entry.entry_id)
        await hass.async_block_till_done()

    assert state_of(strava_entry) is ConfigEntryState.SETUP_RETRY
    assert strava_entry.reason is not None
    assert strava_entry.reason.startswith("The Strava application credentials are not available")
    assert not list(strava_entry.async_get_active_flows(hass, {SOURCE_REAUTH}))
    assert strava.requests == []


@pytest.mark.usefixtures("frozen_now", "credentials", "no_push")
async def test_reload_keeps_history_without_refetching_it(
    hass: HomeAssistant, strava: FakeStrava, strava_entry: MockConfigEntry
) -> None:
    """A reload starts from the stored history: one incremental call, no backfill."""
    strava.generate(250)
    await setup_entry(hass, strava_entry)
    strava.requests.clear()

    assert await hass.config_entries.async_reload(strava_entry.entry_id)
    await hass.async_block_till_done()

    assert state_of(strava_entry) is ConfigEntryState.LOADED
    assert [("after" in r.query) for r in strava.activity_requests()] == [True]
    assert len(coordinator_of(strava_entry).store.activities) == 250


@pytest.mark.usefixtures("frozen_now", "credentials", "no_push")
@pytest.mark.parametrize(
    "fault",
    [(Fault.SERVER_ERROR, {"status": 503}), (Fault.DELAY, {"delay": 0})],
    ids=["503", "connection_refused"],
)
async def test_first_setup_with_strava_down_retries(
    hass: HomeAssistant,
    strava: FakeStrava,
    strava_entry: MockConfigEntry,
    fault: tuple[Fault, dict[str, Any]],
) -> None:
    """With nothing stored and Strava unreachable there is nothing to show: setup is retried."""
    strava.generate(10)
    kind, kwargs = fault
    if kind is Fault.DELAY:
        # Nothing listens there any more.
        await strava.close()
    else:
        strava.inject(kind, path=ACTIVITIES, **kwargs)

    strava_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(strava_entry.entry_id)
    await hass.async_block_till_done()

    assert state_of(strava_entry) is ConfigEntryState.SETUP_RETRY
    assert strava_entry.reason is not None
    assert strava_entry.reason.startswith("Strava could not be reached to load the history")


@pytest.mark.usefixtures("frozen_now", "credentials", "no_push")
async def test_setup_with_strava_down_shows_stored_history(
    hass: HomeAssistant,
    strava: FakeStrava,
    strava_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    """A stored history is shown at once even when Strava is down."""
    strava.generate(20)
    hass_storage[STORAGE_KEY] = stored_history(strava, 20)
    strava.inject(Fault.SERVER_ERROR, path=ACTIVITIES, times=5)

    await setup_entry(hass, strava_entry)

    assert state_of(strava_entry) is ConfigEntryState.LOADED
    assert len(coordinator_of(strava_entry).store.activities) == 20
    assert coordinator_of(strava_entry).data.sync_error == "unavailable"
    assert float(sensor_state(hass, strava_entry, "distance_this_year")) > 0


@pytest.mark.usefixtures("frozen_now", "credentials", "no_push")
async def test_first_setup_refused_starts_reauth(
    hass: HomeAssistant, strava: FakeStrava, strava_entry: MockConfigEntry
) -> None:
    """A revoked authorization at the very first start asks the user to sign in again."""
    strava.revoke()

    strava_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(strava_entry.entry_id)
    await hass.async_block_till_done()

    assert state_of(strava_entry) is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress()
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]
    assert flows[0]["context"]["entry_id"] == strava_entry.entry_id


@pytest.mark.usefixtures("frozen_now", "credentials", "no_push")
async def test_rotated_refresh_token_is_persisted(
    hass: HomeAssistant, strava: FakeStrava, strava_entry: MockConfigEntry
) -> None:
    """An expired access token is refreshed, and the rotated refresh token kept in the entry."""
    strava.generate(5)
    old_refresh = strava.refresh_token
    strava.expire_access_token()
    strava_entry.add_to_hass(hass)
    token = {**strava_entry.data["token"], "expires_at": FROZEN_NOW.timestamp() - 10}
    hass.config_entries.async_update_entry(strava_entry, data={**strava_entry.data, "token": token})

    assert await hass.config_entries.async_setup(strava_entry.entry_id)
    await hass.async_block_till_done()

    assert state_of(strava_entry) is ConfigEntryState.LOADED
    assert strava.refresh_token != old_refresh
    assert strava_entry.data["token"]["refresh_token"] == strava.refresh_token
    assert strava_entry.data["token"]["access_token"] == strava.access_token
    assert len(coordinator_of(strava_entry).store.activities) == 5


@pytest.mark.usefixtures("frozen_now", "credentials")
async def test_no_secret_reaches_the_log(
    hass: HomeAssistant,
    strava: FakeStrava,
    strava_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Setup, a token refresh, a push attempt, a refresh and a fault log no secret at any level."""
    caplog.set_level(logging.DEBUG)
    await hass.config.async_update(external_url="https://coach.example.com")
    strava.generate(30)
    first_access, first_refresh = strava.access_token, strava.refresh_token
    strava_entry.add_to_hass(hass)
    token = {**strava_entry.data["token"], "expires_at": FROZEN_NOW.timestamp() - 10}
    hass.config_entries.async_update_entry(
        strava_entry, data={**strava_entry.data, "token": token, "api_key": GEMINI_KEY}
    )

    assert await hass.config_entries.async_setup(strava_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    coordinator = coordinator_of(strava_entry)
    await coordinator.async_refresh()
    strava.inject(Fault.UNAUTHORIZED, path=ACTIVITIES)
    await coordinator.async_refresh()
    await hass.async_block_till_done()

    # The run logged what happened (a fault, a push attempt), so silence is not what passes.
    assert "Strava sync failed" in caplog.text
    assert "push" in caplog.text
    secrets = {
        CLIENT_SECRET,
        first_access,
        first_refresh,
        strava.access_token,
        strava.refresh_token,
        VERIFY_TOKEN,
        GEMINI_KEY,
    }
    for record in caplog.records:
        if record.name.startswith("pytest_homeassistant_custom_component"):
            # The test harness itself dumps every storage write (config entries included).
            continue
        text = record.getMessage() + (record.exc_text or "")
        leaked = [secret for secret in secrets if secret in text]
        assert not leaked, f"{record.name}: {text}"


@pytest.mark.usefixtures("frozen_now", "credentials", "no_push")
async def test_options_apply_at_once(
    hass: HomeAssistant, strava: FakeStrava, strava_entry: MockConfigEntry
) -> None:
    """New options reach the sensors and the coach without a reload or a Strava call."""
    strava.generate(30)
    await setup_entry(hass, strava_entry)
    strava.requests.clear()
    assert sensor_state(hass, strava_entry, "days_to_race") == "72"

    hass.config_entries.async_update_entry(
        strava_entry,
        options={**strava_entry.options, "race_date": "2026-12-20", "persona": "direct"},
    )
    await hass.async_block_till_done()

    assert sensor_state(hass, strava_entry, "days_to_race") == "30"
    assert strava_entry.runtime_data.coach.settings.persona == "direct"
    assert strava.count() == 0


@pytest.mark.usefixtures("frozen_now")
async def test_demo_entry_keeps_its_history_current(
    hass: HomeAssistant,
    demo_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    """The demo runner's history is read once and moved on whole weeks as time passes."""
    await setup_entry(hass, demo_entry)
    assert state_of(demo_entry) is ConfigEntryState.LOADED
    first = coordinator_of(demo_entry).store.activities
    newest = max(activity.start for activity in first.values())
    assert len(hass_storage[STORAGE_KEY]["data"]["activities"]) == len(first)

    assert await hass.config_entries.async_unload(demo_entry.entry_id)
    freezer.tick(timedelta(weeks=3))
    assert await hass.config_entries.async_setup(demo_entry.entry_id)
    await hass.async_block_till_done()

    moved = coordinator_of(demo_entry).store.activities
    assert set(moved) == set(first)
    moved_newest = max(activity.start for activity in moved.values())
    # Moved by whole weeks (weekdays kept) so that it ends in the week before today.
    shift = moved_newest - newest
    assert shift > timedelta(0)
    assert shift % timedelta(weeks=1) == timedelta(0)
    today = dt_util.now().date()
    assert 0 <= (today - moved_newest.astimezone(dt_util.get_default_time_zone()).date()).days < 7


@pytest.mark.usefixtures("frozen_now")
async def test_export_entry_starts_from_its_stored_history(
    hass: HomeAssistant, strava: FakeStrava, hass_storage: dict[str, Any]
) -> None:
    """An imported history is read from the store at every start, never from the files again."""
    strava.generate(15)
    hass_storage[STORAGE_KEY] = stored_history(strava, 15)
    entry = MockConfigEntry(
        domain=DOMAIN,
        entry_id=ENTRY_ID,
        title="Imported runner",
        unique_id="export",
        data={"source": "export", "path": "strava_export_that_is_gone.zip"},
        options=PROFILE_OPTIONS,
    )

    await setup_entry(hass, entry)

    assert state_of(entry) is ConfigEntryState.LOADED
    assert len(coordinator_of(entry).store.activities) == 15
    assert strava.count() == 0


@pytest.mark.usefixtures("frozen_now")
async def test_remove_demo_entry_deletes_its_files(
    hass: HomeAssistant, demo_entry: MockConfigEntry, hass_storage: dict[str, Any]
) -> None:
    """Removing an entry without Strava deletes its history and asks Strava nothing."""
    await setup_entry(hass, demo_entry)
    assert STORAGE_KEY in hass_storage
    before = dict(coordinator_of(demo_entry).store.activities)

    assert await hass.config_entries.async_reload(demo_entry.entry_id)
    await hass.async_block_till_done()
    # Restarted the same week: the history stays where it was.
    assert coordinator_of(demo_entry).store.activities == before

    assert await hass.config_entries.async_remove(demo_entry.entry_id)
    await hass.async_block_till_done()

    assert STORAGE_KEY not in hass_storage


@pytest.mark.usefixtures("no_push")
async def test_day_totals_roll_over_at_local_midnight(
    hass: HomeAssistant, demo_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """At local midnight today's load and this week's distance start again, without a poll."""
    await hass.config.async_set_time_zone("Europe/Amsterdam")
    # Sunday evening, local time: the week's runs are all counted.
    freezer.move_to("2026-11-22 22:30:00+00:00")
    await setup_entry(hass, demo_entry)
    assert float(sensor_state(hass, demo_entry, "distance_this_week")) > 0

    # Monday 00:00:30 local: a new ISO week, well before the next hourly poll.
    freezer.move_to("2026-11-22 23:00:30+00:00")
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)

    assert float(sensor_state(hass, demo_entry, "distance_this_week")) == 0
    assert coordinator_of(demo_entry).data.snapshot.today.isoformat() == "2026-11-23"
