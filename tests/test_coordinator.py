"""The coordinator against the fake Strava: backfill, incremental syncs, streams, faults, resume."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
import logging
import math
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import Event, HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er, issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)

from custom_components.coach_dyno.const import DOMAIN, EVENT_ACTIVITY
from custom_components.coach_dyno.coordinator import (
    BACKFILL_RETRY_FIRST,
    POLL_INTERVAL,
    STREAMS_MAX_AGE,
    STREAMS_PER_SYNC,
    CoachCoordinator,
)
from tests.conftest import FROZEN_NOW, STORAGE_KEY, call_action, coordinator_of, setup_entry
from tests.fakes.strava import API_PREFIX, INACTIVE_BODIES, FakeStrava, Fault

ACTIVITIES = f"{API_PREFIX}/athlete/activities"
RUN_TYPES = ("Run", "TrailRun", "VirtualRun")


@pytest.fixture
def events(hass: HomeAssistant) -> list[Event]:
    """Collect coach_dyno_activity events."""
    captured: list[Event] = async_capture_events(hass, EVENT_ACTIVITY)
    return captured


@pytest.fixture
async def loaded(
    hass: HomeAssistant, prepared: None, strava: FakeStrava, strava_entry: MockConfigEntry
) -> MockConfigEntry:
    """Set up a Strava entry over 60 days of history, and clear the request log."""
    strava.generate(60)
    await setup_entry(hass, strava_entry)
    assert strava_entry.state is ConfigEntryState.LOADED
    strava.requests.clear()
    return strava_entry


def sync_error(coordinator: CoachCoordinator) -> str | None:
    """Return why the last sync failed, None when it worked."""
    return coordinator.data.sync_error


def list_calls(strava: FakeStrava) -> list[dict[str, str]]:
    """Return the queries of every list-activities request, in order."""
    return [request.query for request in strava.activity_requests()]


def stream_ids(strava: FakeStrava) -> list[int]:
    """Return the activity ids whose streams were requested, in order."""
    return [
        int(request.path.split("/")[-2])
        for request in strava.requests
        if request.path.endswith("/streams")
    ]


def newest_hr_runs(strava: FakeStrava, count: int) -> list[int]:
    """Return the ids of the newest recorded runs with heart rate, as the fake holds them."""
    cutoff = FROZEN_NOW - STREAMS_MAX_AGE
    runs = sorted(
        (
            activity
            for activity in strava.activities.values()
            if activity["sport_type"] in RUN_TYPES
            and not activity["manual"]
            and activity["has_heartrate"]
            and datetime.fromisoformat(activity["start_date"]) >= cutoff
        ),
        key=lambda activity: activity["start_date"],
        reverse=True,
    )
    return [activity["id"] for activity in runs[:count]]


def entity_states(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, str]:
    """Return the state of every enabled entity of the entry."""
    registry = er.async_get(hass)
    states = {}
    for entity in er.async_entries_for_config_entry(registry, entry.entry_id):
        if entity.disabled:
            continue
        state = hass.states.get(entity.entity_id)
        assert state is not None
        states[entity.entity_id] = state.state
    return states


def latest_run_entity(hass: HomeAssistant, strava: FakeStrava) -> str:
    """Return the entity id of the latest-run distance sensor."""
    entity_id = er.async_get(hass).async_get_entity_id(
        "sensor", DOMAIN, f"{strava.athlete['id']}_latest_run_distance"
    )
    assert entity_id is not None
    return entity_id


async def poll(hass: HomeAssistant, freezer: FrozenDateTimeFactory, after: timedelta) -> None:
    """Let time pass so the coordinator's own schedule fires."""
    freezer.tick(after)
    async_fire_time_changed(hass)
    # Scheduled refreshes run as background tasks.
    await hass.async_block_till_done(wait_background_tasks=True)


async def until(predicate: Callable[[], bool]) -> None:
    """Let the event loop run until `predicate` holds (time is frozen_now, so no sleeping)."""
    for _ in range(10_000):
        if predicate():
            return
        await asyncio.sleep(0)
    raise AssertionError("condition never became true")


def reauth_flows(hass: HomeAssistant, entry: MockConfigEntry) -> list[Any]:
    """Return the reauth flows in progress for the entry."""
    return [
        flow
        for flow in hass.config_entries.flow.async_progress()
        if flow["context"]["source"] == SOURCE_REAUTH
        and flow["context"].get("entry_id") == entry.entry_id
    ]


@pytest.mark.usefixtures("prepared")
@pytest.mark.parametrize("count", [0, 150, 200, 450, 1001])
async def test_backfill_costs_one_call_per_page(
    hass: HomeAssistant,
    strava: FakeStrava,
    strava_entry: MockConfigEntry,
    events: list[Event],
    count: int,
) -> None:
    """The first setup stores the whole history at ceil(N/200) pages plus a constant, silently."""
    strava.generate(count)

    await setup_entry(hass, strava_entry)

    assert strava_entry.state is ConfigEntryState.LOADED
    assert set(coordinator_of(strava_entry).store.activities) == set(strava.activities)
    pages = len(list_calls(strava))
    assert math.ceil(count / 200) <= pages <= math.ceil(count / 200) + 1
    # History is not news: the backfill announces nothing.
    assert events == []


@pytest.mark.usefixtures("prepared")
async def test_streams_only_for_the_newest_runs(
    hass: HomeAssistant, strava: FakeStrava, strava_entry: MockConfigEntry
) -> None:
    """The backfill fetches HR streams for the newest runs only, within the per-sync budget."""
    strava.generate(300)

    await setup_entry(hass, strava_entry)

    assert stream_ids(strava) == newest_hr_runs(strava, STREAMS_PER_SYNC)
    stored = coordinator_of(strava_entry).store.activities
    with_streams = {key for key, activity in stored.items() if activity.stream_summary}
    assert with_streams == set(newest_hr_runs(strava, STREAMS_PER_SYNC))


@pytest.mark.usefixtures("prepared")
async def test_streams_wait_for_read_budget(
    hass: HomeAssistant, strava: FakeStrava, strava_entry: MockConfigEntry
) -> None:
    """With the read budget half spent by other apps, optional stream calls are not made."""
    strava.generate(30)
    strava.set_usage(read=(60, 100))

    await setup_entry(hass, strava_entry)

    assert stream_ids(strava) == []
    assert len(coordinator_of(strava_entry).store.activities) == 30


async def test_refresh_with_nothing_new_costs_one_call(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    strava: FakeStrava,
    frozen_now: FrozenDateTimeFactory,
) -> None:
    """An hourly poll with nothing new sends exactly one request."""
    await poll(hass, frozen_now, POLL_INTERVAL)

    assert strava.count() == 1
    assert "after" in list_calls(strava)[0]
    assert coordinator_of(loaded).last_sync == FROZEN_NOW + POLL_INTERVAL


async def test_new_activity_fires_one_event(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    strava: FakeStrava,
    frozen_now: FrozenDateTimeFactory,
    events: list[Event],
) -> None:
    """A run uploaded to Strava appears after the next poll and is announced exactly once."""
    entity_id = latest_run_entity(hass, strava)
    run = strava.add_activity(
        FROZEN_NOW - timedelta(hours=1), sport_type="Run", type="Run", distance=12_345.0
    )
    run.update(has_heartrate=True, average_heartrate=150.0, manual=False)

    await poll(hass, frozen_now, POLL_INTERVAL)

    assert run["id"] in coordinator_of(loaded).store.activities
    assert [(event.data["action"], event.data["activity_id"]) for event in events] == [
        ("created", run["id"])
    ]
    assert events[0].data["config_entry_id"] == loaded.entry_id
    assert events[0].data["distance_m"] == 12_345.0
    assert events[0].data["trimp"] > 0
    state = hass.states.get(entity_id)
    assert state is not None
    assert float(state.state) == pytest.approx(12.345)

    await poll(hass, frozen_now, POLL_INTERVAL)

    assert len(events) == 1


async def test_edited_activity_fires_updated(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    strava: FakeStrava,
    frozen_now: FrozenDateTimeFactory,
    events: list[Event],
) -> None:
    """A recent activity renamed on Strava is stored renamed and announced as updated."""
    newest = max(strava.activities.values(), key=lambda activity: activity["start_date"])
    strava.update_activity(newest["id"], name="Tempo, felt great")

    await poll(hass, frozen_now, POLL_INTERVAL)

    assert coordinator_of(loaded).store.activities[newest["id"]].name == "Tempo, felt great"
    assert [(event.data["action"], event.data["name"]) for event in events] == [
        ("updated", "Tempo, felt great")
    ]


async def test_second_sync_fetches_no_more_streams(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    strava: FakeStrava,
    frozen_now: FrozenDateTimeFactory,
) -> None:
    """Older runs never drain the read budget one poll after another."""
    await poll(hass, frozen_now, POLL_INTERVAL)
    await poll(hass, frozen_now, POLL_INTERVAL)

    assert stream_ids(strava) == []


async def test_new_run_gets_its_streams(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    strava: FakeStrava,
    frozen_now: FrozenDateTimeFactory,
) -> None:
    """A new run with heart rate is the newest: its streams are fetched on the poll that finds it."""
    run = strava.add_activity(FROZEN_NOW - timedelta(hours=1), sport_type="Run", type="Run")
    run.update(has_heartrate=True, average_heartrate=150.0, max_heartrate=175.0, manual=False)

    await poll(hass, frozen_now, POLL_INTERVAL)

    assert stream_ids(strava) == [run["id"]]
    assert coordinator_of(loaded).store.activities[run["id"]].stream_summary is not None


async def test_streams_rate_limited_keep_the_sync_good(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    strava: FakeStrava,
    frozen_now: FrozenDateTimeFactory,
    events: list[Event],
) -> None:
    """A 429 on an optional streams call ends the streams, not the sync."""
    run = strava.add_activity(FROZEN_NOW - timedelta(hours=1), sport_type="Run", type="Run")
    run.update(has_heartrate=True, average_heartrate=150.0, manual=False)
    strava.inject(Fault.RATE_LIMIT, path=f"{API_PREFIX}/activities/")

    await poll(hass, frozen_now, POLL_INTERVAL)

    coordinator = coordinator_of(loaded)
    assert sync_error(coordinator) is None
    assert coordinator.store.activities[run["id"]].stream_summary is None
    assert [event.data["activity_id"] for event in events] == [run["id"]]


async def test_rate_limit_resumes_at_the_next_window(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    strava: FakeStrava,
    frozen_now: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    """A 429 keeps every entity as it was and the sync comes back, by itself, when the window resets."""
    before = entity_states(hass, loaded)
    coordinator = coordinator_of(loaded)
    strava.inject(Fault.RATE_LIMIT, path=ACTIVITIES)
    run = strava.add_activity(FROZEN_NOW - timedelta(hours=1), sport_type="Run", type="Run")

    await coordinator.async_refresh()

    assert sync_error(coordinator) == "rate_limited"
    assert entity_states(hass, loaded) == before
    assert run["id"] not in coordinator.store.activities
    # The spent window is remembered, so a restart would not knock again.
    assert hass_storage[STORAGE_KEY]["data"]["governor"]["blocked_until"] is not None

    # Inside the window the governor keeps requests back: nothing reaches Strava.
    strava.requests.clear()
    await coordinator.async_refresh()
    assert strava.count() == 0

    # 07:30 UTC is spent: requests resume at 07:45, on the coordinator's own timer.
    frozen_now.move_to(datetime(2026, 11, 20, 7, 45, 1, tzinfo=UTC))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)

    assert run["id"] in coordinator.store.activities
    assert sync_error(coordinator) is None


async def test_daily_rate_limit_resumes_after_midnight(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    strava: FakeStrava,
    frozen_now: FrozenDateTimeFactory,
) -> None:
    """A spent daily budget blocks requests until midnight UTC, then syncing resumes."""
    coordinator = coordinator_of(loaded)
    strava.inject(Fault.RATE_LIMIT_DAILY, path=ACTIVITIES)

    await coordinator.async_refresh()
    strava.requests.clear()
    # Hourly polls through the rest of the day (until 23:30 UTC) all stay home.
    for _ in range(16):
        await poll(hass, frozen_now, POLL_INTERVAL)

    assert strava.count() == 0
    assert sync_error(coordinator) == "rate_limited"

    frozen_now.move_to(datetime(2026, 11, 21, 0, 0, 1, tzinfo=UTC))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)

    assert strava.count() == 1
    assert sync_error(coordinator) is None


@pytest.mark.usefixtures("credentials", "no_push")
async def test_restart_mid_backfill_resumes_from_cursor(
    hass: HomeAssistant,
    frozen_now: FrozenDateTimeFactory,
    strava: FakeStrava,
    strava_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    """A 429 after two pages persists them with the cursor; the next start picks up from there."""
    events = async_capture_events(hass, EVENT_ACTIVITY)
    strava.generate(1000)
    strava.inject(Fault.RATE_LIMIT, path=ACTIVITIES, after=2)

    await setup_entry(hass, strava_entry)

    assert strava_entry.state is ConfigEntryState.LOADED
    stored = hass_storage[STORAGE_KEY]["data"]
    assert stored["harvest"]["backfill_done"] is False
    cursor = stored["harvest"]["backfill_before"]
    assert cursor is not None
    # Two pages of 200, newest first, the second re-reading the first's oldest second.
    newest_first = sorted(strava.activities.values(), key=lambda a: a["start_date"], reverse=True)
    assert {activity["id"] for activity in stored["activities"]} == {
        activity["id"] for activity in newest_first[:399]
    }

    # Restart inside the spent window: the remembered governor sends nothing.
    assert await hass.config_entries.async_unload(strava_entry.entry_id)
    first_run = list_calls(strava)
    assert await hass.config_entries.async_setup(strava_entry.entry_id)
    await hass.async_block_till_done()
    assert list_calls(strava) == first_run
    assert len(coordinator_of(strava_entry).store.activities) == 399

    # Restart after the window: the backfill continues from the persisted cursor.
    assert await hass.config_entries.async_unload(strava_entry.entry_id)
    frozen_now.move_to(datetime(2026, 11, 20, 7, 45, 1, tzinfo=UTC))
    assert await hass.config_entries.async_setup(strava_entry.entry_id)
    await hass.async_block_till_done()

    assert set(coordinator_of(strava_entry).store.activities) == set(strava.activities)
    # The third request of the first run was the one refused; it is the first one asked again.
    assert len(first_run) == 3
    assert first_run[2]["before"] == str(cursor)
    resumed = list_calls(strava)[len(first_run) :]
    backfill_pages = [query["before"] for query in resumed if "before" in query]
    assert backfill_pages[0] == str(cursor)
    fetched = [query.get("before") for query in first_run[:2]] + backfill_pages
    assert len(fetched) == len(set(fetched))
    assert hass_storage[STORAGE_KEY]["data"]["harvest"]["backfill_done"] is True
    assert events == []


@pytest.mark.usefixtures("prepared")
async def test_failed_backfill_page_is_retried_within_minutes(
    hass: HomeAssistant,
    frozen_now: FrozenDateTimeFactory,
    strava: FakeStrava,
    strava_entry: MockConfigEntry,
) -> None:
    """A 5xx mid-backfill is asked again after a minute, then two more, not at the next poll."""
    strava.generate(1000)
    strava.inject(Fault.SERVER_ERROR, status=503, path=ACTIVITIES, after=2, times=2)

    await setup_entry(hass, strava_entry)
    coordinator = coordinator_of(strava_entry)
    assert len(coordinator.store.activities) == 399
    assert len(list_calls(strava)) == 3

    await poll(hass, frozen_now, BACKFILL_RETRY_FIRST - timedelta(seconds=1))
    assert len(list_calls(strava)) == 3
    await poll(hass, frozen_now, timedelta(seconds=1))
    # Asked again after a minute; it fails again, so the next try waits twice as long.
    assert len(list_calls(strava)) == 4
    await poll(hass, frozen_now, 2 * BACKFILL_RETRY_FIRST - timedelta(seconds=1))
    assert len(list_calls(strava)) == 4
    await poll(hass, frozen_now, timedelta(seconds=1))

    assert set(coordinator.store.activities) == set(strava.activities)
    assert sync_error(coordinator) is None
    cursors = [query.get("before") for query in list_calls(strava)]
    # Only the failed page was asked more than once (three times), each resuming at its cursor.
    assert cursors[2] == cursors[3] == cursors[4] is not None
    assert len(cursors) - len(set(cursors)) == 2


@pytest.mark.usefixtures("prepared")
async def test_backfill_retry_waits_for_the_rate_limit_window(
    hass: HomeAssistant,
    frozen_now: FrozenDateTimeFactory,
    strava: FakeStrava,
    strava_entry: MockConfigEntry,
) -> None:
    """With the 15-minute read budget spent by other apps, the retry waits for the next window."""
    strava.generate(500)
    # Three requests of ours reach the governor's 90 % of the 100-request read window.
    strava.set_usage(read=(87, 300))
    strava.inject(Fault.SERVER_ERROR, status=502, path=ACTIVITIES, after=2)

    await setup_entry(hass, strava_entry)
    coordinator = coordinator_of(strava_entry)
    assert len(list_calls(strava)) == 3

    # FROZEN_NOW is 07:30: not after a minute, but when the window resets at 07:45.
    await poll(hass, frozen_now, timedelta(minutes=14, seconds=59))
    assert len(list_calls(strava)) == 3
    await poll(hass, frozen_now, timedelta(seconds=1))

    assert set(coordinator.store.activities) == set(strava.activities)
    assert len(list_calls(strava)) == 4


async def test_failed_incremental_sync_waits_for_the_next_poll(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    strava: FakeStrava,
    frozen_now: FrozenDateTimeFactory,
) -> None:
    """With the history complete, a failed sync costs no extra calls: the next poll tries again."""
    strava.inject(Fault.SERVER_ERROR, status=503, path=ACTIVITIES)

    await coordinator_of(loaded).async_refresh()
    await poll(hass, frozen_now, POLL_INTERVAL - timedelta(seconds=1))

    assert strava.count() == 1


@pytest.mark.parametrize(
    "fault",
    [
        (Fault.SERVER_ERROR, {"status": 500}),
        (Fault.SERVER_ERROR, {"status": 502}),
        (Fault.SERVER_ERROR, {"status": 503}),
        (Fault.MALFORMED_JSON, {}),
        (Fault.MISSING_FIELDS, {"fields": ("start_date", "sport_type")}),
    ],
    ids=["500", "502", "503", "malformed_json", "missing_fields"],
)
async def test_faults_keep_last_values_and_log_once(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    strava: FakeStrava,
    caplog: pytest.LogCaptureFixture,
    fault: tuple[Fault, dict[str, Any]],
) -> None:
    """Entities keep their values through failing syncs; the log says so once, and once when back."""
    strava.add_activity(FROZEN_NOW - timedelta(hours=1))
    before = entity_states(hass, loaded)
    coordinator = coordinator_of(loaded)
    kind, kwargs = fault
    strava.inject(kind, path=ACTIVITIES, times=2, **kwargs)

    await coordinator.async_refresh()
    await coordinator.async_refresh()

    assert entity_states(hass, loaded) == before
    assert STATE_UNAVAILABLE not in before.values()
    assert sync_error(coordinator) == "unavailable"
    failures = [r for r in caplog.records if "Strava sync failed" in r.getMessage()]
    assert len(failures) == 1
    assert failures[0].levelno == logging.WARNING

    await coordinator.async_refresh()

    assert sync_error(coordinator) is None
    assert len(coordinator.store.activities) == 61
    assert caplog.text.count("Strava sync works again") == 1


async def test_timeout_keeps_last_values(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    strava: FakeStrava,
    frozen_now: FrozenDateTimeFactory,
) -> None:
    """A Strava that does not answer in time is a failed sync, not a stuck one."""
    before = entity_states(hass, loaded)
    coordinator = coordinator_of(loaded)
    strava.inject(Fault.DELAY, path=ACTIVITIES, delay=60)

    refresh = hass.async_create_task(coordinator.async_refresh())
    await until(lambda: bool(strava.activity_requests()))
    # Let the client's timeout run out (time is frozen_now, so move it).
    frozen_now.tick(timedelta(seconds=30))
    async_fire_time_changed(hass)
    await refresh

    assert sync_error(coordinator) == "unavailable"
    assert entity_states(hass, loaded) == before


async def test_unauthorized_starts_reauth(
    hass: HomeAssistant, loaded: MockConfigEntry, strava: FakeStrava
) -> None:
    """A 401 starts a reauth flow; the stored history stays on screen meanwhile."""
    before = entity_states(hass, loaded)
    coordinator = coordinator_of(loaded)
    strava.inject(Fault.UNAUTHORIZED, path=ACTIVITIES)

    await coordinator.async_refresh()
    await hass.async_block_till_done()

    assert len(reauth_flows(hass, loaded)) == 1
    assert sync_error(coordinator) == "auth"
    assert loaded.state is ConfigEntryState.LOADED
    assert entity_states(hass, loaded) == before


async def test_revoked_refresh_token_starts_reauth(
    hass: HomeAssistant, loaded: MockConfigEntry, strava: FakeStrava
) -> None:
    """A refresh token Strava no longer knows (its 400 body) starts a reauth flow."""
    strava.revoke()
    token = {**loaded.data["token"], "expires_at": FROZEN_NOW.timestamp() - 60}
    hass.config_entries.async_update_entry(loaded, data={**loaded.data, "token": token})

    await coordinator_of(loaded).async_refresh()
    await hass.async_block_till_done()

    assert len(reauth_flows(hass, loaded)) == 1
    assert strava.count() == 0


@pytest.mark.parametrize("shape", ["as_sent", "after_another_error", "upper_case"])
@pytest.mark.parametrize("where", [ACTIVITIES, "/oauth/token"], ids=["api", "token_endpoint"])
async def test_app_inactive_raises_repair_that_clears(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    strava: FakeStrava,
    where: str,
    shape: str,
) -> None:
    """403 Application inactive, from the API or the token endpoint, raises a repair, not a reauth."""
    issue_registry = ir.async_get(hass)
    before = entity_states(hass, loaded)
    coordinator = coordinator_of(loaded)
    # An expired token sends the next sync to the token endpoint first.
    token = {**loaded.data["token"], "expires_at": FROZEN_NOW.timestamp() - 60}
    hass.config_entries.async_update_entry(loaded, data={**loaded.data, "token": token})
    strava.inject(Fault.INACTIVE, path=where, times=2, body=INACTIVE_BODIES[shape])

    await coordinator.async_refresh()
    await coordinator.async_refresh()
    await hass.async_block_till_done()

    assert sum(request.path == where for request in strava.requests) == 2
    issue = issue_registry.async_get_issue(DOMAIN, "strava_app_inactive")
    assert issue is not None
    assert issue.translation_key == "strava_app_inactive"
    assert reauth_flows(hass, loaded) == []
    assert sync_error(coordinator) == "app_inactive"
    assert loaded.state is ConfigEntryState.LOADED
    assert entity_states(hass, loaded) == before

    # The owner renewed the subscription: the next sync works and the issue goes.
    await coordinator.async_refresh()

    assert sync_error(coordinator) is None
    assert issue_registry.async_get_issue(DOMAIN, "strava_app_inactive") is None


async def test_app_inactive_clears_after_other_faults(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    strava: FakeStrava,
    issue_registry: ir.IssueRegistry,
) -> None:
    """The issue clears at the first good sync even when another fault came in between."""
    coordinator = coordinator_of(loaded)
    strava.inject(Fault.INACTIVE, path=ACTIVITIES)
    strava.inject(Fault.SERVER_ERROR, path=ACTIVITIES, status=503)

    await coordinator.async_refresh()
    await coordinator.async_refresh()
    assert sync_error(coordinator) == "unavailable"
    await coordinator.async_refresh()

    assert issue_registry.async_get_issue(DOMAIN, "strava_app_inactive") is None


async def test_harvest_action_announces_pages_before_a_fault(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    strava: FakeStrava,
    events: list[Event],
) -> None:
    """An action stopped by a 429 still stores, shows and announces the pages it fetched."""
    coordinator = coordinator_of(loaded)
    known = set(coordinator.store.activities)
    strava.generate(250, newest=FROZEN_NOW - timedelta(minutes=1), spacing=timedelta(minutes=2))
    strava.inject(Fault.RATE_LIMIT, path=ACTIVITIES, after=1)

    with pytest.raises(HomeAssistantError, match="rate limit"):
        await call_action(hass, "harvest", {"config_entry_id": loaded.entry_id})

    new = set(coordinator.store.activities) - known
    assert 0 < len(new) < 250
    assert {event.data["activity_id"] for event in events} == new
    assert len(events) == len(new)
    assert coordinator.data.snapshot.activity_count == len(coordinator.store.activities)


async def test_token_endpoint_failure_is_not_an_auth_failure(
    hass: HomeAssistant, loaded: MockConfigEntry, strava: FakeStrava
) -> None:
    """A token endpoint that fails (rather than refuses) keeps the history; nobody must sign in."""
    strava.inject(Fault.SERVER_ERROR, path="/oauth/token", status=502)
    token = {**loaded.data["token"], "expires_at": FROZEN_NOW.timestamp() - 60}
    hass.config_entries.async_update_entry(loaded, data={**loaded.data, "token": token})
    coordinator = coordinator_of(loaded)

    await coordinator.async_refresh()
    await hass.async_block_till_done()

    assert sync_error(coordinator) == "unavailable"
    assert reauth_flows(hass, loaded) == []


async def test_run_without_streams_is_asked_once(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    strava: FakeStrava,
    frozen_now: FrozenDateTimeFactory,
) -> None:
    """Strava having no streams for a run costs one call, not one on every poll."""
    run = strava.add_activity(FROZEN_NOW - timedelta(hours=1), sport_type="Run", type="Run")
    run.update(has_heartrate=True, average_heartrate=150.0, manual=False)
    strava.inject(Fault.REPLY, path=f"{API_PREFIX}/activities/{run['id']}/streams", status=404)

    await poll(hass, frozen_now, POLL_INTERVAL)
    await poll(hass, frozen_now, POLL_INTERVAL)

    assert stream_ids(strava) == [run["id"]]
    assert coordinator_of(loaded).store.activities[run["id"]].stream_summary is None


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        (Fault.UNAUTHORIZED, "re-authenticate"),
        (Fault.INACTIVE, "application is inactive"),
        (Fault.SERVER_ERROR, "could not be reached"),
    ],
)
async def test_harvest_action_reports_faults(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    strava: FakeStrava,
    fault: Fault,
    message: str,
) -> None:
    """The harvest action says why it failed, and still starts a reauth or raises the repair."""
    before = entity_states(hass, loaded)
    strava.inject(fault, path=ACTIVITIES)

    with pytest.raises(HomeAssistantError, match=message):
        await call_action(hass, "harvest", {"config_entry_id": loaded.entry_id, "full": True})
    await hass.async_block_till_done()

    assert entity_states(hass, loaded) == before
    assert bool(reauth_flows(hass, loaded)) is (fault is Fault.UNAUTHORIZED)
    inactive = ir.async_get(hass).async_get_issue(DOMAIN, "strava_app_inactive")
    assert (inactive is not None) is (fault is Fault.INACTIVE)


async def test_harvest_of_an_entry_without_strava_changes_nothing(
    hass: HomeAssistant, demo_entry: MockConfigEntry, frozen_now: FrozenDateTimeFactory
) -> None:
    """Asking an imported history to sync from Strava finds nothing to do."""
    await setup_entry(hass, demo_entry)
    coordinator = coordinator_of(demo_entry)
    before = dict(coordinator.store.activities)

    assert await coordinator.async_harvest(full=True) == 0
    assert coordinator.store.activities == before


async def test_profile_without_a_race(
    hass: HomeAssistant, loaded: MockConfigEntry, strava: FakeStrava
) -> None:
    """Without a race date and distance the athlete trains with no goal race."""
    options = {k: v for k, v in loaded.options.items() if k not in ("race_date", "goal_time")}
    hass.config_entries.async_update_entry(loaded, options=options)
    await hass.async_block_till_done()

    data = coordinator_of(loaded).data
    assert data.profile.goal is None
    assert data.snapshot.race is None
    assert data.profile.hr_max == 188
