"""Sensors: volume, load, form, race outlook and the latest run, as numbers with units."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from homeassistant.components.sensor import (
    DOMAIN as SENSOR_DOMAIN,
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import EntityCategory, UnitOfLength, UnitOfTime
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType
from homeassistant.util import dt as dt_util

from .coach import Analysis
from .coach.formatting import METERS_PER_MILE, fmt_duration, fmt_pace
from .coach.offline import risk_messages
from .coach.risk import detect_risks
from .coach.schemas import plan_as_dicts
from .coach.settings import Units
from .const import DOMAIN
from .coordinator import WELLNESS_ENTITIES, CoachCoordinator, CoachData, CoachDynoConfigEntry
from .entity import CoachDynoEntity
from .intent import ha_units
from .training import LoadSummary, TrainingPhase, Volume
from .training.load import ACUTE_DAYS, ATL_DAYS, CHRONIC_DAYS, CTL_DAYS
from .training.readiness import ReadinessState

PARALLEL_UPDATES = 0

UNIT_BPM = "bpm"
# Durations an older version showed in hours or minutes (now seconds, with an h:mm:ss attribute).
DURATION_KEYS = ("moving_time_this_week", "predicted_race_time")
OLD_DURATION_UNITS = (UnitOfTime.HOURS, UnitOfTime.MINUTES)


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


def _seconds(value: float | None) -> int | None:
    return None if value is None else round(value)


def _duration_text(seconds: float | None) -> str | None:
    return None if seconds is None else fmt_duration(seconds)


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
        # Whole seconds for automations and statistics; the frontend has no h:mm:ss for a
        # duration (it writes "34m 9s" or "2,049 s"), so the attribute carries it for cards.
        device_class=SensorDeviceClass.DURATION,
        native_unit_of_measurement=UnitOfTime.SECONDS,
        suggested_display_precision=0,
        state_class=SensorStateClass.TOTAL,
        value_fn=lambda d: round(d.snapshot.volume.this_week.moving_s),
        period_start_fn=_week_start,
        attr_fn=lambda d: {"formatted": fmt_duration(d.snapshot.volume.this_week.moving_s)},
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
        suggested_display_precision=0,
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda d: _seconds(_race(d, "predicted_time_s")),
        attr_fn=lambda d: {
            "riegel_time_s": _seconds(_race(d, "riegel_time_s")),
            "goal_time_s": _race(d, "goal_time_s"),
            "on_track": _race(d, "on_track"),
            # As a runner writes them, for cards that show text (h:mm:ss).
            "formatted": _duration_text(_race(d, "predicted_time_s")),
            "goal_formatted": _duration_text(_race(d, "goal_time_s")),
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


def _readiness_attributes(data: CoachData) -> dict[str, Any]:
    """Return readiness's reasons and numbers, and what the heat and the calendar change."""
    conditions = data.snapshot.conditions
    readiness = conditions.readiness
    low, high = readiness.hrv_range or (None, None)
    return {
        "reasons": [reason.value for reason in readiness.reasons],
        "hrv_7d": _round(readiness.hrv_7d, 1),
        "hrv_baseline": _round(readiness.hrv_baseline, 1),
        "hrv_normal_low": _round(low, 1),
        "hrv_normal_high": _round(high, 1),
        "hrv_days_below": readiness.hrv_days_below,
        "resting_hr_7d": _round(readiness.rhr_7d, 1),
        "resting_hr_baseline": _round(readiness.rhr_baseline, 1),
        "sleep_last_night_h": _round(readiness.sleep_hours, 2),
        "sleep_score": _round(readiness.sleep_score, 0),
        "heat_adjustment_pct": None if conditions.heat is None else conditions.heat.slowdown_pct,
        "busy_days": sorted(day.isoformat() for day in conditions.busy_days),
    }


READINESS = CoachSensorDescription(
    key="readiness",
    translation_key="readiness",
    device_class=SensorDeviceClass.ENUM,
    options=[state.value for state in ReadinessState],
    value_fn=lambda d: None if (state := d.snapshot.conditions.readiness.state) is None else state,
    attr_fn=_readiness_attributes,
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: CoachDynoConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the athlete's sensors."""
    _forget_old_duration_units(hass, entry)
    coordinator = entry.runtime_data.coordinator
    # Readiness only for a runner whose wellness the coach reads (sensors, or records from a source).
    readiness = (
        [CoachSensor(coordinator, READINESS)]
        if coordinator.wellness.days or any(entry.options.get(key) for key in WELLNESS_ENTITIES)
        else []
    )
    async_add_entities(
        [
            *(CoachSensor(coordinator, description) for description in SENSORS),
            *readiness,
            BriefingSensor(entry),
            LatestAnalysisSensor(entry),
            RiskFlagsSensor(entry),
        ]
    )


def _forget_old_duration_units(hass: HomeAssistant, entry: CoachDynoConfigEntry) -> None:
    """
    Show the durations in seconds again where an older version suggested hours or minutes.

    Home Assistant keeps a suggested unit in the registry for good, and converted states read
    "0.569166666666667 h"; a unit the user picked is left alone.
    """
    registry = er.async_get(hass)
    athlete = entry.unique_id or entry.entry_id
    for key in DURATION_KEYS:
        entity_id = registry.async_get_entity_id(SENSOR_DOMAIN, DOMAIN, f"{athlete}_{key}")
        if entity_id is None or (registry_entry := registry.async_get(entity_id)) is None:
            continue
        private: Mapping[str, Any] = registry_entry.options.get(f"{SENSOR_DOMAIN}.private") or {}
        if private.get("suggested_unit_of_measurement") in OLD_DURATION_UNITS:
            registry.async_update_entity_options(
                entity_id,
                f"{SENSOR_DOMAIN}.private",
                {"suggested_unit_of_measurement": UnitOfTime.SECONDS},
            )


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
        attributes = {}
        if self.entity_description.attr_fn is not None:
            attributes = self.entity_description.attr_fn(self.coordinator.data)
        if self.entity_description.is_pace:
            # Decimal minutes suit graphs and automations; runners read m:ss.
            value = self.entity_description.value_fn(self.coordinator.data)
            pace = fmt_pace(value if isinstance(value, (int, float)) else None, ha_units(self.hass))
            attributes["formatted"] = None if pace == "-" else pace
        return attributes or None


class CoachWordsSensor(CoachDynoEntity, SensorEntity):
    """What the coach says, for the dashboard; the state says who said it (Gemini or offline)."""

    _attr_device_class = SensorDeviceClass.ENUM
    # Long texts change daily: the recorder need not keep every one.
    _unrecorded_attributes = frozenset({"text", "summary", "plan"})

    def __init__(self, entry: CoachDynoConfigEntry, key: str) -> None:
        """Attach the sensor to the athlete's coach."""
        super().__init__(entry.runtime_data.coordinator, key)
        self._attr_translation_key = key
        self._attr_options = ["gemini", "offline"]
        self._coach = entry.runtime_data.coach


class BriefingSensor(CoachWordsSensor):
    """Today's briefing: the one asked for today, else the offline coach's (free, no network)."""

    def __init__(self, entry: CoachDynoConfigEntry) -> None:
        """Create the briefing sensor."""
        super().__init__(entry, "briefing")

    @property
    def native_value(self) -> str:
        """Return who wrote today's briefing."""
        return self._coach.todays_briefing(self.coordinator.data.snapshot).source

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """Return the text and the 7-day plan."""
        briefing = self._coach.todays_briefing(self.coordinator.data.snapshot)
        return {"kind": briefing.kind, "text": briefing.text, "plan": plan_as_dicts(briefing.plan)}


class LatestAnalysisSensor(CoachWordsSensor):
    """The latest run's analysis: Gemini's once asked for, else the offline coach's."""

    def __init__(self, entry: CoachDynoConfigEntry) -> None:
        """Create the analysis sensor."""
        super().__init__(entry, "latest_run_analysis")
        self._analysis: Analysis | None = None
        self._analyse()

    def _analyse(self) -> None:
        """Analyse the latest run once per update (finding similar runs reads the history)."""
        snapshot = self.coordinator.data.snapshot
        self._analysis = None
        if (run := snapshot.latest_run) is not None:
            activity = self.coordinator.store.activities.get(run.id)
            similar = () if activity is None else self.coordinator.similar_runs(activity)
            self._analysis = self._coach.latest_analysis(snapshot, run, similar)

    @callback
    def _handle_coordinator_update(self) -> None:
        """Analyse again: a new run, or Gemini's analysis of the latest one."""
        self._analyse()
        super()._handle_coordinator_update()

    @property
    def native_value(self) -> str | None:
        """Return who analysed the latest run; unknown before the first run."""
        return None if self._analysis is None else self._analysis.source

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """Return the run and what the coach says about it."""
        if (analysis := self._analysis) is None:
            return None
        run = self.coordinator.data.snapshot.latest_run
        return {
            "activity_id": analysis.activity_id,
            "name": None if run is None else run.name,
            "summary": analysis.summary,
            "text": analysis.text,
        }


class RiskFlagsSensor(CoachDynoEntity, SensorEntity):
    """How many injury or overload flags the numbers raise, each said in the coach's words."""

    _attr_translation_key = "risk_flags"
    _attr_state_class = SensorStateClass.MEASUREMENT

    def __init__(self, entry: CoachDynoConfigEntry) -> None:
        """Create the risk flags sensor."""
        super().__init__(entry.runtime_data.coordinator, "risk_flags")
        self._coach = entry.runtime_data.coach

    @property
    def native_value(self) -> int:
        """Return the number of raised flags."""
        return len(detect_risks(self.coordinator.data.snapshot))

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """Return the flags' codes and sentences."""
        risks = detect_risks(self.coordinator.data.snapshot)
        return {
            "flags": [risk.code.value for risk in risks],
            "messages": list(risk_messages(risks, self._coach.settings)),
        }
