"""Tests for the harvest: resumable backfill and incremental sync, against the fake Strava."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import UTC, datetime, timedelta
import json
import math
from typing import Any

import aiohttp
import pytest

from custom_components.coach_dyno.sources.harvest import (
    SAFETY_MARGIN_S,
    HarvestState,
    fetch_streams_for,
    harvest,
    streams_add_value,
)
from custom_components.coach_dyno.sources.ratelimit import RateGovernor
from custom_components.coach_dyno.sources.strava import (
    StravaClient,
    StravaConnectionError,
    StravaRateLimitError,
)
from custom_components.coach_dyno.training.activity import Activity
from tests.fakes.strava import API_PREFIX, FakeStrava, Fault, epoch_of

ACTIVITIES = f"{API_PREFIX}/athlete/activities"


class Store:
    """What a caller persists: activities by id and the harvest state, as JSON (as on disk)."""

    def __init__(self) -> None:
        """Start empty."""
        self.activities: dict[int, Activity] = {}
        self.state: dict[str, Any] = {}
        self.pages: list[list[int]] = []
        self.fail_after: int | None = None

    async def persist(self, activities: list[Activity], state: HarvestState) -> None:
        """Save a page and the state it leads to (or fail, when told to)."""
        if self.fail_after is not None and len(self.pages) >= self.fail_after:
            raise OSError("disk full")
        self.pages.append([a.id for a in activities])
        self.activities.update((a.id, a) for a in activities)
        self.state = json.loads(json.dumps(state.as_dict()))

    def restored(self) -> HarvestState:
        """Return the state as a restart would read it."""
        return HarvestState.from_dict(self.state)


@pytest.fixture
async def session(socket_enabled: None) -> AsyncGenerator[aiohttp.ClientSession]:
    """Give each test its own HTTP session."""
    async with aiohttp.ClientSession() as client_session:
        yield client_session


@pytest.fixture
async def strava(socket_enabled: None) -> AsyncGenerator[FakeStrava]:
    """Serve a fake Strava holding 450 activities."""
    async with FakeStrava(activities=450) as fake:
        yield fake


def make_client(fake: FakeStrava, session: aiohttp.ClientSession) -> StravaClient:
    """Return a client pointed at the fake."""
    return StravaClient(session, fake.token_provider, base_url=fake.api_base)


@pytest.mark.parametrize("count", [0, 1, 199, 200, 201, 450, 1000])
async def test_backfill_costs_ceil_n_over_200_plus_a_constant(
    socket_enabled: None, session: aiohttp.ClientSession, count: int
) -> None:
    async with FakeStrava(activities=count) as fake:
        store = Store()
        state = HarvestState()
        result = await harvest(make_client(fake, session), state, store.persist)
        assert set(store.activities) == set(fake.activities)
        list_calls = fake.count(ACTIVITIES)
        assert math.ceil(count / 200) <= list_calls <= math.ceil(count / 200) + 1
        assert result.calls == list_calls == fake.count()
        assert result.complete
        assert result.new_or_updated == count
        assert state.backfill_done
        assert state.backfill_before is None
        assert state.newest_start == max(
            (epoch_of(a) for a in fake.activities.values()), default=None
        )


async def test_backfill_of_450_is_three_calls_newest_first(
    strava: FakeStrava, session: aiohttp.ClientSession
) -> None:
    store = Store()
    result = await harvest(make_client(strava, session), HarvestState(), store.persist)
    assert result.calls == 3
    queries = [r.query for r in strava.activity_requests()]
    assert all(q["per_page"] == "200" for q in queries)
    assert all("after" not in q for q in queries)
    assert "before" not in queries[0]
    # Each page continues where the previous one ended, and was persisted before it was asked for.
    assert int(queries[1]["before"]) == min(a.start for a in _page(store, 0)).timestamp() + 1
    assert int(queries[2]["before"]) == min(a.start for a in _page(store, 1)).timestamp() + 1
    # Each later page starts by reading again the oldest of the previous one (see the tie test),
    # which is not handed over twice.
    assert [len(page) for page in store.pages] == [200, 199, 51]
    assert len({i for page in store.pages for i in page}) == 450


def _page(store: Store, index: int) -> list[Activity]:
    """Return the activities persisted with page `index`."""
    return [store.activities[i] for i in store.pages[index]]


async def test_incremental_with_nothing_new_is_one_call_and_no_write(
    strava: FakeStrava, session: aiohttp.ClientSession
) -> None:
    client = make_client(strava, session)
    store = Store()
    state = HarvestState()
    await harvest(client, state, store.persist)
    pages = len(store.pages)
    result = await harvest(client, state, store.persist)
    assert (result.calls, result.new_or_updated, result.complete) == (1, 0, True)
    assert len(store.pages) == pages
    query = strava.activity_requests()[-1].query
    assert state.newest_start is not None
    assert query["after"] == str(state.newest_start - SAFETY_MARGIN_S)
    assert "before" not in query


async def test_incremental_fetches_new_late_and_edited_activities(
    strava: FakeStrava, session: aiohttp.ClientSession
) -> None:
    client = make_client(strava, session)
    store = Store()
    state = HarvestState()
    await harvest(client, state, store.persist)
    newest = max(strava.activities.values(), key=epoch_of)
    new_start = datetime.fromtimestamp(epoch_of(newest), UTC) + timedelta(hours=20)
    fresh = strava.add_activity(new_start, name="Evening run")
    # Uploaded late: started before the newest we had, inside the safety margin.
    late = strava.add_activity(new_start - timedelta(hours=30), name="Watch synced late")
    edited = strava.update_activity(newest["id"], name="Renamed")
    result = await harvest(client, state, store.persist)
    assert result.calls == 1
    assert result.new_or_updated == 3
    assert store.pages[-1] == sorted(
        [fresh["id"], late["id"], edited["id"]], key=lambda i: epoch_of(strava.activities[i])
    )
    assert store.activities[edited["id"]].name == "Renamed"
    assert state.newest_start == epoch_of(fresh)
    # And once more: nothing changed since.
    again = await harvest(client, state, store.persist)
    assert (again.calls, again.new_or_updated) == (1, 0)


async def test_state_survives_json_and_a_restart(
    strava: FakeStrava, session: aiohttp.ClientSession
) -> None:
    client = make_client(strava, session)
    store = Store()
    await harvest(client, HarvestState(), store.persist)
    restored = store.restored()
    assert restored.as_dict() == store.state
    assert restored.recent  # the newest activities' fingerprints came along
    result = await harvest(client, restored, store.persist)
    assert (result.calls, result.new_or_updated) == (1, 0)


async def test_restart_mid_backfill_resumes_from_the_cursor(
    strava: FakeStrava, session: aiohttp.ClientSession
) -> None:
    store = Store()
    strava.inject(Fault.SERVER_ERROR, status=503, path=ACTIVITIES, after=2)
    with pytest.raises(StravaConnectionError):
        await harvest(make_client(strava, session), HarvestState(), store.persist)
    assert [len(page) for page in store.pages] == [200, 199]
    cursor = store.state["backfill_before"]
    assert cursor is not None
    assert not store.state["backfill_done"]

    # A restart: a new client, and the state as it was persisted.
    strava.requests.clear()
    resumed = store.restored()
    result = await harvest(make_client(strava, session), resumed, store.persist)
    queries = [r.query for r in strava.activity_requests()]
    # The backfill goes on from the persisted cursor, at no extra call.
    assert [query["before"] for query in queries] == [str(cursor)]
    assert result.calls == 1
    assert resumed.backfill_done
    assert set(store.activities) == set(strava.activities)
    handed = [i for page in store.pages for i in page]
    assert len(set(handed)) == 450
    # No page is fetched twice; only the activity read again at the cursor's second may be handed
    # over a second time (the store keeps one copy).
    assert len(handed) - len(set(handed)) <= 1
    assert store.pages[2][0] == store.pages[1][-1]


async def test_rate_limit_mid_backfill_stops_with_progress_persisted(
    strava: FakeStrava, session: aiohttp.ClientSession
) -> None:
    client = make_client(strava, session)
    store = Store()
    state = HarvestState()
    strava.inject(Fault.RATE_LIMIT, path=ACTIVITIES, after=1)
    with pytest.raises(StravaRateLimitError) as err:
        await harvest(client, state, store.persist)
    assert err.value.resume_at > datetime.now(UTC)
    assert len(store.pages) == 1
    assert state.backfill_before == store.state["backfill_before"]
    assert state.backfill_before is not None
    # While the window is spent, the next harvest sends nothing at all.
    sent = len(strava.requests)
    with pytest.raises(StravaRateLimitError):
        await harvest(client, state, store.persist)
    assert len(strava.requests) == sent


async def test_failed_persist_does_not_advance_the_state(
    strava: FakeStrava, session: aiohttp.ClientSession
) -> None:
    store = Store()
    store.fail_after = 1
    state = HarvestState()
    with pytest.raises(OSError, match="disk full"):
        await harvest(make_client(strava, session), state, store.persist)
    assert state.as_dict() == store.state
    assert state.backfill_before is not None
    assert strava.count(ACTIVITIES) == 2


async def test_activities_sharing_a_second_across_a_page_end_are_all_kept(
    socket_enabled: None, session: aiohttp.ClientSession
) -> None:
    base = datetime(2025, 1, 1, tzinfo=UTC)
    async with FakeStrava() as fake:
        fake.generate(197, newest=base)
        # Four activities in the same second: the first page ends in the middle of them.
        twins = [fake.add_activity(base - timedelta(days=400)) for _ in range(4)]
        fake.generate(100, newest=base - timedelta(days=500))
        store = Store()
        result = await harvest(make_client(fake, session), HarvestState(), store.persist)
    assert set(store.activities) == set(fake.activities)
    assert {t["id"] for t in twins} <= set(store.activities)
    handed = [i for page in store.pages for i in page]
    assert len(handed) == len(set(handed)) == 301
    assert result.new_or_updated == 301
    assert result.calls == 2


async def test_a_full_page_within_one_second_cannot_loop(
    socket_enabled: None, session: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    moment = datetime(2025, 1, 1, tzinfo=UTC)
    async with FakeStrava() as fake:
        for _ in range(401):
            fake.add_activity(moment)
        fake.generate(10, newest=moment - timedelta(days=1))
        store = Store()
        state = HarvestState()
        result = await harvest(make_client(fake, session), state, store.persist)
    assert state.backfill_done
    # The first page, the same page again (the cursor cannot split a second), then the older ten.
    assert result.calls == 3
    assert "start at" in caplog.text
    # Strava's paging cannot reach the rest of that second; everything else is there.
    assert len(store.activities) == 210


async def test_full_harvest_starts_over(strava: FakeStrava, session: aiohttp.ClientSession) -> None:
    client = make_client(strava, session)
    store = Store()
    state = HarvestState()
    await harvest(client, state, store.persist)
    strava.requests.clear()
    result = await harvest(client, state, store.persist, full=True)
    assert result.calls == 3
    assert result.new_or_updated == 450
    assert "before" not in strava.activity_requests()[0].query
    assert "after" not in strava.activity_requests()[0].query


async def test_max_calls_stops_early_and_the_next_run_continues(
    strava: FakeStrava, session: aiohttp.ClientSession
) -> None:
    client = make_client(strava, session)
    store = Store()
    state = HarvestState()
    first = await harvest(client, state, store.persist, max_calls=2)
    assert (first.calls, first.complete, first.new_or_updated) == (2, False, 399)
    assert not state.backfill_done
    second = await harvest(client, state, store.persist, max_calls=5)
    assert second.complete
    assert second.calls == 1  # the last page, nothing more
    assert set(store.activities) == set(strava.activities)


async def test_what_arrives_during_a_paused_backfill_comes_with_the_next_sync(
    strava: FakeStrava, session: aiohttp.ClientSession
) -> None:
    """Resuming spends no call on news; the first sync after the backfill brings it, at one call."""
    client = make_client(strava, session)
    store = Store()
    state = HarvestState()
    await harvest(client, state, store.persist, max_calls=1)
    uploaded = strava.add_activity(datetime.now(UTC) - timedelta(minutes=5))
    late = strava.add_activity(datetime.now(UTC) - timedelta(days=1, hours=1))

    resumed = await harvest(client, state, store.persist)
    assert (resumed.calls, state.backfill_done) == (2, True)
    assert uploaded["id"] not in store.activities

    strava.requests.clear()
    news = await harvest(client, state, store.persist)
    assert (news.calls, news.new_or_updated) == (1, 2)
    assert {uploaded["id"], late["id"]} <= set(store.activities)
    assert set(store.activities) == set(strava.activities)


async def test_incremental_pages_through_a_long_absence(
    socket_enabled: None, session: aiohttp.ClientSession
) -> None:
    base = datetime(2025, 1, 1, tzinfo=UTC)
    async with FakeStrava() as fake:
        fake.generate(5, newest=base)
        client = make_client(fake, session)
        store = Store()
        state = HarvestState()
        await harvest(client, state, store.persist)
        fake.generate(250, newest=base + timedelta(days=300))
        fake.requests.clear()
        result = await harvest(client, state, store.persist)
        queries = [r.query for r in fake.activity_requests()]
    assert result.calls == 2
    assert [q["page"] for q in queries] == ["1", "2"]
    assert queries[0]["after"] == queries[1]["after"]
    assert result.new_or_updated == 250
    assert len(store.activities) == 255
    assert state.newest_start == int((base + timedelta(days=300)).timestamp())


async def test_empty_history_keeps_watching_for_the_first_activity(
    socket_enabled: None, session: aiohttp.ClientSession
) -> None:
    async with FakeStrava() as fake:
        client = make_client(fake, session)
        store = Store()
        state = HarvestState()
        first = await harvest(client, state, store.persist)
        assert (first.calls, state.backfill_done, state.newest_start) == (1, True, None)
        fake.generate(1)
        second = await harvest(client, state, store.persist)
        assert (second.calls, second.new_or_updated) == (1, 1)
        assert fake.activity_requests()[-1].query["after"] == "0"


def test_state_from_partial_or_empty_dicts() -> None:
    assert HarvestState.from_dict(None) == HarvestState()
    assert HarvestState.from_dict({}) == HarvestState()
    # The layout a store migration writes, without fingerprints.
    migrated = HarvestState.from_dict(
        {"newest_start": 1_700_000_000, "backfill_before": None, "backfill_done": True}
    )
    assert migrated == HarvestState(newest_start=1_700_000_000, backfill_done=True)
    assert HarvestState.from_dict(migrated.as_dict()) == migrated


# ----- streams -------------------------------------------------------------------------------


async def test_streams_for_the_newest_runs_with_heart_rate(
    strava: FakeStrava, session: aiohttp.ClientSession
) -> None:
    client = make_client(strava, session)
    activities = await client.list_activities(per_page=40)
    eligible = sorted(
        (a for a in activities if a.is_run and not a.manual and a.avg_hr is not None),
        key=lambda a: a.start,
        reverse=True,
    )
    strava.requests.clear()
    done = await fetch_streams_for(client, client.governor, activities, max_count=4)
    assert [a.id for a in done] == [a.id for a in eligible[:4]]
    assert all(a.stream_summary is not None and a.stream_summary.hr_seconds for a in done)
    assert strava.count() == 4
    assert await fetch_streams_for(client, client.governor, done, max_count=4) == []


async def test_streams_stop_when_the_budget_is_thin(
    strava: FakeStrava, session: aiohttp.ClientSession
) -> None:
    client = make_client(strava, session)
    activities = await client.list_activities(per_page=40)
    strava.set_usage(read=(47, 100))
    done = await fetch_streams_for(client, client.governor, activities, max_count=10)
    # Streams may use half the read window: requests 48, 49 and 50 of 100, no more.
    assert len(done) == 3
    assert strava.read_usage.short == 50


async def test_streams_stop_at_a_rate_limit(
    strava: FakeStrava, session: aiohttp.ClientSession
) -> None:
    client = make_client(strava, session)
    activities = await client.list_activities(per_page=40)
    strava.inject(Fault.RATE_LIMIT, path=f"{API_PREFIX}/activities/", after=1)
    done = await fetch_streams_for(client, client.governor, activities, max_count=10)
    assert len(done) == 1


@pytest.mark.parametrize("fault", [Fault.SERVER_ERROR, Fault.MALFORMED_JSON])
async def test_streams_stop_quietly_when_strava_fails(
    strava: FakeStrava, session: aiohttp.ClientSession, fault: Fault
) -> None:
    """Streams are optional: a failing streams call keeps what was fetched and raises nothing."""
    client = make_client(strava, session)
    activities = await client.list_activities(per_page=40)
    strava.inject(fault, path=f"{API_PREFIX}/activities/", after=2)
    done = await fetch_streams_for(client, client.governor, activities, max_count=10)
    assert len(done) == 2


async def test_streams_skip_runs_strava_has_none_for(
    strava: FakeStrava, session: aiohttp.ClientSession
) -> None:
    client = make_client(strava, session)
    run = (await client.list_activities(per_page=1))[0]
    strava.inject(Fault.REPLY, status=404, body={"message": "Record Not Found", "errors": []})
    assert await fetch_streams_for(client, RateGovernor(), [run], max_count=3) == []


async def test_streams_look_only_at_the_newest_runs(
    strava: FakeStrava, session: aiohttp.ClientSession
) -> None:
    """Once the newest runs have streams, older runs without them cost nothing."""
    client = make_client(strava, session)
    activities = await client.list_activities(per_page=40)
    done = await fetch_streams_for(client, client.governor, activities, max_count=4)
    assert len(done) == 4
    merged = {a.id: a for a in activities} | {a.id: a for a in done}
    strava.requests.clear()
    assert await fetch_streams_for(client, client.governor, merged.values(), max_count=4) == []
    assert strava.count() == 0


async def test_streams_remember_runs_strava_has_none_for(
    strava: FakeStrava, session: aiohttp.ClientSession
) -> None:
    """A run Strava has no streams for is noted in `no_streams` and never asked for again."""
    client = make_client(strava, session)
    run = (await client.list_activities(per_page=1))[0]
    strava.inject(Fault.REPLY, status=404, body={"message": "Record Not Found", "errors": []})
    no_streams: set[int] = set()
    assert await fetch_streams_for(client, client.governor, [run], 3, no_streams=no_streams) == []
    assert no_streams == {run.id}
    strava.requests.clear()
    assert await fetch_streams_for(client, client.governor, [run], 3, no_streams=no_streams) == []
    assert strava.count() == 0


@pytest.mark.parametrize(
    ("changes", "worth"),
    [
        ({}, True),
        ({"sport_type": "TrailRun"}, True),
        ({"sport_type": "Ride"}, False),
        ({"manual": True}, False),
        ({"avg_hr": None}, False),
    ],
)
def test_streams_add_value_for_recorded_runs_with_heart_rate(
    changes: dict[str, Any], worth: bool
) -> None:
    values: dict[str, Any] = {
        "id": 1,
        "start": datetime(2026, 3, 1, 7, tzinfo=UTC),
        "sport_type": "Run",
        "distance_m": 10_000.0,
        "moving_s": 3_000.0,
        "avg_hr": 150.0,
    }
    assert streams_add_value(Activity(**(values | changes))) is worth
