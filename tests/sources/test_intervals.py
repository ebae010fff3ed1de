"""intervals.icu: the client against a faithful fake, the harvest, and the entry a user sets up."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable
from datetime import UTC, date, datetime, timedelta
import json
from pathlib import Path
from typing import Any
from unittest.mock import patch

import aiohttp
from freezegun.api import FrozenDateTimeFactory

# Diagnostics reads the system info, which imports the Supervisor client: its models must be built
# before the clock is frozen, or they see the fake datetime class.
import homeassistant.components.hassio  # noqa: F401
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import HomeAssistantError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.coach_dyno.const import DOMAIN
from custom_components.coach_dyno.coordinator import POLL_INTERVAL
from custom_components.coach_dyno.sources.export import file_activity_id
from custom_components.coach_dyno.sources.harvest import HarvestState
from custom_components.coach_dyno.sources.intervals import (
    BACKFILL_WINDOW_DAYS,
    HISTORY_START,
    IntervalsAuthError,
    IntervalsClient,
    IntervalsConnectionError,
    IntervalsRateLimitError,
    activity_from_intervals,
    harvest_intervals,
    is_strava_placeholder,
    streams_from_intervals,
    wellness_from_intervals,
)
from custom_components.coach_dyno.training import Activity
from custom_components.coach_dyno.training.wellness import WellnessDay
from tests.conftest import ENTRY_ID, PROFILE_OPTIONS, call_action, setup_entry
from tests.fakes.intervals import API_KEY, ATHLETE_ID, FakeIntervals, fake_intervals  # noqa: F401
from tests.sources.test_export import gpx_bytes

TODAY = date(2026, 11, 20)
# A Thursday morning run, the day before the frozen clock (conftest.FROZEN_NOW).
THURSDAY = datetime(2026, 11, 19, 6, 30, tzinfo=UTC)
WINDOWS = -(-(TODAY + timedelta(days=1) - HISTORY_START).days // (BACKFILL_WINDOW_DAYS + 1))


@pytest.fixture
async def intervals(fake_intervals: FakeIntervals) -> AsyncGenerator[FakeIntervals]:  # noqa: F811
    """Point the integration's intervals.icu client at the fake, unpaced (loopback is no server)."""
    with (
        patch(
            "custom_components.coach_dyno.sources.intervals.INTERVALS_API_BASE",
            fake_intervals.api_base,
        ),
        patch("custom_components.coach_dyno.sources.intervals.MIN_REQUEST_INTERVAL_S", 0.0),
    ):
        yield fake_intervals


@pytest.fixture
async def session(socket_enabled: None) -> AsyncGenerator[aiohttp.ClientSession]:
    """Return a plain aiohttp session, as Home Assistant's shared one would be."""
    async with aiohttp.ClientSession() as client_session:
        yield client_session


def _client(
    session: aiohttp.ClientSession,
    fake: FakeIntervals,
    key: str = API_KEY,
    athlete: str = ATHLETE_ID,
) -> IntervalsClient:
    return IntervalsClient(session, athlete, key, base_url=fake.api_base)


async def _run_inline(func: Callable[[], Any]) -> Any:
    return func()


# ----- the client -------------------------------------------------------------------------------


async def test_the_key_travels_as_basic_auth_and_the_athlete_is_read(
    session: aiohttp.ClientSession, intervals: FakeIntervals
) -> None:
    """User API_KEY with the key as password; the athlete comes back with its id."""
    athlete = await _client(session, intervals).get_athlete()

    assert athlete["id"] == ATHLETE_ID
    assert intervals.requests[0].authorization == aiohttp.BasicAuth("API_KEY", API_KEY).encode()
    assert intervals.requests[0].query == {}


@pytest.mark.parametrize(
    ("key", "athlete", "fault"),
    [
        ("wrong-key", ATHLETE_ID, None),
        (API_KEY, "i999", None),
        (API_KEY, ATHLETE_ID, 404),
        (API_KEY, ATHLETE_ID, 401),
        (API_KEY, ATHLETE_ID, 403),
    ],
    ids=["wrong_key", "another_athlete", "unknown_athlete", "revoked", "access_denied"],
)
async def test_refused_credentials_are_auth_errors(
    session: aiohttp.ClientSession,
    intervals: FakeIntervals,
    key: str,
    athlete: str,
    fault: int | None,
) -> None:
    """401, 403 and an unknown athlete all mean: this key does not open this athlete."""
    if fault is not None:
        intervals.inject(f"/athlete/{ATHLETE_ID}", fault)
    with pytest.raises(IntervalsAuthError):
        await _client(session, intervals, key, athlete).get_athlete()


async def test_requests_keep_to_the_rate_intervals_icu_allows(
    session: aiohttp.ClientSession,
    fake_intervals: FakeIntervals,  # noqa: F811
) -> None:
    """Back-to-back calls are spaced, so a backfill never trips the 10 a second limit."""
    client = IntervalsClient(
        session, ATHLETE_ID, API_KEY, base_url=fake_intervals.api_base, min_interval=0.05
    )
    loop = asyncio.get_running_loop()
    started = loop.time()
    for _ in range(5):
        await client.get_athlete()
    assert loop.time() - started >= 4 * 0.05


async def test_faults_are_told_apart(
    session: aiohttp.ClientSession, intervals: FakeIntervals
) -> None:
    """429 says when to come back; 5xx, bad JSON and odd shapes are connection faults."""
    client = _client(session, intervals)
    intervals.inject("/athlete", 429, retry_after=30)
    before = datetime.now(UTC)
    with pytest.raises(IntervalsRateLimitError) as limited:
        await client.get_athlete()
    assert before + timedelta(seconds=29) <= limited.value.resume_at
    assert limited.value.resume_at <= datetime.now(UTC) + timedelta(seconds=31)

    # Without a Retry-After it can read, the client waits a minute.
    for odd in (None, "soon"):
        intervals.inject("/athlete", 429, retry_after=odd, raw="{}")
        with pytest.raises(IntervalsRateLimitError) as limited:
            await client.get_athlete()
        assert limited.value.resume_at >= before + timedelta(seconds=59)

    intervals.inject("/athlete", 200, delay=1.0)
    impatient = IntervalsClient(
        session, ATHLETE_ID, API_KEY, base_url=intervals.api_base, timeout=0.2
    )
    with pytest.raises(IntervalsConnectionError, match="in time"):
        await impatient.get_athlete()

    for status, raw in ((503, None), (200, "{not json"), (200, "[1, 2]"), (200, '{"x": 1}')):
        intervals.inject("/athlete", status, raw=raw)
        with pytest.raises(IntervalsConnectionError):
            await client.get_athlete()
    intervals.inject(f"/athlete/{ATHLETE_ID}/wellness", 200, raw='{"not": "a list"}')
    with pytest.raises(IntervalsConnectionError):
        await client.list_wellness(TODAY, TODAY)

    gone = IntervalsClient(session, ATHLETE_ID, API_KEY, base_url="http://127.0.0.1:9/api/v1")
    with pytest.raises(IntervalsConnectionError):
        await gone.get_athlete()


async def test_strava_activities_come_as_placeholders_without_streams(
    session: aiohttp.ClientSession, intervals: FakeIntervals
) -> None:
    """The list carries a stub for a Strava run and its streams are refused (422)."""
    stub = intervals.add_strava_stub(THURSDAY)
    run = intervals.add_run(THURSDAY - timedelta(days=1))
    client = _client(session, intervals)

    listed = await client.list_activities(TODAY - timedelta(days=7), TODAY)

    assert [item["id"] for item in listed] == [stub["id"], run["id"]]
    assert [is_strava_placeholder(item) for item in listed] == [True, False]
    with pytest.raises(IntervalsConnectionError):
        await client.get_streams(stub["id"])
    streams = await client.get_streams(run["id"])
    assert streams is not None
    assert streams.heartrate is not None
    assert len(streams.heartrate) == len(streams.time_s) == 601


# ----- shapes -----------------------------------------------------------------------------------


def test_runs_become_activities_and_other_records_do_not() -> None:
    """A run keeps its numbers; rides, stubs, bad dates and impossible values are left out."""
    fake = FakeIntervals()
    run = fake.add_run(THURSDAY, distance_m=8000, moving_s=2400, heart_rate=148)
    activity = activity_from_intervals(run)
    assert activity is not None
    assert (activity.id, activity.start, activity.distance_m) == (
        file_activity_id(THURSDAY),
        THURSDAY,
        8000,
    )
    assert (activity.avg_hr, activity.max_hr, activity.moving_s) == (148, 168, 2400)

    assert activity_from_intervals({**run, "type": "Ride"}) is None
    assert activity_from_intervals(fake.add_strava_stub(THURSDAY)) is None
    assert activity_from_intervals({**run, "start_date": "yesterday"}) is None
    assert activity_from_intervals({**run, "average_heartrate": 400}) is None
    naive = activity_from_intervals({**run, "start_date": "2026-11-19T06:30:00"})
    assert naive is not None
    assert naive.start == THURSDAY


def test_streams_are_aligned_or_left_out() -> None:
    """A stream of another length than time is dropped; without time there are no streams."""
    time = {"type": "time", "data": [0, 5, 10]}
    streams = streams_from_intervals(
        [
            time,
            {"type": "heartrate", "data": [120, 125, 130]},
            {"type": "distance", "data": [0, 15]},
            {"type": "altitude", "data": [1, None, 3]},
            {"type": "watts", "data": [200, 210, 220]},
            {"type": "cadence"},
        ]
    )
    assert streams is not None
    assert streams.heartrate == (120.0, 125.0, 130.0)
    assert streams.distance_m is None
    assert streams.altitude_m is None
    assert streams_from_intervals([{"type": "heartrate", "data": [120]}]) is None


def test_wellness_records_fill_the_one_shape() -> None:
    """restingHR, hrv (rMSSD), sleepSecs and sleepScore; a record without a date is dropped."""
    record = FakeIntervals().add_wellness(
        TODAY, restingHR=48, hrv=71.5, hrvSDNN=80, sleepSecs=27000, sleepScore=82
    )
    assert wellness_from_intervals(record) == WellnessDay(
        day=TODAY, resting_hr=48, hrv_rmssd=71.5, sleep_seconds=27000, sleep_score=82
    )
    assert wellness_from_intervals({"id": None}) is None


# ----- the harvest ------------------------------------------------------------------------------


async def test_backfill_reads_every_window_once_then_one_call_a_sync(
    session: aiohttp.ClientSession, intervals: FakeIntervals
) -> None:
    """The history comes window by window, each persisted; later syncs cost one list call."""
    for days in (1, 3, 20, 400, 3000):
        intervals.add_run(THURSDAY - timedelta(days=days))
    intervals.add_run(THURSDAY - timedelta(days=2), type="Ride")
    intervals.add_strava_stub(THURSDAY - timedelta(days=5))
    intervals.add_wellness(TODAY - timedelta(days=1), restingHR=50, hrv=65)
    intervals.add_wellness(TODAY - timedelta(days=60), restingHR=53)
    client = _client(session, intervals)
    state = HarvestState()
    pages: list[list[Activity]] = []

    async def persist(page: list[Activity], new_state: HarvestState) -> None:
        pages.append(page)
        assert new_state.backfill_before is not None

    result = await harvest_intervals(
        client, state, persist, today=TODAY, known={}, executor=_run_inline
    )

    assert len(pages) == WINDOWS == intervals.count("/activities")
    assert sum(len(page) for page in pages) == result.new_or_updated == 5
    assert result.strava_placeholders == 1
    assert state.backfill_done
    # Streams for the recent runs with heart rate only.
    assert intervals.count("/streams") == 2
    with_streams = [a for page in pages for a in page if a.stream_summary is not None]
    assert {a.start for a in with_streams} == {
        THURSDAY - timedelta(days=1),
        THURSDAY - timedelta(days=3),
    }
    assert [day.day for day in result.wellness] == [
        TODAY - timedelta(days=60),
        TODAY - timedelta(days=1),
    ]

    intervals.add_run(THURSDAY)
    again = await harvest_intervals(
        client,
        state,
        persist,
        today=TODAY,
        known={a.id: a for page in pages for a in page},
        executor=_run_inline,
    )
    assert intervals.count("/activities") == WINDOWS + 1
    list_query = intervals.requests[-3].query
    # From two days before the newest run known (Wednesday's), to tomorrow.
    assert list_query == {"oldest": "2026-11-16", "newest": "2026-11-21"}
    assert again.new_or_updated == 3  # the new run and the two read again inside the margin
    assert intervals.count("/streams") == 3
    assert intervals.requests[-1].query["oldest"] == (TODAY - timedelta(days=7)).isoformat()


async def test_a_stream_fault_only_costs_the_streams(
    session: aiohttp.ClientSession, intervals: FakeIntervals
) -> None:
    """A run whose streams fail is stored from its summary; the next new run gets its streams."""
    intervals.add_run(THURSDAY)
    intervals.inject("/activity/", 502)
    pages: list[list[Activity]] = []

    async def persist(page: list[Activity], new_state: HarvestState) -> None:
        pages.append(page)

    await harvest_intervals(
        _client(session, intervals),
        HarvestState(),
        persist,
        today=TODAY,
        known={},
        executor=_run_inline,
    )

    [run] = [activity for page in pages for activity in page]
    assert run.stream_summary is None
    assert run.avg_hr == 150


async def test_a_backfill_stopped_by_a_fault_resumes_where_it_stopped(
    session: aiohttp.ClientSession, intervals: FakeIntervals
) -> None:
    """Windows persisted before the fault are not read again; a stream fault only costs streams."""
    intervals.add_run(THURSDAY - timedelta(days=1))
    intervals.inject(f"/athlete/{ATHLETE_ID}/activities", 200, raw="[]")
    intervals.inject("/activity/", 502)
    client = _client(session, intervals)
    state = HarvestState()
    saved: list[HarvestState] = []

    async def persist(page: list[Activity], new_state: HarvestState) -> None:
        saved.append(new_state)
        if len(saved) == 2:
            raise IntervalsConnectionError("the disk hiccuped")

    with pytest.raises(IntervalsConnectionError):
        await harvest_intervals(client, state, persist, today=TODAY, known={}, executor=_run_inline)
    assert intervals.count("/activities") == 2
    assert not state.backfill_done

    async def keep(page: list[Activity], new_state: HarvestState) -> None:
        saved.append(new_state)

    await harvest_intervals(client, state, keep, today=TODAY, known={}, executor=_run_inline)
    assert intervals.count("/activities") == WINDOWS + 1
    assert state.backfill_done


# ----- in Home Assistant ------------------------------------------------------------------------


def intervals_entry(
    key: str = API_KEY, options: dict[str, Any] = PROFILE_OPTIONS
) -> MockConfigEntry:
    """Return an intervals.icu entry of the fake's athlete."""
    return MockConfigEntry(
        domain=DOMAIN,
        entry_id=ENTRY_ID,
        title="Dyno Runner",
        unique_id=f"intervals_{ATHLETE_ID}",
        data={"source": "intervals", "athlete_id": ATHLETE_ID, "intervals_api_key": key},
        options=options,
    )


async def test_a_user_connects_intervals_icu(
    hass: HomeAssistant, intervals: FakeIntervals, frozen_now: FrozenDateTimeFactory
) -> None:
    """Wrong key and an unreachable service are said plainly; then the athlete is set up."""
    intervals.add_run(THURSDAY)
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": "user"})
    assert "intervals" in result["menu_options"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "intervals"}
    )
    assert result["step_id"] == "intervals"

    typed = {"athlete_id": f" {ATHLETE_ID} ", "intervals_api_key": "wrong"}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], typed)
    assert result["errors"] == {"base": "invalid_auth"}
    intervals.inject("/athlete", 503)
    typed = {"athlete_id": ATHLETE_ID, "intervals_api_key": f"{API_KEY}\n"}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], typed)
    assert result["errors"] == {"base": "cannot_connect"}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], typed)
    assert result["step_id"] == "gemini"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"hr_rest": 50, "hr_max": 190, "sex": "male"}
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Dyno Runner"
    assert result["data"] == {
        "source": "intervals",
        "athlete_id": ATHLETE_ID,
        "intervals_api_key": API_KEY,
    }
    entry = result["result"]
    assert entry.unique_id == f"intervals_{ATHLETE_ID}"
    assert file_activity_id(THURSDAY) in entry.runtime_data.coordinator.store.activities

    # The same athlete cannot be added twice ("0" is the key's own athlete).
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": "user"})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "intervals"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"athlete_id": "0", "intervals_api_key": API_KEY}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_runs_and_wellness_reach_the_coach_and_diagnostics(
    hass: HomeAssistant,
    intervals: FakeIntervals,
    frozen_now: FrozenDateTimeFactory,
    hass_client: ClientSessionGenerator,
) -> None:
    """Runs feed the sensors, Strava placeholders are counted, wellness is kept; no key leaks."""
    intervals.add_run(THURSDAY, distance_m=12_000, moving_s=3600)
    intervals.add_run(THURSDAY - timedelta(days=2), distance_m=8000, moving_s=2500)
    intervals.add_strava_stub(THURSDAY - timedelta(days=1))
    intervals.add_wellness(TODAY, restingHR=47, hrv=72.0, sleepSecs=26_000, sleepScore=80)
    entry = intervals_entry()

    await setup_entry(hass, entry)

    state = hass.states.get("sensor.dyno_runner_distance_this_week")
    assert state is not None
    assert float(state.state) == pytest.approx(20.0)
    coordinator = entry.runtime_data.coordinator
    assert coordinator.wellness.days == {
        TODAY: WellnessDay(
            day=TODAY, resting_hr=47, hrv_rmssd=72.0, sleep_seconds=26_000, sleep_score=80
        )
    }
    # The wellness records make readiness appear, as a wellness sensor would.
    assert hass.states.get("sensor.dyno_runner_readiness") is not None
    answer = await call_action(hass, "harvest", {"config_entry_id": entry.entry_id})
    assert answer["strava_placeholders_skipped"] == 1
    assert answer["activities"] == 2

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    assert API_KEY not in json.dumps(diagnostics)
    assert diagnostics["entry"]["data"]["intervals_api_key"] == "**REDACTED**"
    assert diagnostics["intervals"]["strava_placeholders_skipped"] == 1
    assert diagnostics["health"]["wellness_days_stored"] == 1


async def test_new_runs_arrive_with_the_hourly_sync(
    hass: HomeAssistant, intervals: FakeIntervals, frozen_now: FrozenDateTimeFactory
) -> None:
    """After the backfill, each poll costs one list call (and wellness) and announces new runs."""
    intervals.add_run(THURSDAY - timedelta(days=1))
    entry = intervals_entry()
    await setup_entry(hass, entry)
    events = []
    hass.bus.async_listen(f"{DOMAIN}_activity", events.append)
    calls = intervals.count("/activities")

    intervals.add_run(datetime(2026, 11, 20, 7, 0, tzinfo=UTC))
    frozen_now.tick(POLL_INTERVAL)
    async_fire_time_changed(hass)
    # Scheduled refreshes run as background tasks.
    await hass.async_block_till_done(wait_background_tasks=True)

    assert intervals.count("/activities") == calls + 1
    assert [event.data["action"] for event in events] == ["created"]


async def test_a_revoked_key_asks_for_a_new_one(
    hass: HomeAssistant, intervals: FakeIntervals, frozen_now: FrozenDateTimeFactory
) -> None:
    """The sync fails clearly, a reauth flow starts, and a working key brings the entry back."""
    intervals.add_run(THURSDAY)
    entry = intervals_entry()
    await setup_entry(hass, entry)
    intervals.api_key = "rotated-key"

    with pytest.raises(HomeAssistantError, match="refused the API key"):
        await call_action(hass, "harvest", {"config_entry_id": entry.entry_id})
    await hass.async_block_till_done()

    [flow] = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert flow["context"]["source"] == SOURCE_REAUTH
    assert flow["step_id"] == "reauth_intervals"
    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {"intervals_api_key": "still-wrong"}
    )
    assert result["errors"] == {"base": "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {"intervals_api_key": "rotated-key"}
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.data["intervals_api_key"] == "rotated-key"
    assert entry.state is ConfigEntryState.LOADED


async def test_faults_keep_the_history_and_setup_waits_for_a_first_answer(
    hass: HomeAssistant, intervals: FakeIntervals, frozen_now: FrozenDateTimeFactory
) -> None:
    """Without a stored history a fault retries the setup; with one, entities stay and 429 waits."""
    intervals.add_run(THURSDAY)
    intervals.inject("/athlete", 503)
    entry = intervals_entry()
    await setup_entry_allowing_failure(hass, entry)
    assert entry.state is ConfigEntryState.SETUP_RETRY

    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED

    intervals.inject(f"/athlete/{ATHLETE_ID}/activities", 429, retry_after=120)
    with pytest.raises(HomeAssistantError, match="slow down"):
        await call_action(hass, "harvest", {"config_entry_id": entry.entry_id})
    intervals.inject(f"/athlete/{ATHLETE_ID}/activities", 500)
    with pytest.raises(HomeAssistantError, match="could not be reached"):
        await call_action(hass, "harvest", {"config_entry_id": entry.entry_id})
    state = hass.states.get("sensor.dyno_runner_distance_this_week")
    assert state is not None
    assert state.state != "unavailable"


async def test_a_revoked_key_without_history_starts_reauth_at_setup(
    hass: HomeAssistant, intervals: FakeIntervals, frozen_now: FrozenDateTimeFactory
) -> None:
    """Nothing stored and the key refused: Home Assistant asks for a new key at once."""
    entry = intervals_entry(key="revoked")
    await setup_entry_allowing_failure(hass, entry)

    assert entry.state is ConfigEntryState.SETUP_ERROR
    [flow] = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert flow["step_id"] == "reauth_intervals"


async def setup_entry_allowing_failure(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Add an entry and try to set it up; it may fail."""
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


async def test_a_run_from_intervals_icu_and_its_own_file_is_one_run(
    hass: HomeAssistant,
    intervals: FakeIntervals,
    frozen_now: FrozenDateTimeFactory,
    config_dir: Path,
) -> None:
    """The watch's file of a run intervals.icu also gave is merged by the store, not added."""
    intervals.add_run(THURSDAY, distance_m=886.0, moving_s=295.0, with_streams=False)
    (config_dir / "watch").mkdir()
    (config_dir / "watch" / "thursday.gpx").write_bytes(gpx_bytes(THURSDAY + timedelta(seconds=2)))
    entry = intervals_entry(options={**PROFILE_OPTIONS, "watch_folder": "watch"})

    await setup_entry(hass, entry)

    store = entry.runtime_data.coordinator.store
    assert len(store.activities) == 1
    [run] = store.activities.values()
    assert run.stream_summary is not None  # the file's heart rate
    assert store.merges == 1


async def _poll(hass: HomeAssistant, freezer: FrozenDateTimeFactory, after: timedelta) -> None:
    freezer.tick(after)
    async_fire_time_changed(hass)
    # Scheduled refreshes run as background tasks.
    await hass.async_block_till_done(wait_background_tasks=True)


async def test_polls_that_fail_keep_the_history_and_come_back(
    hass: HomeAssistant, intervals: FakeIntervals, frozen_now: FrozenDateTimeFactory
) -> None:
    """A 429 waits for its Retry-After, a 5xx waits for the next poll, a refused key asks again."""
    intervals.add_run(THURSDAY)
    entry = intervals_entry()
    await setup_entry(hass, entry)
    coordinator = entry.runtime_data.coordinator

    intervals.inject(f"/athlete/{ATHLETE_ID}/activities", 429, retry_after=600)
    await _poll(hass, frozen_now, POLL_INTERVAL)
    assert coordinator.sync_error == "rate_limited"
    calls = intervals.count("/activities")
    await _poll(hass, frozen_now, timedelta(seconds=601))
    assert intervals.count("/activities") == calls + 1
    assert coordinator.sync_error is None

    intervals.inject(f"/athlete/{ATHLETE_ID}/activities", 503)
    await _poll(hass, frozen_now, POLL_INTERVAL)
    assert coordinator.sync_error == "unavailable"
    assert coordinator.last_update_success

    intervals.api_key = "rotated"
    await _poll(hass, frozen_now, POLL_INTERVAL)
    assert coordinator.sync_error == "auth"
    [flow] = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert flow["step_id"] == "reauth_intervals"
    state = hass.states.get("sensor.dyno_runner_distance_this_week")
    assert state is not None
    assert state.state != "unavailable"
