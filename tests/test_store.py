"""The persisted history: versions and migration, corrupt files, merging, and the conversation."""

from __future__ import annotations

from collections.abc import Generator
import dataclasses
from datetime import UTC, datetime, timedelta
import json
from pathlib import Path
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import EVENT_HOMEASSISTANT_FINAL_WRITE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.storage import Store
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.coach_dyno.const import DOMAIN
from custom_components.coach_dyno.store import (
    STORAGE_MINOR_VERSION,
    STORAGE_VERSION,
    ActivityStore,
    ConversationStore,
)
from custom_components.coach_dyno.training import Activity, HrHistogram, StreamSummary
from tests.conftest import (
    ENTRY_ID,
    FROZEN_NOW,
    STORAGE_KEY,
    coordinator_of,
    setup_entry,
    stored_activity,
)
from tests.fakes.strava import FakeStrava

CONVERSATION_KEY = f"{DOMAIN}.{ENTRY_ID}.conversation"


@pytest.fixture
def real_files(config_dir: Path) -> Generator[Path]:
    """Read the history from real files in a fresh configuration folder (writes stay mocked)."""

    async def load_from_disk(store: Store[Any]) -> Any:
        return await store._async_load_data()  # type: ignore[no-untyped-call]

    (config_dir / ".storage").mkdir()
    with patch("homeassistant.helpers.storage.Store._async_load", load_from_disk):
        yield config_dir / ".storage"


def set_aside(folder: Path) -> list[Path]:
    """Return the history files set aside in `folder`."""
    return list(folder.glob(f"{STORAGE_KEY}.corrupt.*"))


def envelope(data: Any, minor_version: int = STORAGE_MINOR_VERSION) -> dict[str, Any]:
    """Wrap data the way Home Assistant's Store writes it."""
    return {
        "version": STORAGE_VERSION,
        "minor_version": minor_version,
        "key": STORAGE_KEY,
        "data": data,
    }


def run(activity_id: int, **changes: Any) -> Activity:
    """Return a run for direct store tests."""
    values: dict[str, Any] = {
        "id": activity_id,
        "start": datetime(2026, 11, 1, 7, tzinfo=UTC) + timedelta(days=activity_id),
        "sport_type": "Run",
        "name": f"Run {activity_id}",
        "distance_m": 10_000.0,
        "moving_s": 3_000.0,
        "elapsed_s": 3_100.0,
        "avg_hr": 150.0,
    }
    values.update(changes)
    return Activity(**values)


@pytest.mark.usefixtures("prepared")
async def test_minor_version_1_migrates_without_a_new_backfill(
    hass: HomeAssistant,
    strava: FakeStrava,
    strava_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    """A file from before the harvest cursor keeps its history and syncs incrementally."""
    strava.generate(300)
    hass_storage[STORAGE_KEY] = envelope(
        {"activities": [stored_activity(item) for item in strava.activities.values()]},
        minor_version=1,
    )
    newest = max(datetime.fromisoformat(a["start_date"]) for a in strava.activities.values())
    run_after = strava.add_activity(FROZEN_NOW - timedelta(hours=1))

    await setup_entry(hass, strava_entry)

    assert strava_entry.state is ConfigEntryState.LOADED
    # One incremental page from the newest stored start, no backfill of 300 activities.
    queries = [request.query for request in strava.activity_requests()]
    assert len(queries) == 1
    assert int(queries[0]["after"]) < int(newest.timestamp())
    assert set(coordinator_of(strava_entry).store.activities) == set(strava.activities)
    assert run_after["id"] in coordinator_of(strava_entry).store.activities
    written = hass_storage[STORAGE_KEY]
    assert written["minor_version"] == STORAGE_MINOR_VERSION
    assert written["data"]["harvest"]["backfill_done"] is True


@pytest.mark.usefixtures("prepared")
async def test_empty_minor_version_1_backfills(
    hass: HomeAssistant,
    strava: FakeStrava,
    strava_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    """An old file without activities holds no finished backfill: the history is fetched whole."""
    strava.generate(250)
    hass_storage[STORAGE_KEY] = envelope({"activities": []}, minor_version=1)

    await setup_entry(hass, strava_entry)

    assert len(coordinator_of(strava_entry).store.activities) == 250
    assert all("after" not in request.query for request in strava.activity_requests())


@pytest.mark.usefixtures("prepared")
async def test_newer_file_is_never_overwritten(
    hass: HomeAssistant,
    strava: FakeStrava,
    strava_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    """A file from a newer major version (after a downgrade) fails setup and stays as it was."""
    newer = {
        "version": STORAGE_VERSION + 1,
        "minor_version": 1,
        "key": STORAGE_KEY,
        "data": {"activities": [], "shape": "of the future"},
    }
    hass_storage[STORAGE_KEY] = json.loads(json.dumps(newer))

    strava_entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(strava_entry.entry_id)

    assert strava_entry.state is ConfigEntryState.SETUP_ERROR
    assert hass_storage[STORAGE_KEY] == newer
    assert strava.count() == 0


@pytest.mark.usefixtures("prepared")
@pytest.mark.parametrize(
    "stored",
    [
        ([1, 2, 3], STORAGE_MINOR_VERSION),
        ({"history": []}, STORAGE_MINOR_VERSION),
        ({"activities": ["not an activity"]}, STORAGE_MINOR_VERSION),
        ({"activities": [{"id": 1, "sport_type": "Run"}]}, STORAGE_MINOR_VERSION),
        ({"activities": [], "harvest": {"newest_start": "yesterday"}}, STORAGE_MINOR_VERSION),
        ({"activities": [], "harvest": [1]}, STORAGE_MINOR_VERSION),
        ({"activities": [], "governor": ["spent"]}, STORAGE_MINOR_VERSION),
        ({"activities": [], "watch": {"files": ["a.fit"]}}, STORAGE_MINOR_VERSION),
        ({"activities": [{"id": 1, "start": "not a date"}]}, 1),
        ({"activities": 5}, 1),
    ],
    ids=[
        "list",
        "no_activities",
        "activity_not_object",
        "activity_without_start",
        "bad_cursor",
        "cursor_not_object",
        "governor_not_object",
        "watched_files_not_object",
        "old_file_bad_date",
        "old_file_activities_not_list",
    ],
)
async def test_wrong_shape_is_set_aside_and_rebuilt(
    hass: HomeAssistant,
    real_files: Path,
    strava: FakeStrava,
    strava_entry: MockConfigEntry,
    stored: tuple[Any, int],
) -> None:
    """Valid JSON that is not a history is set aside, reported, and the history rebuilt."""
    strava.generate(120)
    original = json.dumps(envelope(*stored))
    (real_files / STORAGE_KEY).write_text(original)

    await setup_entry(hass, strava_entry)

    assert strava_entry.state is ConfigEntryState.LOADED
    assert set(coordinator_of(strava_entry).store.activities) == set(strava.activities)
    [aside] = set_aside(real_files)
    assert aside.read_text() == original
    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"store_corrupt_{ENTRY_ID}")
    assert issue is not None
    assert issue.translation_placeholders == {"corrupt_path": str(aside)}


@pytest.mark.usefixtures("prepared")
async def test_invalid_json_is_home_assistants_to_handle(
    hass: HomeAssistant,
    real_files: Path,
    strava: FakeStrava,
    strava_entry: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
) -> None:
    """A file that is not JSON at all is set aside by Home Assistant; the history is rebuilt."""
    strava.generate(50)
    (real_files / STORAGE_KEY).write_text('{"version": 1, "data": {"activities": [')

    await setup_entry(hass, strava_entry)

    assert set(coordinator_of(strava_entry).store.activities) == set(strava.activities)
    assert len(set_aside(real_files)) == 1
    ours = issue_registry.async_get_issue(DOMAIN, f"store_corrupt_{ENTRY_ID}")
    assert ours is None
    assert any(
        issue_id[1].startswith(f"storage_corruption_{STORAGE_KEY}")
        for issue_id in issue_registry.issues
    )


@pytest.mark.usefixtures("prepared")
async def test_unmovable_corrupt_file_still_rebuilds(
    hass: HomeAssistant,
    strava: FakeStrava,
    strava_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """When the unreadable file cannot be moved, the rebuilt history simply replaces it."""
    strava.generate(40)
    hass_storage[STORAGE_KEY] = envelope({"activities": "lost"})

    await setup_entry(hass, strava_entry)

    assert len(coordinator_of(strava_entry).store.activities) == 40
    assert len(hass_storage[STORAGE_KEY]["data"]["activities"]) == 40
    assert "could not be set aside" in caplog.text
    assert ir.async_get(hass).async_get_issue(DOMAIN, f"store_corrupt_{ENTRY_ID}") is None


async def test_upsert_keeps_reduced_streams(hass: HomeAssistant) -> None:
    """A summary read again from the API keeps the streams already reduced for that run."""
    store = ActivityStore(hass, ENTRY_ID)
    summary = StreamSummary(
        hr_seconds=HrHistogram([(150, 1800.0), (160, 1200.0)]), efficiency_factor=1.2
    )
    created, updated, _ = await store.async_update([run(1, stream_summary=summary), run(2)])
    assert [a.id for a in created] == [1, 2]
    assert updated == []

    # Read again unchanged (without streams): nothing to report, streams kept.
    assert await store.async_update([run(1), run(2)]) == ([], [], [])
    assert store.activities[1].stream_summary == summary

    # Renamed on Strava: reported as updated, streams still kept.
    created, updated, _ = await store.async_update([run(1, name="Intervals")])
    assert created == []
    assert [(a.id, a.name, a.stream_summary) for a in updated] == [(1, "Intervals", summary)]

    # Deleted on Strava: reported once, unknown ids ignored.
    assert await store.async_update([], deleted=[2, 2, 3]) == ([], [], [run(2)])
    assert list(store.activities) == [1]


STREAMS = StreamSummary(
    hr_seconds=HrHistogram([(150, 1800.0), (160, 1200.0)]), efficiency_factor=1.2
)


def recording(of: Activity, **changes: Any) -> Activity:
    """Return the same run as its own file gives it: a negative id, its watch's start and distance."""
    values: dict[str, Any] = {
        "id": -int(of.start.timestamp()) - 20,
        "start": of.start + timedelta(seconds=20),
        "sport_type": of.sport_type,
        "name": "",
        "distance_m": of.distance_m * 1.01,
        "moving_s": of.moving_s,
        "elapsed_s": of.elapsed_s,
        "avg_hr": of.avg_hr,
        "stream_summary": STREAMS,
    }
    values.update(changes)
    return Activity(**values)


@pytest.mark.parametrize("file_first", [False, True], ids=["row-then-file", "file-then-row"])
async def test_one_run_from_two_sources_is_one_activity(
    hass: HomeAssistant, file_first: bool
) -> None:
    """An export row (or the API) and the run's own file make one run: Strava's id, the file's streams."""
    store = ActivityStore(hass, ENTRY_ID)
    row = run(1, avg_hr=None)
    file = recording(row, avg_hr=151.0)
    first, second = (file, row) if file_first else (row, file)
    await store.async_update([first])

    created, updated, _ = await store.async_update([second])

    assert created == []
    assert list(store.activities) == [1]
    [kept] = store.activities.values()
    assert updated == [kept]
    assert (kept.id, kept.name, kept.distance_m) == (1, "Run 1", row.distance_m)
    assert kept.stream_summary == STREAMS
    assert kept.avg_hr == 151.0
    assert store.merges == 1
    # The same file again changes nothing (it is still recognised).
    assert await store.async_update([file]) == ([], [], [])
    assert list(store.activities) == [1]


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"start_delta": 5 * 60}, id="five-minutes-later"),
        pytest.param({"distance_m": 13_000.0}, id="much-longer"),
        pytest.param({"sport_type": "Ride"}, id="a-ride"),
        pytest.param({"id": 99}, id="another-strava-activity"),
    ],
)
async def test_different_runs_stay_apart(hass: HomeAssistant, changes: dict[str, Any]) -> None:
    """Another start, distance or sport, or two Strava activities, are never merged."""
    store = ActivityStore(hass, ENTRY_ID)
    row = run(1)
    delta = timedelta(seconds=changes.pop("start_delta", 20))
    other = recording(row, **changes)
    await store.async_update([row])
    created, _updated, _ = await store.async_update([replace_start(other, row.start + delta)])
    assert len(created) == 1
    assert len(store.activities) == 2
    assert store.merges == 0


def replace_start(activity: Activity, start: datetime) -> Activity:
    """Return the activity starting at `start`."""
    return dataclasses.replace(activity, start=start)


async def test_history_round_trips(hass: HomeAssistant, hass_storage: dict[str, Any]) -> None:
    """What is saved is what the next start loads, streams summary and cursor included."""
    summary = StreamSummary(
        hr_seconds=HrHistogram([(140, 600.0)]), efficiency_factor=1.1, decoupling_pct=3.5
    )
    store = ActivityStore(hass, ENTRY_ID)
    await store.async_update([run(1, stream_summary=summary), run(2, avg_hr=None)])
    store.harvest = {"newest_start": 1_790_000_000, "backfill_before": None, "backfill_done": True}
    store.governor = {"overall": [200, 2000, 3, 40]}
    await store.async_save()
    assert hass_storage[STORAGE_KEY]["minor_version"] == STORAGE_MINOR_VERSION

    loaded = ActivityStore(hass, ENTRY_ID)
    await loaded.async_load()

    assert loaded.activities == store.activities
    assert loaded.harvest == store.harvest
    assert loaded.governor == store.governor
    assert loaded.corrupt_path is None

    await loaded.async_remove()
    assert STORAGE_KEY not in hass_storage


async def test_conversation_saves_once_and_flushes(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, hass_storage: dict[str, Any]
) -> None:
    """Answers in quick succession are written once; an unload writes what is pending at once."""
    conversation = ConversationStore(hass, ENTRY_ID)
    assert await conversation.async_load() == {}

    conversation.schedule_save({"turns": [["How far this week?", "32 km"]]})
    conversation.schedule_save({"turns": [["How far this week?", "32 km"], ["And form?", "+4"]]})
    assert CONVERSATION_KEY not in hass_storage

    freezer.tick(timedelta(seconds=2))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert hass_storage[CONVERSATION_KEY]["data"]["turns"][-1] == ["And form?", "+4"]

    conversation.schedule_save({"turns": []})
    await conversation.async_flush()
    assert hass_storage[CONVERSATION_KEY]["data"] == {"turns": []}
    # Nothing left to write: the timer and the final write were cancelled with the flush.
    hass_storage.pop(CONVERSATION_KEY)
    await conversation.async_flush()
    hass.bus.async_fire(EVENT_HOMEASSISTANT_FINAL_WRITE)
    freezer.tick(timedelta(seconds=2))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert CONVERSATION_KEY not in hass_storage

    assert await ConversationStore(hass, ENTRY_ID).async_load() == {}
    await conversation.async_remove()


@pytest.mark.usefixtures("prepared")
async def test_unload_writes_the_pending_conversation(
    hass: HomeAssistant,
    strava: FakeStrava,
    strava_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    """A conversation turn not yet written when the entry unloads is written then, not later."""
    strava.generate(10)
    await setup_entry(hass, strava_entry)
    await hass.services.async_call(
        DOMAIN,
        "ask_coach",
        {"config_entry_id": strava_entry.entry_id, "question": "How far did I run this week?"},
        blocking=True,
        return_response=True,
    )
    assert CONVERSATION_KEY not in hass_storage

    assert await hass.config_entries.async_unload(strava_entry.entry_id)
    await hass.async_block_till_done()

    assert "How far did I run this week?" in json.dumps(hass_storage[CONVERSATION_KEY]["data"])


@pytest.mark.usefixtures("prepared")
async def test_each_chat_s_conversation_survives_a_restart(
    hass: HomeAssistant,
    strava: FakeStrava,
    strava_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    """A chat's conversation is written with the others and is there again after a reload."""
    strava.generate(10)
    await setup_entry(hass, strava_entry)
    question = {"config_entry_id": strava_entry.entry_id, "question": "How far did I run?"}
    await hass.services.async_call(
        DOMAIN,
        "ask_coach",
        {**question, "conversation_id": "telegram_42"},
        blocking=True,
        return_response=True,
    )
    assert await hass.config_entries.async_unload(strava_entry.entry_id)
    await hass.async_block_till_done()
    stored = hass_storage[CONVERSATION_KEY]["data"]
    assert stored["turns"] == []
    assert stored["conversations"]["telegram_42"]["turns"][0]["q"] == "How far did I run?"

    assert await hass.config_entries.async_setup(strava_entry.entry_id)
    await hass.async_block_till_done()
    coach = strava_entry.runtime_data.coach
    assert [turn.question for turn in coach.conversation("telegram_42")] == ["How far did I run?"]
    assert len(coach.memory) == 0


@pytest.mark.usefixtures("prepared")
async def test_newer_minor_version_loads_as_it_is(
    hass: HomeAssistant,
    strava: FakeStrava,
    strava_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    """A file from a newer minor version (only additions) loads without losing its cursor."""
    strava.generate(20)
    activities = [stored_activity(item) for item in strava.activities.values()]
    newest = max(int(datetime.fromisoformat(a["start"]).timestamp()) for a in activities)
    harvest = {"newest_start": newest, "backfill_before": None, "backfill_done": True}
    hass_storage[STORAGE_KEY] = envelope(
        {"activities": activities, "harvest": harvest, "added_later": {"x": 1}},
        minor_version=STORAGE_MINOR_VERSION + 1,
    )

    await setup_entry(hass, strava_entry)

    assert len(coordinator_of(strava_entry).store.activities) == 20
    assert [("after" in request.query) for request in strava.activity_requests()] == [True]
