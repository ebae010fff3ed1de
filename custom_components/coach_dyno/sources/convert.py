"""
Strava JSON to the training engine's Activity and Streams, validated with stravalib's models.

stravalib's models load slowly (about half a second), so they are imported on first use: call these
functions from the executor, as StravaClient does.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC
import math
from typing import Any, Final

from pydantic import ValidationError

from custom_components.coach_dyno.training.activity import RUN_SPORT_TYPES, Activity, Streams

from .strava import StravaResponseError

RACE_WORKOUT_TYPE: Final = 1  # Strava's workout_type for a race, on runs

# The summary fields the engine uses, validated with stravalib's SummaryActivity. Validating only these
# keeps a change in a field we never read (map, athlete, gear...) from rejecting a whole page.
# sport_type and max_heartrate are read by hand: stravalib rewrites sport types it does not know to
# "Workout" (we keep them as they are) and types max_heartrate as int (Strava sends floats).
_VALIDATED: Final = (
    "id",
    "name",
    "start_date",
    "distance",
    "moving_time",
    "elapsed_time",
    "total_elevation_gain",
    "average_heartrate",
    "has_heartrate",
    "workout_type",
    "manual",
    "trainer",
)

# Strava stream type -> Streams field
_STREAMS: Final = {
    "time": "time_s",
    "heartrate": "heartrate",
    "distance": "distance_m",
    "altitude": "altitude_m",
}


def _number(value: Any, what: str, activity_id: Any) -> float | None:
    """Return a finite float, None when absent; refuse anything else."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise StravaResponseError(f"Strava activity {activity_id} has an invalid {what}")
    return float(value)


def _field_names(err: ValidationError) -> str:
    """Return the names of the fields a validation error is about (never their values)."""
    return ", ".join(sorted({str(item["loc"][0]) for item in err.errors() if item["loc"]}))


def activity_from_strava(data: Any) -> Activity:
    """Convert a summary or detailed activity from the Strava API."""
    from stravalib.model import SummaryActivity  # noqa: PLC0415 - slow import, see module docstring

    if not isinstance(data, Mapping):
        raise StravaResponseError("Strava sent an activity that is not an object")
    activity_id = data.get("id")
    try:
        model = SummaryActivity.model_validate({k: data[k] for k in _VALIDATED if k in data})
    except ValidationError as err:
        raise StravaResponseError(
            f"Strava activity {activity_id} has invalid {_field_names(err)}"
        ) from None
    sport_type = data.get("sport_type")
    if model.id is None or model.start_date is None or not sport_type:
        required = (("id", model.id), ("start_date", model.start_date), ("sport_type", sport_type))
        missing = ", ".join(name for name, value in required if not value)
        raise StravaResponseError(f"Strava sent an activity without {missing}")
    if not isinstance(sport_type, str):
        raise StravaResponseError(f"Strava activity {activity_id} has an invalid sport_type")
    start = model.start_date
    start = start.replace(tzinfo=UTC) if start.tzinfo is None else start.astimezone(UTC)
    has_hr = model.has_heartrate is not False
    avg_hr = _number(model.average_heartrate, "average_heartrate", activity_id) if has_hr else None
    max_hr = _number(data.get("max_heartrate"), "max_heartrate", activity_id) if has_hr else None
    elevation = _number(model.total_elevation_gain, "total_elevation_gain", activity_id)
    try:
        return Activity(
            id=model.id,
            start=start,
            sport_type=sport_type,
            name=model.name or "",
            distance_m=float(model.distance or 0.0),
            moving_s=float(model.moving_time or 0),
            elapsed_s=float(model.elapsed_time or 0),
            elevation_gain_m=elevation or 0.0,
            avg_hr=avg_hr,
            max_hr=max_hr,
            manual=bool(model.manual),
            trainer=bool(model.trainer),
            race=model.workout_type == RACE_WORKOUT_TYPE and sport_type in RUN_SPORT_TYPES,
        )
    except ValueError as err:
        raise StravaResponseError(f"Strava activity {activity_id} is not valid: {err}") from None


def _series(raw: Any, key: str) -> tuple[float, ...] | None:
    """Validate one stream object and return its samples as floats."""
    from stravalib.model import Stream  # noqa: PLC0415 - slow import, see module docstring

    try:
        stream = Stream.model_validate(raw)
    except ValidationError:
        raise StravaResponseError(f"Strava sent an invalid {key} stream") from None
    if stream.data is None:
        return None
    values: list[float] = []
    for sample in stream.data:
        if isinstance(sample, bool) or not isinstance(sample, int | float):
            raise StravaResponseError(f"Strava sent a non-numeric sample in the {key} stream")
        values.append(float(sample))
    return tuple(values)


def streams_from_strava(data: Any) -> Streams | None:
    """Convert a streams reply (keyed by type, or a list of typed streams); None without samples."""
    if isinstance(data, Mapping):
        by_type: Mapping[Any, Any] = data
    elif isinstance(data, list):
        by_type = {item.get("type"): item for item in data if isinstance(item, Mapping)}
    else:
        raise StravaResponseError("Strava sent streams that are neither an object nor a list")
    series: dict[str, tuple[float, ...]] = {}
    for key, name in _STREAMS.items():
        raw = by_type.get(key)
        if raw is None:
            continue
        values = _series(raw, key)
        if values:
            series[name] = values
    time_s = series.get("time_s")
    if not time_s:
        return None
    if any(len(values) != len(time_s) for values in series.values()):
        raise StravaResponseError("Strava sent streams of different lengths")
    return Streams(
        time_s=time_s,
        heartrate=series.get("heartrate"),
        distance_m=series.get("distance_m"),
        altitude_m=series.get("altitude_m"),
    )
