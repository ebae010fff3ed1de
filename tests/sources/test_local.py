"""Files on this machine: typed paths are read off the event loop; the demo history moves."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
import threading
from unittest.mock import patch

from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.coach_dyno.const import (
    CONF_EXPORT_PATH,
    CONF_SOURCE_KIND,
    DOMAIN,
    SOURCE_DEMO,
    SOURCE_EXPORT,
)
from custom_components.coach_dyno.sources import local
from custom_components.coach_dyno.sources.export import file_activity_id, resolve_import_path
from custom_components.coach_dyno.sources.local import (
    async_check_export,
    async_read_source,
    shift_to_end_before,
)
from custom_components.coach_dyno.training import Activity
from tests.sources.test_export import START, gpx_bytes


def _runs(*days: date) -> tuple[Activity, ...]:
    return tuple(
        Activity(
            id=index,
            start=datetime(day.year, day.month, day.day, 6, 30, tzinfo=UTC),
            sport_type="Run",
            distance_m=8000,
            moving_s=2700,
        )
        for index, day in enumerate(days)
    )


@pytest.mark.parametrize(
    ("newest", "today"),
    [
        (date(2026, 11, 24), date(2027, 3, 3)),  # bundled long ago: moved forward
        (date(2026, 11, 24), date(2026, 11, 20)),  # runs past today: moved back
        (date(2026, 11, 24), date(2026, 11, 24)),  # ends today: left alone
    ],
)
def test_history_ends_in_the_week_before_today(newest: date, today: date) -> None:
    """Every run keeps its weekday and the newest lands within the last seven days."""
    history = _runs(newest - timedelta(days=10), newest - timedelta(days=3), newest)
    moved = shift_to_end_before(history, today)

    assert [run.id for run in moved] == [run.id for run in history]
    assert [run.start.weekday() for run in moved] == [run.start.weekday() for run in history]
    assert 0 <= (today - max(run.start for run in moved).date()).days < 7
    gaps = {moved_run.start - run.start for moved_run, run in zip(moved, history, strict=True)}
    assert len(gaps) == 1


def test_history_already_current_is_the_same_object() -> None:
    """Nothing to move means nothing to rewrite (the store is not saved again)."""
    history = _runs(date(2026, 11, 18), date(2026, 11, 21))
    assert shift_to_end_before(history, date(2026, 11, 23)) is history
    assert shift_to_end_before((), date(2026, 11, 23)) == ()


@pytest.fixture
def folders(config_dir: Path) -> Path:
    """Fill the configuration folder: one GPX run under runs/, nothing under empty/."""
    (config_dir / "runs").mkdir()
    (config_dir / "runs" / "morning.gpx").write_bytes(gpx_bytes())
    (config_dir / "empty").mkdir()
    return config_dir


async def test_export_entry_is_resolved_and_read_off_the_event_loop(
    hass: HomeAssistant, folders: Path
) -> None:
    """Resolving the typed path touches the file system: it runs in the executor with the read."""
    threads: list[int] = []

    def resolve(base: Path, user_path: str) -> Path:
        threads.append(threading.get_ident())
        return resolve_import_path(base, user_path)

    entry = MockConfigEntry(
        domain=DOMAIN, data={CONF_SOURCE_KIND: SOURCE_EXPORT, CONF_EXPORT_PATH: "runs"}
    )
    with patch.object(local, "resolve_import_path", resolve):
        result = await async_read_source(hass, entry)

    assert [activity.id for activity in result.activities] == [file_activity_id(START)]
    assert threads
    assert hass.loop_thread_id not in threads


@pytest.mark.parametrize(
    ("typed", "error"),
    [
        ("../elsewhere", "export_outside_config_dir"),
        ("missing", "export_not_found"),
        ("empty", "export_no_activities"),
    ],
)
async def test_check_export_names_what_is_wrong(
    hass: HomeAssistant, folders: Path, typed: str, error: str
) -> None:
    """A path that cannot be imported comes back as typed, with the error the form shows."""
    assert await async_check_export(hass, typed) == (typed, error, 0)


async def test_check_export_returns_the_resolved_path_and_count(
    hass: HomeAssistant, folders: Path
) -> None:
    """A good path comes back resolved, so the entry stores where the files really are."""
    assert await async_check_export(hass, "./runs/") == (
        str((folders / "runs").resolve()),
        None,
        1,
    )


async def test_demo_entry_reads_the_bundled_history_ending_this_week(hass: HomeAssistant) -> None:
    """The demo runner's bundled history is read and moved to end within the last seven days."""
    entry = MockConfigEntry(domain=DOMAIN, data={CONF_SOURCE_KIND: SOURCE_DEMO})

    result = await async_read_source(hass, entry)

    assert len(result.activities) > 100
    newest = max(activity.start for activity in result.activities).date()
    assert 0 <= (dt_util.now().date() - newest).days < 7
