"""The watched folder: files dropped in are imported once each, on a schedule and on demand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import os
from pathlib import Path
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import Event, HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.coach_dyno.const import DOMAIN, EVENT_ACTIVITY
from custom_components.coach_dyno.sources import watch
from custom_components.coach_dyno.sources.export import (
    ExportPathError,
    ImportLimits,
    file_activity_id,
)
from custom_components.coach_dyno.sources.watch import (
    WATCH_INTERVAL,
    resolve_watch_folder,
    scan_folder,
)
from tests.conftest import (
    ENTRY_ID,
    PROFILE_OPTIONS,
    STORAGE_KEY,
    call_action,
    demo_config_entry,
    setup_entry,
)
from tests.sources.test_export import fit_bytes, gpx_bytes, gz, tcx_bytes
from tests.sources.test_files_quirks import strava_gpx

# The morning of the frozen clock (conftest.FROZEN_NOW): runs dropped in on the day they happen.
DAWN = datetime(2026, 11, 20, 5, 0, tzinfo=UTC)
ISSUE_ID = f"watch_unreadable_{ENTRY_ID}"
WATCH_OPTIONS = {**PROFILE_OPTIONS, "watch_folder": "watch"}
# The options form as a user fills it (the goal time through the duration selector).
TYPED = {**PROFILE_OPTIONS, "goal_time": {"hours": 1, "minutes": 45}}


def _ids(activities: Any) -> set[int]:
    return {activity.id for activity in activities}


# ----- the folder, as the executor sees it ------------------------------------------------------


def test_each_file_is_read_once_until_it_changes(tmp_path: Path) -> None:
    """Every format (gzipped too) is read on the first look; the next look reads nothing."""
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.fit").write_bytes(fit_bytes(DAWN))
    (tmp_path / "b.gpx.gz").write_bytes(gz(gpx_bytes(DAWN + timedelta(hours=3))))
    (tmp_path / "sub" / "c.tcx").write_bytes(tcx_bytes(DAWN - timedelta(days=1)))
    (tmp_path / "notes.txt").write_text("not an activity")
    (tmp_path / ".syncthing.d.fit.tmp").write_bytes(b"half a file")

    first = scan_folder(tmp_path, {})

    assert first.read == 3
    assert first.bad == ()
    assert set(first.files) == {"a.fit", "b.gpx.gz", "sub/c.tcx"}
    assert _ids(first.activities) == {
        file_activity_id(DAWN),
        file_activity_id(DAWN + timedelta(hours=3)),
        file_activity_id(DAWN - timedelta(days=1)),
    }
    assert all(activity.stream_summary is not None for activity in first.activities)

    again = scan_folder(tmp_path, first.files)
    assert (again.read, again.activities, again.files) == (0, (), first.files)

    # Rewritten by the sync tool (another size or time): read again; removed: forgotten.
    (tmp_path / "a.fit").write_bytes(fit_bytes(DAWN, points=90))
    (tmp_path / "sub" / "c.tcx").unlink()
    changed = scan_folder(tmp_path, again.files)
    assert changed.read == 1
    assert _ids(changed.activities) == {file_activity_id(DAWN)}
    assert set(changed.files) == {"a.fit", "b.gpx.gz"}


def test_a_bad_file_stays_bad_without_being_read_again(tmp_path: Path) -> None:
    """Damaged and impossible files are reported on every look but read only when they change."""
    (tmp_path / "broken.fit").write_bytes(b"\x0e\x10garbage")
    (tmp_path / "future.gpx").write_bytes(gpx_bytes(datetime(2099, 1, 1, tzinfo=UTC)))
    (tmp_path / "good.tcx").write_bytes(tcx_bytes(DAWN))

    first = scan_folder(tmp_path, {})
    assert first.bad == ("broken.fit", "future.gpx")
    assert len(first.activities) == 1

    again = scan_folder(tmp_path, first.files)
    assert again.read == 0
    assert again.bad == ("broken.fit", "future.gpx")

    (tmp_path / "broken.fit").write_bytes(fit_bytes(DAWN - timedelta(days=2)))
    (tmp_path / "future.gpx").unlink()
    fixed = scan_folder(tmp_path, again.files)
    assert fixed.read == 1
    assert fixed.bad == ()
    assert _ids(fixed.activities) == {file_activity_id(DAWN - timedelta(days=2))}


def test_links_out_of_the_folder_are_not_followed(tmp_path: Path) -> None:
    """A link to a file elsewhere is no file of the folder; a link inside it is."""
    folder = tmp_path / "watch"
    folder.mkdir()
    outside = tmp_path / "secret.gpx"
    outside.write_bytes(gpx_bytes(DAWN))
    (folder / "leak.gpx").symlink_to(outside)
    (folder / "real.gpx").write_bytes(gpx_bytes(DAWN + timedelta(hours=2)))
    (folder / "alias.gpx").symlink_to(folder / "real.gpx")
    (folder / "dangling.gpx").symlink_to(folder / "deleted.gpx")

    result = scan_folder(folder, {})

    assert set(result.files) == {"alias.gpx", "real.gpx"}


def test_a_huge_folder_is_listed_up_to_the_import_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What is listed (and so remembered) never outgrows the limit of one import."""
    monkeypatch.setattr(watch, "_LIMITS", ImportLimits(max_files=2))
    for hour in range(4):
        (tmp_path / f"run{hour}.gpx").write_bytes(gpx_bytes(DAWN - timedelta(hours=hour)))

    result = scan_folder(tmp_path, {})

    assert set(result.files) == {"run0.gpx", "run1.gpx"}


def test_a_remembered_entry_of_another_shape_is_read_again(tmp_path: Path) -> None:
    """A state written by hand (or by older code) never stops the folder from being read."""
    (tmp_path / "a.gpx").write_bytes(gpx_bytes(DAWN))
    result = scan_folder(tmp_path, {"a.gpx": 7})
    assert result.read == 1
    assert result.files["a.gpx"][2] is True


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("../elsewhere", "outside_config_dir"),
        ("watch/../watch", "outside_config_dir"),
        ("/", "outside_config_dir"),
        (".", "outside_config_dir"),
        ("link_out", "outside_config_dir"),
        ("missing", "not_found"),
        ("a_file.gpx", "not_folder"),
        ("", "not_found"),
    ],
)
def test_only_a_folder_inside_the_config_folder_is_watched(
    tmp_path: Path, typed: str, reason: str
) -> None:
    """Paths that leave the configuration folder, or are not folders, are refused with a reason."""
    config = tmp_path / "config"
    (config / "watch").mkdir(parents=True)
    (tmp_path / "elsewhere").mkdir()
    (config / "link_out").symlink_to(tmp_path / "elsewhere")
    (config / "a_file.gpx").write_bytes(b"")

    with pytest.raises(ExportPathError) as caught:
        resolve_watch_folder(config, typed)

    assert caught.value.reason == reason
    assert resolve_watch_folder(config, "watch") == (config / "watch").resolve()
    assert resolve_watch_folder(config, str(config / "watch")) == (config / "watch").resolve()


# ----- in Home Assistant ------------------------------------------------------------------------


def _distance_this_week(hass: HomeAssistant) -> float:
    state = hass.states.get("sensor.demo_runner_distance_this_week")
    assert state is not None
    return float(state.state)


async def test_the_option_is_checked_and_then_the_folder_imported(
    hass: HomeAssistant,
    config_dir: Path,
    demo_entry: MockConfigEntry,
    frozen_now: FrozenDateTimeFactory,
) -> None:
    """Bad folders are refused with their reason, a good one is watched at once."""
    await setup_entry(hass, demo_entry)
    watch = config_dir / "watch"
    (config_dir / "a_file.gpx").write_bytes(b"")
    before = _distance_this_week(hass)

    result = await hass.config_entries.options.async_init(demo_entry.entry_id)
    for typed, error in (
        ("../outside", "watch_outside_config_dir"),
        ("watch", "watch_not_found"),
        ("a_file.gpx", "watch_not_folder"),
    ):
        result = await hass.config_entries.options.async_configure(
            result["flow_id"], {**TYPED, "watch_folder": typed}
        )
        assert result["type"] is FlowResultType.FORM
        assert result["errors"] == {"watch_folder": error}
        assert "watch_folder" not in demo_entry.options

    watch.mkdir()
    (watch / "dawn.fit").write_bytes(fit_bytes(DAWN, points=400))
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {**TYPED, "watch_folder": " watch "}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert demo_entry.options["watch_folder"] == "watch"
    await hass.async_block_till_done()

    assert demo_entry.state is ConfigEntryState.LOADED
    store = demo_entry.runtime_data.coordinator.store
    assert file_activity_id(DAWN) in store.activities
    assert _distance_this_week(hass) == pytest.approx(before + 399 * 5 * 3.0 / 1000, abs=1e-3)

    # Cleared again: the folder is no longer watched.
    result = await hass.config_entries.options.async_init(demo_entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {**TYPED, "watch_folder": ""}
    )
    await hass.async_block_till_done()
    assert "watch_folder" not in demo_entry.options
    assert demo_entry.runtime_data.watcher is None


async def test_new_files_arrive_on_the_schedule_and_bad_ones_raise_one_issue(
    hass: HomeAssistant,
    config_dir: Path,
    frozen_now: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
    hass_storage: dict[str, Any],
) -> None:
    """A folder's history comes in quietly; later runs are news; bad files are named once."""
    watch = config_dir / "watch"
    watch.mkdir()
    (watch / "old.gpx").write_bytes(gpx_bytes(DAWN - timedelta(days=3)))
    entry = demo_config_entry(options=WATCH_OPTIONS)
    events: list[Event] = []
    hass.bus.async_listen(EVENT_ACTIVITY, events.append)

    await setup_entry(hass, entry)

    store = entry.runtime_data.coordinator.store
    assert file_activity_id(DAWN - timedelta(days=3)) in store.activities
    assert events == []
    assert issue_registry.async_get_issue(DOMAIN, ISSUE_ID) is None
    assert hass_storage[STORAGE_KEY]["data"]["watch"]["files"]["old.gpx"][2] is True

    # A run and a damaged file land; nothing happens before the next look.
    (watch / "dawn.tcx").write_bytes(tcx_bytes(DAWN, points=300))
    (watch / "broken.fit").write_bytes(b"\x0e\x10not a fit file")
    (watch / "nested").mkdir()
    (watch / "nested" / "empty.gpx").write_bytes(b"")
    frozen_now.tick(WATCH_INTERVAL - timedelta(seconds=5))
    async_fire_time_changed(hass)
    # Timers run their jobs as background tasks.
    await hass.async_block_till_done(wait_background_tasks=True)
    assert file_activity_id(DAWN) not in store.activities

    frozen_now.tick(timedelta(seconds=10))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)

    assert file_activity_id(DAWN) in store.activities
    assert [(e.data["action"], e.data["activity_id"]) for e in events] == [
        ("created", file_activity_id(DAWN))
    ]
    issue = issue_registry.async_get_issue(DOMAIN, ISSUE_ID)
    assert issue is not None
    assert issue.translation_key == "watch_unreadable"
    assert issue.translation_placeholders == {
        "folder": "watch",
        "files": "- broken.fit\n- nested/empty.gpx",
    }

    # Looking again does not read them again: each is read once until it changes.
    answer = await call_action(hass, "harvest", {"config_entry_id": entry.entry_id})
    assert answer["watched_folder"] == {
        "read": 0,
        "imported": 0,
        "unreadable": ["broken.fit", "nested/empty.gpx"],
        "folder_missing": False,
    }

    # Fixed and removed: the issue goes, on demand, without waiting for the schedule.
    (watch / "broken.fit").write_bytes(fit_bytes(DAWN - timedelta(days=1)))
    (watch / "nested" / "empty.gpx").unlink()
    answer = await call_action(hass, "harvest", {"config_entry_id": entry.entry_id})
    assert answer["watched_folder"]["read"] == 1
    assert answer["watched_folder"]["imported"] == 1
    assert issue_registry.async_get_issue(DOMAIN, ISSUE_ID) is None
    assert answer["new_or_updated"] == 0
    assert answer["activities"] == len(store.activities)


async def test_many_unreadable_files_are_named_up_to_ten(
    hass: HomeAssistant,
    config_dir: Path,
    frozen_now: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
) -> None:
    """The issue lists ten names and counts the rest, so it stays readable."""
    (config_dir / "watch").mkdir()
    for index in range(12):
        (config_dir / "watch" / f"bad{index:02}.fit").write_bytes(b"")
    entry = demo_config_entry(options=WATCH_OPTIONS)

    await setup_entry(hass, entry)

    issue = issue_registry.async_get_issue(DOMAIN, ISSUE_ID)
    assert issue is not None
    assert issue.translation_placeholders is not None
    lines = issue.translation_placeholders["files"].split("\n")
    assert lines == [*(f"- bad{index:02}.fit" for index in range(10)), "- (+2)"]


async def test_remembered_files_are_not_read_after_a_restart(
    hass: HomeAssistant, config_dir: Path, frozen_now: FrozenDateTimeFactory
) -> None:
    """The files read are remembered in the store: a reload reads none of them again."""
    watch = config_dir / "watch"
    watch.mkdir()
    (watch / "a.gpx").write_bytes(gpx_bytes(DAWN))
    entry = demo_config_entry(options=WATCH_OPTIONS)
    await setup_entry(hass, entry)

    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()

    answer = await call_action(hass, "harvest", {"config_entry_id": entry.entry_id})
    assert answer["watched_folder"]["read"] == 0
    assert file_activity_id(DAWN) in entry.runtime_data.coordinator.store.activities


async def test_a_vanished_folder_is_reported_and_forgets_nothing(
    hass: HomeAssistant,
    config_dir: Path,
    frozen_now: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
) -> None:
    """A folder removed (an unmounted drive) raises an issue; back again, nothing is read twice."""
    watch = config_dir / "watch"
    watch.mkdir()
    (watch / "a.gpx").write_bytes(gpx_bytes(DAWN))
    entry = demo_config_entry(options=WATCH_OPTIONS)
    await setup_entry(hass, entry)
    os.rename(watch, config_dir / "unmounted")

    answer = await call_action(hass, "harvest", {"config_entry_id": entry.entry_id})

    assert answer["watched_folder"]["folder_missing"] is True
    issue = issue_registry.async_get_issue(DOMAIN, ISSUE_ID)
    assert issue is not None
    assert issue.translation_key == "watch_folder_missing"
    os.rename(config_dir / "unmounted", watch)
    answer = await call_action(hass, "harvest", {"config_entry_id": entry.entry_id})
    assert answer["watched_folder"]["read"] == 0
    assert issue_registry.async_get_issue(DOMAIN, ISSUE_ID) is None

    # Removing the entry takes its issue along.
    os.rename(watch, config_dir / "unmounted")
    await call_action(hass, "harvest", {"config_entry_id": entry.entry_id})
    assert await hass.config_entries.async_remove(entry.entry_id)
    assert issue_registry.async_get_issue(DOMAIN, ISSUE_ID) is None


async def test_a_file_of_a_run_already_stored_is_merged_into_it(
    hass: HomeAssistant, config_dir: Path, frozen_now: FrozenDateTimeFactory
) -> None:
    """A Strava export row and the watch's own file of the same run make one run, with HR."""
    start = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)
    export = config_dir / "strava_export"
    export.mkdir()
    (export / "activities.csv").write_text(
        "Activity ID,Activity Date,Activity Name,Activity Type,Elapsed Time,Distance,Moving Time\n"
        '90000000003,"Nov 20, 2026, 6:00:00 AM",Dawn Strides,Run,600,1.79,595\n',
        encoding="utf-8",
    )
    (config_dir / "watch").mkdir()
    entry = demo_config_entry(options=WATCH_OPTIONS)
    await setup_entry(hass, entry)
    data = {"config_entry_id": entry.entry_id}
    await call_action(hass, "import_export", {**data, "path": "strava_export"})
    store = entry.runtime_data.coordinator.store
    count = len(store.activities)

    (config_dir / "watch" / "dawn.gpx").write_bytes(b"\n  " + strava_gpx(start))
    answer = await call_action(hass, "harvest", data)

    assert answer["watched_folder"]["imported"] == 1
    assert len(store.activities) == count
    assert store.activities[90000000003].stream_summary is not None
    assert store.merges == 1


async def test_an_entry_without_strava_or_folder_has_nothing_to_sync(
    hass: HomeAssistant, loaded_demo: MockConfigEntry
) -> None:
    """The sync action still refuses an entry with neither Strava nor a watched folder."""
    with pytest.raises(ServiceValidationError, match="neither syncs from Strava"):
        await call_action(hass, "harvest", {"config_entry_id": loaded_demo.entry_id})
