"""Tests for the history's long-term statistics: the charts agree with the sensors."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

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


async def test_charts_agree_with_the_sensors(
    recorder_mock: Recorder, hass: HomeAssistant, demo_entry: MockConfigEntry
) -> None:
    """Last week's bar is the distance last week; the fitness curve ends where the sensor is."""
    await setup_entry(hass, demo_entry)
    await hass.async_block_till_done()

    weeks = await _statistics(hass, demo_entry, "distance", "week", {"change"})
    # Two years of weeks; the last one is this (partial) week.
    assert len(weeks) > 100
    assert weeks[-1]["change"] == pytest.approx(
        _state(hass, "sensor.demo_runner_distance_this_week"), abs=0.01
    )
    assert weeks[-2]["change"] == pytest.approx(
        _state(hass, "sensor.demo_runner_distance_last_week"), abs=0.01
    )
    months = await _statistics(hass, demo_entry, "distance", "month", {"change"})
    assert months[-1]["change"] == pytest.approx(
        _state(hass, "sensor.demo_runner_distance_this_month"), abs=0.01
    )
    for kind in ("fitness", "fatigue", "form"):
        days = await _statistics(hass, demo_entry, kind, "day", {"mean"})
        assert len(days) > 700
        assert days[-1]["mean"] == pytest.approx(
            _state(hass, f"sensor.demo_runner_{kind}"), abs=0.01
        ), kind


async def test_miles_and_only_what_changed(
    recorder_mock: Recorder, hass: HomeAssistant, demo_entry: MockConfigEntry
) -> None:
    """With US customary units the bars are in miles; a new run rewrites only its days."""
    hass.config.units = US_CUSTOMARY_SYSTEM
    await setup_entry(hass, demo_entry)
    weeks = await _statistics(hass, demo_entry, "distance", "week", {"change"})
    assert weeks[-2]["change"] == pytest.approx(
        _state(hass, "sensor.demo_runner_distance_last_week"), abs=0.01
    )
    coordinator = demo_entry.runtime_data.coordinator
    history = history_days(
        coordinator.store.activities.values(),
        coordinator.data.profile,
        coordinator.data.snapshot.today,
    )
    assert history[-1].fitness == pytest.approx(coordinator.data.snapshot.load.ctl)
    assert sum(day.distance_m for day in history[-7:]) == pytest.approx(
        coordinator.data.snapshot.volume.rolling_7d.distance_m
    )
