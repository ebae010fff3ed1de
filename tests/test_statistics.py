"""Tests for the history's long-term statistics: the charts agree with the sensors."""

from __future__ import annotations

from datetime import datetime, timedelta
import logging
from typing import Any
from unittest.mock import patch

from homeassistant.components.recorder import Recorder, get_instance
from homeassistant.components.recorder.statistics import statistics_during_period
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
from homeassistant.util.unit_system import US_CUSTOMARY_SYSTEM
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.coach_dyno.statistics import history_days, statistic_id
from tests.conftest import setup_entry


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(
    recorder_mock: Recorder, enable_custom_integrations: None
) -> None:
    """Start the recorder before Home Assistant, then let it load Coach Dyno."""


@pytest.fixture(autouse=True)
def quiet_database() -> None:
    """Keep SQL out of the log: the test harness logs every statement, which is slow."""
    logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)


async def _statistics(
    hass: HomeAssistant, entry: MockConfigEntry, kind: str, period: str, types: set[str]
) -> list[dict[str, Any]]:
    """Read one of the entry's statistics as the statistics-graph card does."""
    await async_wait_recording_done(hass)
    ident = statistic_id(entry.entry_id, kind)
    start = dt_util.utcnow() - timedelta(days=800)
    result = await get_instance(hass).async_add_executor_job(
        statistics_during_period, hass, start, None, {ident}, period, None, types
    )
    return list(result.get(ident, []))


def _state(hass: HomeAssistant, entity_id: str) -> float:
    state = hass.states.get(entity_id)
    assert state is not None
    return float(state.state)


def _since_reset(hass: HomeAssistant, entity_id: str) -> datetime:
    """Return when a periodic total's period started."""
    state = hass.states.get(entity_id)
    assert state is not None
    started = dt_util.parse_datetime(state.attributes["last_reset"])
    assert started is not None
    return started


def _change_at(rows: list[dict[str, Any]], start: datetime) -> float:
    """Return a period's change; a period without a run has no row and ran nothing."""
    return next((row["change"] for row in rows if row["start"] == start.timestamp()), 0.0)


async def test_charts_agree_with_the_sensors(
    recorder_mock: Recorder, hass: HomeAssistant, demo_entry: MockConfigEntry
) -> None:
    """Last week's bar is the distance last week; the fitness curve ends where the sensor is."""
    await setup_entry(hass, demo_entry)
    await hass.async_block_till_done()

    weeks = await _statistics(hass, demo_entry, "distance", "week", {"change"})
    # Two years of weeks with runs.
    assert len(weeks) > 100
    this_week = _since_reset(hass, "sensor.demo_runner_distance_this_week")
    assert _change_at(weeks, this_week) == pytest.approx(
        _state(hass, "sensor.demo_runner_distance_this_week"), abs=0.01
    )
    assert _change_at(weeks, this_week - timedelta(days=7)) == pytest.approx(
        _state(hass, "sensor.demo_runner_distance_last_week"), abs=0.01
    )
    assert _state(hass, "sensor.demo_runner_distance_last_week") > 10
    months = await _statistics(hass, demo_entry, "distance", "month", {"change"})
    this_month = _since_reset(hass, "sensor.demo_runner_distance_this_month")
    assert _change_at(months, this_month) == pytest.approx(
        _state(hass, "sensor.demo_runner_distance_this_month"), abs=0.01
    )
    for kind in ("fitness", "fatigue", "form"):
        days = await _statistics(hass, demo_entry, kind, "day", {"mean"})
        # Every day of the 90-day chart, then one a week back to the first run.
        local_days = [dt_util.as_local(dt_util.utc_from_timestamp(d["start"])).date() for d in days]
        assert local_days[-90:] == [
            local_days[-1] - timedelta(days=back) for back in range(89, -1, -1)
        ]
        assert len(await _statistics(hass, demo_entry, kind, "week", {"mean"})) > 100
        assert days[-1]["mean"] == pytest.approx(
            _state(hass, f"sensor.demo_runner_{kind}"), abs=0.01
        ), kind

    # After a restart the recorder already holds the same history: nothing is sent again.
    with patch("custom_components.coach_dyno.statistics.async_add_external_statistics") as send:
        assert await hass.config_entries.async_reload(demo_entry.entry_id)
        await hass.async_block_till_done()
    send.assert_not_called()


async def test_miles_and_only_what_changed(
    recorder_mock: Recorder, hass: HomeAssistant, demo_entry: MockConfigEntry
) -> None:
    """With US customary units the bars are in miles; a new run rewrites only its days."""
    hass.config.units = US_CUSTOMARY_SYSTEM
    await setup_entry(hass, demo_entry)
    weeks = await _statistics(hass, demo_entry, "distance", "week", {"change"})
    last_week = _since_reset(hass, "sensor.demo_runner_distance_this_week") - timedelta(days=7)
    assert _change_at(weeks, last_week) == pytest.approx(
        _state(hass, "sensor.demo_runner_distance_last_week"), abs=0.01
    )
    coordinator = demo_entry.runtime_data.coordinator
    history = history_days(
        coordinator.store.activities.values(),
        coordinator.data.profile,
        coordinator.data.snapshot.today,
    )
    assert history[-1].fitness == pytest.approx(coordinator.data.snapshot.load.ctl)
    # Nothing run yet (or only in the future): no days at all.
    first_day = min(day.day for day in history)
    assert history_days((), coordinator.data.profile, first_day) == []
    assert sum(day.distance_m for day in history[-7:]) == pytest.approx(
        coordinator.data.snapshot.volume.rolling_7d.distance_m
    )
