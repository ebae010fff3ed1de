"""Calendar: past runs from the history and the coach's planned workouts."""

from __future__ import annotations

from datetime import datetime, timedelta

from homeassistant.components.calendar import CalendarEntity, CalendarEvent
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util import dt as dt_util

from .coach.formatting import fmt_distance, fmt_duration, fmt_pace, pace_of
from .coach.settings import Units
from .coordinator import CoachDynoConfigEntry
from .entity import CoachDynoEntity
from .intent import ha_units
from .training import Activity

PARALLEL_UPDATES = 0

# A run without any recorded time still needs an end after its start.
MIN_RUN_DURATION = timedelta(minutes=1)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: CoachDynoConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the training calendar."""
    async_add_entities([TrainingCalendar(entry)])


def _run_end(activity: Activity) -> datetime:
    """Return when a recorded run ended."""
    duration = timedelta(seconds=activity.elapsed_s or activity.moving_s)
    return activity.start + max(duration, MIN_RUN_DURATION)


def _run_event(activity: Activity, units: Units) -> CalendarEvent:
    """Describe a recorded run as a calendar event."""
    pace = fmt_pace(pace_of(activity.distance_m, activity.moving_s), units)
    return CalendarEvent(
        start=activity.start,
        end=_run_end(activity),
        summary=activity.name or activity.sport_type,
        description=(
            f"{fmt_distance(activity.distance_m, units, 2)} in "
            f"{fmt_duration(activity.moving_s)} ({pace})"
        ),
        uid=f"activity_{activity.id}",
    )


def _overlaps(event: CalendarEvent, start: datetime, end: datetime) -> bool:
    """Whether an event shares any moment with [start, end)."""
    return event.start_datetime_local < end and event.end_datetime_local > start


class TrainingCalendar(CoachDynoEntity, CalendarEntity):
    """What was run and what the coach plans next."""

    _attr_translation_key = "training"

    def __init__(self, entry: CoachDynoConfigEntry) -> None:
        """Create the calendar."""
        super().__init__(entry.runtime_data.coordinator, "training_calendar")
        self._entry = entry

    def _planned(self) -> list[CalendarEvent]:
        """Return today's 7-day plan (today's briefing's, or the offline coach's) as all-day events."""
        return [
            CalendarEvent(
                start=workout.date,
                end=workout.date + timedelta(days=1),
                summary=workout.title,
                description=workout.description,
                uid=f"plan_{workout.date.isoformat()}",
            )
            for workout in self._entry.runtime_data.coach.todays_briefing(
                self.coordinator.data.snapshot
            ).plan
        ]

    @property
    def event(self) -> CalendarEvent | None:
        """Return today's or the next planned workout, if the coach has made a plan."""
        now = dt_util.now()
        upcoming = [event for event in self._planned() if event.end_datetime_local > now]
        return min(upcoming, key=lambda event: event.start_datetime_local, default=None)

    async def async_get_events(
        self, hass: HomeAssistant, start_date: datetime, end_date: datetime
    ) -> list[CalendarEvent]:
        """Return the runs and planned workouts that overlap [start_date, end_date)."""
        units = ha_units(hass)
        # Years of history: compare instants first, build events only for what is shown.
        events = [
            _run_event(activity, units)
            for activity in self.coordinator.store.activities.values()
            if activity.start < end_date and _run_end(activity) > start_date
        ]
        events.extend(event for event in self._planned() if _overlaps(event, start_date, end_date))
        return sorted(events, key=lambda event: event.start_datetime_local)
