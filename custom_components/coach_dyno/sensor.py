"""Sensors: volume, load, form, race outlook and the latest run, as numbers with units."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import EntityCategory, UnitOfLength, UnitOfTime
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType
from homeassistant.util import dt as dt_util

from .coach.formatting import METERS_PER_MILE
from .coach.settings import Units
from .coordinator import CoachCoordinator, CoachData, CoachDynoConfigEntry
from .entity import CoachDynoEntity
from .intent import ha_units
from .training import LoadSummary, TrainingPhase, Volume
from .training.load import ACUTE_DAYS, ATL_DAYS, CHRONIC_DAYS, CTL_DAYS

PARALLEL_UPDATES = 0

UNIT_BPM = "bpm"


@dataclass(frozen=True, kw_only=True)
class CoachSensorDescription(SensorEntityDescription):
    """How one sensor reads the coach's data."""

    value_fn: Callable[[CoachData], StateType | datetime]
    # Periodic totals name the start of their period, so long-term statistics see the reset.
    period_start_fn: Callable[[CoachData], datetime | None] | None = None
    attr_fn: Callable[[CoachData], dict[str, Any]] | None = None
    is_pace: bool = False


def _km(meters: float | None) -> float | None:
    return None if meters is None else round(meters / 1000, 3)


def _local_midnight(data: CoachData, day_offset: int = 0) -> datetime:
    """Return the start of a local day relative to the snapshot's today."""
    zone = dt_util.get_time_zone(data.profile.time_zone)
    day = data.snapshot.today + timedelta(days=day_offset)
    return datetime.combine(day, time(), tzinfo=zone)


def _week_start(data: CoachData) -> datetime:
    return _local_midnight(data, -data.snapshot.today.weekday())


def _month_start(data: CoachData) -> datetime:
    return _local_midnight(data, 1 - data.snapshot.today.day)


def _year_start(data: CoachData) -> datetime:
    return _local_midnight(data, 1 - data.snapshot.today.timetuple().tm_yday)


def _distance(
    key: str,
    volume: Callable[[CoachData], Volume],
    period_start: Callable[[CoachData], datetime] | None,
    **kwargs: Any,
) -> CoachSensorDescription:
    """Describe a distance total for one period (a rolling window is a measurement)."""
    kwargs.setdefault(
        "state_class", SensorStateClass.TOTAL if period_start else SensorStateClass.MEASUREMENT
    )
    return CoachSensorDescription(
        key=key,
        translation_key=key,
        device_class=SensorDeviceClass.DISTANCE,
        native_unit_of_measurement=UnitOfLength.KILOMETERS,
        suggested_display_precision=1,
        value_fn=lambda data: _km(volume(data).distance_m),
        period_start_fn=period_start,
        **kwargs,
    )


def _race(data: CoachData, field: str) -> Any:
    return None if data.snapshot.race is None else getattr(data.snapshot.race, field)


def _latest(data: CoachData, field: str) -> Any:
    run = data.snapshot.latest_run
    return None if run is None else getattr(run, field)


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def _yesterday(data: CoachData) -> date:
    return data.snapshot.today - timedelta(days=1)


def _load(
    key: str,
    value: Callable[[LoadSummary], float | None],
    digits: int,
    window: Callable[[CoachData], tuple[int, date]],
    **kwargs: Any,
) -> CoachSensorDescription:
    """Describe a training-load number: unknown when it is, `estimated` when pace stood in for HR."""
    kwargs.setdefault("state_class", SensorStateClass.MEASUREMENT)
    kwargs.setdefault("suggested_display_precision", 1)
    return CoachSensorDescription(
        key=key,
        translation_key=key,
        value_fn=lambda data: _round(value(data.snapshot.load), digits),
        attr_fn=lambda data: {"estimated": data.snapshot.load.estimated_within(*window(data))},
        **kwargs,
    )


SENSORS: tuple[CoachSensorDescription, ...] = (
    _distance("distance_this_week", lambda d: d.snapshot.volume.this_week, _week_start),
    _distance("distance_last_week", lambda d: d.snapshot.volume.last_week, None, state_class=None),
    _distance("distance_rolling_7d", lambda d: d.snapshot.volume.rolling_7d, None),
    _distance("distance_this_month", lambda d: d.snapshot.volume.this_month, _month_start),
    _distance("distance_this_year", lambda d: d.snapshot.volume.this_year, _year_start),
    CoachSensorDescription(
        key="runs_this_week",
        translation_key="runs_this_week",
        state_class=SensorStateClass.TOTAL,
        value_fn=lambda d: d.snapshot.volume.this_week.count,
        period_start_fn=_week_start,
    ),
    CoachSensorDescription(
        key="moving_time_this_week",
        translation_key="moving_time_this_week",
        device_class=SensorDeviceClass.DURATION,
        native_unit_of_measurement=UnitOfTime.SECONDS,
        suggested_unit_of_measurement=UnitOfTime.HOURS,
        suggested_display_precision=1,
        state_class=SensorStateClass.TOTAL,
        value_fn=lambda d: round(d.snapshot.volume.this_week.moving_s),
        period_start_fn=_week_start,
    ),
    _load(
        "trimp_today",
        lambda load: load.trimp_today,
        1,
        lambda d: (1, d.snapshot.today),
        state_class=SensorStateClass.TOTAL,
        suggested_display_precision=0,
        period_start_fn=_local_midnight,
    ),
    _load(
        "trimp_7d",
        lambda load: load.trimp_7d,
        1,
        lambda d: (ACUTE_DAYS, d.snapshot.load.window_end),
        suggested_display_precision=0,
    ),
    _load("fitness", lambda load: load.ctl, 2, lambda d: (CTL_DAYS, d.snapshot.today)),
    _load("fatigue", lambda load: load.atl, 2, lambda d: (ATL_DAYS, d.snapshot.today)),
    # Form is yesterday's CTL - ATL.
    _load("form", lambda load: load.tsb, 2, lambda d: (CTL_DAYS, _yesterday(d))),
    _load(
        "acwr",
        lambda load: load.acwr,
        3,
        lambda d: (CHRONIC_DAYS, d.snapshot.load.window_end),
        suggested_display_precision=2,
    ),
    _load(
        "monotony",
        lambda load: load.monotony,
        3,
        lambda d: (ACUTE_DAYS, d.snapshot.load.window_end),
        suggested_display_precision=2,
        entity_registry_enabled_default=False,
    ),
    _load(
        "strain",
        lambda load: load.strain,
        1,
        lambda d: (ACUTE_DAYS, d.snapshot.load.window_end),
        suggested_display_precision=0,
        entity_registry_enabled_default=False,
    ),
    CoachSensorDescription(
        key="days_to_race",
        translation_key="days_to_race",
        native_unit_of_measurement=UnitOfTime.DAYS,
        value_fn=lambda d: _race(d, "days_to_race"),
        attr_fn=lambda d: {
            "race_date": None if (day := _race(d, "race_date")) is None else day.isoformat()
        },
    ),
    CoachSensorDescription(
        key="weeks_to_race",
        translation_key="weeks_to_race",
        native_unit_of_measurement=UnitOfTime.WEEKS,
        value_fn=lambda d: _race(d, "weeks_to_race"),
    ),
    CoachSensorDescription(
        key="training_phase",
        translation_key="training_phase",
        device_class=SensorDeviceClass.ENUM,
        options=[phase.value for phase in TrainingPhase],
        value_fn=lambda d: None if (p := _race(d, "phase")) is None else str(p),
    ),
    CoachSensorDescription(
        key="predicted_race_time",
        translation_key="predicted_race_time",
        device_class=SensorDeviceClass.DURATION,
        native_unit_of_measurement=UnitOfTime.SECONDS,
        suggested_unit_of_measurement=UnitOfTime.MINUTES,
        suggested_display_precision=1,
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda d: _round(_race(d, "predicted_time_s"), 0),
        attr_fn=lambda d: {
            "riegel_time_s": _round(_race(d, "riegel_time_s"), 0),
            "goal_time_s": _race(d, "goal_time_s"),
            "on_track": _race(d, "on_track"),
        },
    ),
    CoachSensorDescription(
        key="goal_pace",
        translation_key="goal_pace",
        is_pace=True,
        value_fn=lambda d: _race(d, "goal_pace_s_per_km"),
    ),
    CoachSensorDescription(
        key="vdot",
        translation_key="vdot",
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=1,
        value_fn=lambda d: _round(d.snapshot.vdot, 2),
    ),
    CoachSensorDescription(
        key="latest_run_distance",
        translation_key="latest_run_distance",
        device_class=SensorDeviceClass.DISTANCE,
        native_unit_of_measurement=UnitOfLength.KILOMETERS,
        suggested_display_precision=2,
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda d: _km(_latest(d, "distance_m")),
        attr_fn=lambda d: {"activity_id": _latest(d, "id"), "name": _latest(d, "name")},
    ),
    CoachSensorDescription(
        key="latest_run_pace",
        translation_key="latest_run_pace",
        state_class=SensorStateClass.MEASUREMENT,
        is_pace=True,
        value_fn=lambda d: _latest(d, "pace_s_per_km"),
    ),
    CoachSensorDescription(
        key="latest_run_heart_rate",
        translation_key="latest_run_heart_rate",
        native_unit_of_measurement=UNIT_BPM,
        suggested_display_precision=0,
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda d: _round(_latest(d, "avg_hr"), 1),
    ),
    CoachSensorDescription(
        key="latest_run_trimp",
        translation_key="latest_run_trimp",
        suggested_display_precision=0,
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda d: _round(_latest(d, "trimp"), 1),
    ),
    CoachSensorDescription(
        key="latest_run_efficiency",
        translation_key="latest_run_efficiency",
        suggested_display_precision=2,
        entity_registry_enabled_default=False,
        value_fn=lambda d: _round(_latest(d, "efficiency_factor"), 3),
        attr_fn=lambda d: {"decoupling_pct": _round(_latest(d, "decoupling_pct"), 1)},
    ),
    CoachSensorDescription(
        key="latest_run_start",
        translation_key="latest_run_start",
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=lambda d: _latest(d, "start"),
    ),
    CoachSensorDescription(
        key="last_sync",
        translation_key="last_sync",
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda d: d.last_sync,
        attr_fn=lambda d: {"sync_error": d.sync_error, "activities": d.snapshot.activity_count},
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: CoachDynoConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the athlete's sensors."""
    coordinator = entry.runtime_data.coordinator
    async_add_entities(CoachSensor(coordinator, description) for description in SENSORS)


class CoachSensor(CoachDynoEntity, SensorEntity):
    """A number from the training snapshot."""

    entity_description: CoachSensorDescription

    def __init__(self, coordinator: CoachCoordinator, description: CoachSensorDescription) -> None:
        """Set up the sensor from its description."""
        super().__init__(coordinator, description.key)
        self.entity_description = description

    @property
    def _imperial(self) -> bool:
        return ha_units(self.hass) is Units.IMPERIAL

    @property
    def native_unit_of_measurement(self) -> str | None:
        """Return the unit; pace has no converter in Home Assistant, so it follows the units here."""
        if self.entity_description.is_pace:
            return "min/mi" if self._imperial else "min/km"
        return super().native_unit_of_measurement

    @property
    def native_value(self) -> StateType | datetime:
        """Return the value for the current snapshot."""
        value = self.entity_description.value_fn(self.coordinator.data)
        if self.entity_description.is_pace and isinstance(value, (int, float)):
            # Decimal minutes per km or mile: a number, so cards can graph and compare it.
            per_unit = value * (METERS_PER_MILE / 1000 if self._imperial else 1)
            return round(per_unit / 60, 2)
        return value

    @property
    def last_reset(self) -> datetime | None:
        """Return the start of the current period for periodic totals."""
        if self.entity_description.period_start_fn is None:
            return None
        return self.entity_description.period_start_fn(self.coordinator.data)

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """Return extra context where a number alone is not enough."""
        if self.entity_description.attr_fn is None:
            return None
        return self.entity_description.attr_fn(self.coordinator.data)
