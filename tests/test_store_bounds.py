"""Impossible records in the stored history or from Strava: the entry starts, the records stay out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import logging
from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.coach_dyno.const import DOMAIN
from custom_components.coach_dyno.sources.harvest import HarvestState, harvest
from custom_components.coach_dyno.sources.strava import (
    MAX_PER_PAGE,
    StravaResponseError,
    _parse_activity,
)
from custom_components.coach_dyno.store import STORAGE_MINOR_VERSION, STORAGE_VERSION
from custom_components.coach_dyno.training import Activity
from tests.conftest import (
    ENTRY_ID,
    FROZEN_NOW,
    PROFILE_OPTIONS,
    STORAGE_KEY,
    coordinator_of,
    setup_entry,
    stored_activity,
)
from tests.fakes.strava import FakeStrava

BAD_ID = 99
GOOD_COUNT = 19
# Each of these values alone used to stop every snapshot (setup retried forever), or would skew it.
BAD_VALUES: dict[str, dict[str, Any]] = {
    "year 1": {"start": "0001-01-01T00:00:00+00:00"},
    "year 9999": {"start": "9999-12-31T23:59:59+00:00"},
    "1e305 km": {"distance_m": 1e308},
    "heart rate 3000": {"avg_hr": 3000.0},
    "ten days long": {"elapsed_s": 10 * 86_400.0},
}


def good(activity_id: int, days_ago: int) -> dict[str, Any]:
    """Return a stored 10 km run from `days_ago` days before the frozen now."""
    return {
        "id": activity_id,
        "start": (FROZEN_NOW - timedelta(days=days_ago)).isoformat(),
        "sport_type": "Run",
        "name": f"Run {activity_id}",
        "distance_m": 10_000.0,
        "moving_s": 3_000.0,
        "elapsed_s": 3_100.0,
        "avg_hr": 150.0,
    }


def history(bad: dict[str, Any], **data: Any) -> dict[str, Any]:
    """Return a history file of GOOD_COUNT runs and one with the `bad` values."""
    activities = [good(i, i) for i in range(1, GOOD_COUNT + 1)]
    activities.append({**good(BAD_ID, 3), **bad})
    return {
        "version": STORAGE_VERSION,
        "minor_version": STORAGE_MINOR_VERSION,
        "key": STORAGE_KEY,
        "data": {"activities": activities, **data},
    }


def file_entry(source: str) -> MockConfigEntry:
    """Return an entry whose history is read from the store (its files are gone)."""
    return MockConfigEntry(
        domain=DOMAIN,
        entry_id=ENTRY_ID,
        title="Runner",
        unique_id=source,
        data={"source": source, "path": "strava_export_that_is_gone.zip"},
        options=PROFILE_OPTIONS,
    )


def warnings_about_history(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Return the warnings that name left-out stored records."""
    return [
        record.getMessage()
        for record in caplog.records
        if record.levelno == logging.WARNING and "impossible values" in record.getMessage()
    ]


# Each file entry in Amsterdam, and west of UTC too: year 1 at midnight UTC has no local date there.
CASES = [
    (bad, source, zone)
    for bad in BAD_VALUES
    for source, zone in (
        ("export", "Europe/Amsterdam"),
        ("demo", "Europe/Amsterdam"),
        ("export", "America/Los_Angeles"),
    )
]


@pytest.mark.usefixtures("frozen_now")
@pytest.mark.parametrize("case", CASES, ids=["-".join(case) for case in CASES])
async def test_an_impossible_stored_record_is_left_out_and_logged_once(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
    case: tuple[str, str, str],
) -> None:
    """Before the fix, year 1 / 9999 and 1e305 km left the entry in setup-retry for good."""
    bad, source, time_zone = case
    await hass.config.async_set_time_zone(time_zone)
    hass_storage[STORAGE_KEY] = history(BAD_VALUES[bad])
    entry = file_entry(source)

    await setup_entry(hass, entry)

    assert entry.state is ConfigEntryState.LOADED
    coordinator = coordinator_of(entry)
    assert BAD_ID not in coordinator.store.activities
    assert len(coordinator.store.activities) == GOOD_COUNT
    assert coordinator.data.snapshot.activity_count == GOOD_COUNT
    assert coordinator.data.snapshot.vdot is not None

    # Said once at load, naming the record; later snapshots do not repeat it.
    await coordinator.async_refresh()
    await coordinator.async_recompute()
    logged = warnings_about_history(caplog)
    assert len(logged) == 1
    assert f"{BAD_ID}: " in logged[0]

    # The next save drops it from the file, so the next start has nothing to say.
    await coordinator.store.async_save()
    stored_ids = {item["id"] for item in hass_storage[STORAGE_KEY]["data"]["activities"]}
    assert BAD_ID not in stored_ids
    assert len(stored_ids) == GOOD_COUNT


@pytest.mark.usefixtures("frozen_now")
async def test_many_impossible_records_are_listed_briefly(
    hass: HomeAssistant, hass_storage: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    data = history({"distance_m": 1e308})
    data["data"]["activities"].extend(
        {**good(1000 + n, 5), "start": "9999-01-01T00:00:00+00:00"} for n in range(25)
    )
    hass_storage[STORAGE_KEY] = data
    entry = file_entry("export")

    await setup_entry(hass, entry)

    assert entry.state is ConfigEntryState.LOADED
    (logged,) = warnings_about_history(caplog)
    assert "holds 26 activities" in logged
    assert logged.endswith("and 16 more")


@pytest.mark.usefixtures("prepared")
async def test_a_cursor_synced_from_an_impossible_start_is_repaired(
    hass: HomeAssistant,
    strava: FakeStrava,
    strava_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    """A year-9999 start once stored also moved the sync cursor: Strava would be asked for nothing."""
    strava.generate(30)
    activities = [stored_activity(item) for item in strava.activities.values()]
    newest = max(datetime.fromisoformat(a["start"]) for a in activities)
    poisoned = int(datetime(9999, 12, 31, tzinfo=UTC).timestamp())
    hass_storage[STORAGE_KEY] = {
        "version": STORAGE_VERSION,
        "minor_version": STORAGE_MINOR_VERSION,
        "key": STORAGE_KEY,
        "data": {
            "activities": [*activities, {**good(BAD_ID, 1), "start": "9999-12-31T00:00:00+00:00"}],
            "harvest": {"newest_start": poisoned, "backfill_before": None, "backfill_done": True},
            "governor": {},
        },
    }
    uploaded_late = strava.add_activity(FROZEN_NOW - timedelta(hours=1))

    await setup_entry(hass, strava_entry)

    assert strava_entry.state is ConfigEntryState.LOADED
    store = coordinator_of(strava_entry).store
    assert uploaded_late["id"] in store.activities
    assert BAD_ID not in store.activities
    (query,) = [request.query for request in strava.activity_requests()]
    assert int(query["after"]) < int(newest.timestamp())
    assert store.harvest["newest_start"] <= int(FROZEN_NOW.timestamp())


# ---------------------------------------------------------------------------------------------------
# The Strava API path


@pytest.mark.usefixtures("prepared")
async def test_impossible_strava_activities_are_skipped_not_stored(
    hass: HomeAssistant,
    strava: FakeStrava,
    strava_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A bad record in a full page neither ends the backfill nor moves the cursor to year 9999."""
    made = strava.generate(2 * MAX_PER_PAGE + 10)
    bad_ids = {
        strava.update_activity(made[-1]["id"], distance=1e308)["id"],
        strava.update_activity(made[-2]["id"], average_heartrate=900.0)["id"],
        strava.update_activity(made[-3]["id"], elapsed_time=30 * 86_400)["id"],
        # First in the first page: the cursor would have asked for activities after year 9999.
        strava.add_activity(datetime(9999, 1, 1, tzinfo=UTC))["id"],
        # In the middle of the second page: the walk must go on to the third.
        strava.update_activity(made[150]["id"], moving_time=8 * 86_400)["id"],
        # The oldest of all, on the last page.
        strava.update_activity(made[0]["id"], start_date="1970-01-01T00:00:00Z")["id"],
    }

    await setup_entry(hass, strava_entry)

    assert strava_entry.state is ConfigEntryState.LOADED
    store = coordinator_of(strava_entry).store
    assert set(store.activities) == set(strava.activities) - bad_ids
    assert store.harvest["backfill_done"] is True
    assert store.harvest["newest_start"] <= int(FROZEN_NOW.timestamp())
    for bad_id in bad_ids:
        assert f"Skipped Strava activity {bad_id}:" in caplog.text


async def test_a_single_impossible_strava_activity_is_refused(strava: FakeStrava) -> None:
    """What push events read (one activity in detail) is refused, so it is never stored."""
    data = strava.make_activity(0, FROZEN_NOW, distance=1e308)
    with pytest.raises(StravaResponseError, match="implausible: distance"):
        _parse_activity(data)
    assert _parse_activity(strava.make_activity(0, FROZEN_NOW)).id == data["id"]


class _Lister:
    """Pages of activities as a client would return them, and the cursors it was asked for."""

    def __init__(self, pages: list[list[Activity]]) -> None:
        """Serve `pages` in order."""
        self.pages = pages
        self.asked: list[int | None] = []

    @property
    def calls(self) -> int:
        """Return how many pages were asked for."""
        return len(self.asked)

    async def list_activities(
        self,
        *,
        after: int | None = None,
        before: int | None = None,
        page: int = 1,
        per_page: int = MAX_PER_PAGE,
    ) -> list[Activity]:
        """Return the next page."""
        self.asked.append(before)
        return self.pages[len(self.asked) - 1] if len(self.asked) <= len(self.pages) else []


async def test_a_full_page_of_impossible_activities_still_pages_on() -> None:
    """Paging follows Strava's page (its length, its oldest start), the store only gets the rest."""
    newest = datetime(2026, 11, 1, tzinfo=UTC)
    first = [
        Activity(id=i, start=newest - timedelta(hours=i), sport_type="Run", distance_m=1e308)
        for i in range(1, MAX_PER_PAGE + 1)
    ]
    second = [Activity(id=1000, start=newest - timedelta(days=30), sport_type="Run")]
    lister = _Lister([first, second])
    stored: list[int] = []
    state = HarvestState()

    async def persist(page: list[Activity], _state: HarvestState) -> None:
        stored.extend(a.id for a in page)

    result = await harvest(lister, state, persist)

    assert result.complete
    assert stored == [1000]
    assert lister.asked == [None, int(first[-1].start.timestamp()) + 1]
    assert state.newest_start == int(second[0].start.timestamp())
