"""Tests for the training calendar: past runs by range, planned workouts after a briefing."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, cast

from homeassistant.const import ATTR_ENTITY_ID, STATE_ON, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
from homeassistant.util.unit_system import US_CUSTOMARY_SYSTEM
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from syrupy.assertion import SnapshotAssertion

from custom_components.coach_dyno.training import Activity
from tests.conftest import (
    FROZEN_NOW,
    METERS_PER_MILE,
    call_action,
    setup_entry,
    snapshot_one_platform,
)

CALENDAR_DOMAIN = "calendar"
CALENDAR = "calendar.demo_runner_training"
EVENT_START = "start"
EVENT_END = "end"


async def _events(hass: HomeAssistant, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Ask the calendar for its events between two instants, as an automation would."""
    response = await hass.services.async_call(
        CALENDAR_DOMAIN,
        "get_events",
        {ATTR_ENTITY_ID: CALENDAR, "start_date_time": start, "end_date_time": end},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    return cast(list[dict[str, Any]], cast(dict[str, Any], response[CALENDAR])["events"])


def _activities(entry: MockConfigEntry) -> list[Activity]:
    return list(entry.runtime_data.coordinator.store.activities.values())


async def _brief(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, Any]:
    return await call_action(hass, "generate_briefing", {"config_entry_id": entry.entry_id})


@pytest.mark.usefixtures("frozen_now")
async def test_snapshot(
    hass: HomeAssistant,
    demo_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """Before any briefing the offline coach's plan is there: today's session is on."""
    await snapshot_one_platform(hass, demo_entry, entity_registry, snapshot, Platform.CALENDAR)


async def test_past_runs_in_a_range(hass: HomeAssistant, loaded_demo: MockConfigEntry) -> None:
    """The runs that overlap the range come back in order, with distance and time."""
    end = FROZEN_NOW
    start = end - timedelta(days=14)
    expected = sorted(
        (a for a in _activities(loaded_demo) if start <= a.start < end), key=lambda a: a.start
    )
    assert len(expected) > 5

    events = await _events(hass, start, end)
    # Recorded runs have a time of day; the plan's days are dates.
    runs = [event for event in events if "T" in event[EVENT_START]]

    assert [event["summary"] for event in runs] == [a.name for a in expected]
    first, activity = runs[0], expected[0]
    assert dt_util.parse_datetime(first[EVENT_START]) == activity.start
    assert dt_util.parse_datetime(first[EVENT_END]) == activity.start + timedelta(
        seconds=activity.elapsed_s
    )
    assert first["description"].startswith(f"{activity.distance_m / 1000:.2f} km in ")


async def test_range_edges(hass: HomeAssistant, loaded_demo: MockConfigEntry) -> None:
    """A run that started before the range but was still going inside it counts; one after does not."""
    run = max((a for a in _activities(loaded_demo) if a.start < FROZEN_NOW), key=lambda a: a.start)
    middle = run.start + timedelta(seconds=run.elapsed_s / 2)
    during = await _events(hass, middle, middle + timedelta(minutes=1))
    assert [event["summary"] for event in during] == [run.name]
    after_end = run.start + timedelta(seconds=run.elapsed_s)
    assert await _events(hass, after_end, after_end + timedelta(minutes=1)) == []


async def test_planned_workouts_after_a_briefing(
    hass: HomeAssistant, loaded_demo: MockConfigEntry
) -> None:
    """The 7-day plan shows as all-day events from today, before any briefing; today's is current."""
    today = dt_util.as_local(FROZEN_NOW).date()
    state = hass.states.get(CALENDAR)
    assert state is not None
    # Nobody asked for a briefing yet: the offline coach's plan is already there.
    assert state.state == STATE_ON

    briefing = await _brief(hass, loaded_demo)
    plan = briefing["plan"]
    assert [day["date"] for day in plan] == [
        (today + timedelta(days=offset)).isoformat() for offset in range(7)
    ]
    # Recorded runs have a time of day; planned days are dates.
    start = dt_util.as_local(FROZEN_NOW)
    events = await _events(hass, start, start + timedelta(days=7))
    planned = [event for event in events if "T" not in event[EVENT_START]]
    assert [(event[EVENT_START], event["summary"]) for event in planned] == [
        (day["date"], day["title"]) for day in plan
    ]
    assert all(
        date.fromisoformat(event[EVENT_END])
        == date.fromisoformat(event[EVENT_START]) + timedelta(days=1)
        for event in planned
    )

    state = hass.states.get(CALENDAR)
    assert state is not None
    assert state.state == STATE_ON
    assert state.attributes["message"] == plan[0]["title"]
    assert state.attributes["all_day"] is True


async def test_plan_outside_the_range(hass: HomeAssistant, loaded_demo: MockConfigEntry) -> None:
    """Planned days are only returned when the range reaches them."""
    await _brief(hass, loaded_demo)
    start = dt_util.as_local(FROZEN_NOW) - timedelta(days=30)
    events = await _events(hass, start, start + timedelta(days=2))
    assert events
    assert all("T" in event[EVENT_START] for event in events)


@pytest.mark.usefixtures("frozen_now")
async def test_descriptions_follow_the_unit_system(
    hass: HomeAssistant, demo_entry: MockConfigEntry
) -> None:
    """With US customary units a run reads in miles and minutes per mile."""
    hass.config.units = US_CUSTOMARY_SYSTEM
    await setup_entry(hass, demo_entry)
    run = max((a for a in _activities(demo_entry) if a.start < FROZEN_NOW), key=lambda a: a.start)
    events = await _events(hass, run.start, run.start + timedelta(seconds=1))
    assert len(events) == 1
    description = events[0]["description"]
    assert description.startswith(f"{run.distance_m / METERS_PER_MILE:.2f} mi in ")
    assert description.endswith("/mi)")
